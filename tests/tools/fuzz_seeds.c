/* fuzz_seeds.c: writes the fuzz targets' seed inputs (tests/fuzz/corpus/,
 * tests/fuzz/README.md) from the project's own encoders, so a seed is a
 * real encoding and changes when the protocol does:
 *
 *   fuzz_seeds DIR        (DIR: tests/fuzz/corpus; `make fuzz-seeds`)
 *
 * Requests and event bodies are filled field by field from their
 * descriptors (a string by its kind, pbkind.h: ids like "C-1", the actor
 * "ann"; an enum its first value; times 2026-11-23 09:30 +08:00), one per
 * request a daemon serves and per body an envelope carries; the rest
 * (records, spool files, scanner lines, configuration, times,
 * checkpoints) are written here by hand after their formats' headers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "evlog_record.h"
#include "pbkind.h"
#include "registry.h"
#include "spool.h"

#define START_US 1795397400000000LL   /* 2026-11-23T09:30:00+08:00 */

static const char *s_dir;

static void s_write(const char *target, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", s_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", s_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void s_text(const char *target, const char *name, const char *text)
{
    s_write(target, name, text, strlen(text));
}

/* ---- messages filled from their descriptors -------------------------------- */

static const char *s_id_for(const char *field)
{
    static const struct {
        const char *part, *id;
    } ids[] = {
        {"customer", "CU-1"}, {"order", "O-1"}, {"rework", "RW-1"}, {"rush", "R-1"},
        {"outsource", "OS-1"}, {"escalation", "E-1"}, {"after", "A-1"}, {"consult", "Q-1"},
        {"case", "C-1"}, {"subject", "C-1"}, {"obligation", "C-1"},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (strstr(field, ids[i].part))
            return ids[i].id;
    return "C-1";
}

static void s_fill(ProtobufCMessage *m, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        void *at = (char *) m + f->offset;
        protobuf_c_boolean *has = f->quantifier_offset
                                      ? (protobuf_c_boolean *) ((char *) m + f->quantifier_offset)
                                      : NULL;
        pbkind_t kind = pbkind_of(f);
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING:
            *(const char **) at = kind == PBKIND_ACTOR ? "ann"
                                  : kind == PBKIND_ID  ? s_id_for(f->name)
                                                       : "photos came out too dark";
            break;
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumDescriptor *ed = f->descriptor;
            *(int *) at = ed->n_values > 1 ? ed->values[1].value : ed->values[0].value;
            if (has)
                *has = 1;
            break;
        }
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
            *(int64_t *) at = kind == PBKIND_TIME       ? START_US + 7200LL * 1000000
                              : kind == PBKIND_DURATION ? 7200LL * 1000000 : 1;
            if (has)
                *has = 1;
            break;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            *(uint64_t *) at = 1;
            if (has)
                *has = 1;
            break;
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
            *(uint32_t *) at = 3;
            if (has)
                *has = 1;
            break;
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *) at = 1;
            if (has)
                *has = 1;
            break;
        case PROTOBUF_C_TYPE_MESSAGE:
            if (depth < 3) {
                const ProtobufCMessageDescriptor *sd = f->descriptor;
                ProtobufCMessage *sub = calloc(1, sd->sizeof_message);
                protobuf_c_message_init(sd, sub);
                s_fill(sub, depth + 1);
                *(ProtobufCMessage **) at = sub;
            }
            break;
        default:
            break;   /* bytes, floats: left unset */
        }
    }
}

/* A new body message for oneof member f of a message, filled. */
static ProtobufCMessage *s_body(const ProtobufCFieldDescriptor *f)
{
    const ProtobufCMessageDescriptor *bd = f->descriptor;
    ProtobufCMessage *body = calloc(1, bd->sizeof_message);
    protobuf_c_message_init(bd, body);
    s_fill(body, 1);
    return body;
}

/* (Seeds leak their little messages: a tool that runs once.) */

static size_t s_pack_request(const ProtobufCFieldDescriptor *f, bool with_id, uint8_t **out)
{
    Kefu__Request req = KEFU__REQUEST__INIT;
    req.actor = "ann";
    req.request_id = with_id ? "seed-1" : NULL;
    *(uint32_t *) ((char *) &req + f->quantifier_offset) = f->id;
    *(ProtobufCMessage **) ((char *) &req + f->offset) = s_body(f);
    size_t n = kefu__request__get_packed_size(&req);
    *out = malloc(n);
    kefu__request__pack(&req, *out);
    return n;
}

