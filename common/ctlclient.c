/* ctlclient.c: placeholder, filled in by the foundation issue. */
typedef int s_ctlclient_placeholder;
