/* job.c - the modern job behind a group (QMGR.md §5). Getters are one GetJobInfo call each;
 * the service answers QM_E_ITEM_NOT_FOUND for a vanished group, which the modern API spells
 * BG_E_NOT_FOUND for getters and BG_E_INVALID_STATE for calls that change the job (a job in
 * a final state, qmgr.h). */
#include <stdlib.h>
#include <string.h>

#include "lib.h"

qm_hresult job_new(qm_qmgr *qm, const qm_guid *id, qm_job **ret)
{
        qm_job *j = calloc(1, sizeof(*j));

        if (!j)
                return QM_E_OUTOFMEMORY;
        j->magic = MAGIC_JOB;
        j->refs = 1;
        j->qm = conn_ref(qm);
        j->id = *id;
        *ret = j;
        return QM_S_OK;
}

QM_API qm_job *qm_job_ref(qm_job *job)
{
        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return NULL;
        job->refs++;
        return job;
}

QM_API void qm_job_release(qm_job *job)
{
        if (!GOOD_HANDLE(job, MAGIC_JOB) || --job->refs > 0)
                return;
        conn_unref(job->qm);
        job->magic = MAGIC_DEAD;
        free(job);
}

/* GetJobInfo into *r (cleared by the caller on success). */
/* The getters' common part: the entry checks (a good handle, a non-NULL out-pointer `ret`),
 * then GetJobInfo into *r (cleared by the caller on success). */
static qm_hresult job_info(qm_job *job, const void *ret, struct qmx_msg *r)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID)};
        qm_hresult hr;

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.group_id = job->id;
        hr = conn_call(job->qm, QMX_M_GET_JOB_INFO, &p, r);
        return hr == QM_E_ITEM_NOT_FOUND ? BG_E_NOT_FOUND : hr;
}

/* A call that changes the job: group_id plus the given parameters. */
static qm_hresult job_change(qm_job *job, enum qmx_method_id id, struct qmx_msg *p)
{
        qm_hresult hr;

        p->present |= QMX_B(GROUP_ID);
        p->group_id = job->id;
        hr = conn_call(job->qm, id, p, NULL);
        return hr == QM_E_ITEM_NOT_FOUND ? BG_E_INVALID_STATE : hr;
}

QM_API qm_hresult qm_job_get_id(qm_job *job, qm_guid *ret)
{
        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        *ret = job->id;
        return QM_S_OK;
}

/* Defines a getter of one uint32_t field of GetJobInfo. */
#define JOB_U32_GETTER(fn, field)                                                                  \
        QM_API qm_hresult fn(qm_job *job, uint32_t *ret)                                           \
        {                                                                                          \
                struct qmx_msg r;                                                                  \
                qm_hresult hr;                                                                     \
                                                                                                   \
                hr = job_info(job, ret, &r);                                                       \
                if (QM_FAILED(hr))                                                                 \
                        return hr;                                                                 \
                *ret = r.field;                                                                    \
                qmx_msg_clear(&r);                                                                 \
                return QM_S_OK;                                                                    \
        }

JOB_U32_GETTER(qm_job_get_state, state)
JOB_U32_GETTER(qm_job_get_owner, owner_uid)
JOB_U32_GETTER(qm_job_get_priority, priority)
JOB_U32_GETTER(qm_job_get_minimum_retry_delay, min_retry_delay)
JOB_U32_GETTER(qm_job_get_no_progress_timeout, no_progress_timeout)

QM_API qm_hresult qm_job_get_progress(qm_job *job, qm_job_progress *ret)
{
        struct qmx_msg r;
        qm_hresult hr;

        hr = job_info(job, ret, &r);
        if (QM_FAILED(hr))
                return hr;
        /* qmx_decode() leaves bytes_total at BG_SIZE_UNKNOWN when absent or null. */
        ret->bytes_total = r.bytes_total;
        ret->bytes_transferred = r.bytes_transferred;
        ret->files_total = r.files_total;
        ret->files_transferred = r.files_transferred;
        qmx_msg_clear(&r);
        return QM_S_OK;
}

