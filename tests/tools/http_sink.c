/* http_sink.c: a webhook receiver for the notifier's test.
 *
 *   http_sink --port P --out FILE [--fail N]
 *
 * Listens on 127.0.0.1:P (libmicrohttpd), answers the first N POSTs with
 * 500 and the rest with 200, and appends each accepted body to FILE as one
 * line. Stops on SIGTERM or SIGINT.
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

static volatile sig_atomic_t s_stop;
static int s_fail;
static FILE *s_out;

static void s_on_signal(int sig)
{
    (void) sig;
    s_stop = 1;
}

typedef struct {
    char *buf;
    size_t len;
} s_body_t;

static enum MHD_Result s_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *data,
                                size_t *size, void **state)
{
    (void) cls;
    (void) url;
    (void) version;
    if (strcmp(method, "POST") != 0)
        return MHD_NO;
    s_body_t *b = *state;
    if (!b) {
        *state = calloc(1, sizeof *b);
        return MHD_YES;
    }
    if (*size) {
        b->buf = realloc(b->buf, b->len + *size + 1);
        memcpy(b->buf + b->len, data, *size);
        b->len += *size;
        *size = 0;
        return MHD_YES;
    }
    unsigned code = 200;
    if (s_fail > 0) {
        s_fail--;
        code = 500;
    } else if (b->buf) {
        b->buf[b->len] = '\0';
        fprintf(s_out, "%s\n", b->buf);
        fflush(s_out);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *) "{}", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return rc;
}

static void s_done(void *cls, struct MHD_Connection *conn, void **state,
                   enum MHD_RequestTerminationCode why)
{
    (void) cls;
    (void) conn;
    (void) why;
    s_body_t *b = *state;
    if (b) {
        free(b->buf);
        free(b);
    }
    *state = NULL;
}

int main(int argc, char **argv)
{
    int port = 0;
    const char *out = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "--fail") == 0)
            s_fail = atoi(argv[i + 1]);
    }
    if (port <= 0 || !out) {
        fprintf(stderr, "usage: http_sink --port P --out FILE [--fail N]\n");
        return 2;
    }
    s_out = fopen(out, "a");
    if (!s_out)
        return 1;
    signal(SIGTERM, s_on_signal);
    signal(SIGINT, s_on_signal);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t) port, NULL,
                                            NULL, s_answer, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                            MHD_OPTION_NOTIFY_COMPLETED, s_done, NULL,
                                            MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "http_sink: can't listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    while (!s_stop)
        pause();
    MHD_stop_daemon(d);
    fclose(s_out);
    return 0;
}
