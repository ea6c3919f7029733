/* kefuctl.h: what kefuctl's command files share.
 *
 * kefuctl is one program of many small commands, each a kctl_cmd_t row.
 * commands.c holds the site's own rows (status, sync, clock, log, help)
 * and the daemons' tables (kctl_rows_NAME, below); main.c finds the row of
 * a command line in them. A row is one of two kinds:
 *
 *   - a request row (run NULL): the daemon's request body message, its
 *     Request oneof case, the Reply case it expects, and a map from flags
 *     and operands to field paths of the body (kctl_arg_t). rows.c parses
 *     the line by the map, with each value's kind read off the field's
 *     protobuf-c descriptor (enum words, RFC 3339 times, durations,
 *     numbers, bools, strings), sends the request and prints the answer.
 *     A hook takes what does not fit a field (--week, a rule between two
 *     options). Each daemon's rows live with it, in
 *     services/NAME/NAME_rows.c (kctl_rows_NAME), found through the
 *     registry: a new daemon's commands touch nothing here.
 *   - a command of its own (run set): a cmd_*.c handler for the shapes
 *     that are not one request (status asks every daemon, log tail reads
 *     the log).
 *
 * A handler parses its own options with kctl_getopt() or kctl_parse_args()
 * (both also take the global flags anywhere on the line, and --help),
 * talks to the site with kctl_request() or the event log client, and ends
 * with one of the output calls, whose return value is the process's exit
 * status:
 *
 *   kctl_ok()           success: JSON with --json, else text
 *   kctl_refused()      the daemon said no (its Error)        exit 1
 *   kctl_usage()        bad command line                      exit 2
 *   kctl_call_fail()    the daemon did not answer             exit 3
 *   kctl_fail()         any other failure, with its exit code
 *
 * A failure is one line on stderr, "kefuctl: CODE: message", and with
 * --json also {"error":{"code":CODE,"message":...}} on stdout
 * (shared/contract.md, kefuctl). A daemon words a refusal by field
 * ("kind: one of colour, ..."); kctl_refused() says it in the running
 * row's flag on stderr ("--kind: one of colour, ...") and keeps the
 * daemon's words in the JSON (docs/protocol.md, kefuctl JSON).
 */
#ifndef KEFU_KEFUCTL_H
#define KEFU_KEFUCTL_H

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control.pb-c.h"
#include "event.pb-c.h"
#include "keyfile.h"

/* Exit statuses of the contract. */
enum {
    KCTL_EXIT_OK = 0,
    KCTL_EXIT_REFUSED = 1,      /* the site refused the request */
    KCTL_EXIT_USAGE = 2,        /* bad command line */
    KCTL_EXIT_UNREACHABLE = 3,  /* the site (or the needed daemon) is not there */
};

/* Returned by helpers meaning "no exit status yet: go on". */
#define KCTL_CONTINUE (-1)

/* The daemon that owns the event log and the site clock. */
#define KCTL_LOG_DAEMON "evlog"

#define KCTL_DEFAULT_TIMEOUT_MS 5000

typedef struct kctl_t kctl_t;

/* A command: argv[0] is the command's last word ("status", "advance");
 * the options and operands follow. Returns the exit status. */
typedef int (kctl_cmd_fn)(kctl_t *ctx, int argc, char **argv);

/* Text renderer of a success for a command without --json. */
typedef void (kctl_text_fn)(FILE *out, const json_t *obj);

/* One flag or operand of a request row, mapped to a field of the body.
 * The value's kind comes from the field's descriptor (kctl_arg_kind()):
 *   string           the text (not empty unless KCTL_ARG_EMPTY)
 *   enum             a word as JSON prints it ("carrier-claim"); a flag
 *                    without value (meta NULL) sets the enum to word
 *   bool             a flag without value: true
 *   uint32, uint64   a whole number in [min, max] (max 0: the type's)
 *   int64            an RFC 3339 time; named *_us: a duration ("2h"),
 *                    the same rule as pbjson's output
 * An entry without field, or with KCTL_ARG_HOOK, is for the row's hook
 * only (kctl_arg_value()). */