static void s_requests(void)
{
    const ProtobufCMessageDescriptor *rq = &kefu__request__descriptor;
    /* cmd_NAME: each request of the daemon alone, and all in a row */
    static const char *const daemons[] = {"intake", "sched", "sla", "net"};
    for (size_t k = 0; k < sizeof daemons / sizeof daemons[0]; k++) {
        const registry_daemon_t *d = registry_lookup(daemons[k]);
        char target[64];
        snprintf(target, sizeof target, "cmd_%s", daemons[k]);
        uint8_t *all = NULL;
        size_t all_len = 0;
        for (unsigned i = 0; i < rq->n_fields; i++) {
            const ProtobufCFieldDescriptor *f = &rq->fields[i];
            if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || (int) f->id < d->req_lo ||
                (int) f->id > d->req_hi)
                continue;
            uint8_t *b;
            size_t n = s_pack_request(f, f->id % 2 == 0, &b);
            uint8_t *one = malloc(n + 3);
            one[0] = 0;
            one[1] = (uint8_t) n;
            one[2] = (uint8_t) (n >> 8);
            memcpy(one + 3, b, n);
            s_write(target, f->name, one, n + 3);
            all = realloc(all, all_len + n + 3);
            memcpy(all + all_len, one, n + 3);
            all_len += n + 3;
            free(one);
            free(b);
        }
        s_write(target, "all-in-a-row", all, all_len);
        free(all);
    }
    /* request: every request of every daemon, as the control socket gets it */
    for (unsigned i = 0; i < rq->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &rq->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        uint8_t *b;
        size_t n = s_pack_request(f, true, &b);
        s_write("request", f->name, b, n);
        free(b);
    }
}

/* ---- events and records ------------------------------------------------------ */

static size_t s_pack_event(const ProtobufCFieldDescriptor *f, uint64_t pseq, uint8_t **out)
{
    Kefu__Envelope ev = KEFU__ENVELOPE__INIT;
    const registry_daemon_t *owner = registry_for_event((int) f->id);
    ev.producer = owner ? (char *) owner->name : "probe";
    ev.has_producer_seq = ev.has_at = true;
    ev.producer_seq = pseq;
    ev.at = START_US;
    ev.request_id = "seed-1";
    ev.actor = "ann";
    *(uint32_t *) ((char *) &ev + f->quantifier_offset) = f->id;
    *(ProtobufCMessage **) ((char *) &ev + f->offset) = s_body(f);
    size_t n = kefu__envelope__get_packed_size(&ev);
    *out = malloc(n);
    kefu__envelope__pack(&ev, *out);
    return n;
}

static void s_events(void)
{
    const ProtobufCMessageDescriptor *d = &kefu__envelope__descriptor;
    uint8_t seg[8192];
    size_t seg_len = 0, nrec = 0;
    uint8_t pay[8192];
    size_t pay_len = 0;
    pay[pay_len++] = 1;   /* fuzz_record's second mode: payloads */
    seg[seg_len++] = 0;   /* ... its first: segment bytes */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        uint8_t *b;
        size_t n = s_pack_event(f, 1, &b);
        s_write("envelope", f->name, b, n);
        if (nrec < 4 && seg_len + evlog_record_size(n + 11) < sizeof seg) {
            seg_len += evlog_record_write_event(seg + seg_len, nrec + 1, b, n);
            pay[pay_len++] = (uint8_t) n;
            pay[pay_len++] = (uint8_t) (n >> 8);
            memcpy(pay + pay_len, b, n);
            pay_len += n;
            nrec++;
        }
        free(b);
    }
    s_write("record", "segment", seg, seg_len);
    s_write("record", "segment-torn", seg, seg_len - 5);
    s_write("record", "payloads", pay, pay_len);
}

/* ---- the rest, by hand ---------------------------------------------------------- */

static void s_spools(void)
{
    static const char *const lines[] = {
        "kefu-terminal-spool 1 T1 abcd1234", "B 1", "S 1 O-1 printing - 0",
        "S 2 O-2 qc ann 1", "A 1", "S 3 O-7 packed bob 0",
    };
    char sealed[1024] = {1}, raw[1024] = {0};
    size_t sl = 1, rl = 1;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        sl += (size_t) snprintf(sealed + sl, sizeof sealed - sl, "%s\n", lines[i]);
        rl += (size_t) snprintf(raw + rl, sizeof raw - rl, "%s %08" PRIx32 "\n", lines[i],
                                spool_checksum(lines[i], strlen(lines[i])));
    }
    sealed[0] = 1;
    s_write("spool", "lines", sealed, sl);
    raw[0] = 0;
    s_write("spool", "file", raw, rl);
    s_write("spool", "file-torn", raw, rl - 4);
}

