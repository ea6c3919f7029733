/* consumer.c: placeholder, filled in by the foundation issue. */
typedef int s_consumer_placeholder;
