/* kid.h: record ids, the one alphabet and the generated ones.
 *
 * Every id a client chooses (a customer's, an order's given with --id)
 * and every id a daemon generates is of one alphabet, checked here and
 * nowhere else: 1 to KID_MAX bytes of ASCII letters, digits, '-', '_' and
 * '.', starting with a letter or a digit. So an id never holds a space, a
 * '/', a "../", a newline, a control character or a NUL, and is safe in a
 * key, a path, a log line and a terminal.
 *
 * Generated ids are PREFIX-N ("O-17", "C-3"): N counts up per kind of
 * record, past the highest N of that kind the daemon has applied (its
 * counter, kept in the store's meta table by kid_counter_see as events
 * are applied, so a rebuild from the log gives the same counter) and past
 * every id handed out but not yet applied (cmd_new_id in cmdq.h, which
 * also reserves the id until its event is applied). A hand-chosen id of
 * the same form moves the counter like a generated one, but only while N
 * is at most KID_NUMBER_MAX: a longer number is an id like any other and
 * moves nothing, so the counter can't be pushed to wrap.
 */
#ifndef KEFU_KID_H
#define KEFU_KID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define KID_MAX 64                           /* bytes of an id */
#define KID_NUMBER_MAX 999999999999999ULL    /* the largest N of PREFIX-N (15 digits) */

/* Checks that id is an id of the alphabet above. Returns 0, or
 * KEFU_EINVAL with "FIELD: what is wrong" in err (cap bytes; err may be
 * NULL). field names the field for the message ("customer.id"). */
int kid_check(const char *id, const char *field, char *err, size_t cap);

/* N of an id of the form PREFIX-N, with N in 1..KID_NUMBER_MAX written
 * without leading zeros ("O-12" with prefix "O" -> 12); 0 for any other
 * id, NULL included. */
uint64_t kid_number(const char *id, const char *prefix);

/* The counter of kind (the highest N applied), in read or write txn; 0 if
 * none. */
uint64_t kid_counter(store_txn_t *txn, const char *kind);

/* For appliers, in the apply transaction: id of kind was created; if it
 * is PREFIX-N with N past the counter, the counter moves to N. Returns 0
 * or a store error. */
int kid_counter_see(store_txn_t *txn, const char *kind, const char *prefix, const char *id);

#endif
