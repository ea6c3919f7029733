/* site.c: placeholder, filled in by the foundation issue. */
typedef int s_site_placeholder;
