/* klog.c: placeholder, filled in by the foundation issue. */
typedef int s_klog_placeholder;
