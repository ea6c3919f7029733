/* net_cmd.c: kefu-net's commands and its applier: the enrolled keys.
 *
 * A key is a name, a CURVE public key, a role and, for a desk, the
 * person it acts as. Names are never reused, revoked or not, so a log
 * line naming a key names one key for good; nor is a public key
 * enrolled twice. The secret half never reaches the site: kefuctl makes
 * the pair and sends the public half (services/net/net_rows.c).
 */
#include <string.h>
#include <zmq.h>

#include "kerr.h"
#include "krecord.h"
#include "net.h"
#include "pbdesc.h"

#define S_MAX_LIST 10000
#define S_NAME_MAX 63

/* ---- the keys, for the gate too ------------------------------------------------------ */

static int s_key_fill(net_t *self, store_txn_t *txn, arena_t *arena, const char *name,
                      net_key_t *out)
{
    Kefu__Key *k = krecord_get(txn, self->t.keys, name, &kefu__key__descriptor, arena);
    int rc = KEFU_ENOTFOUND;
    if (k) {
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "%s", k->name ? k->name : "");
        snprintf(out->person, sizeof out->person, "%s", k->person ? k->person : "");
        out->role = k->role;
        out->revoked = k->has_revoked_at && k->revoked_at != 0;
        rc = 0;
    }
    return rc;
}

int net_key_by_name(net_t *self, arena_t *arena, const char *name, net_key_t *out)
{
    store_txn_t *txn;
    int rc = store_read_begin(kservice_store(self->svc), &txn);
    if (rc)
        return rc;
    rc = s_key_fill(self, txn, arena, name, out);
    store_txn_end(&txn);
    return rc;
}

int net_key_by_public(net_t *self, arena_t *arena, const char *pub, net_key_t *out)
{
    store_txn_t *txn;
    int rc = store_read_begin(kservice_store(self->svc), &txn);
    if (rc)
        return rc;
    const void *v = NULL;
    size_t vl = 0;
    char name[S_NAME_MAX + 1];
    rc = store_get(txn, self->t.by_pub, pub, strlen(pub), &v, &vl);
    if (rc == 0 && vl < sizeof name) {
        memcpy(name, v, vl);
        name[vl] = '\0';
        rc = s_key_fill(self, txn, arena, name, out);
    } else if (rc == 0)
        rc = KEFU_ENOTFOUND;
    store_txn_end(&txn);
    return rc;
}

/* ---- checks ------------------------------------------------------------------------------ */

/* A key's name: [a-z0-9][a-z0-9._-]*, at most S_NAME_MAX: it goes into
 * log lines and key file names as it is. */
static bool s_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > S_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return false;
    }
    return true;
}

/* A CURVE public key as Z85: 40 characters that decode to 32 bytes. */
static bool s_public_ok(const char *s)
{
    uint8_t raw[32];
    return strlen(s) == 40 && zmq_z85_decode(raw, s) != NULL;
}

static int s_exec(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                  Kefu__Envelope **events, size_t max)
{
    net_t *self = arg;
    (void) max;
    switch (req->req_case) {
    case KEFU__REQUEST__REQ_KEY_ENROLL: {
        const Kefu__KeyEnroll *in = req->key_enroll;
        if (cmd_blank(in->name))
            return cmd_field_missing(cmd, "name", "the key's name");
        if (!s_name_ok(in->name))
            return cmd_field_bad(cmd, "name", "\"%s\": lower-case letters, digits and . _ -, "
                                 "starting with a letter or digit, at most %d", in->name, S_NAME_MAX);
        if (cmd_blank(in->public_key))
            return cmd_field_missing(cmd, "public_key", "the client's CURVE public key");
        if (!s_public_ok(in->public_key))
            return cmd_field_bad(cmd, "public_key", "a CURVE public key: 40 characters of Z85");
        if (!in->has_role || in->role == KEFU__KEY_ROLE__KEY_ROLE_UNSET)
            return cmd_field_enum(cmd, "role", "what the key may do", &kefu__key_role__descriptor);
        if (krecord_exists(txn, self->t.keys, in->name)) {
            cmd_errmsg(cmd, "key %s exists already (names are never reused, revoked or not)",
                       in->name);
            return KEFU_EEXISTS;
        }
        const void *v;
        size_t vl;
        if (store_get(txn, self->t.by_pub, in->public_key, strlen(in->public_key), &v, &vl) == 0) {
            cmd_errmsg(cmd, "public_key: enrolled already, as key %.*s", (int) vl, (const char *) v);
            return KEFU_EEXISTS;
        }
        Kefu__Key *k = CMD_NEW(cmd, Kefu__Key, kefu__key__init);
        k->name = in->name;
        k->public_key = in->public_key;
        k->has_role = true;
        k->role = in->role;
        k->person = cmd_blank(in->person) ? NULL : in->person;
        k->has_enrolled_at = true;
        k->enrolled_at = cmd_now(cmd);
        Kefu__KeyEnrolled *ev = CMD_NEW(cmd, Kefu__KeyEnrolled, kefu__key_enrolled__init);
        ev->key = k;
        events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_KEY_ENROLLED, ev);
        return 1;
    }
    case KEFU__REQUEST__REQ_KEY_REVOKE: {
        const Kefu__KeyRevoke *in = req->key_revoke;
        void *m = NULL;
        int rc = cmd_record(cmd, txn, self->t.keys, in->name, &kefu__key__descriptor, "key", &m);
        if (rc)
            return rc;
        Kefu__Key *k = m;
        if (k->has_revoked_at && k->revoked_at) {
            cmd_errmsg(cmd, "key %s is revoked already", k->name);
            return KEFU_ECONFLICT;
        }
        Kefu__KeyRevoked *ev = CMD_NEW(cmd, Kefu__KeyRevoked, kefu__key_revoked__init);
        ev->name = k->name;
        ev->by = cmd_blank(in->by) ? NULL : in->by;
        events[0] = cmd_event_of(cmd, KEFU__ENVELOPE__BODY_KEY_REVOKED, ev);
        return 1;
    }
    default:
        return KEFU_EUNSUPPORTED;
    }
}

