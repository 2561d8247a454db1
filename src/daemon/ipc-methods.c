/* ipc-methods.c - what each method of the protocol does: the semantics of QMGR.md §4 and §5
 * on the group model. Parameters arrive decoded and type-checked (proto.c); this file checks
 * access and the rules of the spec, changes the model through group.c, persists, and fills
 * the reply. Replies may borrow the model's strings: they are encoded before the next call. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "qmgrd.h"

#define B              QMX_B
#define MAX_URL_CHARS  2200
#define MAX_NAME_CHARS 256
#define MAX_DESC_CHARS 1024
#define MAX_PATH_BYTES 4096

/* Who may call a method: ACCESS_GROUP and ACCESS_JOB name a group the caller can see (and
 * ACCESS_JOB its job); the dispatcher looks it up once and answers QM_E_ITEM_NOT_FOUND for an
 * unknown GUID and another user's group alike (§4.1). */
enum access { ACCESS_NONE, ACCESS_GROUP, ACCESS_JOB };
typedef qm_hresult (*handler_fn)(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                 struct qmx_msg *out);

static qm_hresult failf(struct ipc_call *c, qm_hresult hr, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static qm_hresult failf(struct ipc_call *c, qm_hresult hr, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(c->err, sizeof(c->err), fmt, ap);
        va_end(ap);
        return hr;
}

static void persist(struct group *g)
{
        g->modified = now_unix();
        if (store_save_group(g->d->store, g) < 0)
                log_error("group %s: a change could not be saved", g->id_str);
        notify_group_changed(g);
}

/* ---- IBackgroundCopyQMgr ------------------------------------------------------------ */

static qm_hresult m_ping(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                         struct qmx_msg *out)
{
        out->version = QMGR_VERSION;
        out->owner_uid = (uint32_t)c->uid;
        out->present = B(VERSION) | B(OWNER_UID);
        return QM_S_OK;
}

static qm_hresult m_create_group(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                 struct qmx_msg *out)
{
        struct daemon *d = c->d;

        /* Not group_find(): the GUID is taken whoever owns it. */
        for (struct group *other = d->groups_head; other; other = other->next)
                if (qm_guid_equal(&other->id, &in->group_id))
                        return failf(c, QM_E_INVALIDARG, "a group with this GUID already exists");
        if (group_count_for(d, c->uid) >= d->cfg.max_groups_per_user)
                return failf(c, BG_E_TOO_MANY_JOBS_PER_USER, "the limit is %u groups per user",
                             d->cfg.max_groups_per_user);
        g = group_new(d, &in->group_id, (uint32_t)c->uid);
        if (!g)
                return QM_E_OUTOFMEMORY;
        g->seq = ++d->next_seq;
        if (store_save_group(d->store, g) < 0) {
                group_free(g);
                return failf(c, QM_E_FAIL, "the group could not be saved");
        }
        group_link(d, g);
        log_info("group %s: created by uid %u", g->id_str, (unsigned)c->uid);
        notify_group_changed(g);
        return QM_S_OK;
}

static qm_hresult m_get_group(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                              struct qmx_msg *out)
{

        if (c->uid == 0 && g->owner_uid != 0) {
                /* Documented legacy behaviour: an administrator takes the group over (§4.1). */
                log_info("group %s: taken over by uid 0 from uid %u", g->id_str, g->owner_uid);
                g->owner_uid = 0;
                /* A command line set by the previous owner never runs as root (as BITS
                 * clears it on TakeOwnership; TESTING.md S11). */
                free(g->notify_program);
                free(g->notify_params);
                g->notify_program = g->notify_params = NULL;
                persist(g);
        }
        return QM_S_OK;
}

static qm_hresult m_enum_groups(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                struct qmx_msg *out)
{
        struct daemon *d = c->d;
        uint32_t n = 0;

        if (in->flags != 0)
                return QM_E_NOTIMPL;
        out->groups = calloc(d->n_groups ? d->n_groups : 1, sizeof(qm_guid));
        if (!out->groups)
                return QM_E_OUTOFMEMORY;
        for (struct group *it = d->groups_head; it; it = it->next)
                if (c->uid == 0 || it->owner_uid == c->uid)
                        out->groups[n++] = it->id;
        out->n_groups = n;
        out->present = B(GROUPS);
        return QM_S_OK;
}

/* ---- IBackgroundCopyGroup ----------------------------------------------------------- */

static bool prop_unsupported(uint32_t prop)
{
        return (prop >= GROUPPROP_REMOTEUSERID && prop <= GROUPPROP_LOCALUSERPWD) ||
               (prop >= GROUPPROP_PROGRESSSIZE && prop <= GROUPPROP_PROGRESSTIME);
}

static qm_hresult m_get_prop(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                             struct qmx_msg *out)
{

        if (in->prop > GROUPPROP_DESCRIPTION)
                return failf(c, QM_E_INVALIDARG, "no property %u", in->prop);
        if (prop_unsupported(in->prop))
                return QM_E_NOTIMPL;
        out->present = B(VALUE);
        switch (in->prop) {
        case GROUPPROP_PRIORITY:
        case GROUPPROP_PROTOCOLFLAGS:
                out->value.type = QM_VT_I4;
                out->value.u.i4 = 1;
                break;
        case GROUPPROP_NOTIFYFLAGS:
                out->value.type = QM_VT_I4;
                out->value.u.i4 = (int32_t)g->notify_flags;
                break;
        case GROUPPROP_NOTIFYCLSID:
                out->value.type = QM_VT_STR;
                out->value.u.str = g->notify_clsid ? g->notify_clsid : "";
                break;
        case GROUPPROP_DISPLAYNAME:
                out->value.type = QM_VT_STR;
                out->value.u.str = g->display_name;
                break;
        default: /* GROUPPROP_DESCRIPTION */
                out->value.type = QM_VT_STR;
                out->value.u.str = g->description;
                break;
        }
        return QM_S_OK;
}

static bool variant_int(const qm_variant *v, int64_t *ret)
{
        if (v->type == QM_VT_I4)
                *ret = v->u.i4;
        else if (v->type == QM_VT_UI4)
                *ret = v->u.ui4;
        else
                return false;
        return true;
}

static qm_hresult set_string_prop(struct ipc_call *c, char **dst, const qm_variant *v,
                                  long max_chars, const char *what)
{
        long n;
        char *s;

        if (v->type != QM_VT_STR)
                return failf(c, QM_E_INVALIDARG, "%s must be a string", what);
        n = qmx_utf8_count(v->u.str);
        if (n < 0)
                return failf(c, QM_E_INVALIDARG, "%s is not valid UTF-8", what);
        if (n > max_chars)
                return failf(c, QM_E_INVALIDARG, "%s is longer than %ld characters", what,
                             max_chars);
        s = strdup(v->u.str);
        if (!s)
                return QM_E_OUTOFMEMORY;
        free(*dst);
        *dst = s;
        return QM_S_OK;
}

static qm_hresult m_set_prop(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                             struct qmx_msg *out)
{
        qm_hresult hr = QM_S_OK;
        int64_t v;

        if (in->prop > GROUPPROP_DESCRIPTION)
                return failf(c, QM_E_INVALIDARG, "no property %u", in->prop);
        if (prop_unsupported(in->prop))
                return QM_E_NOTIMPL;
        switch (in->prop) {
        case GROUPPROP_PRIORITY:
                if (!variant_int(&in->value, &v) || v != 1)
                        return failf(c, QM_E_INVALIDARG, "the only legal priority is 1");
                return QM_S_OK;
        case GROUPPROP_PROTOCOLFLAGS:
                if (!variant_int(&in->value, &v) || v != QM_PROTOCOL_HTTP)
                        return failf(c, QM_E_INVALIDARG, "only QM_PROTOCOL_HTTP is supported");
                return QM_S_OK;
        case GROUPPROP_NOTIFYFLAGS:
                if (!variant_int(&in->value, &v) || v < 0 ||
                    (v &
                     ~(int64_t)(QM_NOTIFY_FILE_DONE | QM_NOTIFY_JOB_DONE | QM_NOTIFY_GROUP_DONE |
                                QM_NOTIFY_DISABLE_NOTIFY | QM_NOTIFY_USE_PROGRESSEX)))
                        return failf(c, QM_E_INVALIDARG, "unknown notification flags");
                g->notify_flags = (uint32_t)v;
                break;
        case GROUPPROP_NOTIFYCLSID: {
                qm_guid clsid;
                char buf[QM_GUID_STRING_SIZE];
                char *s = NULL;

                if (in->value.type != QM_VT_STR)
                        return failf(c, QM_E_INVALIDARG, "NOTIFYCLSID must be a string");
                if (in->value.u.str[0]) {
                        if (in->value.u.str[0] != '{' ||
                            qm_guid_from_string(in->value.u.str, &clsid) != QM_S_OK)
                                return failf(c, QM_E_INVALIDARG, "NOTIFYCLSID must be {GUID}");
                        qm_guid_to_string(&clsid, buf);
                        s = strdup(buf);
                        if (!s)
                                return QM_E_OUTOFMEMORY;
                }
                free(g->notify_clsid);
                g->notify_clsid = s;
                break;
        }
        case GROUPPROP_DISPLAYNAME:
                hr = set_string_prop(c, &g->display_name, &in->value, MAX_NAME_CHARS,
                                     "the display name");
                break;
        default:
                hr = set_string_prop(c, &g->description, &in->value, MAX_DESC_CHARS,
                                     "the description");
                break;
        }
        if (QM_SUCCEEDED(hr))
                persist(g);
        return hr;
}

static qm_hresult progress_value(struct ipc_call *c, struct group *g, uint32_t flags,
                                 struct qmx_msg *out)
{
        uint64_t done, total;

        if (flags == QM_PROGRESS_TIME_DONE)
                return QM_E_NOTIMPL;
        if (flags != QM_PROGRESS_PERCENT_DONE && flags != QM_PROGRESS_SIZE_DONE)
                return failf(c, QM_E_INVALIDARG, "unknown progress kind %u", flags);
        group_totals(g, &done, &total, NULL);
        if (flags == QM_PROGRESS_SIZE_DONE)
                out->progress = done > UINT32_MAX ? UINT32_MAX : (uint32_t)done;
        else if (total == BG_SIZE_UNKNOWN || total == 0)
                out->progress = (total == 0 && g->state == BG_JOB_STATE_TRANSFERRED) ? 100 : 0;
        else
                out->progress = (uint32_t)((done >= total ? total : done) * 100 / total);
        out->present = B(PROGRESS);
        return QM_S_OK;
}

static qm_hresult m_get_progress(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                 struct qmx_msg *out)
{

        return progress_value(c, g, in->flags, out);
}

static qm_hresult m_get_status(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                               struct qmx_msg *out)
{

        out->status = group_status(g);
        out->job_index = 0;
        out->present = B(STATUS) | B(JOB_INDEX);
        return QM_S_OK;
}

static qm_hresult m_get_job(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                            struct qmx_msg *out)
{
        return QM_S_OK; /* the dispatcher found the group and its job */
}

static qm_hresult m_suspend(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                            struct qmx_msg *out)
{

        if (g->state == BG_JOB_STATE_TRANSFERRED)
                return in->modern ? BG_E_INVALID_STATE : QM_S_OK;
        if (!job_state_is_active(g->state))
                return QM_S_OK; /* already suspended, or in error (which is suspended) */
        xfer_stop(g);
        group_set_state(g, BG_JOB_STATE_SUSPENDED);
        sched_kick(c->d);
        return QM_S_OK;
}

static qm_hresult m_resume(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                           struct qmx_msg *out)
{

        if (g->state == BG_JOB_STATE_TRANSFERRED)
                return in->modern ? BG_E_INVALID_STATE : QM_S_OK;
        if (!g->has_job || g->n_files == 0)
                return BG_E_EMPTY;
        if (g->state == BG_JOB_STATE_TRANSIENT_ERROR) {
                /* A pending retry delay is skipped (§4.2). */
                g->retry_at = 0;
                group_set_state(g, BG_JOB_STATE_QUEUED);
        } else if (g->state == BG_JOB_STATE_SUSPENDED || g->state == BG_JOB_STATE_ERROR) {
                group_clear_error(g);
                g->stalled_since = 0;
                group_set_state(g, BG_JOB_STATE_QUEUED);
        }
        sched_kick(c->d);
        return QM_S_OK;
}

static qm_hresult m_cancel(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                           struct qmx_msg *out)
{

        if (c->uid != g->owner_uid)
                log_info("group %s: cancelled by uid %u (owner uid %u)", g->id_str,
                         (unsigned)c->uid, g->owner_uid);
        return group_commit(g);
}

static qm_hresult m_get_size(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                             struct qmx_msg *out)
{
        uint64_t total;

        group_totals(g, NULL, &total, NULL);
        out->size = total == BG_SIZE_UNKNOWN ? 0
                    : total > UINT32_MAX     ? UINT32_MAX
                                             : (uint32_t)total;
        out->present = B(SIZE);
        return QM_S_OK;
}

static qm_hresult m_create_job(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                               struct qmx_msg *out)
{

        if (g->has_job)
                return failf(c, QM_E_NOTIMPL, "a group holds one job");
        g->has_job = true;
        g->job_id = in->job_id;
        persist(g);
        return QM_S_OK;
}

static qm_hresult m_enum_jobs(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                              struct qmx_msg *out)
{

        if (in->flags != 0)
                return QM_E_NOTIMPL;
        out->groups = calloc(1, sizeof(qm_guid));
        if (!out->groups)
                return QM_E_OUTOFMEMORY;
        if (g->has_job)
                out->groups[out->n_groups++] = g->job_id;
        out->present = B(GROUPS);
        return QM_S_OK;
}

static qm_hresult m_switch_to_foreground(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                         struct qmx_msg *out)
{

        if (g->priority != BG_JOB_PRIORITY_FOREGROUND) {
                g->priority = BG_JOB_PRIORITY_FOREGROUND;
                persist(g);
                sched_kick(c->d);
        }
        return QM_S_OK;
}

/* ---- IBackgroundCopyJob1 ------------------------------------------------------------ */

static qm_hresult m_job1_get_progress(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                      struct qmx_msg *out)
{

        return progress_value(c, g, in->flags, out);
}

static qm_hresult m_job1_get_status(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                    struct qmx_msg *out)
{
        bool err;

        err = g->state == BG_JOB_STATE_ERROR;
        out->status = group_job1_status(g);
        out->win32_result = err ? g->err.win32 : 0;
        out->transport_result = err ? g->err.transport : 0;
        out->num_retries = g->retries;
        out->present = B(STATUS) | B(WIN32_RESULT) | B(TRANSPORT_RESULT) | B(NUM_RETRIES);
        return QM_S_OK;
}

/* Lexically normalises an absolute path: no "//", "/./", "/../" or trailing "/". Returns a
 * new string, or NULL (errno EINVAL when the path is not absolute or names a directory). */
static char *normalize_path(const char *p)
{
        size_t len = strlen(p), n = 0;
        char *out;

        if (p[0] != '/' || p[len - 1] == '/') {
                errno = EINVAL;
                return NULL;
        }
        out = malloc(len + 1);
        if (!out)
                return NULL;
        while (*p) {
                const char *seg;
                size_t sl;

                while (*p == '/')
                        p++;
                seg = p;
                while (*p && *p != '/')
                        p++;
                sl = (size_t)(p - seg);
                if (sl == 0 || (sl == 1 && seg[0] == '.'))
                        continue;
                if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
                        while (n > 0 && out[n - 1] != '/')
                                n--;
                        if (n > 0)
                                n--;
                        continue;
                }
                out[n++] = '/';
                memcpy(out + n, seg, sl);
                n += sl;
        }
        out[n] = '\0';
        /* "/x/." and "/x/.." end in a directory, not a file. */
        if (n == 0 || (len >= 2 && strcmp(p - 2, "/.") == 0) ||
            (len >= 3 && strcmp(p - 3, "/..") == 0)) {
                free(out);
                errno = EINVAL;
                return NULL;
        }
        return out;
}

