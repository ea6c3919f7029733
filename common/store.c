/* store.c: placeholder, filled in by the foundation issue. */
typedef int s_store_placeholder;
