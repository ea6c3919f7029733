/* evlog_kinds.c: the kinds of the log's and the clock's fields
 * (pbkind.h), the table evlog_kinds. Data only (see intake_kinds.c);
 * the envelope's and the request's own are pbkind.c's.
 */
#include "control.pb-c.h"
#include "event.pb-c.h"
#include "evlog.pb-c.h"
#include "pbkind.h"

static const pbkind_row_t s_rows[] = {
    {&kefu__clock_advance_reply__descriptor, "now", PBKIND_TIME},
    {&kefu__clock_advanced__descriptor, "from", PBKIND_TIME},
    {&kefu__clock_advanced__descriptor, "to", PBKIND_TIME},
    {&kefu__clock_advance_request__descriptor, "by_us", PBKIND_DURATION},
    {&kefu__hello_request__descriptor, "producer", PBKIND_ID},
};
const pbkind_table_t evlog_kinds = PBKIND_TABLE("evlog", s_rows);