static qm_hresult check_url(struct ipc_call *c, uint32_t i, const char *url)
{
        long chars = qmx_utf8_count(url);
        CURLU *u;
        char *host = NULL;
        CURLUcode rc;

        if (chars < 0 || chars > MAX_URL_CHARS)
                return failf(c, QM_E_INVALIDARG,
                             "file %u: the URL is not valid UTF-8 or longer "
                             "than %d characters",
                             i, MAX_URL_CHARS);
        if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
                return failf(c, QM_E_INVALIDARG,
                             "file %u: only http:// and https:// URLs are "
                             "supported",
                             i);
        for (const char *p = url; *p; p++)
                if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '*')
                        return failf(c, QM_E_INVALIDARG,
                                     "file %u: the URL contains a space, a "
                                     "control character or a wildcard",
                                     i);
        u = curl_url();
        if (!u)
                return QM_E_OUTOFMEMORY;
        rc = curl_url_set(u, CURLUPART_URL, url, 0);
        if (rc == CURLUE_OK)
                rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_free(host);
        curl_url_cleanup(u);
        if (rc != CURLUE_OK)
                return failf(c, QM_E_INVALIDARG, "file %u: the URL is not valid", i);
        return QM_S_OK;
}

/* Checks local path i of an AddFiles call and returns it normalized in *ret. *dir_ok is the
 * last directory found to exist and be writable in this call (owned by the caller; files of
 * a set mostly share one): it is not checked again. */