typedef struct {
    const char *flag;   /* "kind" for --kind; NULL: the next operand */
    const char *meta;   /* the value in messages: "KIND", an operand's "ID";
                         * NULL: a flag without value */
    const char *field;  /* path in the request body: "order.customer", "kind" */
    unsigned flags;     /* KCTL_ARG_* */
    uint32_t min, max;  /* a number's range */
    uint32_t exclude;   /* enum values that may not be typed (bit v for v < 32) */
    const char *word;   /* an enum flag without value: the value it sets */
} kctl_arg_t;
#define KCTL_ARG_REQUIRED 1u  /* must be given */
#define KCTL_ARG_EMPTY    2u  /* free text that may be "" (to clear a field) */
#define KCTL_ARG_ACTOR    4u  /* also Request.actor, who acts (a string) */
#define KCTL_ARG_OPTIONAL 8u  /* an operand that may be left out (the last ones only) */
/* Read by the row's hook, not typed by the field (a value of more than
 * one form: "15:00" or RFC 3339); field is where it lands, so a refusal
 * that names that field comes back as this flag (kctl_row_rewrite). */
#define KCTL_ARG_HOOK     16u

#define KCTL_MAX_ARGS 24  /* entries of one row's map */

/* A parsed command line of a map: each entry's value as typed (a flag's
 * is ""), NULL when not given (the last one given wins). */
typedef struct {
    const kctl_arg_t *map;
    size_t n;
    const char *v[KCTL_MAX_ARGS];
} kctl_args_t;

/* A request row's hook: runs after every mapped value is in body (the
 * row's body message, owned by the caller: strings and sub-messages set
 * here must be malloc'd) and before the request goes. Returns
 * KCTL_CONTINUE or the exit status (a usage error). */
typedef int (kctl_hook_fn)(kctl_t *ctx, const kctl_args_t *a, ProtobufCMessage *body);

typedef struct {
    const char *group;    /* first word: "status", "clock" */
    const char *verb;     /* second word, or NULL for a one-word command */
    const char *args;     /* what follows, for usage lines: "DUR" */
    const char *summary;  /* one line for the command list */
    const char *help;     /* more lines for `--help`, or NULL */
    kctl_cmd_fn *run;     /* a command of its own, or NULL: a request row */
    /* ---- a request row: one Request to the table's daemon */
    const ProtobufCMessageDescriptor *body;  /* the request's message */
    uint32_t req;         /* its Kefu__Request__ReqCase */
    uint32_t rep;         /* the Kefu__Reply__RepCase it answers with */
    bool writes;          /* a write: carries --request-id */
    const kctl_arg_t *map;  /* flags and operands, ended by an entry of NULLs */
    kctl_hook_fn *hook;   /* odd shapes, or NULL */
    kctl_text_fn *text;   /* text of the answer; NULL: kctl_text_block */
} kctl_cmd_t;

/* The rows of one daemon (services/NAME/NAME_rows.c), or of the site (daemon NULL).
 * A request goes to the daemon whose range holds its case in the
 * registry (common/daemons.def, registry_for_request()); every case of
 * that range has a row here or is listed in no_row (test_kefuctl_rows). */
typedef struct {
    const char *daemon;          /* the registry's name: "intake" */
    const uint32_t *no_row;      /* its requests without a request row (no command, or
                                  * a handler of its own), 0-ended; NULL: none */
    const kctl_cmd_t *cmds;      /* ended by a row with group NULL */
} kctl_rows_t;

/* Every daemon's rows, kctl_rows_NAME, in the registry's order
 * (common/daemons.def): a daemon's are in services/NAME/NAME_rows.c (built
 * into kefuctl: Makefile), evlog's (the site's own commands) in
 * commands.c. So a daemon's commands come with the daemon, and no list
 * here names it. */
#define KEFU_DAEMON(name, ...) extern const kctl_rows_t kctl_rows_##name;
#include "daemons.def"
#undef KEFU_DAEMON

/* Text renderer of a success for a command without --json. */
typedef void (kctl_text_fn)(FILE *out, const json_t *obj);

#define KCTL_MAX_OPTS 48

/* One run of kefuctl: the parsed global flags. The only mutable state of
 * the program (with log tail's signal flag). */
struct kctl_t {
    const char *dir_opt;     /* --dir as given, or NULL */
    char site[PATH_MAX];     /* the site directory, absolute (after parsing) */
    bool json;               /* --json */
    const char *request_id;  /* --request-id, or NULL */
    int timeout_ms;          /* --timeout, per daemon call */
    const char *endpoint;    /* --endpoint: a remote site's net.listen, or NULL (local) */
    const char *key_file;    /* --key: the client's key file, for --endpoint */
    keyfile_t key;           /* key_file read, once key_loaded */
    bool key_loaded;
    const kctl_cmd_t *cmd;   /* the command running (for its usage line) */
    const kctl_rows_t *rows; /* the table it is in */
    int offset_min;          /* the site's utc offset, once known (kctl_time_offset) */
    bool offset_known;
    int exit_code;           /* set when kctl_getopt() returns KCTL_OPT_EXIT */
    struct option opts[KCTL_MAX_OPTS];  /* kctl_getopt()'s merged table */
};

