/* intake_keys.c: kefu-intake's configuration keys, the table intake_keys
 * (registry.h). Data only: the Makefile builds this file into libkefu,
 * not into kefu-intake, so `kefu up` checks them before it starts
 * anything. intake reads them through the deadline policy
 * (deadline_policy_due(policy, "complaint_simple"), intake_cmd.c); the
 * calendar they count in is the site's (common/site_keys.c).
 */
#include "deadline.h"
#include "kconfig.h"
#include "registry.h"

static const kconfig_key_t s_keys[] = {
    /* The reply deadline of a case (000 §一.5), a deadline so a desk can
     * say "half a working day" (003 第二篇 三): 4h30m@work. */
    DEADLINE_KEY("sla.complaint_simple", "2h"),
    DEADLINE_KEY("sla.complaint_complex", "24h"),
    /* A major complaint's problem analysis report is due this long after
     * its resolution (003 第二篇 四.6: "afterwards"; the seeds give no
     * figure, three days is ours). */
    DEADLINE_KEY("sla.analysis_report", "3d"),
    /* A customer assigned to a staff member is first contacted within a
     * week (001 一.3). */
    DEADLINE_KEY("sla.first_contact", "7d"),
    /* A resolved case's follow-up visit (回访: domain.md §1 "After
     * closing", 003 第二篇 六 第七步) is due this long after the
     * resolution. The seeds give no figure; three days is ours: the visit
     * asks whether the remedy pleased the customer, so it comes once the
     * remedy can have reached them (the longest rework, crystal and
     * frames, is 48 h: 000 §四.2, and then delivery), and before the
     * customer has stopped caring. No "off": the seeds make the visit a
     * step of every complaint's loop, not an option. */
    DEADLINE_KEY("sla.follow_up", "3d"),
    /* A follow-up visit with satisfaction below this reopens the case
     * (003 第二篇 六.三: still unsatisfied, back to the solutions); 0:
     * never. */
    KCONFIG_KEY_INT("intake.reopen_below", "3", 0, 6),
};
const kconfig_table_t intake_keys = KCONFIG_TABLE("intake", s_keys);