static qm_hresult check_local(struct ipc_call *c, uint32_t i, const char *path, char **ret,
                              char **dir_ok)
{
        char *norm, *slash;
        struct stat st;
        qm_hresult hr = QM_S_OK;

        if (strlen(path) > MAX_PATH_BYTES || qmx_utf8_count(path) < 0)
                return failf(c, QM_E_INVALIDARG,
                             "file %u: the local path is not valid UTF-8 or "
                             "longer than %d bytes",
                             i, MAX_PATH_BYTES);
        norm = normalize_path(path);
        if (!norm)
                return errno == ENOMEM ? QM_E_OUTOFMEMORY
                                       : failf(c, QM_E_INVALIDARG,
                                               "file %u: the local path must be an absolute "
                                               "file name",
                                               i);
        if (stat(norm, &st) == 0 && S_ISDIR(st.st_mode)) {
                free(norm);
                return failf(c, QM_E_INVALIDARG, "file %u: '%s' is a directory", i, path);
        }
        slash = strrchr(norm, '/');
        *slash = '\0';
        if (*dir_ok && strcmp(*dir_ok, norm) == 0) {
                *slash = '/';
                *ret = norm;
                return QM_S_OK;
        }
        /* The service runs as the owner here, so its own access is the owner's. */
        if (stat(slash == norm ? "/" : norm, &st) < 0 || !S_ISDIR(st.st_mode))
                hr = failf(c, QM_E_ACCESSDENIED, "file %u: the directory of '%s' does not exist", i,
                           path);
        else if (access(slash == norm ? "/" : norm, W_OK | X_OK) < 0)
                hr = failf(c, QM_E_ACCESSDENIED,
                           "file %u: the directory of '%s' is not "
                           "writable",
                           i, path);
        if (QM_SUCCEEDED(hr)) {
                free(*dir_ok);
                *dir_ok = strdup(norm); /* NULL on ENOMEM: only the shortcut is lost */
        }
        *slash = '/';
        if (QM_FAILED(hr)) {
                free(norm);
                return hr;
        }
        *ret = norm;
        return QM_S_OK;
}

