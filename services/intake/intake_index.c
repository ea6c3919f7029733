/* intake_index.c: the complaint register's indexes and every case's
 * whole history (intake.h).
 *
 * Why. A case record is read and written whole on every change to it, and
 * a write is answered with the record; the register is asked for the
 * newest N cases that match some filters. Neither may cost more as the
 * site grows: a case with thousands of replies must not make every reply
 * rewrite and send megabytes, and `complaints --owner li --limit 20` must
 * not read every case of the period.
 *
 * The history. The case record (cases) keeps only the newest
 * INTAKE_HISTORY_RECENT entries in Case.history, with history_count (all
 * entries) and history_from (the number of history[0], absent when 0).
 * An entry pushed out of the record by a newer one goes to case_history,
 * under the key ID, NUL, be32(n) (n: its number, 0 is "opened"): the NUL
 * ends the id, so one case's entries are one contiguous range in entry
 * order. Entries 0..history_from-1 are in the table, the rest in the
 * record; a case with few entries never touches the table. So a change
 * to a case costs the same at its 5th and its 5,000th entry, a write's
 * answer is bounded, and `complaint show` pages the whole history
 * (intake_history_page). A case stored before this table existed has its
 * whole history in the record and no history_count: its next entry moves
 * all but the newest into the table.
 *
 * The register's indexes. case_time (intake_store.c) orders every case
 * by opened_at. case_index holds, for each filter field of CaseQuery, one
 * entry per case under tag, value, NUL, be64(opened_at), case id:
 *   'o' owner   'c' customer   'r' order (if any)   's' state (its number)
 * so the cases with one value of a field are a contiguous range in time
 * order, and the register walks it (or several at once) backwards from
 * `to`, newest first, stopping at `limit` matches (intake_query.c). Every
 * entry's value (case_time's too) is the case's kind and type, two bytes,
 * so those filters (few values, many matches each) are checked on the
 * walk without an index of their own or reading the case. Owner,
 * customer, order, kind and type never change once a case is opened; a
 * change of state moves the case's 's' entry (intake_index_state). Values
 * longer than INTAKE_INDEX_VALUE_MAX bytes are cut there (LMDB keys stop
 * at 511 bytes); cases whose values share that much share the range, and
 * the query checks each case it reads against its filters anyway.
 *
 * Only the appliers (intake_apply.c) call the writers, inside the apply
 * transaction, so a store rebuilt from the log has the same indexes.
 */
#include <stdio.h>
#include <string.h>

#include "intake.h"
#include "kerr.h"
#include "klog.h"

#define S_ID_MAX 80  /* bytes of a case id in a key, as case_time's */

size_t intake_index_prefix(uint8_t *key, char tag, const char *value)
{
    size_t n = value ? strlen(value) : 0;
    if (n > INTAKE_INDEX_VALUE_MAX)
        n = INTAKE_INDEX_VALUE_MAX;
    key[0] = (uint8_t) tag;
    memcpy(key + 1, value ? value : "", n);
    key[1 + n] = 0;
    return n + 2;
}

size_t intake_index_prefix_enum(uint8_t *key, char tag, int value)
{
    char v[16];
    snprintf(v, sizeof v, "%d", value);
    return intake_index_prefix(key, tag, v);
}

/* Every register entry's value: the case's kind and type, which never
 * change, so the register checks those filters without reading the case. */
static void s_value(const Kefu__Case *c, uint8_t v[2])
{
    v[0] = (uint8_t) c->kind;
    v[1] = (uint8_t) c->type;
}

/* Puts (or deletes) case c's entry in the range of prefix. */
static int s_entry(intake_t *self, store_txn_t *txn, const uint8_t *prefix, size_t plen,
                   const Kefu__Case *c, bool del)
{
    uint8_t key[INTAKE_INDEX_PREFIX_MAX + 8 + S_ID_MAX];
    if (strlen(c->id) >= S_ID_MAX)
        return 0;  /* not a generated case id: never made by the commands */
    memcpy(key, prefix, plen);
    size_t klen = plen + krecord_time_key(key + plen, c->opened_at, c->id);
    uint8_t v[2];
    s_value(c, v);
    if (!del)
        return store_put(txn, self->t.case_index, key, klen, v, sizeof v);
    int rc = store_del(txn, self->t.case_index, key, klen);
    return rc == KEFU_ENOTFOUND ? 0 : rc;
}

static int s_field(intake_t *self, store_txn_t *txn, const Kefu__Case *c, char tag, const char *v)
{
    if (!v || !*v)
        return 0;  /* no order: no 'r' entry */
    uint8_t prefix[INTAKE_INDEX_PREFIX_MAX];
    return s_entry(self, txn, prefix, intake_index_prefix(prefix, tag, v), c, false);
}

static int s_enum(intake_t *self, store_txn_t *txn, const Kefu__Case *c, char tag, int v, bool del)
{
    uint8_t prefix[INTAKE_INDEX_PREFIX_MAX];
    return s_entry(self, txn, prefix, intake_index_prefix_enum(prefix, tag, v), c, del);
}

