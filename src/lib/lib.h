/* lib.h - libqmgr internals shared by its files: the handle layouts, the magic numbers that
 * guard every public entry point, and the one request/reply primitive (conn.c).
 *
 * Nothing here is public; every handle keeps a counted reference to its qm_qmgr, so the
 * connection lives as long as the last handle obtained from it. */
#ifndef QMGR_LIB_H
#define QMGR_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "qmgr.h"

#define MAGIC_QMGR        0x514d4752u /* "QMGR" */
#define MAGIC_GROUP       0x47525550u /* "GRUP" */
#define MAGIC_JOB1        0x4a4f4231u /* "JOB1" */
#define MAGIC_JOB         0x4a4f424du /* "JOBM" */
#define MAGIC_ENUM_GROUPS 0x454e4747u /* "ENGG" */
#define MAGIC_ENUM_JOBS1  0x454e4a31u /* "ENJ1" */
#define MAGIC_DEAD        0xdeaddeadu

#define GOOD_HANDLE(h, m) ((h) != NULL && (h)->magic == (m))

/* One message of the connection's event stream (docs/protocol.md), queued until
 * qm_qmgr_dispatch() runs it. */
struct event {
        struct event *next;
        struct qmx_msg m; /* decoded with Subscribe's reply fields; owned */
        bool callback;    /* "callback" (never dropped); else "update" or "removed" */
        bool update;      /* "update": the only kind dropped when the queue overflows */
};

/* A group's live callback (SetNotificationPointer / NOTIFYCLSID) on this connection. */
struct callback_reg {
        qm_guid group;
        qm_callback1 cb; /* copied */
        void *userdata;
};

/* A qm_qmgr_watch() registration: one group, or every group of the caller. */
struct watch_reg {
        bool all;
        qm_guid group;
        qm_watch_fn fn;
        void *userdata;
};

struct qm_qmgr {
        uint32_t magic;
        unsigned refs;
        int fd; /* -1 once the connection broke: every later call is SERVICE_UNAVAILABLE */
        char *service_version; /* owned: from the Ping answered at connect, or NULL */
        qm_hresult last_hr;    /* the failure of the last call the service refused, and */
        char *last_msg;        /* owned: the service's description of it, or NULL */
        char *in;              /* owned: bytes received and not consumed yet */
        size_t in_len, in_cap;
        /* notifications (notify.c) */
        bool subscribed;                 /* Subscribe was answered on this connection */
        bool dispatching;                /* inside qm_qmgr_dispatch() */
        struct event *ev_head, *ev_tail; /* received, not dispatched yet, in order */
        uint32_t n_events;
        struct callback_reg *cbs;
        uint32_t n_cbs;
        struct watch_reg *watches;
        uint32_t n_watches;
};

struct qm_group {
        uint32_t magic;
        unsigned refs;
        qm_qmgr *qm; /* counted reference */
        qm_guid id;
};

struct qm_job1 {
        uint32_t magic;
        unsigned refs;
        qm_qmgr *qm; /* counted reference */
        qm_guid group_id, job_id;
};

struct qm_job {
        uint32_t magic;
        unsigned refs;
        qm_qmgr *qm; /* counted reference */
        qm_guid id;  /* the group's GUID */
};

/* A client-side snapshot of GUIDs, shared by both enumerator kinds. */
struct guid_enum {
        uint32_t magic;
        unsigned refs;
        qm_qmgr *qm;    /* counted reference */
        qm_guid *items; /* owned */
        uint32_t count, pos;
};

/* conn.c */
qm_qmgr *conn_ref(qm_qmgr *qm);
void conn_unref(qm_qmgr *qm);
/* Sends one call to method id and waits for its reply. On success (a success code, which
 * may be a non-zero S_ code from the reply's `result`) *reply (may be NULL) receives the
 * decoded reply fields, to be freed with qmx_msg_clear(); on failure *reply is cleared.
 * Returns the hresult of the reply, QM_E_SERVICE_UNAVAILABLE when the connection is gone,
 * QM_E_PROTOCOL for a malformed reply, QM_E_OUTOFMEMORY. */
qm_hresult conn_call(qm_qmgr *qm, enum qmx_method_id id, const struct qmx_msg *params,
                     struct qmx_msg *reply);
/* conn_call() with Varlink's "more" flag (Subscribe). Event messages that arrive before the
 * reply are queued (notify.c: event_queue()). */
qm_hresult conn_call_more(qm_qmgr *qm, enum qmx_method_id id, const struct qmx_msg *params,
                          bool more, struct qmx_msg *reply);
/* Queues every complete message that can be read without blocking. Returns QM_S_OK, or
 * QM_E_SERVICE_UNAVAILABLE / QM_E_PROTOCOL when the connection broke (it is then closed). */
qm_hresult conn_read_available(qm_qmgr *qm);

/* notify.c */
/* Takes ownership of m (an event message) and queues it, applying the overflow policy. */
void event_queue(qm_qmgr *qm, struct qmx_msg *m);
/* Frees the queue and the registrations (the connection is going away). */
void notify_free(qm_qmgr *qm);
/* SetNotificationPointer on this connection: cb NULL unregisters. */
qm_hresult notify_set_callback(qm_qmgr *qm, const qm_guid *group, const qm_callback1 *cb,
                               void *userdata);
/* The callback class registered under clsid (qm_register_callback_class); false if none. */
bool notify_find_class(const qm_guid *clsid, qm_callback1 *ret_cb, void **ret_userdata);

/* group.c / job1.c / job.c: constructors of handles (they take a new reference on qm). */
qm_hresult group_new(qm_qmgr *qm, const qm_guid *id, qm_group **ret);
qm_hresult job1_new(qm_qmgr *qm, const qm_guid *group_id, const qm_guid *job_id, qm_job1 **ret);
qm_hresult job_new(qm_qmgr *qm, const qm_guid *id, qm_job **ret);

/* enum.c: takes ownership of items (also on failure). */
qm_hresult guid_enum_new(qm_qmgr *qm, uint32_t magic, qm_guid *items, uint32_t count,
                         struct guid_enum **ret);

#endif