/* ---- the log as a stream (cmd_log.c) --------------------------------------
 * A command's line for one event of the log (env, at seq), or NULL to
 * print none for it; the caller frees the line. */
typedef json_t *(kctl_stream_fn)(kctl_t *ctx, void *arg, uint64_t seq, const Kefu__Envelope *env);
/* Prints the log from seq `from` (0 and 1: the beginning) as JSON lines:
 * fn's (NULL: every record, as `log tail`), up to the head as it is at
 * the first fetch, or with follow until SIGINT or SIGTERM. Returns the
 * exit status. */
int kctl_log_stream(kctl_t *ctx, uint64_t from, bool follow, kctl_stream_fn *fn, void *arg);

/* ---- the command table (commands.c) ------------------------------------ */

/* Up to cap rows in help order (the site's, each daemon's, help last),
 * each with its table in rows (may be NULL). Returns how many. */
size_t kctl_cmd_all(const kctl_cmd_t **cmds, const kctl_rows_t **rows, size_t cap);
#define KCTL_MAX_CMDS 128

/* ---- help (help.c) ---------------------------------------------------------- */

void kctl_help_all(FILE *out);                      /* `kefuctl --help` */
void kctl_help_cmd(FILE *out, const kctl_cmd_t *c); /* one command's */
void kctl_help_group(FILE *out, const char *group); /* "kefuctl clock --help" */
/* A group word without a known subcommand (verb, or NULL for none):
 * the usage error naming what it takes. Returns 2. */
int kctl_group_usage(kctl_t *ctx, const char *group, const char *verb);
kctl_cmd_fn kctl_cmd_help;  /* `kefuctl help [COMMAND [SUBCOMMAND]]` */

/* ---- options (args.c) ---------------------------------------------------
 * Option values of commands must be below KCTL_OPT_GLOBAL; kctl_getopt()
 * uses the values from there up for the global flags. */
#define KCTL_OPT_GLOBAL 0x1000
#define KCTL_OPT_END    (-1)  /* options done: optind is the first operand */
#define KCTL_OPT_EXIT   (-2)  /* help printed or usage error: return ctx->exit_code */

/* The global flags, for main()'s pass before the command word. */
extern const struct option kctl_global_opts[];

/* Applies global flag opt (a val of kctl_global_opts other than 'h').
 * Returns KCTL_CONTINUE or a usage error's status. */
int kctl_global(kctl_t *ctx, int opt, const char *arg);

/* The option getopt just refused, for a message ("--bogus", "-x"). */
const char *kctl_bad_option(char **argv, int argc, char *buf, size_t cap);

/* getopt_long() over opts (may be NULL) plus the global flags and
 * -h/--help, options and operands in any order. The global flags are
 * applied to ctx and not returned. Returns a command option's val (optarg
 * set), KCTL_OPT_END once all are parsed (the site directory is then
 * resolved into ctx->site), or KCTL_OPT_EXIT after printing help (exit 0)
 * or a usage error (exit 2). */
int kctl_getopt(kctl_t *ctx, int argc, char **argv, const struct option *opts);

/* For a command taking no options: parses, then checks that between min
 * and max operands follow. Returns KCTL_CONTINUE (optind is at the first
 * operand) or the exit status to return. */
int kctl_parse_operands(kctl_t *ctx, int argc, char **argv, int min, int max);

/* Parses a decimal uint64 (digits only: no sign, spaces or trailing text).
 * Returns 0 or -1. */
int kctl_parse_u64(const char *s, uint64_t *out);

/* ---- request rows (rows.c) ------------------------------------------------ */

/* The generic option parser: the line by map (ended by an entry of
 * NULLs), exactly as many operands as map has entries without flag, none
 * of them empty, then every KCTL_ARG_REQUIRED entry given. Values are
 * not converted (kctl_row_run() does that). Returns KCTL_CONTINUE with *a
 * filled in, or the exit status (help printed, or a usage error). */
int kctl_parse_args(kctl_t *ctx, const kctl_arg_t *map, int argc, char **argv, kctl_args_t *a);