static void s_put(uint8_t *b, size_t *n, uint64_t v)
{
    while (v >= 0x80) {
        b[(*n)++] = (uint8_t) (v | 0x80);
        v >>= 7;
    }
    b[(*n)++] = (uint8_t) v;
}

static void s_ckpts(void)
{
    /* version 1, clock_logged, 2 producers (name, last, n, seqs as deltas),
     * 1 clock request (id, to, seq): evlog_state.h's form */
    uint8_t b[256];
    size_t n = 0;
    s_put(b, &n, 1);
    s_put(b, &n, (uint64_t) START_US);
    s_put(b, &n, 2);
    s_put(b, &n, 6);
    memcpy(b + n, "intake", 6);
    n += 6;
    s_put(b, &n, 3);
    s_put(b, &n, 3);
    s_put(b, &n, 2);
    s_put(b, &n, 1);
    s_put(b, &n, 4);
    s_put(b, &n, 5);
    memcpy(b + n, "sched", 5);
    n += 5;
    s_put(b, &n, 1);
    s_put(b, &n, 1);
    s_put(b, &n, 3);
    s_put(b, &n, 1);
    s_put(b, &n, 5);
    memcpy(b + n, "adv-1", 5);
    n += 5;
    s_put(b, &n, (uint64_t) START_US);
    s_put(b, &n, 1);
    s_write("ckpt", "two-producers", b, n);
    uint8_t empty[] = {1, 0, 0, 0};
    s_write("ckpt", "empty", empty, sizeof empty);
}

static void s_time(const char *name, const char *text, int64_t a, int64_t b)
{
    uint8_t buf[512];
    size_t n = strlen(text);
    memcpy(buf, text, n);
    for (int i = 0; i < 8; i++) {
        buf[n + i] = (uint8_t) ((uint64_t) a >> (8 * i));
        buf[n + 8 + i] = (uint8_t) ((uint64_t) b >> (8 * i));
    }
    s_write("time", name, buf, n + 16);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR (tests/fuzz/corpus)\n");
        return 2;
    }
    s_dir = argv[1];
    mkdir(s_dir, 0755);
    s_requests();
    s_events();
    s_spools();
    s_ckpts();
    s_time("defaults", "2026-11-23T09:30:00+08:00\n1h30m\n4h30m@work\n08:30-17:30\nmon-sat\n"
                       "2026-12-25,2027-01-01\n+08:00\n", START_US, 3600LL * 1000000);
    s_time("same-day", "2026-11-23T17:30:00.5Z\n90s\nsame-day\n9:00-24:00\nsat-mon\n\n-05:30\n",
           START_US + 9LL * 3600 * 1000000, 86400LL * 1000000);
    s_time("next-day", "0000-01-01T00:00:00Z\n1d1s\nnext-day\n00:00-24:00\nmon,wed,fri\n"
                       "2026-11-24\n+00:00\n", -1, 7LL * 86400 * 1000000);
    s_text("terminal", "scans", "O-1 printing\n@worker ann\nO-2 qc correct\n# a comment\n\n"
                                "O-3 packed\n@worker\nO-4 binding x\n");
    s_text("terminal", "bad", "O-1\n@boss ann\nO-1 nowhere\n\tO-9  done \r\n@worker a b\nO-5 received");
    s_text("config", "calendar", "[calendar]\nutc_offset = +08:00\nhours = 08:30-17:30\n"
                                 "workdays = mon-sat\nholidays = 2026-12-25\n\n[sla]\n"
                                 "complaint_simple = 4h30m@work ; half a day\n");
    s_text("config", "sched", "# routes\n[sched]\ndaily_capacity = 2000\nrush_same_day = same-day\n"
                              "route_print = received,printing,qc,packed,done\n"
                              "work_print = received:5m,printing:30m,qc:10m,packed:10m\n");
    s_text("config", "sets", "sched.rush_quota=300\nsla.level2_after = 2h\nlog.level=debug\n");
    return 0;
}
