/* notify.c - notifications on the client side (QMGR.md §4.6): the process-wide registry of
 * callback classes (NOTIFYCLSID), the per-connection callbacks (SetNotificationPointer) and
 * watches (qm_qmgr_watch), the queue of received events and qm_qmgr_dispatch().
 *
 * The connection subscribes to its event stream lazily, once (Subscribe with "more"). Events
 * can then arrive at any time; conn.c queues those that come while a call waits for its
 * reply, and qm_qmgr_dispatch() runs the queue, then reads what the socket has. Callbacks
 * run in the caller's thread; the library starts no thread. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib.h"

/* The queue holds at most this many events; past it the oldest "update" goes first.
 * Callback events are never dropped (the service keeps at most 16 per group and waits for
 * their acknowledgement); "removed" events neither (one per group). */
#define EVENT_QUEUE_MAX 4096u

/* ---- callback classes (process-wide) ------------------------------------------------- */

struct class_reg {
        qm_guid clsid;
        qm_callback1 cb;
        void *userdata;
};

static pthread_mutex_t classes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct class_reg *classes;
static size_t n_classes;

/* "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}", braces required (§2.5). */
static bool parse_clsid(const char *s, qm_guid *ret)
{
        return s && strlen(s) == QM_GUID_STRING_SIZE - 1 && s[0] == '{' &&
               qm_guid_from_string(s, ret) == QM_S_OK;
}

QM_API qm_hresult qm_register_callback_class(const char *clsid, const qm_callback1 *cb,
                                             void *userdata)
{
        qm_guid g;
        qm_hresult hr = QM_S_OK;
        size_t i;

        if (!parse_clsid(clsid, &g))
                return QM_E_INVALIDARG;
        if (!cb || !cb->on_status)
                return QM_E_POINTER;
        pthread_mutex_lock(&classes_lock);
        for (i = 0; i < n_classes; i++)
                if (qm_guid_equal(&classes[i].clsid, &g))
                        break;
        if (i == n_classes) {
                struct class_reg *n = realloc(classes, (n_classes + 1) * sizeof(*n));

                if (n) {
                        classes = n;
                        n_classes++;
                } else {
                        hr = QM_E_OUTOFMEMORY;
                }
        }
        if (QM_SUCCEEDED(hr)) {
                classes[i].clsid = g;
                classes[i].cb = *cb;
                classes[i].userdata = userdata;
        }
        pthread_mutex_unlock(&classes_lock);
        return hr;
}

bool notify_find_class(const qm_guid *clsid, qm_callback1 *ret_cb, void **ret_userdata)
{
        bool found = false;

        pthread_mutex_lock(&classes_lock);
        for (size_t i = 0; i < n_classes; i++) {
                if (qm_guid_equal(&classes[i].clsid, clsid)) {
                        *ret_cb = classes[i].cb;
                        *ret_userdata = classes[i].userdata;
                        found = true;
                        break;
                }
        }
        pthread_mutex_unlock(&classes_lock);
        return found;
}

/* ---- the event queue ----------------------------------------------------------------- */

static void event_free(struct event *ev)
{
        if (!ev)
                return;
        qmx_msg_clear(&ev->m);
        free(ev);
}

/* Unlinks and frees the oldest "update"; false when there is none. */
static bool drop_oldest_update(qm_qmgr *qm)
{
        struct event *prev = NULL;

        for (struct event *ev = qm->ev_head; ev; prev = ev, ev = ev->next) {
                if (!ev->update)
                        continue;
                if (prev)
                        prev->next = ev->next;
                else
                        qm->ev_head = ev->next;
                if (qm->ev_tail == ev)
                        qm->ev_tail = prev;
                qm->n_events--;
                event_free(ev);
                return true;
        }
        return false;
}

void event_queue(qm_qmgr *qm, struct qmx_msg *m)
{
        struct event *ev;
        bool callback = strcmp(m->event, "callback") == 0;
        bool update = strcmp(m->event, "update") == 0;

        if ((!callback && !update && strcmp(m->event, "removed") != 0) ||
            (callback && !(m->present & QMX_B(EVENT_ID)))) {
                qmx_msg_clear(m); /* a kind this library does not know: ignored */
                return;
        }
        if (qm->n_events >= EVENT_QUEUE_MAX && !drop_oldest_update(qm) && update) {
                qmx_msg_clear(m);
                return;
        }
        ev = calloc(1, sizeof(*ev));
        if (!ev) {
                /* A callback event lost here is given back when the connection closes. */
                qmx_msg_clear(m);
                return;
        }
        ev->m = *m;
        memset(m, 0, sizeof(*m));
        ev->callback = callback;
        ev->update = update;
        if (qm->ev_tail)
                qm->ev_tail->next = ev;
        else
                qm->ev_head = ev;
        qm->ev_tail = ev;
        qm->n_events++;
}

static struct event *event_pop(qm_qmgr *qm)
{
        struct event *ev = qm->ev_head;

        if (!ev)
                return NULL;
        qm->ev_head = ev->next;
        if (!qm->ev_head)
                qm->ev_tail = NULL;
        qm->n_events--;
        ev->next = NULL;
        return ev;
}

