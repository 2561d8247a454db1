/* notify.c - notifications: the legacy OnStatus callback events (QMGR.md §4.6) and the live
 * updates that `qmgr wait`/`monitor` watch.
 *
 * A client opens its connection's event stream with Subscribe (a Varlink call with "more");
 * every event is a further reply on it. Callback events are persisted (table events) when
 * they happen, whether or not anyone listens; each is delivered to one connection that
 * registered a callback for its group, and stays until that client acknowledges it with
 * AckEvent. A failure result, or a connection that goes away first, makes the event due again
 * (after the group's retry delay for a failure). Updates are not persisted: a watcher gets a
 * snapshot when it starts watching, then one update per state change and, while a group
 * transfers, one every TICK_MS. This file owns the subscribers and the pending events; it
 * learns of changes from group.c and of clients from ipc-server.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qmgrd.h"

#define TICK_MS              250
#define MAX_EVENTS_PER_GROUP 16

struct subscriber {
        struct subscriber *prev, *next;
        struct conn *conn; /* borrowed: the subscriber dies with its connection */
        uid_t uid;
        qm_guid *callbacks; /* groups whose callback events this client takes */
        uint32_t n_callbacks, cap_callbacks;
        bool watch_all;
        qm_guid *watch;
        uint32_t n_watch, cap_watch;
};

struct notify {
        struct daemon *d;
        struct notify_event *events; /* pending, in the order they happened */
        struct subscriber *subs;
        uv_timer_t due_timer;  /* the next redelivery */
        uv_timer_t tick_timer; /* progress updates while someone watches */
        bool ticking;
        int closed; /* timers closed so far, at shutdown */
};

static void pump(struct notify *n);

static void due_fired(uv_timer_t *t)
{
        pump(t->data);
}

static bool guid_in(const qm_guid *set, uint32_t n, const qm_guid *id)
{
        for (uint32_t i = 0; i < n; i++)
                if (qm_guid_equal(&set[i], id))
                        return true;
        return false;
}

static int guid_add(qm_guid **set, uint32_t *n, uint32_t *cap, const qm_guid *id)
{
        if (guid_in(*set, *n, id))
                return 0;
        if (*n == *cap) {
                uint32_t nc = *cap ? *cap * 2 : 4;
                qm_guid *ns = realloc(*set, nc * sizeof(*ns));

                if (!ns)
                        return -ENOMEM;
                *set = ns;
                *cap = nc;
        }
        (*set)[(*n)++] = *id;
        return 0;
}

static void guid_remove(qm_guid *set, uint32_t *n, const qm_guid *id)
{
        for (uint32_t i = 0; i < *n; i++) {
                if (qm_guid_equal(&set[i], id)) {
                        set[i] = set[--*n];
                        return;
                }
        }
}

/* ---- updates for watchers ------------------------------------------------------------ */

static void fill_update(struct qmx_msg *m, const struct group *g)
{
        memset(m, 0, sizeof(*m));
        m->event = "update";
        m->group_id = g->id;
        m->name = g->display_name; /* a watcher may have first seen the group before its name */
        m->state = g->state;
        m->status = group_status(g);
        m->num_retries = g->retries;
        m->files_total = g->n_files;
        group_totals(g, &m->bytes_transferred, &m->bytes_total, &m->files_transferred);
        m->present = QMX_B(EVENT) | QMX_B(GROUP_ID) | QMX_B(NAME) | QMX_B(STATE) | QMX_B(STATUS) |
                     QMX_B(NUM_RETRIES) | QMX_B(FILES_TOTAL) | QMX_B(BYTES_TRANSFERRED) |
                     QMX_B(BYTES_TOTAL) | QMX_B(FILES_TRANSFERRED);
        if (g->has_job) {
                m->job_id = g->job_id;
                m->present |= QMX_B(JOB_ID);
        }
        if (g->err.hr != QM_S_OK) {
                m->error_hresult = g->err.hr;
                m->error_context = g->err.context;
                m->error_file_index = g->err.file_index;
                m->error_win32 = g->err.win32;
                m->error_transport = g->err.transport;
                m->error_message = g->err.message ? g->err.message : (char *)qm_strerror(g->err.hr);
                m->present |= QMX_B(ERROR_HRESULT) | QMX_B(ERROR_CONTEXT) |
                              QMX_B(ERROR_FILE_INDEX) | QMX_B(ERROR_WIN32) |
                              QMX_B(ERROR_TRANSPORT) | QMX_B(ERROR_MESSAGE);
        }
}

