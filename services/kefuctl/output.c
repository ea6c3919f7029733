/* output.c: how kefuctl answers: successes on stdout, failures on stderr
 * (and, with --json, on stdout too), in the shapes of shared/contract.md.
 *
 * Every command ends in one of these calls, so a script can rely on one
 * rule: exit 0 means stdout holds the answer; otherwise stderr holds one
 * line "kefuctl: CODE: message" and, with --json, stdout holds
 * {"error":{"code":CODE,"message":...}} (and nothing else: a command
 * reports a failure before printing any success).
 *
 * A daemon's refusal names a field of its request ("kind: one of colour,
 * ..."); the stderr line names the flag that fills it instead ("--kind:
 * one of colour, ..."), through the running row (kctl_row_rewrite()),
 * while the JSON error keeps the daemon's words for scripts.
 *
 * The text forms of a success are here too, shared by the commands: a
 * key: value block for one object (kctl_text_block) and an aligned table
 * for a list (kctl_text_table), both read off the same JSON that --json
 * prints, so the two modes never disagree about what an answer holds.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* One line: a daemon's message may hold anything. */
static void s_one_line(char *msg)
{
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

/* Prints a failure: msg on stderr, and with --json json_msg (NULL: msg)
 * on stdout. Returns exit_code. */
static int s_report(kctl_t *ctx, int exit_code, const char *code, const char *msg,
                    const char *json_msg)
{
    fprintf(stderr, "kefuctl: %s: %s\n", code, msg);
    if (ctx->json) {
        json_t *err = json_object(), *o = json_object();
        json_object_set_new(err, "code", s_string(code));
        json_object_set_new(err, "message", s_string(json_msg ? json_msg : msg));
        json_object_set_new(o, "error", err);
        kctl_line(o);
        json_decref(o);
    }
    return exit_code;
}

static int s_vfail(kctl_t *ctx, int exit_code, const char *code, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    s_one_line(msg);
    return s_report(ctx, exit_code, code, msg, NULL);
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
    /* The daemon names a field ("kind: one of ..."); the person typed a
     * flag, so stderr says --kind. The JSON keeps the daemon's words: a
     * script reads the protocol's field names, which stay put when a
     * flag is renamed (docs/protocol.md, kefuctl JSON). */
    char said[1024], flagged[1024];
    snprintf(said, sizeof said, "%s%s%s", who ? who : "", who ? ": " : "", msg);
    s_one_line(said);
    const char *human = kctl_row_rewrite(ctx->cmd, msg, flagged, sizeof flagged);
    char line[1024];
    snprintf(line, sizeof line, "%s%s%s", who ? who : "", who ? ": " : "", human);
    s_one_line(line);
    /* A daemon that answers "unavailable" can't serve now (the log
     * stalled, the daemon stopping): like no answer at all, it is exit 3,
     * the one a script retries on; its message says what holds it up. */
    int exit_code = s_report(ctx, rc == KEFU_EUNAVAIL ? KCTL_EXIT_UNREACHABLE : KCTL_EXIT_REFUSED,
                             kefu_errname(rc), line, said);
    json_decref(j);
    return exit_code;
}

int kctl_call_fail(kctl_t *ctx, const char *daemon, int rc)
{
    if (ctx->endpoint) {   /* a remote site (call.c) */
        if (!ctx->key_file)
            return kctl_usage(ctx, "--endpoint needs --key FILE (kefuctl key new, on the site, "
                                   "makes one)");
        if (!ctx->key_loaded) {
            char err[PATH_MAX + 128];
            keyfile_t k;
            keyfile_load(ctx->key_file, &k, err, sizeof err);
            return kctl_usage(ctx, "--key %s", err);
        }
        if (rc == KEFU_ETIMEOUT)
            return kctl_fail(ctx, KCTL_EXIT_UNREACHABLE, "unavailable",
                             "the site at %s does not answer (is its net.listen set, and "
                             "kefu-net up?)", ctx->endpoint);
        if (rc == KEFU_EFORBIDDEN)
            return kctl_fail(ctx, KCTL_EXIT_REFUSED, "forbidden",
                             "the site at %s refused key %s (not enrolled, revoked, or "
                             "another site's)", ctx->endpoint, ctx->key.name);
    }
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

json_t *kctl_json_time(kctl_t *ctx, int64_t t_us)
{
    char buf[64];
    if (ktime_format_rfc3339(t_us, kctl_time_offset(ctx), buf, sizeof buf) < 0)
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

json_t *kctl_json_message(kctl_t *ctx, const ProtobufCMessage *msg)
{
    /* One offset for the whole message: the site's, a fixed offset (the
     * calendar has no daylight saving), whatever TZ kefuctl runs with. */
    return pbjson_from_message(msg, kctl_time_offset(ctx));
}

/* ---- text renderings ------------------------------------------------------
 * For a person at a terminal: aligned, one fact a line. Widths are display
 * columns: a CJK character (a shop's name, a complaint's text) takes two. */

/* Display columns of the UTF-8 code point cp. */
static int s_cp_width(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF)
        || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60)
        || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

/* Decodes the code point at s (valid UTF-8: jansson's strings are);
 * returns its length in bytes. */
static size_t s_utf8_next(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *) s;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    size_t len = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : 2;
    uint32_t v = u[0] & (0x3F >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80) {  /* cut short: count what is there as one */
            *cp = '?';
            return i;
        }
        v = (v << 6) | (u[i] & 0x3F);
    }
    *cp = v;
    return len;
}

