/* arena.c: placeholder, filled in by the foundation issue. */
typedef int s_arena_placeholder;