static bool watches(const struct subscriber *s, const struct group *g)
{
        if (s->uid != 0 && s->uid != g->owner_uid)
                return false;
        return s->watch_all || guid_in(s->watch, s->n_watch, &g->id);
}

static void send_msg(struct subscriber *s, const struct qmx_msg *m)
{
        ipc_conn_send(s->conn, qmx_reply_new(QMX_M_SUBSCRIBE, m, true));
}

static void tick_fired(uv_timer_t *t)
{
        struct notify *n = t->data;
        bool any = false;

        for (struct subscriber *s = n->subs; s; s = s->next) {
                if (!s->watch_all && !s->n_watch)
                        continue;
                any = true;
                for (struct group *g = n->d->groups_head; g; g = g->next) {
                        struct qmx_msg m;

                        if (!g->xfer || !watches(s, g))
                                continue;
                        fill_update(&m, g);
                        send_msg(s, &m);
                }
        }
        if (!any) {
                uv_timer_stop(&n->tick_timer);
                n->ticking = false;
        }
}

static void send_update(struct notify *n, const struct group *g)
{
        struct qmx_msg m;
        bool filled = false;

        for (struct subscriber *s = n->subs; s; s = s->next) {
                if (!watches(s, g))
                        continue;
                if (!filled)
                        fill_update(&m, g);
                filled = true;
                send_msg(s, &m);
        }
}

/* ---- callback events ------------------------------------------------------------------ */

static struct subscriber *taker_for(struct notify *n, const struct notify_event *ev,
                                    const struct group *g)
{
        for (struct subscriber *s = n->subs; s; s = s->next)
                if ((s->uid == 0 || s->uid == g->owner_uid) &&
                    guid_in(s->callbacks, s->n_callbacks, &ev->group_id))
                        return s;
        return NULL;
}

static void deliver(struct subscriber *s, struct notify_event *ev, const struct group *g)
{
        struct qmx_msg m;

        memset(&m, 0, sizeof(m));
        m.event = "callback";
        m.event_id = (uint64_t)ev->id;
        m.group_id = ev->group_id;
        m.index = ev->file_index;
        m.status = ev->status;
        m.num_retries = ev->retries;
        m.win32_result = ev->win32;
        m.transport_result = ev->transport;
        m.present = QMX_B(EVENT) | QMX_B(EVENT_ID) | QMX_B(GROUP_ID) | QMX_B(INDEX) |
                    QMX_B(STATUS) | QMX_B(NUM_RETRIES) | QMX_B(WIN32_RESULT) |
                    QMX_B(TRANSPORT_RESULT);
        if (g->has_job) {
                m.job_id = g->job_id;
                m.present |= QMX_B(JOB_ID);
        }
        if (ev->hr != QM_S_OK) {
                m.error_hresult = ev->hr;
                m.present |= QMX_B(ERROR_HRESULT);
        }
        ev->inflight = s->conn;
        log_debug("group %s: event %lld delivered", g->id_str, (long long)ev->id);
        send_msg(s, &m);
}

/* Delivers every due event that has a taker; arms the timer for the next one. */
static void pump(struct notify *n)
{
        uint64_t now = uv_now(n->d->loop), next = UINT64_MAX;

        for (struct notify_event *ev = n->events; ev; ev = ev->next) {
                struct group *g;
                struct subscriber *s;

                if (ev->inflight)
                        continue;
                if (ev->due > now) {
                        if (ev->due < next)
                                next = ev->due;
                        continue;
                }
                g = group_find(n->d, &ev->group_id, 0);
                s = g ? taker_for(n, ev, g) : NULL;
                if (s)
                        deliver(s, ev, g);
        }
        if (next != UINT64_MAX)
                uv_timer_start(&n->due_timer, due_fired, next - now, 0);
}

static void event_free(struct notify *n, struct notify_event *ev)
{
        struct notify_event **pp = &n->events;

        while (*pp && *pp != ev)
                pp = &(*pp)->next;
        if (*pp)
                *pp = ev->next;
        free(ev);
}

