/* ctlserver.c: placeholder, filled in by the foundation issue. */
typedef int s_ctlserver_placeholder;
