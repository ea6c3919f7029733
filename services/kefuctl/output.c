/* output.c: how kefuctl answers: successes on stdout, failures on stderr
 * (and, with --json, on stdout too), in the shapes of shared/contract.md.
 *
 * Every command ends in one of these calls, so a script can rely on one
 * rule: exit 0 means stdout holds the answer; otherwise stderr holds one
 * line "kefuctl: CODE: message" and, with --json, stdout holds
 * {"error":{"code":CODE,"message":...}} (and nothing else: a command
 * reports a failure before printing any success).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kefuctl.h"
#include "kerr.h"
#include "ktime.h"
#include "pbjson.h"

/* A JSON string of s even when s is not UTF-8 (an argument typed in a
 * Latin-1 terminal): the odd bytes become '?', the rest stays readable. */
static json_t *s_string(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char) *p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

int kctl_line(const json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    if (!s)
        return -1;
    int rc = fputs(s, stdout) < 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0;
    free(s);
    return rc ? -1 : 0;
}

/* One "key: value" line per member: the text form of a small answer. */
static void s_text_default(FILE *out, const json_t *obj)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *) obj, key, v) {
        if (json_is_string(v))
            fprintf(out, "%s: %s\n", key, json_string_value(v));
        else if (json_is_null(v))
            fprintf(out, "%s: -\n", key);
        else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            fprintf(out, "%s: %s\n", key, s ? s : "?");
            free(s);
        }
    }
}

int kctl_ok(kctl_t *ctx, json_t *obj, kctl_text_fn *text)
{
    if (!obj)
        return kctl_fail(ctx, KCTL_EXIT_REFUSED, "internal", "out of memory");
    int rc = 0;
    if (ctx->json)
        rc = kctl_line(obj);
    else {
        (text ? text : s_text_default)(stdout, obj);
        rc = fflush(stdout) != 0 || ferror(stdout) ? -1 : 0;
    }
    json_decref(obj);
    if (rc != 0) {
        /* the answer is lost: say so on stderr, the only channel left */
        fprintf(stderr, "kefuctl: internal: cannot write the answer to stdout\n");
        return KCTL_EXIT_REFUSED;
    }
    return KCTL_EXIT_OK;
}

static int s_vfail(kctl_t *ctx, int exit_code, const char *code, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* one line, whatever a daemon's message held */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "kefuctl: %s: %s\n", code, msg);
    if (ctx->json) {
        json_t *err = json_object(), *o = json_object();
        json_object_set_new(err, "code", s_string(code));
        json_object_set_new(err, "message", s_string(msg));
        json_object_set_new(o, "error", err);
        kctl_line(o);
        json_decref(o);
    }
    return exit_code;
}

int kctl_fail(kctl_t *ctx, int exit_code, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vfail(ctx, exit_code, code, fmt, ap);
    va_end(ap);
    return rc;
}

int kctl_usage(kctl_t *ctx, const char *fmt, ...)
{
    char msg[768], where[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ctx->cmd && ctx->cmd->verb)
        snprintf(where, sizeof where, "kefuctl %s %s --help", ctx->cmd->group, ctx->cmd->verb);
    else if (ctx->cmd)
        snprintf(where, sizeof where, "kefuctl %s --help", ctx->cmd->group);
    else
        snprintf(where, sizeof where, "kefuctl --help");
    return kctl_fail(ctx, KCTL_EXIT_USAGE, "usage", "%s (see %s)", msg, where);
}

int kctl_refused(kctl_t *ctx, const char *who, const Kefu__Error *err)
{
    int rc = err->has_code ? kefu_err_from_wire(err->code) : 0;
    if (rc == 0)
        rc = KEFU_EINTERNAL;  /* an Error that names no error is a bug somewhere */
    /* the message through pbjson: it comes off the wire and may not be UTF-8 */
    json_t *j = pbjson_from_message(&err->base, 0);
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (!msg || !*msg)
        msg = kefu_strerror(rc);
    int exit_code = kctl_fail(ctx, KCTL_EXIT_REFUSED, kefu_errname(rc), "%s%s%s",
                              who ? who : "", who ? ": " : "", msg);
    json_decref(j);
    return exit_code;
}

int kctl_call_fail(kctl_t *ctx, const char *daemon, int rc)
{
    if (rc == KEFU_ETIMEOUT)
        return kctl_fail(ctx, KCTL_EXIT_UNREACHABLE, "unavailable",
                         "%s does not answer: is the site in %s up?", daemon, ctx->site);
    if (rc == KEFU_ETOOLARGE)
        return kctl_fail(ctx, KCTL_EXIT_USAGE, "usage",
                         "the site path %s is too long for its sockets; use a shorter --dir",
                         ctx->site);
    return kctl_fail(ctx, KCTL_EXIT_REFUSED, kefu_errname(rc), "%s: %s", daemon,
                     kefu_strerror(rc));
}

json_t *kctl_json_time(int64_t t_us)
{
    char buf[64];
    if (ktime_format_rfc3339(t_us, pbjson_local_offset(t_us), buf, sizeof buf) < 0)
        return json_integer(t_us);  /* outside years 0000-9999: the number itself */
    return json_string(buf);
}

json_t *kctl_json_u64(uint64_t v)
{
    /* jansson's integers are signed 64-bit; no seq or count comes near
     * 2^63, but a wrong sign would be worse than a string */
    if (v <= (uint64_t) INT64_MAX)
        return json_integer((json_int_t) v);
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long) v);
    return json_string(buf);
}
