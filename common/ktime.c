/* ktime.c: placeholder, filled in by the foundation issue. */
typedef int s_ktime_placeholder;
