/* sched.c - the scheduler: decides which queued group transfers next.
 *
 * Groups are served foreground first, then by priority (HIGH, NORMAL, LOW), and within a
 * priority in creation order; each group transfers its files one after another, in order
 * (§4.4), and at most max_active_transfers files move at once. Groups waiting out a retry
 * delay are re-queued when it expires. A pass runs soon after anything changes
 * (sched_kick(), coalesced into one zero-delay timer), never from inside a curl callback. */
#include "qmgrd.h"

static void sched_run(struct daemon *d);

static void sched_fired(uv_timer_t *t)
{
        sched_run(t->data);
}

void sched_init(struct daemon *d)
{
        uv_timer_init(d->loop, &d->sched_timer);
        d->sched_timer.data = d;
        uv_timer_init(d->loop, &d->retry_timer);
        d->retry_timer.data = d;
}

void sched_kick(struct daemon *d)
{
        if (!d->stopping)
                uv_timer_start(&d->sched_timer, sched_fired, 0, 0);
}

void sched_close(struct daemon *d)
{
        uv_close((uv_handle_t *)&d->sched_timer, NULL);
        uv_close((uv_handle_t *)&d->retry_timer, NULL);
}

static int32_t first_incomplete(const struct group *g)
{
        for (uint32_t i = 0; i < g->n_files; i++)
                if (!g->files[i].complete)
                        return (int32_t)i;
        return -1;
}

static void start_group(struct daemon *d, struct group *g)
{
        int32_t i = first_incomplete(g);

        if (i < 0) {
                group_set_state(g, BG_JOB_STATE_TRANSFERRED);
                return;
        }
        group_set_state(g, BG_JOB_STATE_CONNECTING);
        if (xfer_start(d->xe, g, (uint32_t)i) < 0) {
                /* A local failure: the engine set the group's error. */
                group_set_state(g, BG_JOB_STATE_ERROR);
        }
}

static void sched_run(struct daemon *d)
{
        uint64_t now = uv_now(d->loop), next_retry = UINT64_MAX;

        if (d->stopping)
                return;
        for (struct group *g = d->groups_head; g; g = g->next) {
                if (g->state != BG_JOB_STATE_TRANSIENT_ERROR)
                        continue;
                if (g->retry_at <= now)
                        group_set_state(g, BG_JOB_STATE_QUEUED);
                else if (g->retry_at < next_retry)
                        next_retry = g->retry_at;
        }
        for (uint32_t prio = BG_JOB_PRIORITY_FOREGROUND; prio <= BG_JOB_PRIORITY_LOW; prio++) {
                for (struct group *g = d->groups_head; g; g = g->next) {
                        if (xfer_active_count(d->xe) >= d->cfg.max_active_transfers)
                                goto done;
                        if (g->priority == prio && g->state == BG_JOB_STATE_QUEUED && !g->xfer)
                                start_group(d, g);
                }
        }
done:
        if (next_retry != UINT64_MAX)
                uv_timer_start(&d->retry_timer, sched_fired, next_retry - now, 0);
        else
                uv_timer_stop(&d->retry_timer);
}
