/* net_rows.c: kefuctl's commands for the remote endpoint's keys
 * (shared/contract.md "Remote clients"). One request row per command
 * (kefuctl.h, rows.c).
 *
 * `key new` makes the client's key pair here, on the site's machine, and
 * sends only the public half: its hook enrols it and then writes the key
 * file (the pair, the key's name and role, and the site's public key, in
 * CZMQ's zcert format, mode 0600), which the client's `kefuctl --key` and
 * `kefu-terminal --key` read. The pair is written to the file before the
 * key is enrolled (refused if the file exists: a secret is never
 * overwritten), so a path that can't be written costs no enrolment, and
 * a try that gets no answer leaves the pair there: the same command again
 * (best with the same --request-id) enrols that pair or learns it was,
 * and finishes the file. A refusal removes the file.
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

/* The key pair for `key new NAME --out FILE`: a new one in a new FILE,
 * or the one a try that got no answer left there (FILE holds the pair
 * and the name, and no site-key yet: the try may have enrolled it, so a
 * repeat must send the same public key). NULL after saying why. */
static zcert_t *s_pair(kctl_t *ctx, const char *name, const char *out, int *rc)
{
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        zcert_t *cert = zcert_new();
        if (cert)
            zcert_set_meta(cert, "name", "%s", name);
        if (!cert || zcert_save_secret(cert, out) != 0) {
            zcert_destroy(&cert);
            unlink(out);
            *rc = kctl_fail(ctx, KCTL_EXIT_REFUSED, "io", "--out %s: can't write the key pair", out);
            return NULL;
        }
        return cert;
    }
    if (errno != EEXIST) {
        *rc = kctl_fail(ctx, KCTL_EXIT_REFUSED, "io", "--out %s: %s", out, strerror(errno));
        return NULL;
    }
    zcert_t *cert = zcert_load(out);
    const char *was = cert ? zcert_meta(cert, "name") : NULL;
    if (cert && !zcert_meta(cert, "site-key") && was && strcmp(was, name) == 0)
        return cert;   /* an unfinished try of this very key: go on with its pair */
    zcert_destroy(&cert);
    *rc = kctl_fail(ctx, KCTL_EXIT_USAGE, "usage", "--out %s: the file exists (a key file is "
                    "never overwritten)", out);
    return NULL;
}

static int s_hook_new(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body)
{
    Kefu__KeyEnroll *in = (Kefu__KeyEnroll *) body;
    const char *out = kctl_arg_value(a, "out");
    int rc = KCTL_CONTINUE;
    zcert_t *cert = s_pair(ctx, in->name, out, &rc);
    if (!cert)
        return rc;
    free(in->public_key);
    in->public_key = strdup(zcert_public_txt(cert));

    Kefu__Request req = KEFU__REQUEST__INIT;
    req.req_case = KEFU__REQUEST__REQ_KEY_ENROLL;
    req.key_enroll = in;
    req.request_id = (char *) ctx->request_id;
    req.actor = in->by;
    Kefu__Reply *rep = NULL;
    rc = kctl_request(ctx, "net", &req, KEFU__REPLY__REP_KEY, &rep, ctx->timeout_ms);
    if (rc != KCTL_CONTINUE) {
        /* refused: nothing was enrolled, the file goes; no answer: it may
         * have been, so the pair stays for a repeat of this command */
        if (rc != KCTL_EXIT_UNREACHABLE)
            unlink(out);
        zcert_destroy(&cert);
        return rc;
    }
    const Kefu__KeyReply *k = rep->key;
    if (!k->key || !k->key->public_key || strcmp(k->key->public_key, in->public_key) != 0) {
        /* a repeat of a --request-id whose first try enrolled another pair */
        unlink(out);
        zcert_destroy(&cert);
        kefu__reply__free_unpacked(rep, NULL);
        return kctl_fail(ctx, KCTL_EXIT_REFUSED, "conflict",
                         "key %s was enrolled by an earlier try with another key pair, whose "
                         "secret half is not here: `kefuctl key revoke %s` and make another",
                         in->name, in->name);
    }
    char role[32] = "";
    pbdesc_enum_word(&kefu__key_role__descriptor, k->key->role, role, sizeof role);
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
             "person whatever its client says. Names are never reused. A try that got\n"
             "no answer leaves the pair in FILE: the same command again finishes it.",
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
