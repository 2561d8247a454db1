/* job1.c - IBackgroundCopyJob1 (QMGR.md §4.3). CancelJob and SwitchToForeground are
 * documented unsupported (§6) and answer QM_E_NOTIMPL without asking the service. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib.h"

qm_hresult job1_new(qm_qmgr *qm, const qm_guid *group_id, const qm_guid *job_id, qm_job1 **ret)
{
        qm_job1 *j = calloc(1, sizeof(*j));

        if (!j)
                return QM_E_OUTOFMEMORY;
        j->magic = MAGIC_JOB1;
        j->refs = 1;
        j->qm = conn_ref(qm);
        j->group_id = *group_id;
        j->job_id = *job_id;
        *ret = j;
        return QM_S_OK;
}

QM_API qm_job1 *qm_job1_ref(qm_job1 *job)
{
        if (!GOOD_HANDLE(job, MAGIC_JOB1))
                return NULL;
        job->refs++;
        return job;
}

QM_API void qm_job1_release(qm_job1 *job)
{
        if (!GOOD_HANDLE(job, MAGIC_JOB1) || --job->refs > 0)
                return;
        conn_unref(job->qm);
        job->magic = MAGIC_DEAD;
        free(job);
}

static struct qmx_msg job_params(const qm_job1 *job, uint64_t more)
{
        struct qmx_msg p = {.present = QMX_B(GROUP_ID) | QMX_B(JOB_ID) | more};

        p.group_id = job->group_id;
        p.job_id = job->job_id;
        return p;
}

QM_API qm_hresult qm_job1_cancel(qm_job1 *job)
{
        if (!GOOD_HANDLE(job, MAGIC_JOB1))
                return QM_E_INVALIDARG;
        return QM_E_NOTIMPL;
}

QM_API qm_hresult qm_job1_switch_to_foreground(qm_job1 *job)
{
        if (!GOOD_HANDLE(job, MAGIC_JOB1))
                return QM_E_INVALIDARG;
        return QM_E_NOTIMPL;
}

QM_API qm_hresult qm_job1_get_progress(qm_job1 *job, uint32_t flags, uint32_t *ret)
{
        struct qmx_msg p, r;
        qm_hresult hr;

        if (!GOOD_HANDLE(job, MAGIC_JOB1))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p = job_params(job, QMX_B(FLAGS));
        p.flags = flags;
        hr = conn_call(job->qm, QMX_M_JOB1_GET_PROGRESS, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        *ret = r.progress;
        qmx_msg_clear(&r);
        return hr;
}

QM_API qm_hresult qm_job1_get_status(qm_job1 *job, uint32_t *ret_status, uint32_t *ret_win32_result,
                                     uint32_t *ret_transport_result, uint32_t *ret_num_retries)
{
        struct qmx_msg p, r;
        qm_hresult hr;

        if (!GOOD_HANDLE(job, MAGIC_JOB1))
                return QM_E_INVALIDARG;
        if (!ret_status || !ret_win32_result || !ret_transport_result || !ret_num_retries)
                return QM_E_POINTER;
        p = job_params(job, 0);
        hr = conn_call(job->qm, QMX_M_JOB1_GET_STATUS, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        *ret_status = r.status;
        *ret_win32_result = r.win32_result;
        *ret_transport_result = r.transport_result;
        *ret_num_retries = r.num_retries;
        qmx_msg_clear(&r);
        return hr;
}

/* The process umask, read without changing it: from /proc/self/status ("Umask:", Linux
 * 4.7+), else by setting and restoring it (not thread-safe, hence only the fallback). */
static uint32_t current_umask(void)
{
        FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        mode_t m;

        if (f) {
                while (fgets(line, sizeof(line), f)) {
                        if (strncmp(line, "Umask:", 6) == 0) {
                                char *end;
                                unsigned long v = strtoul(line + 6, &end, 8);

                                if (end != line + 6 && (*end == '\n' || *end == '\0' ||
                                                        isspace((unsigned char)*end))) {
                                        fclose(f);
                                        return (uint32_t)(v & 0777);
                                }
                                break;
                        }
                }
                fclose(f);
        }
        m = umask(022);
        umask(m);
        return (uint32_t)m;
}

QM_API qm_hresult qm_job1_add_files(qm_job1 *job, uint32_t count, const qm_fileset_info *files)
{
        struct qmx_msg p;
        struct qmx_file *wire;
        qm_hresult hr;

        if (!GOOD_HANDLE(job, MAGIC_JOB1))
                return QM_E_INVALIDARG;
        if (count == 0)
                return QM_S_OK; /* Decision: nothing to add, no call (§4.3 appends nothing) */
        if (!files)
                return QM_E_POINTER;
        /* Only what the wire cannot carry is checked here; the service validates the rest. */
        for (uint32_t i = 0; i < count; i++) {
                if (!files[i].remote_file || !files[i].local_file ||
                    qmx_utf8_count(files[i].remote_file) < 0 ||
                    qmx_utf8_count(files[i].local_file) < 0)
                        return QM_E_INVALIDARG;
        }
        if (count > QMX_MAX_FILES)
                return BG_E_TOO_MANY_FILES;
        wire = calloc(count, sizeof(*wire));
        if (!wire)
                return QM_E_OUTOFMEMORY;
        for (uint32_t i = 0; i < count; i++) {
                wire[i].present = QMX_B(REMOTE) | QMX_B(LOCAL);
                wire[i].remote = files[i].remote_file; /* borrowed for encoding */
                wire[i].local = files[i].local_file;
        }
        p = job_params(job, QMX_B(FILES) | QMX_B(UMASK));
        p.files = wire;
        p.n_files = count;
        p.umask = current_umask();
        hr = conn_call(job->qm, QMX_M_ADD_FILES, &p, NULL);
        free(wire);
        return hr;
}

QM_API qm_hresult qm_job1_get_file(qm_job1 *job, uint32_t index, qm_fileset_info *ret)
{
        struct qmx_msg p, r;
        qm_hresult hr;

        if (!GOOD_HANDLE(job, MAGIC_JOB1))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p = job_params(job, QMX_B(INDEX));
        p.index = index;
        hr = conn_call(job->qm, QMX_M_GET_FILE, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        if (!r.remote || !r.local) {
                qmx_msg_clear(&r);
                return QM_E_PROTOCOL;
        }
        ret->remote_file = r.remote; /* moved to the caller */
        ret->local_file = r.local;
        ret->size_hint = 0;
        r.remote = r.local = NULL;
        qmx_msg_clear(&r);
        return hr;
}

QM_API qm_hresult qm_job1_get_file_count(qm_job1 *job, uint32_t *ret)
{
        struct qmx_msg p, r;
        qm_hresult hr;

        if (!GOOD_HANDLE(job, MAGIC_JOB1))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        p = job_params(job, 0);
        hr = conn_call(job->qm, QMX_M_GET_FILE_COUNT, &p, &r);
        if (QM_FAILED(hr))
                return hr;
        *ret = r.count;
        qmx_msg_clear(&r);
        return hr;
}

QM_API qm_hresult qm_job1_get_id(qm_job1 *job, qm_guid *ret)
{
        if (!GOOD_HANDLE(job, MAGIC_JOB1))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        *ret = job->job_id;
        return QM_S_OK;
}