/* FNV-1a, for the duplicate check of local paths. */
static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ull;

        while (*s)
                h = (h ^ (unsigned char)*s++) * 1099511628211ull;
        return h;
}

/* True when two of the n paths are equal. */
static bool has_duplicates(char **paths, uint32_t n)
{
        uint32_t cap = 16;
        char **table;
        bool dup = false;

        while (cap < n * 2)
                cap *= 2;
        table = calloc(cap, sizeof(*table));
        if (!table)
                return true; /* refuse rather than skip the check */
        for (uint32_t i = 0; i < n && !dup; i++) {
                uint32_t k = (uint32_t)(hash_str(paths[i]) & (cap - 1));

                while (table[k]) {
                        if (strcmp(table[k], paths[i]) == 0) {
                                dup = true;
                                break;
                        }
                        k = (k + 1) & (cap - 1);
                }
                table[k] = paths[i];
        }
        free(table);
        return dup;
}

static qm_hresult m_add_files(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                              struct qmx_msg *out)
{
        qm_hresult hr = QM_S_OK;
        uint32_t n = in->n_files, first;
        char **locals = NULL, **all = NULL, *dir_ok = NULL;

        if (g->state == BG_JOB_STATE_TRANSFERRED)
                return failf(c, QM_E_INVALID_STATE, "the group is complete");
        if (n == 0)
                return QM_S_OK;
        if ((uint64_t)g->n_files + n > c->d->cfg.max_files_per_job)
                return failf(c, BG_E_TOO_MANY_FILES, "the limit is %u files per job",
                             c->d->cfg.max_files_per_job);
        locals = calloc(n, sizeof(*locals));
        all = calloc((size_t)g->n_files + n, sizeof(*all));
        if (!locals || !all) {
                hr = QM_E_OUTOFMEMORY;
                goto out;
        }
        /* Validate everything first: all or nothing (§4.3). */
        for (uint32_t i = 0; i < n; i++) {
                struct qmx_file *f = &in->files[i];

                if (!(f->present & B(REMOTE)) || !(f->present & B(LOCAL))) {
                        hr = failf(c, QM_E_INVALIDARG, "file %u: remote and local are required", i);
                        goto out;
                }
                hr = check_url(c, i, f->remote);
                if (QM_SUCCEEDED(hr))
                        hr = check_local(c, i, f->local, &locals[i], &dir_ok);
                if (QM_FAILED(hr))
                        goto out;
        }
        for (uint32_t i = 0; i < g->n_files; i++)
                all[i] = g->files[i].local;
        for (uint32_t i = 0; i < n; i++)
                all[g->n_files + i] = locals[i];
        if (has_duplicates(all, g->n_files + n)) {
                hr = failf(c, QM_E_INVALIDARG, "two files of the job have the same local path");
                goto out;
        }
        if (g->n_files + n > g->cap_files) {
                uint32_t cap = g->cap_files ? g->cap_files : 8;
                struct qfile *nf;

                while (cap < g->n_files + n)
                        cap *= 2;
                nf = realloc(g->files, cap * sizeof(*nf));
                if (!nf) {
                        hr = QM_E_OUTOFMEMORY;
                        goto out;
                }
                g->files = nf;
                g->cap_files = cap;
        }
        first = g->n_files;
        for (uint32_t i = 0; i < n; i++) {
                struct qfile *f = &g->files[first + i];

                memset(f, 0, sizeof(*f));
                f->url = in->files[i].remote; /* taken over from the decoded message */
                in->files[i].remote = NULL;
                f->local = locals[i];
                locals[i] = NULL;
                f->umask = in->umask & 0777;
                f->bytes_total = BG_SIZE_UNKNOWN;
                f->last_modified = -1;
        }
        g->n_files += n;
        if (store_begin(c->d->store) < 0 || store_save_files(c->d->store, g, first, n) < 0 ||
            store_save_group(c->d->store, g) < 0 || store_commit(c->d->store) < 0) {
                store_rollback(c->d->store);
                for (uint32_t i = first; i < g->n_files; i++) {
                        free(g->files[i].url);
                        free(g->files[i].local);
                }
                g->n_files = first;
                hr = failf(c, QM_E_FAIL, "the files could not be saved");
                goto out;
        }
        g->modified = now_unix();
        log_debug("group %s: %u file(s) added", g->id_str, n);
        notify_group_changed(g);
        hr = QM_S_OK;
out:
        for (uint32_t i = 0; locals && i < n; i++)
                free(locals[i]);
        free(locals);
        free(all);
        free(dir_ok);
        return hr;
}