void notify_free(qm_qmgr *qm)
{
        struct event *ev;

        while ((ev = event_pop(qm)))
                event_free(ev);
        free(qm->cbs);
        qm->cbs = NULL;
        qm->n_cbs = 0;
        free(qm->watches);
        qm->watches = NULL;
        qm->n_watches = 0;
}

/* ---- registrations on the connection -------------------------------------------------- */

static qm_hresult ensure_subscribed(qm_qmgr *qm)
{
        struct qmx_msg p = {0};
        qm_hresult hr;

        if (qm->subscribed)
                return QM_S_OK;
        hr = conn_call_more(qm, QMX_M_SUBSCRIBE, &p, true, NULL);
        if (QM_FAILED(hr))
                return hr;
        qm->subscribed = true;
        return QM_S_OK;
}

static struct callback_reg *find_callback(qm_qmgr *qm, const qm_guid *group)
{
        for (uint32_t i = 0; i < qm->n_cbs; i++)
                if (qm_guid_equal(&qm->cbs[i].group, group))
                        return &qm->cbs[i];
        return NULL;
}

qm_hresult notify_set_callback(qm_qmgr *qm, const qm_guid *group, const qm_callback1 *cb,
                               void *userdata)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID)};
        struct callback_reg *reg;
        qm_hresult hr;

        p.group_id = *group;
        if (!cb) {
                reg = find_callback(qm, group);
                if (reg)
                        *reg = qm->cbs[--qm->n_cbs];
                /* Nothing was ever registered on an unsubscribed connection. */
                if (!qm->subscribed)
                        return QM_S_OK;
                hr = conn_call(qm, QMX_M_UNREGISTER_CALLBACK, &p, NULL);
                return QM_FAILED(hr) ? hr : QM_S_OK;
        }
        if (!cb->on_status)
                return QM_E_POINTER;
        reg = find_callback(qm, group);
        if (!reg) {
                struct callback_reg *n = realloc(qm->cbs, (qm->n_cbs + 1) * sizeof(*n));

                if (!n)
                        return QM_E_OUTOFMEMORY;
                qm->cbs = n;
        }
        hr = ensure_subscribed(qm);
        if (QM_SUCCEEDED(hr))
                hr = conn_call(qm, QMX_M_REGISTER_CALLBACK, &p, NULL);
        if (QM_FAILED(hr))
                return hr;
        /* Events given back by the service arrived before the reply and are queued: they
         * run with this registration at the next dispatch. */
        reg = find_callback(qm, group);
        if (!reg)
                reg = &qm->cbs[qm->n_cbs++];
        reg->group = *group;
        reg->cb = *cb;
        reg->userdata = userdata;
        return QM_S_OK;
}

QM_API qm_hresult qm_qmgr_watch(qm_qmgr *qm, const qm_guid *group, qm_watch_fn fn, void *userdata)
{
        struct qmx_msg p = {0};
        struct watch_reg *reg = NULL;
        qm_hresult hr;

        if (!GOOD_HANDLE(qm, MAGIC_QMGR))
                return QM_E_INVALIDARG;
        if (!fn)
                return QM_E_POINTER;
        for (uint32_t i = 0; i < qm->n_watches; i++) {
                struct watch_reg *w = &qm->watches[i];

                if (group ? !w->all && qm_guid_equal(&w->group, group) : w->all)
                        reg = w;
        }
        if (!reg) {
                struct watch_reg *n = realloc(qm->watches, (qm->n_watches + 1) * sizeof(*n));

                if (!n)
                        return QM_E_OUTOFMEMORY;
                qm->watches = n;
        }
        if (group) {
                p.present = QMX_B(GROUP_ID);
                p.group_id = *group;
        } else {
                p.present = QMX_B(WATCH_ALL);
                p.watch_all = true;
        }
        hr = ensure_subscribed(qm);
        if (QM_SUCCEEDED(hr))
                hr = conn_call(qm, QMX_M_WATCH, &p, NULL);
        if (QM_FAILED(hr))
                return hr;
        if (!reg) {
                reg = &qm->watches[qm->n_watches++];
                memset(reg, 0, sizeof(*reg));
                reg->all = !group;
                if (group)
                        reg->group = *group;
        }
        reg->fn = fn;
        reg->userdata = userdata;
        return QM_S_OK;
}

/* ---- dispatch ----------------------------------------------------------------------- */

/* Runs the callback of one "callback" event and acknowledges it. Returns 1 when the
 * caller's on_status ran. */