/* The value of --flag as typed, or NULL when not given. */
const char *kctl_arg_value(const kctl_args_t *a, const char *flag);

/* Runs request row c of table rows: parses, fills the body, calls the
 * hook, sends, prints. Returns the exit status. */
int kctl_row_run(kctl_t *ctx, const kctl_rows_t *rows, const kctl_cmd_t *c, int argc,
                 char **argv);

/* The field at path ("order.customer": each step but the last a message)
 * in d, or NULL when there is none. */
const ProtobufCFieldDescriptor *kctl_field_lookup(const ProtobufCMessageDescriptor *d,
                                                  const char *path);

/* How entry a reads a value into field f, or KCTL_KIND_NONE when f's
 * type does not fit a (a repeated field, a flag without value on a
 * string, a word the enum does not have, an actor that is no string). */
typedef enum {
    KCTL_KIND_NONE = 0,
    KCTL_KIND_STRING,
    KCTL_KIND_ENUM,
    KCTL_KIND_ENUM_WORD,
    KCTL_KIND_BOOL,
    KCTL_KIND_NUMBER,
    KCTL_KIND_TIME,
    KCTL_KIND_DURATION,
} kctl_kind_t;
kctl_kind_t kctl_arg_kind(const kctl_arg_t *a, const ProtobufCFieldDescriptor *f);

/* A daemon's refusal in the words of row c: a message that starts with a
 * field path of c's body ("kind: ...", "order.qty: ...", also after
 * "request.MEMBER.") or "actor: " gets that field's flag ("--kind: ...")
 * or operand ("ID: ..."), written into buf (cap bytes). Returns buf, or
 * msg itself when nothing maps (or c is no request row). */
const char *kctl_row_rewrite(const kctl_cmd_t *c, const char *msg, char *buf, size_t cap);

/* ---- output (output.c) -------------------------------------------------- */

/* Prints a success and takes obj: with --json one compact JSON line;
 * otherwise text (NULL: one "key: value" line per member). Returns 0. */
int kctl_ok(kctl_t *ctx, json_t *obj, kctl_text_fn *text);

/* Prints one JSON object as one line and flushes (log tail, follow
 * commands). Returns 0, or -1 when stdout can no longer be written. */
int kctl_line(const json_t *obj);

/* Reports a failure (see above) and returns exit_code. code is the stable
 * name ("not-found", "usage", "unavailable"). */
