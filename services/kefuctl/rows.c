/* rows.c: kefuctl's request rows: a command line read by a map of flags
 * and operands to fields of one request message, typed by the message's
 * protobuf-c descriptor (kefuctl.h, kctl_arg_t).
 *
 * A row names the request body (&kefu__case_open__descriptor), its
 * Request oneof case, the Reply case it expects and, per flag or operand,
 * a field path of the body ("kind", "order.customer"). Running a row:
 *
 *   1. kctl_parse_args(): getopt over the map's flags (and the global
 *      ones), operands in map order, the required ones present, no value
 *      empty unless the entry allows it. Nothing is converted yet, so a
 *      missing option is reported before a bad one, as a person reads.
 *   2. each value into its field, in map order, by the field's type:
 *      enum words (kctl_parse_enum(), from the descriptor), RFC 3339
 *      times and durations for int64 fields by their declared kind
 *      (pbkind.h: pbjson's rule too, so what kefuctl prints it reads
 *      back; an undeclared int64 has no flag), numbers within the entry's
 *      range, bools and enum words set by a flag without value, strings.
 *      Two flags that set one field exclude each other (--queries,
 *      --complaints).
 *   3. the row's hook, for what does not fit a field (a period given as
 *      --week, a rule between two options).
 *   4. the Request: the body in its oneof case, Request.actor from the
 *      KCTL_ARG_ACTOR entry, --request-id only on a write, sent to the
 *      daemon whose range holds the case (registry_for_request()); then
 *      the answer's sub-message printed (kctl_ok()).
 *
 * Everything that can be checked without the daemon is checked here, so
 * a mistyped line is a usage error (exit 2) naming the fix, never a round
 * trip. Whether ids exist and the rules allow it is the daemon's to say,
 * in its fields' terms ("kind: one of ..."); kctl_row_rewrite() gives
 * such a refusal back in the row's flags.
 *
 * The body is built on the heap (strings copied) and freed with
 * protobuf_c_message_free_unpacked(), so a hook may set any field.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "kefuctl.h"
#include "ktime.h"
#include "pbdesc.h"
#include "pbjson.h"
#include "pbkind.h"
#include "registry.h"

#define S_VAL_BASE 256  /* getopt vals of map entries: above any character */

static size_t s_map_len(const kctl_arg_t *map)
{
    size_t n = 0;
    while (map && (map[n].flag || map[n].meta || map[n].field))
        n++;
    return n;
}

/* ---- parsing -------------------------------------------------------------- */

int kctl_parse_args(kctl_t *ctx, const kctl_arg_t *map, int argc, char **argv, kctl_args_t *a)
{
    struct option opts[KCTL_MAX_OPTS];
    size_t n = s_map_len(map), nopts = 0;
    assert(n <= KCTL_MAX_ARGS);
    memset(a, 0, sizeof *a);
    a->map = map;
    a->n = n;
    for (size_t i = 0; i < n; i++)
        if (map[i].flag)
            opts[nopts++] = (struct option){map[i].flag,
                                            map[i].meta ? required_argument : no_argument,
                                            NULL, S_VAL_BASE + (int) i};
    opts[nopts] = (struct option){NULL, 0, NULL, 0};
    int opt;
    while ((opt = kctl_getopt(ctx, argc, argv, opts)) >= 0) {
        const kctl_arg_t *e = &map[opt - S_VAL_BASE];
        if (e->meta && !*optarg && !(e->flags & KCTL_ARG_EMPTY))
            return kctl_usage(ctx, "--%s needs a value", e->flag);
        a->v[opt - S_VAL_BASE] = e->meta ? optarg : "";
    }
    if (opt == KCTL_OPT_EXIT)
        return ctx->exit_code;
    int have = argc - optind, want = 0;
    for (size_t i = 0; i < n; i++) {
        if (map[i].flag)
            continue;
        if (want >= have) {
            if (map[i].flags & KCTL_ARG_OPTIONAL)
                continue;
            return kctl_usage(ctx, "missing %s", map[i].meta);
        }
        if (!*argv[optind + want])
            return kctl_usage(ctx, "%s must not be empty", map[i].meta);
        a->v[i] = argv[optind + want++];
    }
    if (have > want)
        return kctl_usage(ctx, "unexpected argument '%s'", argv[optind + want]);
    for (size_t i = 0; i < n; i++)
        if ((map[i].flags & KCTL_ARG_REQUIRED) && map[i].flag && !a->v[i])
            return kctl_usage(ctx, "missing --%s %s", map[i].flag, map[i].meta);
    return KCTL_CONTINUE;
}