/* Display columns of s. */
static int s_width(const char *s)
{
    int w = 0;
    uint32_t cp;
    while (*s) {
        s += s_utf8_next(s, &cp);
        w += s_cp_width(cp);
    }
    return w;
}

/* s, one line (control characters as spaces) and at most max_cols
 * columns wide ("..." marks a cut; max_cols 0: no limit), into buf. */
static void s_fit(const char *s, int max_cols, char *buf, size_t cap)
{
    size_t o = 0;
    int w = 0;
    bool cut = max_cols > 0 && s_width(s) > max_cols;
    int room = cut ? max_cols - 3 : INT_MAX;
    uint32_t cp;
    while (*s) {
        size_t len = s_utf8_next(s, &cp);
        int cw = cp < 0x20 || cp == 0x7F ? 1 : s_cp_width(cp);
        if (w + cw > room || o + len + 4 > cap) {
            cut = true;
            break;
        }
        if (cp < 0x20 || cp == 0x7F)
            buf[o++] = ' ';
        else {
            memcpy(buf + o, s, len);
            o += len;
        }
        w += cw;
        s += len;
    }
    if (cut && o + 4 <= cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

/* A scalar JSON value as text: strings as they are, booleans yes/no,
 * null "-". */
static void s_scalar(const json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v))
        snprintf(buf, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, cap, "%lld", (long long) json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, cap, "%g", json_real_value(v));
    else if (json_is_true(v))
        snprintf(buf, cap, "yes");
    else if (json_is_false(v))
        snprintf(buf, cap, "no");
    else if (!v || json_is_null(v))
        snprintf(buf, cap, "-");
    else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(buf, cap, "%s", s ? s : "?");
        free(s);
    }
}

/* Members of an entry line shown bare (their value says what they are);
 * the others are shown "(key value)" after the text. */
static bool s_bare_key(const char *key)
{
    static const char *const bare[] = {"action", "kind", "department", "state", NULL};
    for (size_t i = 0; bare[i]; i++)
        if (strcmp(key, bare[i]) == 0)
            return true;
    return false;
}

/* One element of a list of records (a case's history, hand-offs,
 * evidence) as one line: when, who, what, the text, then the rest. */
static void s_entry_line(FILE *out, const json_t *e, int indent)
{
    char buf[4096], line[8192];
    size_t len = 0;
    const char *key;
    json_t *v;
#define S_ADD(...) \
    (len += (size_t) snprintf(line + len, len < sizeof line ? sizeof line - len : 0, __VA_ARGS__))
    static const char *const lead[] = {"at", "by", NULL};
    for (size_t i = 0; lead[i]; i++)
        if ((v = json_object_get(e, lead[i])) != NULL) {
            s_scalar(v, buf, sizeof buf);
            S_ADD("%s%s", len ? "  " : "", buf);
        }
    json_object_foreach((json_t *) e, key, v) {
        if (s_bare_key(key)) {
            s_scalar(v, buf, sizeof buf);
            S_ADD("%s%s", len ? "  " : "", buf);
        }
    }
    if ((v = json_object_get(e, "text")) != NULL) {
        s_fit(json_string_value(v) ? json_string_value(v) : "", 0, buf, sizeof buf);
        S_ADD("%s%s", len ? ": " : "", buf);
    }
    json_object_foreach((json_t *) e, key, v) {
        if (strcmp(key, "at") == 0 || strcmp(key, "by") == 0 || strcmp(key, "text") == 0
            || s_bare_key(key) || json_is_array(v) || json_is_object(v))
            continue;
        s_scalar(v, buf, sizeof buf);
        S_ADD("%s(%s %s)", len ? "  " : "", key, buf);
    }
#undef S_ADD
    fprintf(out, "%*s%s\n", indent, "", line);
}

