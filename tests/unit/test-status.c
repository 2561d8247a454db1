/* test-status.c - the status algebra of QMGR.md §2.1 and the state machine behind it
 * (src/daemon/group.c): every state's legacy bits, the job bits, and the transition table. */
#include <stdlib.h>

#include "daemon-fixture.h"

/* Forces a state without the transition table, to test the derivation alone. */
static uint32_t status_in(struct group *g, uint32_t state, uint32_t priority)
{
        g->state = state;
        g->priority = priority;
        return group_status(g);
}

TEST(status_of_every_state)
{
        struct daemon *d = fixture_new(":memory:");
        struct group *g = fixture_group(d);
        const uint32_t N = BG_JOB_PRIORITY_NORMAL;

        ASSERT_EQ_INT(0x180, status_in(g, BG_JOB_STATE_SUSPENDED, N)); /* new group */
        ASSERT_EQ_INT(0x80, status_in(g, BG_JOB_STATE_QUEUED, N));
        ASSERT_EQ_INT(0x80, status_in(g, BG_JOB_STATE_CONNECTING, N));
        ASSERT_EQ_INT(0x80, status_in(g, BG_JOB_STATE_TRANSFERRING, N));
        /* Transient errors never show as ERROR. */
        ASSERT_EQ_INT(0x80, status_in(g, BG_JOB_STATE_TRANSIENT_ERROR, N));
        ASSERT_EQ_INT(0x300, status_in(g, BG_JOB_STATE_ERROR, N));
        ASSERT_EQ_INT(0x140, status_in(g, BG_JOB_STATE_TRANSFERRED, N));
        ASSERT_EQ_INT(0x480, status_in(g, BG_JOB_STATE_TRANSFERRING, BG_JOB_PRIORITY_FOREGROUND));
        ASSERT_EQ_INT(0x580, status_in(g, BG_JOB_STATE_SUSPENDED, BG_JOB_PRIORITY_FOREGROUND));
        ASSERT_EQ_INT(0x540, status_in(g, BG_JOB_STATE_TRANSFERRED, BG_JOB_PRIORITY_FOREGROUND));
        ASSERT_EQ_INT(0x700, status_in(g, BG_JOB_STATE_ERROR, BG_JOB_PRIORITY_FOREGROUND));
        fixture_free(d);
}

TEST(status_algebra_invariants)
{
        struct daemon *d = fixture_new(":memory:");
        struct group *g = fixture_group(d);

        for (uint32_t st = 0; st <= BG_JOB_STATE_TRANSFERRED; st++) {
                for (uint32_t pr = 0; pr <= BG_JOB_PRIORITY_LOW; pr++) {
                        uint32_t s = status_in(g, st, pr);
                        bool complete = s & QM_STATUS_GROUP_COMPLETE;
                        bool incomplete = s & QM_STATUS_GROUP_INCOMPLETE;
                        bool error = s & QM_STATUS_GROUP_ERROR;
                        bool suspended = s & QM_STATUS_GROUP_SUSPENDED;

                        ASSERT_FALSE(complete && incomplete);
                        ASSERT_TRUE(complete || incomplete || error);
                        if (error) {
                                ASSERT_TRUE(suspended);
                                ASSERT_FALSE(incomplete || complete);
                        }
                        if (complete)
                                ASSERT_TRUE(suspended);
                        ASSERT_EQ_INT(pr == BG_JOB_PRIORITY_FOREGROUND,
                                      (s & QM_STATUS_GROUP_FOREGROUND) != 0);
                        ASSERT_EQ_INT(0, s & QM_STATUS_JOB_FOREGROUND); /* never set */
                }
        }
        fixture_free(d);
}

TEST(job1_status_bits)
{
        struct daemon *d = fixture_new(":memory:");
        struct group *g = fixture_group(d);

        g->state = BG_JOB_STATE_TRANSFERRED;
        ASSERT_EQ_INT(QM_STATUS_JOB_COMPLETE, group_job1_status(g));
        g->state = BG_JOB_STATE_ERROR;
        ASSERT_EQ_INT(QM_STATUS_JOB_ERROR, group_job1_status(g));
        g->state = BG_JOB_STATE_TRANSIENT_ERROR;
        ASSERT_EQ_INT(QM_STATUS_JOB_INCOMPLETE, group_job1_status(g));
        g->state = BG_JOB_STATE_SUSPENDED;
        ASSERT_EQ_INT(QM_STATUS_JOB_INCOMPLETE, group_job1_status(g));
        fixture_free(d);
}