static void queue_event(struct notify *n, struct group *g)
{
        struct notify_event *ev = calloc(1, sizeof(*ev)), **pp, *oldest = NULL;
        uint32_t count = 0;

        if (!ev)
                return;
        ev->group_id = g->id;
        ev->status = group_status(g);
        ev->file_index = g->state == BG_JOB_STATE_ERROR ? g->err.file_index : QM_NO_FILE_INDEX;
        ev->retries = g->retries;
        ev->hr = g->state == BG_JOB_STATE_ERROR ? g->err.hr : QM_S_OK;
        ev->win32 = g->state == BG_JOB_STATE_ERROR ? g->err.win32 : 0;
        ev->transport = g->state == BG_JOB_STATE_ERROR ? g->err.transport : 0;
        /* A group that nobody listens to keeps only its latest events. */
        for (struct notify_event *e = n->events; e; e = e->next) {
                if (!qm_guid_equal(&e->group_id, &g->id))
                        continue;
                count++;
                if (!oldest && !e->inflight)
                        oldest = e;
        }
        if (count >= MAX_EVENTS_PER_GROUP && oldest) {
                store_delete_event(n->d->store, oldest->id);
                event_free(n, oldest);
        }
        if (store_save_event(n->d->store, g->id_str, ev) < 0) {
                log_error("group %s: the notification could not be saved; it is delivered but "
                          "lost on restart",
                          g->id_str);
        }
        for (pp = &n->events; *pp; pp = &(*pp)->next)
                ;
        *pp = ev;
        log_debug("group %s: event %lld queued (status 0x%x)", g->id_str, (long long)ev->id,
                  ev->status);
}

/* ---- what group.c and ipc-server.c tell us -------------------------------------------- */

void notify_group_state(struct group *g, uint32_t from, uint32_t to)
{
        struct notify *n = g->d->notify;

        if (!n)
                return;
        if (!(g->notify_flags & QM_NOTIFY_DISABLE_NOTIFY) &&
            (to == BG_JOB_STATE_ERROR ||
             (to == BG_JOB_STATE_TRANSFERRED && (g->notify_flags & QM_NOTIFY_GROUP_DONE)))) {
                queue_event(n, g);
                pump(n);
        }
        send_update(n, g);
        notify_cmd_state(g, to);
}

void notify_group_changed(struct group *g)
{
        if (g->d->notify)
                send_update(g->d->notify, g);
}

void notify_group_removed(struct group *g, bool committed)
{
        struct notify *n = g->d->notify;
        struct qmx_msg m;

        if (!n)
                return;
        /* The store's rows go with the group (ON DELETE CASCADE). */
        for (struct notify_event *ev = n->events, *next; ev; ev = next) {
                next = ev->next;
                if (qm_guid_equal(&ev->group_id, &g->id))
                        event_free(n, ev);
        }
        memset(&m, 0, sizeof(m));
        m.event = "removed";
        m.group_id = g->id;
        m.state = committed ? BG_JOB_STATE_ACKNOWLEDGED : BG_JOB_STATE_CANCELLED;
        m.present = QMX_B(EVENT) | QMX_B(GROUP_ID) | QMX_B(STATE);
        for (struct subscriber *s = n->subs; s; s = s->next) {
                if (!watches(s, g))
                        continue;
                send_msg(s, &m);
                guid_remove(s->watch, &s->n_watch, &g->id);
        }
        for (struct subscriber *s = n->subs; s; s = s->next)
                guid_remove(s->callbacks, &s->n_callbacks, &g->id);
}

void notify_conn_closed(struct conn *c, struct subscriber *s)
{
        struct notify *n;

        if (!s)
                return;
        n = ipc_conn_daemon(c)->notify;
        if (s->prev)
                s->prev->next = s->next;
        else
                n->subs = s->next;
        if (s->next)
                s->next->prev = s->prev;
        for (struct notify_event *ev = n->events; ev; ev = ev->next)
                if (ev->inflight == c)
                        ev->inflight = NULL; /* due again, for the next taker */
        free(s->callbacks);
        free(s->watch);
        free(s);
        pump(n);
}

/* ---- the methods ------------------------------------------------------------------------ */

qm_hresult notify_subscribe(struct ipc_call *c)
{
        struct notify *n = c->d->notify;
        struct subscriber *s;

        if (!c->conn || !c->more) {
                snprintf(c->err, sizeof(c->err), "Subscribe needs a connection and \"more\"");
                return QM_E_INVALIDARG;
        }
        if (ipc_conn_subscriber(c->conn)) {
                snprintf(c->err, sizeof(c->err), "this connection is already subscribed");
                return QM_E_INVALID_STATE;
        }
        s = calloc(1, sizeof(*s));
        if (!s)
                return QM_E_OUTOFMEMORY;
        s->conn = c->conn;
        s->uid = c->uid;
        s->next = n->subs;
        if (n->subs)
                n->subs->prev = s;
        n->subs = s;
        ipc_conn_set_subscriber(c->conn, s);
        return QM_S_OK;
}

static struct subscriber *subscriber_of(struct ipc_call *c)
{
        struct subscriber *s = c->conn ? ipc_conn_subscriber(c->conn) : NULL;

