/* net_rows.c: kefuctl's commands for the remote endpoint's keys
 * (shared/contract.md "Remote clients"). One request row per command
 * (kefuctl.h, rows.c).
 *
 * `key new` makes the client's key pair here, on the site's machine, and
 * sends only the public half: its hook enrols it and then writes the key
 * file (the pair, the key's name and role, and the site's public key, in
 * CZMQ's zcert format, mode 0600), which the client's `kefuctl --key` and
 * `kefu-terminal --key` read. The file is created before the key is
 * enrolled (refused if it exists: a secret is never overwritten), so a
 * path that can't be written costs no enrolment; a write that fails
 * after it is said, with the key to revoke.
 */
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kefuctl.h"
#include "net.pb-c.h"
#include "pbdesc.h"
#include "pbjson.h"

static int s_hook_new(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    Kefu__KeyEnroll *in = (Kefu__KeyEnroll *) body;
    const char *out = kctl_arg_value(a, "out");
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return kctl_fail(ctx, errno == EEXIST ? KCTL_EXIT_USAGE : KCTL_EXIT_REFUSED,
                         errno == EEXIST ? "usage" : "io", "--out %s: %s%s", out, strerror(errno),
                         errno == EEXIST ? " (a key file is never overwritten)" : "");
    close(fd);
    zcert_t *cert = zcert_new();
    if (!cert) {
        unlink(out);
        return kctl_fail(ctx, KCTL_EXIT_REFUSED, "internal", "can't make a key pair");
    }
    free(in->public_key);
    in->public_key = strdup(zcert_public_txt(cert));

    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_KEY_ENROLL;
    req.key_enroll = in;
    req.request_id = (char *) ctx->request_id;
    req.actor = in->by;
    Kefu__Reply *rep = NULL;
    int rc = kctl_request(ctx, "net", &req, KEFU__REPLY__REP_KEY, &rep, ctx->timeout_ms);
    if (rc != KCTL_CONTINUE) {
        unlink(out);
        zcert_destroy(&cert);
        return rc;
    }
    const Kefu__KeyReply *k = rep->key;
    char role[32] = "";
    pbdesc_enum_word(&kefu__key_role__descriptor, k->key ? k->key->role : 0, role, sizeof role);
    zcert_set_meta(cert, "name", "%s", in->name);
    zcert_set_meta(cert, "role", "%s", role);
    zcert_set_meta(cert, "site-key", "%s", k->site_key ? k->site_key : "");
    if (zcert_save_secret(cert, out) != 0) {
        int err = errno;
        zcert_destroy(&cert);
        kefu__reply__free_unpacked(rep, NULL);
        return kctl_fail(ctx, KCTL_EXIT_REFUSED, "io",
                         "key %s is enrolled but %s can't be written (%s): "
                         "`kefuctl key revoke %s` and make another", in->name, out,
                         strerror(err), in->name);
    }
    chmod(out, 0600);
    zcert_destroy(&cert);
    json_t *j = kctl_json_message(ctx, &k->base);
    json_object_set_new(j, "file", json_string(out));
    kefu__reply__free_unpacked(rep, NULL);
    return kctl_ok(ctx, j, NULL);
}

static void s_text_keys(FILE *out, const json_t *obj)
{
    static const kctl_col_t cols[] = {
        {"name", "NAME", 0},
        {"role", "ROLE", 0},
        {"person", "PERSON", 0},
        {"public_key", "PUBLIC KEY", 0},
        {"enrolled_at", "ENROLLED", KCTL_COL_TIME},
        {"revoked_at", "REVOKED", KCTL_COL_TIME},
        {NULL, NULL, 0},
    };
    kctl_text_table(out, json_object_get(obj, "items"), cols);
}

static const kctl_cmd_t s_rows[] = {
    {.group = "key",
     .verb = "new",
     .args = "NAME --role terminal|dispatch|staff|supervisor --out FILE [--person STAFF] [--by STAFF]",
     .summary = "a key pair for a remote client, enrolled with its role; writes its key file",
     .help = "The client's key file (mode 0600) holds the key pair, its name and role, and\n"
             "the site's public key: copy it to the client, which runs\n"
             "`kefuctl --endpoint tcp://HOST:PORT --key FILE ...` or kefu-terminal with the\n"
             "same flags. A staff or supervisor key for one person (--person) acts as that\n"
             "person whatever its client says. Names are never reused.",
     .body = &kefu__key_enroll__descriptor,
     .req = KEFU__REQUEST__REQ_KEY_ENROLL,
     .rep = KEFU__REPLY__REP_KEY,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "NAME", .field = "name"},
         {"role", "ROLE", .field = "role", .flags = KCTL_ARG_REQUIRED},
         {"person", "STAFF", .field = "person"},
         {"out", "FILE", .field = NULL, .flags = KCTL_ARG_REQUIRED},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_ACTOR},
         {0}},
     .hook = s_hook_new,
    },
    {.group = "key",
     .verb = "revoke",
     .args = "NAME [--by STAFF]",
     .summary = "ends a key: its client is refused from then on, connected or not",
     .body = &kefu__key_revoke__descriptor,
     .req = KEFU__REQUEST__REQ_KEY_REVOKE,
     .rep = KEFU__REPLY__REP_KEY,
     .writes = true,
     .map = (const kctl_arg_t[]){
         {NULL, "NAME", .field = "name"},
         {"by", "STAFF", .field = "by", .flags = KCTL_ARG_ACTOR},
         {0}},
    },
    {.group = "key",
     .verb = "list",
     .args = "[--revoked]",
     .summary = "the enrolled keys (--revoked: the revoked ones too)",
     .help = "--json {\"items\":[{\"name\",\"public_key\",\"role\",\"person\",\"enrolled_at\",...}]}.",
     .body = &kefu__key_list__descriptor,
     .req = KEFU__REQUEST__REQ_KEY_LIST,
     .rep = KEFU__REPLY__REP_KEYS,
     .map = (const kctl_arg_t[]){
         {"revoked", NULL, .field = "revoked"},
         {0}},
     .text = s_text_keys,
    },
    {0},
};

const kctl_rows_t kctl_rows_net = {
    .daemon = "net",
    .cmds = s_rows,
};