QM_API qm_hresult qm_job_get_error(qm_job *job, qm_job_error *ret)
{
        struct qmx_msg r;
        qm_hresult hr;

        hr = job_info(job, ret, &r);
        if (QM_FAILED(hr))
                return hr;
        /* The error fields are present only while the job is in error. */
        if (!(r.present & QMX_B(ERROR_HRESULT))) {
                qmx_msg_clear(&r);
                return BG_E_ERROR_INFORMATION_UNAVAILABLE;
        }
        ret->code = r.error_hresult;
        ret->context =
                (r.present & QMX_B(ERROR_CONTEXT)) ? r.error_context : BG_ERROR_CONTEXT_UNKNOWN;
        ret->file_index =
                (r.present & QMX_B(ERROR_FILE_INDEX)) ? r.error_file_index : QM_NO_FILE_INDEX;
        ret->win32_result = r.error_win32;
        ret->transport_result = r.error_transport;
        ret->description = r.error_message; /* moved to the caller; may be NULL */
        r.error_message = NULL;
        qmx_msg_clear(&r);
        return QM_S_OK;
}

QM_API qm_hresult qm_job_get_times(qm_job *job, qm_job_times *ret)
{
        struct qmx_msg r;
        qm_hresult hr;

        hr = job_info(job, ret, &r);
        if (QM_FAILED(hr))
                return hr;
        ret->creation = r.created;
        ret->modification = r.modified;
        ret->transfer_completion = r.completed;
        qmx_msg_clear(&r);
        return QM_S_OK;
}

QM_API qm_hresult qm_job_get_file_progress(qm_job *job, uint32_t index, qm_file_progress *ret)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID) | QMX_B(OFFSET) | QMX_B(LIMIT)};
        struct qmx_msg r;
        qm_hresult hr;

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p.group_id = job->id;
        p.offset = index;
        p.limit = 1;
        hr = conn_call(job->qm, QMX_M_LIST_FILES, &p, &r);
        if (hr == QM_E_ITEM_NOT_FOUND)
                return BG_E_NOT_FOUND; /* the group is gone */
        if (QM_FAILED(hr))
                return hr;
        if (r.n_files == 0) {
                qmx_msg_clear(&r);
                return QM_E_ITEM_NOT_FOUND; /* index >= count */
        }
        ret->bytes_total = r.files[0].bytes_total;
        ret->bytes_transferred = r.files[0].bytes_transferred;
        ret->completed = r.files[0].complete ? 1 : 0;
        qmx_msg_clear(&r);
        return QM_S_OK;
}

QM_API qm_hresult qm_job_resume(qm_job *job)
{
        struct qmx_msg p = {.present = QMX_B(MODERN), .modern = true};

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        return job_change(job, QMX_M_RESUME, &p);
}

QM_API qm_hresult qm_job_suspend(qm_job *job)
{
        struct qmx_msg p = {.present = QMX_B(MODERN), .modern = true};

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        return job_change(job, QMX_M_SUSPEND, &p);
}

QM_API qm_hresult qm_job_cancel(qm_job *job)
{
        struct qmx_msg p = {0};

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        return job_change(job, QMX_M_JOB_CANCEL, &p);
}

QM_API qm_hresult qm_job_complete(qm_job *job)
{
        struct qmx_msg p = {0};

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        return job_change(job, QMX_M_JOB_COMPLETE, &p);
}

QM_API qm_hresult qm_job_set_priority(qm_job *job, uint32_t priority)
{
        struct qmx_msg p = {.present = QMX_B(PRIORITY), .priority = priority};

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        return job_change(job, QMX_M_JOB_SET_PRIORITY, &p);
}

QM_API qm_hresult qm_job_set_minimum_retry_delay(qm_job *job, uint32_t seconds)
{
        struct qmx_msg p = {.present = QMX_B(SECONDS), .seconds = seconds};

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        return job_change(job, QMX_M_JOB_SET_RETRY_DELAY, &p);
}

QM_API qm_hresult qm_job_set_no_progress_timeout(qm_job *job, uint32_t seconds)
{
        struct qmx_msg p = {.present = QMX_B(SECONDS), .seconds = seconds};

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        return job_change(job, QMX_M_JOB_SET_NO_PROGRESS_TIMEOUT, &p);
}

QM_API qm_hresult qm_job_set_notify_cmdline(qm_job *job, const char *program,
                                            const char *parameters)
{
        struct qmx_msg p = {0};

        if (!GOOD_HANDLE(job, MAGIC_JOB))
                return QM_E_INVALIDARG;
        /* No program clears the setting; the service validates the rest. */
        if (program) {
                p.present |= QMX_B(PROGRAM);
                p.program = (char *)program; /* borrowed for encoding */
                if (parameters) {
                        p.present |= QMX_B(PARAMETERS);
                        p.parameters = (char *)parameters;
                }
        }
        return job_change(job, QMX_M_JOB_SET_NOTIFY_CMDLINE, &p);
}