        if (!s)
                snprintf(c->err, sizeof(c->err), "call Subscribe on this connection first");
        return s;
}

qm_hresult notify_register(struct ipc_call *c, const qm_guid *group, bool on)
{
        struct subscriber *s = subscriber_of(c);
        struct group *g = group_find(c->d, group, c->uid);

        if (!g)
                return QM_E_ITEM_NOT_FOUND;
        if (!s)
                return QM_E_INVALID_STATE;
        if (!on) {
                guid_remove(s->callbacks, &s->n_callbacks, group);
                return QM_S_OK;
        }
        if (guid_add(&s->callbacks, &s->n_callbacks, &s->cap_callbacks, group) < 0)
                return QM_E_OUTOFMEMORY;
        /* Events that happened while nobody listened go out now (§4.6). The reply to this
         * call is sent after them; the client reads them in order. */
        pump(c->d->notify);
        return QM_S_OK;
}

qm_hresult notify_ack(struct ipc_call *c, uint64_t id, qm_hresult result)
{
        struct notify *n = c->d->notify;
        struct notify_event *ev;
        struct group *g;

        for (ev = n->events; ev; ev = ev->next)
                if ((uint64_t)ev->id == id)
                        break;
        if (!ev || !c->conn || ev->inflight != c->conn)
                return QM_E_ITEM_NOT_FOUND;
        g = group_find(c->d, &ev->group_id, 0);
        if (QM_SUCCEEDED(result) || !g) {
                store_delete_event(c->d->store, ev->id);
                event_free(n, ev);
                return QM_S_OK;
        }
        /* The callback failed: the same event again after the retry delay (§4.6). */
        ev->inflight = NULL;
        ev->due = uv_now(c->d->loop) + (uint64_t)group_min_retry_delay(g) * 1000;
        log_info("group %s: the client's callback returned 0x%08x; will deliver again in %u s",
                 g->id_str, (uint32_t)result, group_min_retry_delay(g));
        pump(n);
        return QM_S_OK;
}

qm_hresult notify_watch(struct ipc_call *c, const qm_guid *group, bool all)
{
        struct notify *n = c->d->notify;
        struct subscriber *s = subscriber_of(c);

        if (!s)
                return QM_E_INVALID_STATE;
        if (all) {
                s->watch_all = true;
        } else {
                struct group *g = group ? group_find(c->d, group, c->uid) : NULL;

                if (!g)
                        return QM_E_ITEM_NOT_FOUND;
                if (guid_add(&s->watch, &s->n_watch, &s->cap_watch, group) < 0)
                        return QM_E_OUTOFMEMORY;
        }
        /* A snapshot of every watched group, then changes. */
        for (struct group *g = c->d->groups_head; g; g = g->next) {
                struct qmx_msg m;

                if (!watches(s, g) || (!all && !qm_guid_equal(&g->id, group)))
                        continue;
                fill_update(&m, g);
                send_msg(s, &m);
        }
        if (!n->ticking) {
                uv_timer_start(&n->tick_timer, tick_fired, TICK_MS, TICK_MS);
                n->ticking = true;
        }
        return QM_S_OK;
}

/* ---- life cycle ---------------------------------------------------------------------- */

static void adopt_event(void *ud, struct notify_event *ev)
{
        struct notify *n = ud;
        struct notify_event **pp;

        for (pp = &n->events; *pp; pp = &(*pp)->next)
                ;
        *pp = ev;
}

int notify_new(struct daemon *d, struct notify **ret)
{
        struct notify *n = calloc(1, sizeof(*n));
        int r;

        if (!n)
                return -ENOMEM;
        n->d = d;
        uv_timer_init(d->loop, &n->due_timer);
        n->due_timer.data = n;
        uv_timer_init(d->loop, &n->tick_timer);
        n->tick_timer.data = n;
        r = store_load_events(d->store, adopt_event, n);
        if (r < 0) {
                notify_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

/* Frees n when the second of its two timers has closed (libuv closes in any order). */
static void timer_closed(uv_handle_t *h)
{
        struct notify *n = h->data;

        if (++n->closed < 2)
                return;
        while (n->events) {
                struct notify_event *ev = n->events;

                n->events = ev->next;
                free(ev);
        }
        free(n);
}

/* Subscribers go with their connections (ipc_server_free closes them first). */
void notify_free(struct notify *n)
{
        if (!n)
                return;
        uv_close((uv_handle_t *)&n->due_timer, timer_closed);
        uv_close((uv_handle_t *)&n->tick_timer, timer_closed);
}
