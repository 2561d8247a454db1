/* sched.c - the scheduler: decides which queued group transfers next.
 *
 * Groups are served foreground first, then by priority (HIGH, NORMAL, LOW), and within a
 * priority round-robin in time slices (creation order for the first turn); each group transfers its files one after another, in order
 * (§4.4), and at most max_active_transfers files move at once. Groups waiting out a retry
 * delay are re-queued when it expires. A pass runs soon after anything changes
 * (sched_kick(), coalesced into one zero-delay timer), never from inside a curl callback.
 * When a file has all its bytes, its data syncs in the background (xfer.c batches the syncs)
 * while the group's next file already transfers: sched_next_file() starts it at once during
 * the group's turn, without a state change or a store write between files. */
#include "qmgrd.h"

/* How long a background group transfers before it yields its slot to a waiting group of the
 * same priority (BITS uses time slices too). */
#ifndef SCHED_SLICE_MS
#define SCHED_SLICE_MS 5000u
#endif

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

int32_t sched_next_index(const struct group *g)
{
        /* Files go in order, so the search starts where the last one started (xfer_start
         * sets scan_from; a file that goes back to waiting resets it). */
        for (uint32_t i = g->scan_from; i < g->n_files; i++)
                if (!g->files[i].complete && !g->files[i].syncing)
                        return (int32_t)i;
        return -1;
}

static bool any_syncing(const struct group *g)
{
        for (uint32_t i = 0; i < g->n_files; i++)
                if (g->files[i].syncing)
                        return true;
        return false;
}

/* Whether g's turn is still running (it is between two files of its slice). */
static bool in_slice(const struct group *g, uint64_t now)
{
        return g->slice_start && now - g->slice_start < SCHED_SLICE_MS;
}

static void start_group(struct daemon *d, struct group *g, uint64_t now)
{
        int32_t i = sched_next_index(g);

        if (i < 0) {
                /* Every byte is here; files still syncing complete the group when synced. */
                group_set_state(g, any_syncing(g) ? BG_JOB_STATE_TRANSFERRING
                                                  : BG_JOB_STATE_TRANSFERRED);
                return;
        }
        if (!in_slice(g, now))
                g->slice_start = now ? now : 1; /* a new turn */
        group_set_state(g, BG_JOB_STATE_CONNECTING);
        if (xfer_start(d->xe, g, (uint32_t)i) < 0) {
                /* A local failure: the engine set the group's error. */
                group_set_state(g, BG_JOB_STATE_ERROR);
        }
}

void sched_next_file(struct group *g)
{
        struct daemon *d = g->d;
        uint64_t now = uv_now(d->loop);
        int32_t i;

        if (d->stopping || g->xfer)
                return;
        i = sched_next_index(g);
        if (i < 0) {
                sched_kick(d); /* a slot is free */
                return;
        }
        if (in_slice(g, now) && xfer_active_count(d->xe) < d->cfg.max_active_transfers) {
                /* The same turn goes on: no state change, no store write between files. */
                if (xfer_start(d->xe, g, (uint32_t)i) < 0)
                        group_set_state(g, BG_JOB_STATE_ERROR);
                else
                        return;
        } else {
                group_set_state(g, BG_JOB_STATE_QUEUED);
        }
        sched_kick(d);
}

/* The queued group of this priority to start: one whose turn is still running (its next
 * file), else the one that waited longest: never started first (in creation order), then
 * the one whose last turn began earliest (round-robin). */
static struct group *next_queued(struct daemon *d, uint32_t prio, uint64_t now)
{
        struct group *best = NULL;

        for (struct group *g = d->groups_head; g; g = g->next) {
                if (g->priority != prio || g->state != BG_JOB_STATE_QUEUED || g->xfer)
                        continue;
                if (in_slice(g, now))
                        return g;
                if (!best || g->slice_start < best->slice_start)
                        best = g;
        }
        return best;
}

static bool moving(const struct group *g)
{
        return g->xfer &&
               (g->state == BG_JOB_STATE_CONNECTING || g->state == BG_JOB_STATE_TRANSFERRING);
}

/* Background groups share the transfer slots in time slices: when a queued group waits for
 * a slot, a background group of the same or a lower priority that has had its slice is
 * stopped (its bytes are kept: it resumes with a range request) and queued again behind the
 * waiting ones, so a huge group cannot starve a small one. A waiting foreground group stops a
 * background one at once. Foreground groups are never preempted. Returns the loop time of the next slice end worth waking up for. */
static uint64_t preempt(struct daemon *d, uint64_t now)
{
        uint64_t next = UINT64_MAX;
        uint32_t best_waiting = UINT32_MAX, waiting = 0;

        if (xfer_active_count(d->xe) < d->cfg.max_active_transfers)
                return next;
        for (struct group *g = d->groups_head; g; g = g->next) {
                if (g->state != BG_JOB_STATE_QUEUED || g->xfer)
                        continue;
                waiting++;
                if (g->priority < best_waiting)
                        best_waiting = g->priority;
        }
        if (best_waiting == UINT32_MAX)
                return next;
        for (struct group *g = d->groups_head; g; g = g->next) {
                uint64_t end;

                if (!moving(g) || g->priority == BG_JOB_PRIORITY_FOREGROUND ||
                    g->priority < best_waiting)
                        continue;
                /* A waiting foreground group does not wait for the end of a slice. */
                end = best_waiting == BG_JOB_PRIORITY_FOREGROUND ? now
                                                                 : g->slice_start + SCHED_SLICE_MS;
                if (end <= now && waiting > 0) {
                        log_debug("group %s: time slice over, yielding", g->id_str);
                        xfer_stop(g);
                        group_set_state(g, BG_JOB_STATE_QUEUED);
                        waiting--;
                } else if (end < next) {
                        next = end;
                }
        }
        return next;
}

static void sched_run(struct daemon *d)
{
        uint64_t now = uv_now(d->loop), next_wake = UINT64_MAX, slice_end;

        if (d->stopping)
                return;
        for (struct group *g = d->groups_head; g; g = g->next) {
                if (g->state != BG_JOB_STATE_TRANSIENT_ERROR)
                        continue;
                if (g->retry_at <= now)
                        group_set_state(g, BG_JOB_STATE_QUEUED);
                else if (g->retry_at < next_wake)
                        next_wake = g->retry_at;
        }
        slice_end = preempt(d, now);
        for (uint32_t prio = BG_JOB_PRIORITY_FOREGROUND; prio <= BG_JOB_PRIORITY_LOW; prio++) {
                struct group *g;

                while (xfer_active_count(d->xe) < d->cfg.max_active_transfers &&
                       (g = next_queued(d, prio, now)))
                        start_group(d, g, now);
        }
        if (slice_end < next_wake)
                next_wake = slice_end;
        if (next_wake != UINT64_MAX)
                uv_timer_start(&d->retry_timer, sched_fired, next_wake - now, 0);
        else
                uv_timer_stop(&d->retry_timer);
}
