/* kclock.c: placeholder, filled in by the foundation issue. */
typedef int s_kclock_placeholder;