/* ---- answers ------------------------------------------------------------------------------ */

static int s_a_key(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                   const char *id, Kefu__Reply *reply)
{
    net_t *self = arg;
    (void) req;
    void *m = NULL;
    int rc = cmd_record(cmd, txn, self->t.keys, id, &kefu__key__descriptor, "key", &m);
    if (rc)
        return rc;
    Kefu__KeyReply *out = CMD_NEW(cmd, Kefu__KeyReply, kefu__key_reply__init);
    out->key = m;
    out->site_key = self->site_public;
    reply->rep_case = KEFU__REPLY__REP_KEY;
    reply->key = out;
    return 0;
}

static bool s_keep(const void *record, const void *arg)
{
    const Kefu__Key *k = record;
    const Kefu__KeyList *q = arg;
    return (q->has_revoked && q->revoked) || !(k->has_revoked_at && k->revoked_at);
}

static int s_a_list(void *arg, cmd_t *cmd, const Kefu__Request *req, store_txn_t *txn,
                    const char *id, Kefu__Reply *reply)
{
    net_t *self = arg;
    (void) id;
    Kefu__KeyItems *out = CMD_NEW(cmd, Kefu__KeyItems, kefu__key_items__init);
    reply->rep_case = KEFU__REPLY__REP_KEYS;
    reply->keys = out;
    void **items = NULL;
    size_t n = 0;
    int rc = krecord_list(txn, self->t.keys, &kefu__key__descriptor, cmd_arena(cmd), s_keep,
                          req->key_list, S_MAX_LIST, &items, &n);
    out->items = (Kefu__Key **) items;
    out->n_items = n;
    return rc;
}

/* ---- the applier --------------------------------------------------------------------------- */

int net_apply(void *arg, store_txn_t *txn, const evlog_record_t *rec, const Kefu__Envelope *ev)
{
    net_t *self = arg;
    (void) rec;
    switch (ev->body_case) {
    case KEFU__ENVELOPE__BODY_KEY_ENROLLED: {
        const Kefu__Key *k = ev->key_enrolled->key;
        if (!k || cmd_blank(k->name) || cmd_blank(k->public_key) ||
            krecord_exists(txn, self->t.keys, k->name))
            return 0;  /* not one this build's checks let through: nothing to apply */
        int rc = krecord_put(txn, self->t.keys, k->name, &k->base);
        if (rc == 0)
            rc = store_put(txn, self->t.by_pub, k->public_key, strlen(k->public_key), k->name,
                           strlen(k->name));
        return rc;
    }
    case KEFU__ENVELOPE__BODY_KEY_REVOKED: {
        const char *name = ev->key_revoked->name;
        arena_t *arena = arena_new(0);
        if (!arena)
            return KEFU_EINTERNAL;
        Kefu__Key *k = krecord_get(txn, self->t.keys, name, &kefu__key__descriptor, arena);
        int rc = 0;
        if (k && !(k->has_revoked_at && k->revoked_at)) {
            k->has_revoked_at = true;
            k->revoked_at = ev->at;
            rc = krecord_put(txn, self->t.keys, name, &k->base);
        }
        arena_destroy(&arena);
        return rc;
    }
    default:
        return 0;
    }
}

/* ---- the command table: one row per request net serves ------------------------------------ */

#define Q(x) KEFU__REQUEST__REQ_##x
#define R(x) KEFU__REPLY__REP_##x
#define E(x) KEFU__ENVELOPE__BODY_##x

/* Key management is for the site's own machine: the gate refuses net's
 * requests from remote clients whatever their role (net_gate.c). Once
 * staff is registered, making and revoking keys is for supervisors. */
static const cmd_row_t s_rows[] = {
    /* request         reply    first event       key         subject     exec    answer   roles */
    {Q(KEY_ENROLL),    R(KEY),  E(KEY_ENROLLED),  "key/name", "key.name", s_exec, s_a_key,  "supervisor,manager"},
    {Q(KEY_REVOKE),    R(KEY),  E(KEY_REVOKED),   "key/name", "name",     s_exec, s_a_key,  "supervisor,manager"},
    {Q(KEY_LIST),      R(KEYS), 0,                NULL,       NULL,       NULL,   s_a_list, NULL},
};

#undef Q
#undef R
#undef E

const cmd_table_t net_commands = {"net", s_rows, sizeof s_rows / sizeof s_rows[0]};