static qm_hresult m_get_file(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                             struct qmx_msg *out)
{

        if (in->index >= g->n_files)
                return QM_E_ITEM_NOT_FOUND;
        out->remote = g->files[in->index].url;
        out->local = g->files[in->index].local;
        out->present = B(REMOTE) | B(LOCAL);
        return QM_S_OK;
}

static qm_hresult m_get_file_count(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                   struct qmx_msg *out)
{

        out->count = g->n_files;
        out->present = B(COUNT);
        return QM_S_OK;
}

/* ---- the modern job (§5) ------------------------------------------------------------ */

static qm_hresult m_get_job_info(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                 struct qmx_msg *out)
{
        group_totals(g, &out->bytes_transferred, &out->bytes_total, &out->files_transferred);
        out->state = g->state;
        out->status = group_status(g);
        out->priority = g->priority;
        out->owner_uid = g->owner_uid;
        out->files_total = g->n_files;
        out->num_retries = g->retries;
        out->created = g->created;
        out->modified = g->modified;
        out->completed = g->completed;
        out->min_retry_delay = group_min_retry_delay(g);
        out->no_progress_timeout = group_no_progress_timeout(g);
        out->present = B(STATE) | B(STATUS) | B(PRIORITY) | B(OWNER_UID) | B(BYTES_TOTAL) |
                       B(BYTES_TRANSFERRED) | B(FILES_TOTAL) | B(FILES_TRANSFERRED) |
                       B(NUM_RETRIES) | B(CREATED) | B(MODIFIED) | B(COMPLETED) |
                       B(MIN_RETRY_DELAY) | B(NO_PROGRESS_TIMEOUT);
        if (g->has_job) {
                out->job_id = g->job_id;
                out->present |= B(JOB_ID);
        }
        if (g->notify_program) {
                out->program = g->notify_program;
                out->present |= B(PROGRAM);
                if (g->notify_params) {
                        out->parameters = g->notify_params;
                        out->present |= B(PARAMETERS);
                }
        }
        if (g->err.hr != QM_S_OK) {
                out->error_hresult = g->err.hr;
                out->error_context = g->err.context;
                out->error_file_index = g->err.file_index;
                out->error_win32 = g->err.win32;
                out->error_transport = g->err.transport;
                out->error_message =
                        g->err.message ? g->err.message : (char *)qm_strerror(g->err.hr);
                out->present |= B(ERROR_HRESULT) | B(ERROR_CONTEXT) | B(ERROR_FILE_INDEX) |
                                B(ERROR_WIN32) | B(ERROR_TRANSPORT) | B(ERROR_MESSAGE);
        }
        return QM_S_OK;
}

