/* kefuctl.h: what kefuctl's command files share.
 *
 * kefuctl is one program of many small commands. main.c parses the global
 * flags and dispatches through a table of kctl_cmd_t rows; each command
 * lives in a cmd_*.c file as a kctl_cmd_fn handler. A later issue adds a
 * command by writing its file, declaring its handler below and adding its
 * row to the table in main.c: nothing else changes.
 *
 * A handler parses its own options with kctl_getopt() (which also takes
 * the global flags anywhere on the line, and --help), talks to the site
 * with kctl_request() or the event log client, and ends with one of the
 * output calls, whose return value is the process's exit status:
 *
 *   kctl_ok()           success: JSON with --json, else text
 *   kctl_refused()      the daemon said no (its Error)        exit 1
 *   kctl_usage()        bad command line                      exit 2
 *   kctl_call_fail()    the daemon did not answer             exit 3
 *   kctl_fail()         any other failure, with its exit code
 *
 * A failure is one line on stderr, "kefuctl: CODE: message", and with
 * --json also {"error":{"code":CODE,"message":...}} on stdout
 * (shared/contract.md, kefuctl).
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

typedef struct {
    const char *group;    /* first word: "status", "clock" */
    const char *verb;     /* second word, or NULL for a one-word command */
    const char *args;     /* what follows, for usage lines: "DUR" */
    const char *summary;  /* one line for the command list */
    const char *help;     /* more lines for `--help`, or NULL */
    kctl_cmd_fn *run;
} kctl_cmd_t;

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
    const kctl_cmd_t *cmd;   /* the command running (for its usage line) */
    int exit_code;           /* set when kctl_getopt() returns KCTL_OPT_EXIT */
    struct option opts[KCTL_MAX_OPTS];  /* kctl_getopt()'s merged table */
};

/* ---- options (main.c) ---------------------------------------------------
 * Option values of commands must be below KCTL_OPT_GLOBAL; kctl_getopt()
 * uses the values from there up for the global flags. */
#define KCTL_OPT_GLOBAL 0x1000
#define KCTL_OPT_END    (-1)  /* options done: optind is the first operand */
#define KCTL_OPT_EXIT   (-2)  /* help printed or usage error: return ctx->exit_code */

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

/* The daemon's Error as a refusal (exit 1); the message is prefixed with
 * "who: " when who is not NULL. Returns 1. */
int kctl_refused(kctl_t *ctx, const char *who, const Kefu__Error *err);

/* A failed kctl_call() (rc != 0) as its exit status: KEFU_ETIMEOUT is an
 * unreachable site (3), a site path too long for sockets a usage error,
 * anything else exit 1 with the code's name. */
int kctl_call_fail(kctl_t *ctx, const char *daemon, int rc);

/* t as an RFC 3339 JSON string in the local offset at t; NULL on OOM. */
json_t *kctl_json_time(int64_t t_us);

/* v as a JSON integer (a decimal string above INT64_MAX); NULL on OOM. */
json_t *kctl_json_u64(uint64_t v);

/* msg through pbjson (pbjson.h), times in the local offset in force now.
 * Caller owns the result; NULL only on out-of-memory. */
json_t *kctl_json_message(const ProtobufCMessage *msg);

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

/* A week "YYYY-MM-DD": from 00:00 local time of that day to 00:00 seven
 * days later. A month "YYYY-MM": from 00:00 local of its first day to
 * 00:00 of the next month's. Local is TZ's rule on each end's day. Both
 * return 0 with [*from, *to) in usec, or -1 for any other form, a day
 * or month out of range, or a year before 1970. */
int kctl_parse_week(const char *s, int64_t *from, int64_t *to);
int kctl_parse_month(const char *s, int64_t *from, int64_t *to);

/* ---- talking to daemons (call.c) ---------------------------------------- */

/* Sends req to daemon's control socket and waits up to timeout_ms for the
 * reply; --request-id is filled in unless req has one or only reads
 * (status, sync, the get/list/query requests). Returns 0 with
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
/* cmd_intake.c: customers, orders, cases, after-sales, consultations */
kctl_cmd_fn kctl_cmd_customer_add;
kctl_cmd_fn kctl_cmd_customer_update;
kctl_cmd_fn kctl_cmd_customer_show;
kctl_cmd_fn kctl_cmd_customer_list;
kctl_cmd_fn kctl_cmd_order_add;
kctl_cmd_fn kctl_cmd_order_show;
kctl_cmd_fn kctl_cmd_order_list;
kctl_cmd_fn kctl_cmd_complaint_open;
kctl_cmd_fn kctl_cmd_complaint_reply;
kctl_cmd_fn kctl_cmd_complaint_resolve;
kctl_cmd_fn kctl_cmd_complaint_show;
kctl_cmd_fn kctl_cmd_complaint_handoff;
kctl_cmd_fn kctl_cmd_complaint_evidence;
kctl_cmd_fn kctl_cmd_complaint_followup;
kctl_cmd_fn kctl_cmd_complaints;
kctl_cmd_fn kctl_cmd_complaints_analysis;
kctl_cmd_fn kctl_cmd_aftersales_open;
kctl_cmd_fn kctl_cmd_aftersales_step;
kctl_cmd_fn kctl_cmd_aftersales_show;
kctl_cmd_fn kctl_cmd_aftersales_list;
kctl_cmd_fn kctl_cmd_consult;
kctl_cmd_fn kctl_cmd_consultations;

#endif
