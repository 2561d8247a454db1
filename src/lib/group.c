/* group.c - IBackgroundCopyGroup (QMGR.md §4.2): a group handle is its GUID plus a reference
 * to the connection; every method but get_id and query_new_job_interface is one call to the
 * service, which does all the validation the client does not have to do. */
#include <stdlib.h>
#include <string.h>

#include "lib.h"

qm_hresult group_new(qm_qmgr *qm, const qm_guid *id, qm_group **ret)
{
        qm_group *g = calloc(1, sizeof(*g));

        if (!g)
                return QM_E_OUTOFMEMORY;
        g->magic = MAGIC_GROUP;
        g->refs = 1;
        g->qm = conn_ref(qm);
        g->id = *id;
        *ret = g;
        return QM_S_OK;
}

QM_API qm_group *qm_group_ref(qm_group *group)
{
        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return NULL;
        group->refs++;
        return group;
}

QM_API void qm_group_release(qm_group *group)
{
        if (!GOOD_HANDLE(group, MAGIC_GROUP) || --group->refs > 0)
                return;
        conn_unref(group->qm);
        group->magic = MAGIC_DEAD;
        free(group);
}

/* A call whose only parameter is the group's GUID and whose reply carries nothing we need. */
static qm_hresult group_simple(qm_group *group, enum qmx_method_id id)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID)};

        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        p.group_id = group->id;
        return conn_call(group->qm, id, &p, NULL);
}

QM_API qm_hresult qm_group_get_prop(qm_group *group, GROUPPROP prop, qm_variant *ret)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID) | QMX_B(PROP)};
        struct qmx_msg r;
        qm_hresult hr;

        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.group_id = group->id;
        p.prop = (uint32_t)prop;
        hr = conn_call(group->qm, QMX_M_GET_PROP, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        /* The decoded string is malloc'ed: it moves to the caller (qm_free is free). */
        *ret = r.value;
        r.value.type = QM_VT_EMPTY;
        qmx_msg_clear(&r);
        return hr;
}

QM_API qm_hresult qm_group_set_prop(qm_group *group, GROUPPROP prop, const qm_variant *value)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID) | QMX_B(PROP) | QMX_B(VALUE)};
        bool clsid = false, clear = false;
        qm_callback1 cb;
        void *ud = NULL;
        qm_hresult hr, hr2;

        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        if (!value)
                return QM_E_POINTER;
        if (value->type == QM_VT_STR && value->u.str) {
                /* jansson cannot carry invalid UTF-8; the spec's answer is E_INVALIDARG. */
                if (qmx_utf8_count(value->u.str) < 0)
                        return QM_E_INVALIDARG;
                /* NOTIFYCLSID names a callback class registered in this process (§4.6): an
                 * unknown one is refused here, without asking the service; the empty string
                 * clears the callback. */
                if (prop == GROUPPROP_NOTIFYCLSID && value->u.str[0]) {
                        qm_guid id;

                        if (qm_guid_from_string(value->u.str, &id) != QM_S_OK ||
                            !notify_find_class(&id, &cb, &ud))
                                return QM_E_INVALIDARG;
                        clsid = true;
                } else if (prop == GROUPPROP_NOTIFYCLSID) {
                        clear = true;
                }
        }
        p.group_id = group->id;
        p.prop = (uint32_t)prop;
        p.value = *value; /* borrowed for encoding */
        hr = conn_call(group->qm, QMX_M_SET_PROP, &p, NULL);
        if (QM_FAILED(hr) || (!clsid && !clear))
                return hr;
        /* The service stored the CLSID; now the live callback, as SetNotificationPointer. */
        hr2 = notify_set_callback(group->qm, &group->id, clsid ? &cb : NULL, ud);
        return QM_FAILED(hr2) ? hr2 : hr;
}

QM_API qm_hresult qm_group_get_progress(qm_group *group, uint32_t flags, uint32_t *ret)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID) | QMX_B(FLAGS)};
        struct qmx_msg r;
        qm_hresult hr;

        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.group_id = group->id;
        p.flags = flags;
        hr = conn_call(group->qm, QMX_M_GET_PROGRESS, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        *ret = r.progress;
        qmx_msg_clear(&r);
        return hr;
}