const char *kctl_arg_value(const kctl_args_t *a, const char *flag)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->map[i].flag && strcmp(a->map[i].flag, flag) == 0)
            return a->v[i];
    return NULL;
}

/* ---- fields ---------------------------------------------------------------- */

/* Walks path in d; with msg, creates the sub-messages on the way (NULL
 * on out-of-memory). Returns the last field, with *owner the message
 * that holds it (when msg was given), or NULL when path names none. */
static const ProtobufCFieldDescriptor *s_walk(const ProtobufCMessageDescriptor *d,
                                              const char *path, ProtobufCMessage *msg,
                                              ProtobufCMessage **owner)
{
    char seg[64];
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t) (dot - p) : strlen(p);
        if (len == 0 || len >= sizeof seg)
            return NULL;
        memcpy(seg, p, len);
        seg[len] = '\0';
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, seg);
        if (!f)
            return NULL;
        if (!dot) {
            if (owner)
                *owner = msg;
            return f;
        }
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED)
            return NULL;
        d = f->descriptor;
        if (msg) {
            ProtobufCMessage **sub = (ProtobufCMessage **) ((char *) msg + f->offset);
            if (!*sub) {
                *sub = malloc(d->sizeof_message);
                if (!*sub)
                    return NULL;
                protobuf_c_message_init(d, *sub);
            }
            msg = *sub;
        }
        p = dot + 1;
    }
}

const ProtobufCFieldDescriptor *kctl_field_lookup(const ProtobufCMessageDescriptor *d,
                                                  const char *path)
{
    return s_walk(d, path, NULL, NULL);
}


/* The value of enum ed spelt word (pbdesc_enum_word()), or 0. */
static int s_enum_value(const ProtobufCEnumDescriptor *ed, const char *word)
{
    char name[64];
    for (unsigned i = 0; i < ed->n_values; i++)
        if (pbdesc_enum_word(ed, ed->values[i].value, name, sizeof name)
            && strcmp(name, word) == 0)
            return ed->values[i].value;
    return 0;
}

kctl_kind_t kctl_arg_kind(const kctl_arg_t *a, const ProtobufCFieldDescriptor *f)
{
    if (!f || f->label == PROTOBUF_C_LABEL_REPEATED)
        return KCTL_KIND_NONE;
    bool valued = a->meta != NULL;
    if ((a->flags & KCTL_ARG_ACTOR) && f->type != PROTOBUF_C_TYPE_STRING)
        return KCTL_KIND_NONE;
    if (a->word && (f->type != PROTOBUF_C_TYPE_ENUM || valued))
        return KCTL_KIND_NONE;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        return valued ? KCTL_KIND_STRING : KCTL_KIND_NONE;
    case PROTOBUF_C_TYPE_ENUM:
        if (!valued)
            return a->word && s_enum_value(f->descriptor, a->word) ? KCTL_KIND_ENUM_WORD
                                                                  : KCTL_KIND_NONE;
        return KCTL_KIND_ENUM;
    case PROTOBUF_C_TYPE_BOOL:
        return valued ? KCTL_KIND_NONE : KCTL_KIND_BOOL;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_UINT64:
        return valued && a->min <= (a->max ? a->max : UINT32_MAX) ? KCTL_KIND_NUMBER
                                                                  : KCTL_KIND_NONE;
    case PROTOBUF_C_TYPE_INT64:
        if (!valued)
            return KCTL_KIND_NONE;
        /* its kind as declared once, in the owner's NAME_kinds.c: the
         * rule pbjson prints by, so every value reads back */
        switch (pbkind_of(f)) {
        case PBKIND_DURATION: return KCTL_KIND_DURATION;
        case PBKIND_TIME: return KCTL_KIND_TIME;
        default: return KCTL_KIND_NONE;   /* a count or amount: the row's hook */
        }
    default:
        return KCTL_KIND_NONE;
    }
}

/* Marks optional scalar field f of msg as set. */
static void s_mark(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset
        && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        *(protobuf_c_boolean *) ((char *) msg + f->quantifier_offset) = 1;
}