/* True for a member printed on one "key: value" line: not an object,
 * not a list of records. */
static bool s_plain(const json_t *v)
{
    return !json_is_object(v) && !(json_is_array(v) && json_is_object(json_array_get(v, 0)));
}

static void s_block(FILE *out, const json_t *obj, int indent)
{
    const char *key;
    json_t *v;
    int width = 0;
    json_object_foreach((json_t *) obj, key, v) {
        if (s_plain(v) && (int) strlen(key) > width)
            width = (int) strlen(key);
    }
    char buf[4096], fitted[4096];
    /* the plain members first, then the lists of records and nested
     * objects, which take lines of their own */
    json_object_foreach((json_t *) obj, key, v) {
        if (!s_plain(v) || (json_is_array(v) && json_array_size(v) == 0))
            continue;  /* an empty list (no evidence yet) says nothing */
        fprintf(out, "%*s%s:%*s  ", indent, "", key, width - (int) strlen(key), "");
        if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                s_scalar(e, buf, sizeof buf);
                fprintf(out, "%s%s", i ? ", " : "", buf);
            }
            fputc('\n', out);
        } else {
            s_scalar(v, buf, sizeof buf);
            s_fit(buf, 0, fitted, sizeof fitted);
            fprintf(out, "%s\n", fitted);
        }
    }
    json_object_foreach((json_t *) obj, key, v) {
        if (s_plain(v))
            continue;
        fprintf(out, "%*s%s:\n", indent, "", key);
        if (json_is_object(v))
            s_block(out, v, indent + 2);
        else {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) s_entry_line(out, e, indent + 2);
        }
    }
}

void kctl_text_block(FILE *out, const json_t *obj)
{
    s_block(out, obj, 0);
}

/* A table cell: the member's text, one line, at most S_CELL_COLS wide;
 * a KCTL_COL_TIME column shows RFC 3339 as "YYYY-MM-DD hh:mm". */
#define S_CELL_COLS 40
static void s_cell(const json_t *row, const kctl_col_t *col, char *buf, size_t cap)
{
    char raw[4096];
    const json_t *v = json_object_get(row, col->key);
    s_scalar(v, raw, sizeof raw);
    if ((col->flags & KCTL_COL_TIME) && json_is_string(v) && strlen(raw) >= 16
        && raw[10] == 'T') {
        raw[10] = ' ';
        raw[16] = '\0';
    }
    s_fit(raw, S_CELL_COLS, buf, cap);
}

/* Cell number c of ncols, text s padded to width columns; a left-aligned
 * last column is not padded (no trailing blanks). */
static void s_table_cell(FILE *out, size_t c, size_t ncols, int width, unsigned flags,
                         const char *s)
{
    int pad = width - s_width(s);
    if (pad < 0)
        pad = 0;
    if (c > 0)
        fputs("  ", out);
    if (flags & KCTL_COL_RIGHT)
        fprintf(out, "%*s%s", pad, "", s);
    else
        fprintf(out, "%s%*s", s, c + 1 < ncols ? pad : 0, "");
}

void kctl_text_table(FILE *out, const json_t *items, const kctl_col_t *cols)
{
    size_t ncols = 0;
    while (cols[ncols].key)
        ncols++;
    int width[32] = {0};
    if (ncols > 32)
        ncols = 32;
    char cell[512];
    size_t i;
    json_t *row;
    for (size_t c = 0; c < ncols; c++)
        width[c] = s_width(cols[c].header);
    json_array_foreach(items, i, row) {
        for (size_t c = 0; c < ncols; c++) {
            s_cell(row, &cols[c], cell, sizeof cell);
            int w = s_width(cell);
            if (w > width[c])
                width[c] = w;
        }
    }
    for (size_t c = 0; c < ncols; c++)
        s_table_cell(out, c, ncols, width[c], cols[c].flags, cols[c].header);
    fputc('\n', out);
    json_array_foreach(items, i, row) {
        for (size_t c = 0; c < ncols; c++) {
            s_cell(row, &cols[c], cell, sizeof cell);
            s_table_cell(out, c, ncols, width[c], cols[c].flags, cell);
        }
        fputc('\n', out);
    }
}