QM_API qm_hresult qm_group_get_status(qm_group *group, uint32_t *ret_status,
                                      uint32_t *ret_job_index)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID)};
        struct qmx_msg r;
        qm_hresult hr;

        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        if (!ret_status || !ret_job_index)
                return QM_E_POINTER;
        p.group_id = group->id;
        hr = conn_call(group->qm, QMX_M_GET_STATUS, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        *ret_status = r.status;
        *ret_job_index = r.job_index;
        qmx_msg_clear(&r);
        return hr;
}

static qm_hresult group_job_call(qm_group *group, enum qmx_method_id id, const qm_guid *job_id,
                                 qm_job1 **ret)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID) | QMX_B(JOB_ID)};
        qm_hresult hr;

        if (!GOOD_HANDLE(group, MAGIC_GROUP) || !job_id)
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.group_id = group->id;
        p.job_id = *job_id;
        hr = conn_call(group->qm, id, &p, NULL);
        if (QM_FAILED(hr))
                return hr;
        return job1_new(group->qm, &group->id, job_id, ret);
}

QM_API qm_hresult qm_group_get_job(qm_group *group, const qm_guid *id, qm_job1 **ret)
{
        return group_job_call(group, QMX_M_GET_JOB, id, ret);
}

QM_API qm_hresult qm_group_create_job(qm_group *group, const qm_guid *id, qm_job1 **ret)
{
        qm_hresult hr = group_job_call(group, QMX_M_CREATE_JOB, id, ret);

        /* A handle exists only for a group that existed, so a group the service no longer
         * knows was cancelled: QMGR.md §4.2 gives CreateJob QM_E_INVALID_STATE for that
         * (docs/design.md), where every other call keeps QM_E_ITEM_NOT_FOUND. */
        return hr == QM_E_ITEM_NOT_FOUND ? QM_E_INVALID_STATE : hr;
}

QM_API qm_hresult qm_group_suspend(qm_group *group)
{
        return group_simple(group, QMX_M_SUSPEND);
}

QM_API qm_hresult qm_group_resume(qm_group *group)
{
        return group_simple(group, QMX_M_RESUME);
}

QM_API qm_hresult qm_group_cancel(qm_group *group)
{
        /* conn_call returns the reply's `result` (S_OK or BG_S_PARTIAL_COMPLETE). */
        return group_simple(group, QMX_M_CANCEL);
}

QM_API qm_hresult qm_group_switch_to_foreground(qm_group *group)
{
        return group_simple(group, QMX_M_SWITCH_TO_FOREGROUND);
}

QM_API qm_hresult qm_group_get_size(qm_group *group, uint32_t *ret)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID)};
        struct qmx_msg r;
        qm_hresult hr;

        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.group_id = group->id;
        hr = conn_call(group->qm, QMX_M_GET_SIZE, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        *ret = r.size;
        qmx_msg_clear(&r);
        return hr;
}

QM_API qm_hresult qm_group_get_id(qm_group *group, qm_guid *ret)
{
        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        *ret = group->id;
        return QM_S_OK;
}

QM_API qm_hresult qm_group_enum_jobs(qm_group *group, uint32_t flags, qm_enum_jobs1 **ret)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID) | QMX_B(FLAGS)};
        struct qmx_msg r;
        struct guid_enum *e;
        qm_hresult hr;

        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.group_id = group->id;
        p.flags = flags;
        hr = conn_call(group->qm, QMX_M_ENUM_JOBS, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        /* The reply's `groups` array holds the job GUIDs. */
        hr = guid_enum_new(group->qm, MAGIC_ENUM_JOBS1, r.groups, r.n_groups, &e);
        r.groups = NULL;
        r.n_groups = 0;
        qmx_msg_clear(&r);
        if (QM_FAILED(hr))
                return hr;
        *ret = (qm_enum_jobs1 *)e;
        return QM_S_OK;
}

QM_API qm_hresult qm_group_query_new_job_interface(qm_group *group, qm_job **ret)
{
        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        /* Local: the modern job has the group's GUID; a vanished group shows up on use. */
        return job_new(group->qm, &group->id, ret);
}

QM_API qm_hresult qm_group_set_notification_pointer(qm_group *group, const qm_callback1 *cb,
                                                    void *userdata)
{
        if (!GOOD_HANDLE(group, MAGIC_GROUP))
                return QM_E_INVALIDARG;
        return notify_set_callback(group->qm, &group->id, cb, userdata);
}