/* Entry e's value v into its field of body. Returns KCTL_CONTINUE or the
 * usage error's status. */
static int s_set(kctl_t *ctx, const kctl_arg_t *e, const char *v, ProtobufCMessage *body)
{
    ProtobufCMessage *msg = NULL;
    const ProtobufCFieldDescriptor *f = s_walk(body->descriptor, e->field, body, &msg);
    kctl_kind_t kind = kctl_arg_kind(e, f);
    assert(kind != KCTL_KIND_NONE || !f);  /* test_kefuctl_rows checks every row */
    if (!f || !msg)
        return kctl_fail(ctx, KCTL_EXIT_REFUSED, "internal", "out of memory");
    char *at = (char *) msg + f->offset;
    char what[40];
    if (e->flag)
        snprintf(what, sizeof what, "--%s", e->flag);
    else
        snprintf(what, sizeof what, "%s", e->meta);
    switch (kind) {
    case KCTL_KIND_STRING: {
        char *s = strdup(v);
        if (!s)
            return kctl_fail(ctx, KCTL_EXIT_REFUSED, "internal", "out of memory");
        if (*(char **) at != f->default_value)
            free(*(char **) at);
        *(char **) at = s;
        return KCTL_CONTINUE;
    }
    case KCTL_KIND_ENUM: {
        int out = 0;
        int rc = kctl_parse_enum(ctx, f->descriptor, e->exclude, what, v, &out);
        if (rc != KCTL_CONTINUE)
            return rc;
        *(int *) at = out;
        break;
    }
    case KCTL_KIND_ENUM_WORD:
        *(int *) at = s_enum_value(f->descriptor, e->word);
        break;
    case KCTL_KIND_BOOL:
        *(protobuf_c_boolean *) at = 1;
        break;
    case KCTL_KIND_NUMBER: {
        uint64_t max = e->max                              ? e->max
                       : f->type == PROTOBUF_C_TYPE_UINT32 ? UINT32_MAX
                                                           : UINT64_MAX;
        uint64_t n;
        if (kctl_parse_u64(v, &n) != 0 || n < e->min || n > max) {
            if (!e->max)
                return kctl_usage(ctx, "bad %s '%s': a whole number, %u or more", what, v,
                                  (unsigned) e->min);
            return kctl_usage(ctx, "bad %s '%s': a whole number from %u to %u", what, v,
                              (unsigned) e->min, (unsigned) e->max);
        }
        if (f->type == PROTOBUF_C_TYPE_UINT32)
            *(uint32_t *) at = (uint32_t) n;
        else
            *(uint64_t *) at = n;
        break;
    }
    case KCTL_KIND_TIME:
        if (ktime_parse_rfc3339(v, (int64_t *) at) != 0)
            return kctl_usage(ctx, "bad %s '%s': a time like 2026-11-23T09:30:00+08:00", what, v);
        break;
    case KCTL_KIND_DURATION:
        if (ktime_parse_duration(v, (int64_t *) at) != 0)
            return kctl_usage(ctx, "bad %s '%s': a duration like 90s, 30m, 2h, 3d or 1h30m", what,
                              v);
        break;
    case KCTL_KIND_NONE:
        break;
    }
    s_mark(msg, f);
    return KCTL_CONTINUE;
}

/* Fills body from a, in map order. */
static int s_fill(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    for (size_t i = 0; i < a->n; i++) {
        const kctl_arg_t *e = &a->map[i];
        if (!a->v[i] || !e->field || (e->flags & KCTL_ARG_HOOK))
            continue;  /* the hook's to read */
        /* a field that two given flags set: they are alternatives */
        for (size_t j = 0; j < i; j++)
            if (a->v[j] && a->map[j].field && a->map[j].flag && e->flag
                && strcmp(a->map[j].field, e->field) == 0)
                return kctl_usage(ctx, "--%s and --%s exclude each other", a->map[j].flag,
                                  e->flag);
        int rc = s_set(ctx, e, a->v[i], body);
        if (rc != KCTL_CONTINUE)
            return rc;
    }
    return KCTL_CONTINUE;
}

/* ---- running a row -------------------------------------------------------- */