int intake_index_open(intake_t *self, store_txn_t *txn, const Kefu__Case *c)
{
    if (strlen(c->id) >= S_ID_MAX)
        return 0;
    uint8_t key[8 + S_ID_MAX], v[2];
    size_t klen = krecord_time_key(key, c->opened_at, c->id);
    s_value(c, v);
    int rc = store_put(txn, self->t.case_time, key, klen, v, sizeof v);
    if (rc == 0)
        rc = s_field(self, txn, c, 'o', c->owner);
    if (rc == 0)
        rc = s_field(self, txn, c, 'c', c->customer);
    if (rc == 0)
        rc = s_field(self, txn, c, 'r', c->order);
    if (rc == 0)
        rc = s_enum(self, txn, c, 's', c->state, false);
    return rc;
}

int intake_index_state(intake_t *self, store_txn_t *txn, const Kefu__Case *c, Kefu__CaseState was)
{
    if (was == c->state)
        return 0;
    int rc = s_enum(self, txn, c, 's', was, true);
    return rc ? rc : s_enum(self, txn, c, 's', c->state, false);
}

/* ---- the history ------------------------------------------------------------------ */

static size_t s_history_key(uint8_t *key, const char *id, uint32_t n)
{
    size_t len = strlen(id);
    memcpy(key, id, len);
    key[len] = 0;
    for (int i = 0; i < 4; i++)
        key[len + 1 + i] = (uint8_t) (n >> (24 - 8 * i));
    return len + 5;
}

static int s_history_put(intake_t *self, store_txn_t *txn, const char *id, uint32_t n,
                         const Kefu__CaseEntry *e)
{
    uint8_t key[S_ID_MAX + 5];
    size_t klen = s_history_key(key, id, n);
    return krecord_put_key(txn, self->t.case_history, key, klen, &e->base);
}

int intake_history_append(intake_t *self, store_txn_t *txn, Kefu__Case *c, arena_t *a,
                          Kefu__CaseEntry *e)
{
    if (!c->id || strlen(c->id) >= S_ID_MAX)
        return 0;
    if (!c->has_history_count) {
        /* Stored before case_history existed: the record holds it all. */
        c->has_history_count = true;
        c->history_count = (uint32_t) c->n_history;
    }
    uint32_t held = c->history_count - (uint32_t) c->n_history;  /* the number of history[0] */
    Kefu__CaseEntry **h = arena_alloc(a, (c->n_history + 1) * sizeof *h);
    if (c->n_history)  /* a new case has no array to copy: memcpy from NULL is undefined */
        memcpy(h, c->history, c->n_history * sizeof *h);
    h[c->n_history++] = e;
    c->history = h;
    c->history_count++;
    /* The oldest entries leave the record for the table. */
    while (c->n_history > INTAKE_HISTORY_RECENT) {
        int rc = s_history_put(self, txn, c->id, held++, c->history[0]);
        if (rc)
            return rc;
        c->history++;
        c->n_history--;
    }
    c->history_from = held;
    c->has_history_from = held > 0;
    return 0;
}

int intake_history_page(intake_t *self, store_txn_t *txn, Kefu__Case *c, arena_t *a, int64_t from,
                        uint32_t limit)
{
    uint32_t count = c->has_history_count ? c->history_count : (uint32_t) c->n_history;
    uint32_t held = count - (uint32_t) c->n_history;  /* entries before it are in the table */
    uint32_t start = from < 0 ? (count > limit ? count - limit : 0)
                              : (from > (int64_t) count ? count : (uint32_t) from);
    uint32_t end = count - start > limit ? start + limit : count;
    Kefu__CaseEntry **record = c->history;
    c->has_history_count = true;
    c->history_count = count;
    c->history_from = start;
    c->has_history_from = start > 0;
    if (start >= held) {
        /* the record holds the page already: the newest entries */
        c->history = record + (start - held);
        c->n_history = end - start;
        return 0;
    }
    Kefu__CaseEntry **h = arena_alloc(a, (end - start + 1) * sizeof *h);
    size_t n = 0;
    store_cursor_t *cur;
    int rc = store_cursor_open(txn, self->t.case_history, &cur);
    if (rc)
        return rc;
    uint8_t key[S_ID_MAX + 5];
    size_t klen = s_history_key(key, c->id, start);
    size_t plen = klen - 4;  /* the id and its NUL */
    uint32_t stop = end < held ? end : held;
    rc = store_cursor_seek(cur, key, klen);
    const void *k, *v;
    size_t kl, vl;
    while (rc == 0 && start + n < stop && store_cursor_next(cur, &k, &kl, &v, &vl) == 0) {
        if (kl != klen || memcmp(k, key, plen) != 0)
            break;  /* past this case's entries */
        Kefu__CaseEntry *e = (Kefu__CaseEntry *) protobuf_c_message_unpack(
            &kefu__case_entry__descriptor, arena_pbc(a), vl, v);
        if (!e) {
            klog_error("case %s: a history entry does not decode", c->id);
            rc = KEFU_EINTERNAL;
            break;
        }
        h[n++] = e;
    }
    store_cursor_close(&cur);
    for (uint32_t i = held; i < end; i++)  /* the rest of the page: the record's */
        h[n++] = record[i - held];
    c->history = h;
    c->n_history = n;
    return rc;
}
