/* pbjson.c: placeholder, filled in by the foundation issue. */
typedef int s_pbjson_placeholder;
