/* kconfig.c: placeholder, filled in by the foundation issue. */
typedef int s_kconfig_placeholder;