static qm_hresult m_list_files(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                               struct qmx_msg *out)
{
        uint32_t off = (in->present & B(OFFSET)) ? in->offset : 0;
        uint32_t lim = (in->present & B(LIMIT)) ? in->limit : UINT32_MAX, n;

        n = off >= g->n_files ? 0 : g->n_files - off;
        if (n > lim)
                n = lim;
        out->files = calloc(n ? n : 1, sizeof(*out->files));
        if (!out->files)
                return QM_E_OUTOFMEMORY;
        for (uint32_t i = 0; i < n; i++) {
                const struct qfile *f = &g->files[off + i];
                struct qmx_file *o = &out->files[i];

                o->remote = f->url;
                o->local = f->local;
                o->bytes_total = f->bytes_total;
                o->bytes_transferred = f->bytes_done;
                o->complete = f->complete;
                o->present =
                        B(REMOTE) | B(LOCAL) | B(BYTES_TOTAL) | B(BYTES_TRANSFERRED) | B(COMPLETE);
        }
        out->n_files = n;
        out->count = g->n_files;
        out->present = B(FILES) | B(COUNT);
        return QM_S_OK;
}

static qm_hresult m_job_cancel(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                               struct qmx_msg *out)
{

        return group_abort(g);
}

static qm_hresult m_job_complete(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                 struct qmx_msg *out)
{

        return group_commit(g);
}

