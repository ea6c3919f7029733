/* evlog_client.c: placeholder, filled in by the foundation issue. */
typedef int s_evlog_client_placeholder;
