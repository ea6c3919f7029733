/* kvalid.c: placeholder, filled in by the foundation issue. */
typedef int s_kvalid_placeholder;