TEST(transition_table)
{
        struct daemon *d = fixture_new(":memory:");
        struct group *g = fixture_group(d);

        /* A new group is suspended; it leaves only by being queued. */
        ASSERT_EQ_INT(BG_JOB_STATE_SUSPENDED, g->state);
        ASSERT_EQ_INT(-EINVAL, group_set_state(g, BG_JOB_STATE_TRANSFERRING));
        ASSERT_EQ_INT(-EINVAL, group_set_state(g, BG_JOB_STATE_ERROR));
        ASSERT_EQ_INT(BG_JOB_STATE_SUSPENDED, g->state);
        ASSERT_EQ_INT(0, group_set_state(g, BG_JOB_STATE_QUEUED));
        ASSERT_EQ_INT(0, group_set_state(g, BG_JOB_STATE_CONNECTING));
        ASSERT_EQ_INT(0, group_set_state(g, BG_JOB_STATE_TRANSFERRING));
        ASSERT_EQ_INT(0, group_set_state(g, BG_JOB_STATE_TRANSIENT_ERROR));
        ASSERT_EQ_INT(0, group_set_state(g, BG_JOB_STATE_QUEUED));
        ASSERT_EQ_INT(0, group_set_state(g, BG_JOB_STATE_ERROR));
        /* An error is left only by ResumeGroup. */
        ASSERT_EQ_INT(-EINVAL, group_set_state(g, BG_JOB_STATE_TRANSFERRING));
        ASSERT_EQ_INT(-EINVAL, group_set_state(g, BG_JOB_STATE_SUSPENDED));
        ASSERT_EQ_INT(0, group_set_state(g, BG_JOB_STATE_QUEUED));
        ASSERT_EQ_INT(0, group_set_state(g, BG_JOB_STATE_TRANSFERRED));
        ASSERT_TRUE(g->completed > 0);
        /* TRANSFERRED is final for the state machine (commit/abort remove the group). */
        for (uint32_t to = 0; to <= BG_JOB_STATE_CANCELLED; to++)
                if (to != BG_JOB_STATE_TRANSFERRED)
                        ASSERT_EQ_INT(-EINVAL, group_set_state(g, to));
        /* Unknown states are refused. */
        ASSERT_EQ_INT(-EINVAL, group_set_state(g, 99));
        fixture_free(d);
}

TEST(state_names)
{
        ASSERT_EQ_STR("QUEUED", job_state_name(BG_JOB_STATE_QUEUED));
        ASSERT_EQ_STR("TRANSIENT_ERROR", job_state_name(BG_JOB_STATE_TRANSIENT_ERROR));
        ASSERT_EQ_STR("CANCELLED", job_state_name(BG_JOB_STATE_CANCELLED));
        ASSERT_EQ_STR("UNKNOWN", job_state_name(42));
}

TEST(totals_unknown_until_every_size_known)
{
        struct daemon *d = fixture_new(":memory:");
        struct group *g = fixture_group(d);
        uint64_t done, total;
        uint32_t files_done;

        g->files = calloc(2, sizeof(*g->files));
        ASSERT_TRUE(g->files != NULL);
        g->n_files = g->cap_files = 2;
        g->files[0].bytes_total = 100;
        g->files[0].bytes_done = 100;
        g->files[0].complete = true;
        g->files[1].bytes_total = BG_SIZE_UNKNOWN;
        g->files[1].bytes_done = 7;
        group_totals(g, &done, &total, &files_done);
        ASSERT_EQ_U64(107, done);
        ASSERT_EQ_U64(BG_SIZE_UNKNOWN, total);
        ASSERT_EQ_INT(1, files_done);
        g->files[1].bytes_total = 50;
        group_totals(g, &done, &total, &files_done);
        ASSERT_EQ_U64(150, total);
        fixture_free(d);
}