/* The Request field of oneof case req, or NULL. */
static const ProtobufCFieldDescriptor *s_req_field(uint32_t req)
{
    return protobuf_c_message_descriptor_get_field(&kefu__request__descriptor, req);
}

int kctl_row_run(kctl_t *ctx, const kctl_rows_t *rows, const kctl_cmd_t *c, int argc,
                 char **argv)
{
    assert(c->body && rows && rows->daemon);
    kctl_args_t a;
    int rc = kctl_parse_args(ctx, c->map, argc, argv, &a);
    if (rc != KCTL_CONTINUE)
        return rc;
    ProtobufCMessage *body = malloc(c->body->sizeof_message);
    if (!body)
        return kctl_fail(ctx, KCTL_EXIT_REFUSED, "internal", "out of memory");
    protobuf_c_message_init(c->body, body);
    rc = s_fill(ctx, &a, body);
    if (rc == KCTL_CONTINUE && c->hook)
        rc = c->hook(ctx, &a, body);
    if (rc != KCTL_CONTINUE) {
        protobuf_c_message_free_unpacked(body, NULL);
        return rc;
    }
    Kefu__Request req = KEFU__REQUEST__INIT;
    const ProtobufCFieldDescriptor *rf = s_req_field(c->req);
    assert(rf && rf->descriptor == c->body);
    req.req_case = (Kefu__Request__ReqCase) c->req;
    *(ProtobufCMessage **) ((char *) &req + rf->offset) = body;
    /* protobuf-c fields are char *; packing only reads them */
    for (size_t i = 0; i < a.n; i++)
        if (a.map[i].flags & KCTL_ARG_ACTOR)
            req.actor = (char *) a.v[i];
    /* --request-id belongs to writes; reads change nothing, so they never
     * carry one (a daemon need not remember them) */
    if (c->writes)
        req.request_id = (char *) ctx->request_id;
    /* routed by the registry: the daemon whose range holds the case */
    const registry_daemon_t *d = registry_for_request((int) c->req);
    assert(d);  /* test_kefuctl_rows checks every row's case has an owner */
    Kefu__Reply *rep = NULL;
    rc = kctl_request(ctx, d ? d->name : rows->daemon, &req, (Kefu__Reply__RepCase) c->rep,
                      &rep, ctx->timeout_ms);
    protobuf_c_message_free_unpacked(body, NULL);
    if (rc != KCTL_CONTINUE)
        return rc;
    const ProtobufCMessage *sub = NULL;
    pbjson_oneof(&rep->base, "rep", &sub);  /* kctl_request() saw it set */
    json_t *j = kctl_json_message(ctx, sub);
    kefu__reply__free_unpacked(rep, NULL);
    return kctl_ok(ctx, j, c->text ? c->text : kctl_text_block);
}

/* ---- refusals in the row's words ----------------------------------------- */

const char *kctl_row_rewrite(const kctl_cmd_t *c, const char *msg, char *buf, size_t cap)
{
    if (!c || !c->body || !c->map || !msg)
        return msg;
    const char *p = msg;
    /* the control server's checks name the field from the Request down */
    const ProtobufCFieldDescriptor *rf = s_req_field(c->req);
    size_t rlen = rf ? strlen(rf->name) : 0;
    if (rf && strncmp(p, "request.", 8) == 0 && strncmp(p + 8, rf->name, rlen) == 0
        && p[8 + rlen] == '.')
        p += 8 + rlen + 1;
    else if (strncmp(p, "request.actor: ", 15) == 0)
        p += 8;  /* Request.actor itself: the actor's flag, below */
    const char *colon = strstr(p, ": ");
    if (!colon)
        return msg;
    size_t len = (size_t) (colon - p);
    for (size_t i = 0, n = s_map_len(c->map); i < n; i++) {
        const kctl_arg_t *e = &c->map[i];
        bool hit = e->field && strlen(e->field) == len && strncmp(e->field, p, len) == 0;
        if (!hit && (e->flags & KCTL_ARG_ACTOR))
            hit = len == 5 && strncmp(p, "actor", 5) == 0;
        if (!hit)
            continue;
        int w = e->flag ? snprintf(buf, cap, "--%s%s", e->flag, colon)
                        : snprintf(buf, cap, "%s%s", e->meta, colon);
        return w >= 0 && (size_t) w < cap ? buf : msg;
    }
    return msg;
}
