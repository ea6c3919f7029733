/* producers.h: the log's table of producers, for idempotent appends.
 *
 * For each producer id the log keeps the last producer_seq it appended and
 * the log seq of each of the last EVLOG_DEDUP_WINDOW events, so a retried
 * append is answered with the seqs it got the first time. The table is
 * rebuilt on start from the log's newest checkpoint and the records after
 * it (evlog_state.h), so it survives a restart exactly.
 */
#ifndef KEFU_EVLOG_PRODUCERS_H
#define KEFU_EVLOG_PRODUCERS_H

#include <stddef.h>
#include <stdint.h>

#define EVLOG_DEDUP_WINDOW 4096   /* > any client's unacknowledged window */

typedef struct producers_t producers_t;
typedef struct producer_t producer_t;

producers_t *producers_new(void);
void producers_destroy(producers_t **self_p);

/* The producer named name, created (last 0) if create is true; NULL if
 * unknown and not created. Valid for the table's life. */
producer_t *producers_get(producers_t *self, const char *name, int create);

/* Last producer_seq appended (0 for none). */
uint64_t producer_last(const producer_t *p);
/* Records that producer_seq pseq (== last + 1) got log seq lseq. */
void producer_put(producer_t *p, uint64_t pseq, uint64_t lseq);
/* The log seq of pseq (<= last), or 0 if it is older than the window. */
uint64_t producer_lookup(const producer_t *p, uint64_t pseq);

/* Producers in the table. */
size_t producers_size(const producers_t *self);
/* Calls fn for every producer, in no particular order. fn must not change
 * the table. */
typedef void (producers_each_fn)(void *arg, const char *name, const producer_t *p);
void producers_each(producers_t *self, producers_each_fn *fn, void *arg);
/* Sets p (a producer with nothing put yet) to last, with the log seqs of
 * its last n producer_seqs (n <= EVLOG_DEDUP_WINDOW and n <= last):
 * lseqs[i] is the seq of producer_seq last - n + 1 + i. A checkpoint
 * holds the window this way (evlog_state.c). */
void producer_restore(producer_t *p, uint64_t last, const uint64_t *lseqs, size_t n);

#endif