static int run_callback(qm_qmgr *qm, const struct qmx_msg *m)
{
        struct qmx_msg ack = {.present = QMX_B(EVENT_ID) | QMX_B(RESULT)};
        struct callback_reg *reg =
                (m->present & QMX_B(GROUP_ID)) ? find_callback(qm, &m->group_id) : NULL;
        qm_hresult result = QM_E_FAIL;
        int ran = 0;

        if (reg) {
                qm_callback1 cb = reg->cb; /* the callback may change the registration */
                void *ud = reg->userdata;
                qm_group *g = NULL;
                qm_job1 *j = NULL;

                if (QM_SUCCEEDED(group_new(qm, &m->group_id, &g)) &&
                    (!(m->present & QMX_B(JOB_ID)) ||
                     QM_SUCCEEDED(job1_new(qm, &m->group_id, &m->job_id, &j)))) {
                        result = cb.on_status(ud, g, j, m->index, m->status, m->num_retries,
                                              m->win32_result, m->transport_result);
                        ran = 1;
                }
                qm_job1_release(j);
                qm_group_release(g);
        }
        /* No callback for the group any more: a failure keeps the event on the service,
         * for the next client that registers one. */
        ack.event_id = m->event_id;
        ack.result = result;
        conn_call(qm, QMX_M_ACK_EVENT, &ack, NULL);
        return ran;
}

/* Gives one "update" or "removed" event to every matching watch. Returns 1 if any ran. */
static int run_watches(qm_qmgr *qm, const struct qmx_msg *m)
{
        qm_group_update u;
        bool removed = strcmp(m->event, "removed") == 0;
        int ran = 0;

        memset(&u, 0, sizeof(u));
        u.group_id = m->group_id;
        u.state = m->state;
        u.status = m->status;
        u.bytes_transferred = m->bytes_transferred;
        u.bytes_total = (m->present & QMX_B(BYTES_TOTAL)) ? m->bytes_total : BG_SIZE_UNKNOWN;
        u.files_transferred = m->files_transferred;
        u.files_total = m->files_total;
        u.num_retries = m->num_retries;
        u.error = (m->present & QMX_B(ERROR_HRESULT)) ? m->error_hresult : QM_S_OK;
        u.error_context = m->error_context;
        u.error_file_index =
                (m->present & QMX_B(ERROR_FILE_INDEX)) ? m->error_file_index : QM_NO_FILE_INDEX;
        u.win32_result = m->error_win32;
        u.transport_result = m->error_transport;
        u.removed = removed;
        u.name = (m->present & QMX_B(NAME)) ? m->name : NULL; /* lives as long as m */
        /* By index: a watch function may add watches (realloc). */
        for (uint32_t i = 0; i < qm->n_watches; i++) {
                struct watch_reg w = qm->watches[i];

                if (!w.all && !qm_guid_equal(&w.group, &m->group_id))
                        continue;
                w.fn(w.userdata, &u);
                ran = 1;
        }
        if (removed) {
                /* The service forgets its watches of a removed group; so do we. */
                for (uint32_t i = 0; i < qm->n_watches;) {
                        if (!qm->watches[i].all &&
                            qm_guid_equal(&qm->watches[i].group, &m->group_id))
                                qm->watches[i] = qm->watches[--qm->n_watches];
                        else
                                i++;
                }
        }
        return ran;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

QM_API int qm_qmgr_get_fd(qm_qmgr *qm)
{
        if (!GOOD_HANDLE(qm, MAGIC_QMGR))
                return -1;
        return qm->fd;
}

QM_API qm_hresult qm_qmgr_dispatch(qm_qmgr *qm, int timeout_ms)
{
        int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
        unsigned dispatched = 0;
        qm_hresult hr = QM_S_OK;

        if (!GOOD_HANDLE(qm, MAGIC_QMGR))
                return QM_E_INVALIDARG;
        if (qm->dispatching)
                return QM_E_INVALID_STATE; /* called from a callback */
        qm->dispatching = true;
        conn_ref(qm); /* a callback may release the caller's last handle */
        for (;;) {
                struct event *ev;
                struct pollfd pfd;
                int wait, r;

                /* Everything that can be read now is queued, then run in order; events that
                 * arrive meanwhile (during the acknowledgements) are run too. */
                if (qm->fd >= 0)
                        hr = conn_read_available(qm);
                if (qm->ev_head) {
                        while ((ev = event_pop(qm))) {
                                dispatched += ev->callback ? run_callback(qm, &ev->m)
                                                           : run_watches(qm, &ev->m);
                                event_free(ev);
                        }
                        continue;
                }
                if (dispatched) {
                        hr = QM_S_OK;
                        break;
                }
                if (QM_FAILED(hr) || qm->fd < 0) {
                        if (QM_SUCCEEDED(hr))
                                hr = QM_E_SERVICE_UNAVAILABLE;
                        break;
                }
                if (timeout_ms < 0) {
                        wait = -1;
                } else {
                        int64_t left = timeout_ms > 0 ? deadline - now_ms() : 0;

                        if (left <= 0) {
                                hr = QM_S_FALSE;
                                break;
                        }
                        wait = left > 3600000 ? 3600000 : (int)left;
                }
                pfd.fd = qm->fd;
                pfd.events = POLLIN;
                pfd.revents = 0;
                r = poll(&pfd, 1, wait);
                if (r < 0 && errno != EINTR) {
                        hr = QM_E_SERVICE_UNAVAILABLE;
                        break;
                }
                if (r < 0) {
                        hr = QM_S_FALSE; /* a signal ends the wait early */
                        break;
                }
        }
        qm->dispatching = false;
        conn_unref(qm);
        return hr;
}
