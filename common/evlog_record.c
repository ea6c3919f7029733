/* evlog_record.c: placeholder, filled in by the foundation issue. */
typedef int s_evlog_record_placeholder;