int kctl_fail(kctl_t *ctx, int exit_code, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A usage error: the message, and where to look. Returns 2. */
int kctl_usage(kctl_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The daemon's Error as a refusal (exit 1; 3 for ERR_UNAVAILABLE); the
 * message is prefixed with "who: " when who is not NULL. On stderr a
 * field path that starts the message becomes the running row's flag
 * (kctl_row_rewrite()); the JSON keeps the daemon's words. Returns the
 * exit status. */
int kctl_refused(kctl_t *ctx, const char *who, const Kefu__Error *err);

/* A failed kctl_call() (rc != 0) as its exit status: KEFU_ETIMEOUT is an
 * unreachable site (3), a site path too long for sockets a usage error,
 * anything else exit 1 with the code's name. */
int kctl_call_fail(kctl_t *ctx, const char *daemon, int rc);

/* The site's offset from UTC in minutes (calendar.utc_offset), in which
 * kefuctl prints every time (contract.md: times in the site's offset):
 * asked of the log daemon once per run (its status says it), or taken
 * from a status the command already has (kctl_set_offset). A site that
 * does not answer gets the machine's local offset (TZ), for what is
 * printed before the failure. */
int kctl_time_offset(kctl_t *ctx);
void kctl_set_offset(kctl_t *ctx, int offset_min);

/* t as an RFC 3339 JSON string in the site's offset; NULL on OOM. */
json_t *kctl_json_time(kctl_t *ctx, int64_t t_us);

/* v as a JSON integer (a decimal string above INT64_MAX); NULL on OOM. */
json_t *kctl_json_u64(uint64_t v);

/* msg through pbjson (pbjson.h), times in the site's offset. Caller owns
 * the result; NULL only on out-of-memory. */
json_t *kctl_json_message(kctl_t *ctx, const ProtobufCMessage *msg);

/* Text of one object (a kctl_text_fn): an aligned "key: value" block;
 * a nested object as an indented block; a list of records (a case's
 * history) as indented lines "AT  BY  ACTION: TEXT  (due ...)"; empty
 * lists left out. */
void kctl_text_block(FILE *out, const json_t *obj);

/* A column of kctl_text_table(). */
typedef struct {
    const char *key;     /* the member of each row; NULL ends the list */
    const char *header;
    unsigned flags;
} kctl_col_t;
#define KCTL_COL_TIME  1u /* an RFC 3339 time, shown as "YYYY-MM-DD hh:mm" */
#define KCTL_COL_RIGHT 2u /* aligned right (numbers, durations) */

/* An aligned table of the objects in the array items, one row each, a
 * header line first (also when there are no rows); a missing member shows
 * "-", a long one is cut with "...". At most 32 columns. */
void kctl_text_table(FILE *out, const json_t *items, const kctl_col_t *cols);

/* ---- command-line values (args.c) ---------------------------------------- */

/* Parses arg as a value of the enum ed, spelt as JSON shows it (value name
 * minus the enum's common prefix, lower-case, '-' for '_': "carrier-claim").
 * Value 0 (unset) and the values whose bit is set in exclude (bit v for
 * value v < 32) are refused. Returns KCTL_CONTINUE with *out set, or the
 * usage error's status (2) after printing "bad WHAT 'ARG': one of a, b, c";
 * what names the option or operand ("--kind"). */
int kctl_parse_enum(kctl_t *ctx, const ProtobufCEnumDescriptor *ed, uint32_t exclude,
                    const char *what, const char *arg, int *out);

/* The accepted spellings of ed (as kctl_parse_enum()) joined by sep into
 * buf (cap bytes). Returns 0, or -1 if they do not fit. */
int kctl_enum_choices(const ProtobufCEnumDescriptor *ed, uint32_t exclude, const char *sep,
                      char *buf, size_t cap);

/* A week, the ISO week (Monday first) of a date "YYYY-MM-DD" or by
 * number "YYYY-Www": from 00:00 of its Monday at the site (offset_min
 * from UTC: kctl_site_offset) to 00:00 seven days later. A month
 * "YYYY-MM": from 00:00 of its first day to 00:00 of the next month's.
 * Both return 0 with [*from, *to) in usec, or -1 for any other form, a
 * day or month out of range, or a year before 1970. */
int kctl_parse_week(const char *s, int offset_min, int64_t *from, int64_t *to);
int kctl_parse_month(const char *s, int offset_min, int64_t *from, int64_t *to);
/* The site's offset from UTC (calendar.utc_offset), as daemon's status
 * says. Returns KCTL_CONTINUE with *offset_min set, or the exit status of
 * a failed call (the daemon not there). */
int kctl_site_offset(kctl_t *ctx, const char *daemon, int *offset_min);

/* ---- talking to daemons (call.c) ---------------------------------------- */

/* Sends req to daemon's control socket and waits up to timeout_ms for the
 * reply. A write's caller sets req->request_id (--request-id); a read
 * carries none (a request row says which it is). Returns 0 with
 * *reply set (caller frees it with kefu__reply__free_unpacked(*reply,
 * NULL); it may carry an Error), or ctlclient_call()'s code; KEFU_ETIMEOUT
 * at once when nobody listens on the daemon's ipc socket (no file, or a
 * stale one: kctl_endpoint_absent). */
int kctl_call(kctl_t *ctx, const char *daemon, Kefu__Request *req, Kefu__Reply **reply,
              int timeout_ms);

/* kctl_call() that also handles every failure: returns KCTL_CONTINUE with
 * *reply set to an error-free reply whose rep_case is expect, or the exit
 * status after reporting why not (and *reply NULL). */
int kctl_request(kctl_t *ctx, const char *daemon, Kefu__Request *req,
                 Kefu__Reply__RepCase expect, Kefu__Reply **reply, int timeout_ms);

/* True when endpoint is ipc:// and nobody listens on it (its socket file
 * is missing, or refuses connections: ctlclient_nobody_listens), so there
 * is no point waiting for an answer. */
bool kctl_endpoint_absent(const char *endpoint);

/* ---- commands ----------------------------------------------------------- */
kctl_cmd_fn kctl_cmd_status;         /* cmd_status.c */
kctl_cmd_fn kctl_cmd_sync;           /* cmd_status.c */
kctl_cmd_fn kctl_cmd_clock_advance;  /* cmd_clock.c */
kctl_cmd_fn kctl_cmd_log_tail;       /* cmd_log.c */

#endif