static qm_hresult m_job_set_priority(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                     struct qmx_msg *out)
{

        if (in->priority > BG_JOB_PRIORITY_LOW)
                return failf(c, QM_E_INVALIDARG, "priority must be 0-3");
        g->priority = in->priority;
        persist(g);
        sched_kick(c->d);
        return QM_S_OK;
}

static qm_hresult m_job_set_retry_delay(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                        struct qmx_msg *out)
{

        g->min_retry_delay = in->seconds;
        persist(g);
        return QM_S_OK;
}

static qm_hresult m_job_set_no_progress_timeout(struct ipc_call *c, struct group *g,
                                                struct qmx_msg *in, struct qmx_msg *out)
{

        g->no_progress_timeout = in->seconds;
        persist(g);
        return QM_S_OK;
}

static qm_hresult m_job_set_notify_cmdline(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                           struct qmx_msg *out)
{
        char *program = NULL, *params = NULL, **argv;

        if (in->present & B(PROGRAM)) {
                if (in->program[0] != '/' || qmx_utf8_count(in->program) < 0)
                        return failf(c, QM_E_INVALIDARG, "the program must be an absolute path");
                if (in->present & B(PARAMETERS)) {
                        if (qmx_utf8_count(in->parameters) < 0 ||
                            strlen(in->parameters) > MAX_DESC_CHARS * 4)
                                return failf(c, QM_E_INVALIDARG,
                                             "the parameters are too long or "
                                             "not UTF-8");
                        argv = notify_cmd_split(in->parameters);
                        if (!argv)
                                return errno == ENOMEM ? QM_E_OUTOFMEMORY
                                                       : failf(c, QM_E_INVALIDARG,
                                                               "unbalanced quote in the "
                                                               "parameters");
                        free(argv);
                        params = strdup(in->parameters);
                        if (!params)
                                return QM_E_OUTOFMEMORY;
                }
                program = strdup(in->program);
                if (!program) {
                        free(params);
                        return QM_E_OUTOFMEMORY;
                }
        }
        free(g->notify_program);
        free(g->notify_params);
        g->notify_program = program;
        g->notify_params = params;
        persist(g);
        return QM_S_OK;
}

/* ---- notifications (notify.c) -------------------------------------------------------- */

static qm_hresult m_subscribe(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                              struct qmx_msg *out)
{
        return notify_subscribe(c);
}

static qm_hresult m_register_callback(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                      struct qmx_msg *out)
{
        return notify_register(c, &in->group_id, true);
}

static qm_hresult m_unregister_callback(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                                        struct qmx_msg *out)
{
        return notify_register(c, &in->group_id, false);
}

static qm_hresult m_ack_event(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                              struct qmx_msg *out)
{
        return notify_ack(c, in->event_id, in->result);
}

static qm_hresult m_watch(struct ipc_call *c, struct group *g, struct qmx_msg *in,
                          struct qmx_msg *out)
{
        bool all = (in->present & B(WATCH_ALL)) && in->watch_all;

