/* qmgr.c - IBackgroundCopyQMgr (QMGR.md §4.1) and the free functions of the public API.
 * Notifications (qm_register_callback_class, qm_qmgr_get_fd, qm_qmgr_dispatch,
 * qm_qmgr_watch) live in notify.c. */
#include <stdlib.h>
#include <string.h>

#include "lib.h"

QM_API qm_hresult qm_qmgr_create_group(qm_qmgr *qm, const qm_guid *id, qm_group **ret)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID)};
        qm_hresult hr;

        if (!GOOD_HANDLE(qm, MAGIC_QMGR) || !id)
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.group_id = *id;
        hr = conn_call(qm, QMX_M_CREATE_GROUP, &p, NULL);
        if (QM_FAILED(hr))
                return hr;
        /* Decision: if the handle cannot be allocated the group still exists on the service;
         * the caller can find it with GetGroup. */
        return group_new(qm, id, ret);
}

QM_API qm_hresult qm_qmgr_get_group(qm_qmgr *qm, const qm_guid *id, qm_group **ret)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID)};
        qm_hresult hr;

        if (!GOOD_HANDLE(qm, MAGIC_QMGR) || !id)
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.group_id = *id;
        hr = conn_call(qm, QMX_M_GET_GROUP, &p, NULL);
        if (QM_FAILED(hr))
                return hr;
        return group_new(qm, id, ret);
}

QM_API qm_hresult qm_qmgr_enum_groups(qm_qmgr *qm, uint32_t flags, qm_enum_groups **ret)
{
        struct qmx_msg p = {.present = QMX_B(FLAGS)};
        struct qmx_msg r;
        struct guid_enum *e;
        qm_hresult hr;

        if (!GOOD_HANDLE(qm, MAGIC_QMGR))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.flags = flags;
        hr = conn_call(qm, QMX_M_ENUM_GROUPS, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        hr = guid_enum_new(qm, MAGIC_ENUM_GROUPS, r.groups, r.n_groups, &e);
        r.groups = NULL; /* ownership moved to the enumerator */
        r.n_groups = 0;
        qmx_msg_clear(&r);
        if (QM_FAILED(hr))
                return hr;
        *ret = (qm_enum_groups *)e;
        return QM_S_OK;
}

QM_API void qm_free(void *p)
{
        free(p);
}

QM_API void qm_variant_clear(qm_variant *v)
{
        if (!v)
                return;
        if (v->type == QM_VT_STR)
                free(v->u.str);
        memset(v, 0, sizeof(*v));
        v->type = QM_VT_EMPTY;
}

QM_API void qm_fileset_info_clear(qm_fileset_info *info)
{
        if (!info)
                return;
        free(info->remote_file);
        free(info->local_file);
        info->remote_file = NULL;
        info->local_file = NULL;
}

QM_API void qm_job_error_clear(qm_job_error *err)
{
        if (!err)
                return;
        free(err->description);
        err->description = NULL;
}