        if (!all && !(in->present & B(GROUP_ID)))
                return failf(c, QM_E_INVALIDARG, "Watch needs group_id or watch_all");
        return notify_watch(c, all ? NULL : &in->group_id, all);
}

static const struct method_row {
        handler_fn fn;
        enum access access;
} handlers[QMX_M__MAX] = {
        [QMX_M_PING] = {m_ping, ACCESS_NONE},
        [QMX_M_CREATE_GROUP] = {m_create_group, ACCESS_NONE},
        [QMX_M_GET_GROUP] = {m_get_group, ACCESS_GROUP},
        [QMX_M_ENUM_GROUPS] = {m_enum_groups, ACCESS_NONE},
        [QMX_M_GET_PROP] = {m_get_prop, ACCESS_GROUP},
        [QMX_M_SET_PROP] = {m_set_prop, ACCESS_GROUP},
        [QMX_M_GET_PROGRESS] = {m_get_progress, ACCESS_GROUP},
        [QMX_M_GET_STATUS] = {m_get_status, ACCESS_GROUP},
        [QMX_M_GET_JOB] = {m_get_job, ACCESS_JOB},
        [QMX_M_SUSPEND] = {m_suspend, ACCESS_GROUP},
        [QMX_M_RESUME] = {m_resume, ACCESS_GROUP},
        [QMX_M_CANCEL] = {m_cancel, ACCESS_GROUP},
        [QMX_M_GET_SIZE] = {m_get_size, ACCESS_GROUP},
        [QMX_M_CREATE_JOB] = {m_create_job, ACCESS_GROUP},
        [QMX_M_ENUM_JOBS] = {m_enum_jobs, ACCESS_GROUP},
        [QMX_M_SWITCH_TO_FOREGROUND] = {m_switch_to_foreground, ACCESS_GROUP},
        [QMX_M_JOB1_GET_PROGRESS] = {m_job1_get_progress, ACCESS_JOB},
        [QMX_M_JOB1_GET_STATUS] = {m_job1_get_status, ACCESS_JOB},
        [QMX_M_ADD_FILES] = {m_add_files, ACCESS_JOB},
        [QMX_M_GET_FILE] = {m_get_file, ACCESS_JOB},
        [QMX_M_GET_FILE_COUNT] = {m_get_file_count, ACCESS_JOB},
        [QMX_M_GET_JOB_INFO] = {m_get_job_info, ACCESS_GROUP},
        [QMX_M_LIST_FILES] = {m_list_files, ACCESS_GROUP},
        [QMX_M_JOB_CANCEL] = {m_job_cancel, ACCESS_GROUP},
        [QMX_M_JOB_COMPLETE] = {m_job_complete, ACCESS_GROUP},
        [QMX_M_JOB_SET_PRIORITY] = {m_job_set_priority, ACCESS_GROUP},
        [QMX_M_JOB_SET_RETRY_DELAY] = {m_job_set_retry_delay, ACCESS_GROUP},
        [QMX_M_JOB_SET_NO_PROGRESS_TIMEOUT] = {m_job_set_no_progress_timeout, ACCESS_GROUP},
        [QMX_M_SUBSCRIBE] = {m_subscribe, ACCESS_NONE},
        [QMX_M_REGISTER_CALLBACK] = {m_register_callback, ACCESS_NONE},
        [QMX_M_UNREGISTER_CALLBACK] = {m_unregister_callback, ACCESS_NONE},
        [QMX_M_ACK_EVENT] = {m_ack_event, ACCESS_NONE},
        [QMX_M_WATCH] = {m_watch, ACCESS_NONE},
        [QMX_M_JOB_SET_NOTIFY_CMDLINE] = {m_job_set_notify_cmdline, ACCESS_GROUP},
};

qm_hresult ipc_dispatch(struct ipc_call *c, enum qmx_method_id id, struct qmx_msg *in,
                        struct qmx_msg *out)
{
        const struct method_row *row = id < QMX_M__MAX ? &handlers[id] : NULL;
        struct group *g = NULL;

        if (!row || !row->fn)
                return QM_E_NOTIMPL;
        if (row->access != ACCESS_NONE) {
                g = group_find(c->d, &in->group_id, c->uid);
                if (!g)
                        return QM_E_ITEM_NOT_FOUND;
                if (row->access == ACCESS_JOB &&
                    (!g->has_job || !qm_guid_equal(&g->job_id, &in->job_id)))
                        return QM_E_ITEM_NOT_FOUND;
        }
        return row->fn(c, g, in, out);
}
