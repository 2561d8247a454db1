/* qmgr.h - the C API of qmgr, the BITS legacy "Queue Manager" for Linux.
 *
 * This is the only public header. It mirrors Microsoft's qmgr.h (IBackgroundCopyQMgr,
 * IBackgroundCopyGroup, IBackgroundCopyJob1, the two enumerators, IBackgroundCopyCallback1)
 * as C functions named qm_<object>_<method>(), plus the modern job behind each group
 * (qm_job_*). The contract is QMGR.md; section numbers below (§n) refer to it.
 *
 * Conventions that hold for every function here:
 *  - Every fallible function returns a qm_hresult (an HRESULT value: negative = failure).
 *  - Out-parameters come last and are written only on success.
 *  - A NULL required out-pointer gives QM_E_POINTER; a NULL handle gives QM_E_INVALIDARG.
 *  - Handles are opaque and reference-counted; *_release() accepts NULL.
 *  - Strings are UTF-8. Strings returned to the caller are freed with qm_free().
 *  - Inputs are copied: no caller pointer is kept after a call returns, except callback
 *    userdata.
 *  - Any call that talks to the service can also return QM_E_SERVICE_UNAVAILABLE (the
 *    connection is gone) and QM_E_OUTOFMEMORY.
 *  - Thread-safety: a qm_qmgr and every handle obtained from it must be used by one thread
 *    at a time. The library starts no thread and never logs.
 *
 * Link with -lqmgr (pkg-config qmgr).
 */
#ifndef QMGR_H
#define QMGR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define QM_API __attribute__((visibility("default")))
#else
#define QM_API
#endif

/* ---------------------------------------------------------------------------------------
 * Result codes (§2.6). HRESULT layout: bit 31 set = failure. Codes are append-only.
 */
typedef int32_t qm_hresult;

#define QM_SUCCEEDED(hr) ((qm_hresult)(hr) >= 0)
#define QM_FAILED(hr)    ((qm_hresult)(hr) < 0)
#define QM_HR(v)         ((qm_hresult)(uint32_t)(v))

#define QM_S_OK                            QM_HR(0x00000000)
#define QM_S_FALSE                         QM_HR(0x00000001)
#define QM_E_NOTIMPL                       QM_HR(0x80004001)
#define QM_E_POINTER                       QM_HR(0x80004003)
#define QM_E_FAIL                          QM_HR(0x80004005)
#define QM_E_OUTOFMEMORY                   QM_HR(0x8007000E)
#define QM_E_INVALIDARG                    QM_HR(0x80070057)
#define QM_E_ACCESSDENIED                  QM_HR(0x80070005)
#define QM_E_INVALID_STATE                 QM_HR(0x81001001)
#define QM_E_SERVICE_UNAVAILABLE           QM_HR(0x81001002)
#define QM_E_DOWNLOADER_UNAVAILABLE        QM_HR(0x81001003)
#define QM_E_ITEM_NOT_FOUND                QM_HR(0x81001004)
#define QM_E_PROTOCOL                      QM_HR(0x81001005) /* qmgr: malformed message from the peer */
#define BG_E_NOT_FOUND                     QM_HR(0x80200001)
#define BG_E_INVALID_STATE                 QM_HR(0x80200002)
#define BG_E_EMPTY                         QM_HR(0x80200003)
#define BG_E_FILE_NOT_AVAILABLE            QM_HR(0x80200004)
#define BG_E_PROTOCOL_NOT_AVAILABLE        QM_HR(0x80200005)
#define BG_E_DESTINATION_LOCKED            QM_HR(0x8020000D)
#define BG_E_ERROR_INFORMATION_UNAVAILABLE QM_HR(0x8020000F)
#define BG_E_NETWORK_DISCONNECTED          QM_HR(0x80200010)
#define BG_E_MISSING_FILE_SIZE             QM_HR(0x80200011)
#define BG_E_INSUFFICIENT_HTTP_SUPPORT     QM_HR(0x80200012)
#define BG_E_INSUFFICIENT_RANGE_SUPPORT    QM_HR(0x80200013)
#define BG_E_LOCAL_FILE_CHANGED            QM_HR(0x8020001D)
#define BG_E_TOO_MANY_FILES                QM_HR(0x8020001C)
#define BG_E_TOO_LARGE                     QM_HR(0x80200020)
#define BG_E_STRING_TOO_LONG               QM_HR(0x80200021)
#define BG_E_TOO_MANY_JOBS_PER_USER        QM_HR(0x80200049)
#define BG_E_BLOCKED_BY_POLICY             QM_HR(0x8020003E)
#define BG_S_PARTIAL_COMPLETE              QM_HR(0x00200017)
#define BG_S_UNABLE_TO_DELETE_FILES        QM_HR(0x0020001A)
/* Win32 errors in HRESULT form (0x8007xxxx), used for local file and network failures. */
#define QM_E_WIN32_FILE_NOT_FOUND                   QM_HR(0x80070002)
#define QM_E_WIN32_DISK_FULL                        QM_HR(0x80070070)
#define QM_E_WIN32_INTERNET_TIMEOUT                 QM_HR(0x80072EE2)
#define QM_E_WIN32_INTERNET_NAME_NOT_RESOLVED       QM_HR(0x80072EE7)
#define QM_E_WIN32_INTERNET_CANNOT_CONNECT          QM_HR(0x80072EFD)
#define QM_E_WIN32_INTERNET_CONNECTION_RESET        QM_HR(0x80072EFF)
#define QM_E_WIN32_INTERNET_SECURE_FAILURE          QM_HR(0x80072F8F)
#define QM_E_WIN32_INTERNET_UNRECOGNIZED_SCHEME     QM_HR(0x80072EE6)
#define QM_E_WIN32_INTERNET_REDIRECT_FAILED         QM_HR(0x80072F7C)
#define QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE QM_HR(0x80072F78)

/* BG_E_HTTP_ERROR_nnn = 0x80190000 + nnn (§2.6); QM_HTTP_STATUS() recovers nnn. */
#define BG_E_HTTP_ERROR(nnn) QM_HR(0x80190000u + (uint32_t)(nnn))
#define QM_IS_HTTP_ERROR(hr) (((uint32_t)(hr)&0xFFFF0000u) == 0x80190000u)
#define QM_HTTP_STATUS(hr)   ((uint32_t)(hr)&0xFFFFu)
#define BG_E_HTTP_ERROR_400  BG_E_HTTP_ERROR(400)
#define BG_E_HTTP_ERROR_401  BG_E_HTTP_ERROR(401)
#define BG_E_HTTP_ERROR_403  BG_E_HTTP_ERROR(403)
#define BG_E_HTTP_ERROR_404  BG_E_HTTP_ERROR(404)
#define BG_E_HTTP_ERROR_408  BG_E_HTTP_ERROR(408)
#define BG_E_HTTP_ERROR_410  BG_E_HTTP_ERROR(410)
#define BG_E_HTTP_ERROR_416  BG_E_HTTP_ERROR(416)
#define BG_E_HTTP_ERROR_500  BG_E_HTTP_ERROR(500)
#define BG_E_HTTP_ERROR_501  BG_E_HTTP_ERROR(501)
#define BG_E_HTTP_ERROR_502  BG_E_HTTP_ERROR(502)
#define BG_E_HTTP_ERROR_503  BG_E_HTTP_ERROR(503)
#define BG_E_HTTP_ERROR_504  BG_E_HTTP_ERROR(504)

/* The one list of named codes: qm_hresult_name() and qm_strerror() are generated from it.
 * XX(name, one-line message). Append only. */
#define QM_HRESULT_MAP(XX)                                                                         \
        XX(QM_S_OK, "Success")                                                                     \
        XX(QM_S_FALSE, "Fewer items were returned than were asked for")                            \
        XX(QM_E_NOTIMPL, "Not supported")                                                          \
        XX(QM_E_POINTER, "A required output pointer is NULL")                                      \
        XX(QM_E_FAIL, "Unspecified failure")                                                       \
        XX(QM_E_OUTOFMEMORY, "Out of memory")                                                      \
        XX(QM_E_INVALIDARG, "An argument is not valid")                                            \
        XX(QM_E_ACCESSDENIED, "Access denied")                                                     \
        XX(QM_E_INVALID_STATE, "The object is in a state that forbids this call")                  \
        XX(QM_E_SERVICE_UNAVAILABLE, "The qmgr service cannot be reached")                         \
        XX(QM_E_DOWNLOADER_UNAVAILABLE, "The transfer engine cannot start")                        \
        XX(QM_E_ITEM_NOT_FOUND, "No such group, job or file")                                      \
        XX(QM_E_PROTOCOL, "The peer sent a malformed message")                                     \
        XX(BG_E_NOT_FOUND, "The requested job was not found")                                      \
        XX(BG_E_INVALID_STATE, "The requested action is not allowed in the current job state")     \
        XX(BG_E_EMPTY, "There are no files attached to this job")                                  \
        XX(BG_E_FILE_NOT_AVAILABLE, "No file is available because no URL generated an error")      \
        XX(BG_E_PROTOCOL_NOT_AVAILABLE, "No protocol is available for this URL")                   \
        XX(BG_E_DESTINATION_LOCKED, "The destination file is in use")                              \
        XX(BG_E_ERROR_INFORMATION_UNAVAILABLE, "No error information is available")                \
        XX(BG_E_NETWORK_DISCONNECTED, "No network connection is active")                           \
        XX(BG_E_MISSING_FILE_SIZE, "The server did not return the file size")                      \
        XX(BG_E_INSUFFICIENT_HTTP_SUPPORT, "The server does not support HTTP 1.1")                 \
        XX(BG_E_INSUFFICIENT_RANGE_SUPPORT,                                                        \
           "The server does not support the requested byte range")                                 \
        XX(BG_E_LOCAL_FILE_CHANGED, "The local file changed during the transfer")                  \
        XX(BG_E_TOO_MANY_FILES, "The job has too many files")                                      \
        XX(BG_E_TOO_LARGE, "The item is too large")                                                \
        XX(BG_E_STRING_TOO_LONG, "The string is too long")                                         \
        XX(BG_E_TOO_MANY_JOBS_PER_USER, "The user has too many groups")                            \
        XX(BG_E_BLOCKED_BY_POLICY, "The transfer is blocked by policy")                            \
        XX(BG_S_PARTIAL_COMPLETE, "Only some of the files were committed")                         \
        XX(BG_S_UNABLE_TO_DELETE_FILES, "A temporary file could not be deleted")                   \
        XX(QM_E_WIN32_FILE_NOT_FOUND, "The system cannot find the file specified")                 \
        XX(QM_E_WIN32_DISK_FULL, "There is not enough space on the disk")                          \
        XX(QM_E_WIN32_INTERNET_TIMEOUT, "The operation timed out")                                 \
        XX(QM_E_WIN32_INTERNET_NAME_NOT_RESOLVED, "The server name could not be resolved")         \
        XX(QM_E_WIN32_INTERNET_CANNOT_CONNECT, "The connection to the server could not be made")   \
        XX(QM_E_WIN32_INTERNET_CONNECTION_RESET, "The connection with the server was reset")       \
        XX(QM_E_WIN32_INTERNET_SECURE_FAILURE, "The server's TLS certificate is not valid")        \
        XX(QM_E_WIN32_INTERNET_UNRECOGNIZED_SCHEME, "The URL scheme is not supported")             \
        XX(QM_E_WIN32_INTERNET_REDIRECT_FAILED, "The redirect was refused or looped")              \
        XX(QM_E_WIN32_INTERNET_INVALID_SERVER_RESPONSE, "The server response is not valid")

/* qm_hresult_name() - the symbolic name of a code, e.g. "BG_E_HTTP_ERROR_404".
 * Returns: a static string; "UNKNOWN_HRESULT" for a code that has no name. Never NULL. */
QM_API const char *qm_hresult_name(qm_hresult hr);

/* qm_strerror() - a one-line English message for a code, e.g. "The server answered
 * HTTP 404 (Not Found)". Returns: a static string, never NULL. */
QM_API const char *qm_strerror(qm_hresult hr);

/* ---------------------------------------------------------------------------------------
 * Constants (§2.1-§2.5, §2.8).
 */

/* §2.1 group and job status bits */
#define QM_STATUS_FILE_COMPLETE    0x0001u
#define QM_STATUS_FILE_INCOMPLETE  0x0002u
#define QM_STATUS_JOB_COMPLETE     0x0004u
#define QM_STATUS_JOB_INCOMPLETE   0x0008u
#define QM_STATUS_JOB_ERROR        0x0010u
#define QM_STATUS_JOB_FOREGROUND   0x0020u
#define QM_STATUS_GROUP_COMPLETE   0x0040u
#define QM_STATUS_GROUP_INCOMPLETE 0x0080u
#define QM_STATUS_GROUP_SUSPENDED  0x0100u
#define QM_STATUS_GROUP_ERROR      0x0200u
#define QM_STATUS_GROUP_FOREGROUND 0x0400u

/* §2.2 notification flags (GROUPPROP_NOTIFYFLAGS) */
#define QM_NOTIFY_FILE_DONE      0x01u
#define QM_NOTIFY_JOB_DONE       0x02u
#define QM_NOTIFY_GROUP_DONE     0x04u
#define QM_NOTIFY_DISABLE_NOTIFY 0x40u
#define QM_NOTIFY_USE_PROGRESSEX 0x80u

/* §2.3 protocols (GROUPPROP_PROTOCOLFLAGS; plain values) */
#define QM_PROTOCOL_HTTP   1u
#define QM_PROTOCOL_FTP    2u
#define QM_PROTOCOL_SMB    3u
#define QM_PROTOCOL_CUSTOM 4u

/* §2.4 progress kinds (GetProgress flags; plain values) */
#define QM_PROGRESS_PERCENT_DONE 1u
#define QM_PROGRESS_TIME_DONE    2u
#define QM_PROGRESS_SIZE_DONE    3u

/* §2.5 group properties */
typedef enum GROUPPROP {
        GROUPPROP_PRIORITY = 0,
        GROUPPROP_REMOTEUSERID = 1,
        GROUPPROP_REMOTEUSERPWD = 2,
        GROUPPROP_LOCALUSERID = 3,
        GROUPPROP_LOCALUSERPWD = 4,
        GROUPPROP_PROTOCOLFLAGS = 5,
        GROUPPROP_NOTIFYFLAGS = 6,
        GROUPPROP_NOTIFYCLSID = 7,
        GROUPPROP_PROGRESSSIZE = 8,
        GROUPPROP_PROGRESSPERCENT = 9,
        GROUPPROP_PROGRESSTIME = 10,
        GROUPPROP_DISPLAYNAME = 11,
        GROUPPROP_DESCRIPTION = 12,
} GROUPPROP;

/* §2.8 modern job states, priorities and error contexts */
#define BG_JOB_STATE_QUEUED          0u
#define BG_JOB_STATE_CONNECTING      1u
#define BG_JOB_STATE_TRANSFERRING    2u
#define BG_JOB_STATE_SUSPENDED       3u
#define BG_JOB_STATE_ERROR           4u
#define BG_JOB_STATE_TRANSIENT_ERROR 5u
#define BG_JOB_STATE_TRANSFERRED     6u
#define BG_JOB_STATE_ACKNOWLEDGED    7u
#define BG_JOB_STATE_CANCELLED       8u

#define BG_JOB_PRIORITY_FOREGROUND 0u
#define BG_JOB_PRIORITY_HIGH       1u
#define BG_JOB_PRIORITY_NORMAL     2u
#define BG_JOB_PRIORITY_LOW        3u

#define BG_ERROR_CONTEXT_NONE                       0u
#define BG_ERROR_CONTEXT_UNKNOWN                    1u
#define BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER      2u
#define BG_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION 3u
#define BG_ERROR_CONTEXT_LOCAL_FILE                 4u
#define BG_ERROR_CONTEXT_REMOTE_FILE                5u
#define BG_ERROR_CONTEXT_GENERAL_TRANSPORT          6u
#define BG_ERROR_CONTEXT_REMOTE_APPLICATION         7u

/* BG_SIZE_UNKNOWN: a 64-bit size that is not known yet. */
#define BG_SIZE_UNKNOWN UINT64_MAX
/* The file index reported when no file is involved. */
#define QM_NO_FILE_INDEX 0xFFFFFFFFu

/* ---------------------------------------------------------------------------------------
 * Identifiers and supporting types (§2.7, §3).
 */

/* A GUID with Microsoft's field layout (16 bytes). */
typedef struct qm_guid {
        uint32_t data1;
        uint16_t data2;
        uint16_t data3;
        uint8_t data4[8];
} qm_guid;

/* Length of "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" plus the terminating NUL. */
#define QM_GUID_STRING_SIZE 39

/* qm_guid_generate() - a new random (version 4) GUID from the kernel's random source.
 * Returns: QM_S_OK; QM_E_POINTER; QM_E_FAIL when no randomness is available. */
QM_API qm_hresult qm_guid_generate(qm_guid *ret);

/* qm_guid_to_string() - writes the registry form, upper case, braces included, into buf,
 * which must hold QM_GUID_STRING_SIZE bytes. Returns: QM_S_OK; QM_E_POINTER. */
QM_API qm_hresult qm_guid_to_string(const qm_guid *id, char buf[QM_GUID_STRING_SIZE]);

/* qm_guid_from_string() - parses "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" in any case; the
 * braces are optional, but must be balanced. Returns: QM_S_OK; QM_E_INVALIDARG for anything
 * else (including trailing characters); QM_E_POINTER. */
QM_API qm_hresult qm_guid_from_string(const char *s, qm_guid *ret);

/* qm_guid_equal() - 1 when a and b are the same GUID, 0 otherwise. */
QM_API int qm_guid_equal(const qm_guid *a, const qm_guid *b);

extern QM_API const qm_guid CLSID_BackgroundCopyQMgr;
extern QM_API const qm_guid IID_IBackgroundCopyQMgr;
extern QM_API const qm_guid IID_IBackgroundCopyGroup;
extern QM_API const qm_guid IID_IBackgroundCopyJob1;
extern QM_API const qm_guid IID_IEnumBackgroundCopyGroups;
extern QM_API const qm_guid IID_IEnumBackgroundCopyJobs1;
extern QM_API const qm_guid IID_IBackgroundCopyCallback1;
extern QM_API const qm_guid IID_IBackgroundCopyJob;

/* One file of a job: FILESETINFO. */
typedef struct qm_fileset_info {
        char *remote_file;  /* absolute http:// or https:// URL */
        char *local_file;   /* absolute local path */
        uint32_t size_hint; /* ignored (§4.3) */
} qm_fileset_info;

/* qm_fileset_info_clear() - frees the strings of a qm_fileset_info filled by the library
 * and sets them to NULL. NULL-safe. */
QM_API void qm_fileset_info_clear(qm_fileset_info *info);

/* A property value: VARIANT reduced to the types GROUPPROP uses. */
typedef enum qm_vartype {
        QM_VT_EMPTY = 0,
        QM_VT_I4 = 1,  /* int32 */
        QM_VT_UI4 = 2, /* uint32 */
        QM_VT_STR = 3, /* UTF-8 string */
} qm_vartype;

typedef struct qm_variant {
        qm_vartype type;
        union {
                int32_t i4;
                uint32_t ui4;
                char *str; /* owned by the variant when filled by the library */
        } u;
} qm_variant;

/* qm_variant_clear() - frees a string the library put in the variant and makes it EMPTY.
 * NULL-safe. */
QM_API void qm_variant_clear(qm_variant *v);

/* qm_free() - frees memory the library returned (CoTaskMemFree). NULL-safe. */
QM_API void qm_free(void *p);

/* Opaque handles. */
typedef struct qm_qmgr qm_qmgr;
typedef struct qm_group qm_group;
typedef struct qm_job1 qm_job1;
typedef struct qm_job qm_job;
typedef struct qm_enum_groups qm_enum_groups;
typedef struct qm_enum_jobs1 qm_enum_jobs1;

/* IBackgroundCopyCallback1. Only on_status is ever called (§4.6); on_progress and
 * on_progress_ex exist for source compatibility and may be NULL. */
typedef struct qm_callback1 {
        qm_hresult (*on_status)(void *userdata, qm_group *group, qm_job1 *job /* may be NULL */,
                                uint32_t file_index, uint32_t status, uint32_t num_retries,
                                uint32_t win32_result, uint32_t transport_result);
        qm_hresult (*on_progress)(void *userdata, uint32_t progress_type, qm_group *group,
                                  qm_job1 *job, uint32_t file_index, uint32_t progress_value);
        qm_hresult (*on_progress_ex)(void *userdata, uint32_t progress_type, qm_group *group,
                                     qm_job1 *job, uint32_t file_index, uint32_t progress_value,
                                     uint32_t byte_array_size, const uint8_t *bytes);
} qm_callback1;

/* ---------------------------------------------------------------------------------------
 * IBackgroundCopyQMgr (§4.1)
 */

/* qm_qmgr_connect() - connects to the service (CoCreateInstance(CLSID_BackgroundCopyQMgr)).
 * socket_path: NULL for the default: $QMGR_SOCKET, else the per-user service
 *   ($XDG_RUNTIME_DIR/qmgr/qmgrd.sock, falling back to /tmp/qmgr-$UID/qmgrd.sock).
 * When the default per-user socket does not answer, starts `qmgrd --user` in the background
 *   and waits for it (at most 5 s), unless QMGR_NO_AUTOSTART=1 is set in the environment.
 *   The program started is $QMGR_QMGRD if set, else the installed qmgrd.
 * Returns: QM_S_OK; QM_E_SERVICE_UNAVAILABLE; QM_E_ACCESSDENIED when the service refuses
 *   the connection (the caller's uid has max_connections_per_user open already);
 *   QM_E_OUTOFMEMORY; QM_E_POINTER.
 * Ownership: release *ret with qm_qmgr_release(); handles obtained from it keep it alive. */
QM_API qm_hresult qm_qmgr_connect(const char *socket_path, qm_qmgr **ret);

/* qm_qmgr_get_service_version() - the version of the qmgrd this handle is connected to, as
 * it said when the connection was made (a qmgr extension, no BITS counterpart).
 * Returns: QM_S_OK; QM_E_POINTER; QM_E_OUTOFMEMORY. Ownership: free *ret with qm_free(). */
QM_API qm_hresult qm_qmgr_get_service_version(qm_qmgr *qm, char **ret);

/* qm_qmgr_get_error_description() - a sentence that says why the last call made through this
 * connection failed with hr, as the service put it (e.g. "file 0: the directory of
 * '/x/y' does not exist"); qm_strerror(hr) when the service gave none or the last call did
 * not fail with hr (a qmgr extension, like IBackgroundCopyError::GetErrorDescription).
 * Returns: QM_S_OK; QM_E_POINTER; QM_E_OUTOFMEMORY. Ownership: free *ret with qm_free(). */
QM_API qm_hresult qm_qmgr_get_error_description(qm_qmgr *qm, qm_hresult hr, char **ret);

/* qm_qmgr_release() - drops a reference; the connection closes with the last handle. */
QM_API void qm_qmgr_release(qm_qmgr *qm);

/* qm_qmgr_create_group() - Mirrors IBackgroundCopyQMgr::CreateGroup.
 * A new group owned by the caller: empty, suspended, background, NOTIFYFLAGS 0,
 * PRIORITY 1, PROTOCOLFLAGS HTTP.
 * Returns: QM_S_OK; QM_E_INVALIDARG when a group with this GUID exists;
 *   BG_E_TOO_MANY_JOBS_PER_USER past the per-user limit (§4.7); QM_E_POINTER. */
QM_API qm_hresult qm_qmgr_create_group(qm_qmgr *qm, const qm_guid *id, qm_group **ret);

/* qm_qmgr_get_group() - Mirrors IBackgroundCopyQMgr::GetGroup.
 * Returns: QM_S_OK; QM_E_ITEM_NOT_FOUND for an unknown GUID or another user's group
 *   (administrators get it and become its owner, §4.1); QM_E_POINTER. */
QM_API qm_hresult qm_qmgr_get_group(qm_qmgr *qm, const qm_guid *id, qm_group **ret);

/* qm_qmgr_enum_groups() - Mirrors IBackgroundCopyQMgr::EnumGroups: a snapshot of the GUIDs
 * of the caller's groups in creation order (every group for root).
 * Returns: QM_S_OK; QM_E_NOTIMPL for flags != 0; QM_E_POINTER. */
QM_API qm_hresult qm_qmgr_enum_groups(qm_qmgr *qm, uint32_t flags, qm_enum_groups **ret);

/* qm_register_callback_class() - registers a callback class under a CLSID in this process,
 * so that SetProp(GROUPPROP_NOTIFYCLSID, clsid) can find it (§4.6). The registry is
 * process-wide and guarded by a lock (callable from any thread); cb is copied. A second
 * registration of the same CLSID replaces the first (groups that already use the class keep
 * the callback they were given).
 * Returns: QM_S_OK; QM_E_INVALIDARG for a CLSID not in the form
 *   "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}"; QM_E_POINTER for a NULL cb or cb->on_status. */
QM_API qm_hresult qm_register_callback_class(const char *clsid, const qm_callback1 *cb,
                                             void *userdata);

/* qm_qmgr_get_fd() - the connection's file descriptor, for poll loops: it is readable when
 * events are waiting. Events may also have been read (and queued) by any other call on the
 * connection, so call qm_qmgr_dispatch(qm, 0) before polling and after every wake-up.
 * Returns -1 for a NULL or closed handle. Do not read from it or close it. */
QM_API int qm_qmgr_get_fd(qm_qmgr *qm);

/* qm_qmgr_dispatch() - runs the pending events in the caller's thread: first those already
 * queued, then it waits up to timeout_ms (0: do not wait, -1: forever) for more. For each
 * "callback" event the group's on_status runs (group and job are handles valid for the call;
 * take a reference to keep them) and its result is acknowledged to the service: S_OK
 * retires the event, anything else makes the service deliver it again after the group's
 * retry delay. An event for a group whose callback was cleared is acknowledged with
 * QM_E_FAIL (the service keeps it for the next registration). Watch functions
 * (qm_qmgr_watch) get the updates. on_progress/on_progress_ex are never called.
 * Callbacks may call the library on the same connection, but not qm_qmgr_dispatch().
 * Returns: QM_S_OK when at least one callback or watch function ran; QM_S_FALSE on time-out
 *   or when a signal interrupted the wait; QM_E_INVALID_STATE when called from a callback;
 *   QM_E_SERVICE_UNAVAILABLE when the connection is gone (after running what was queued). */
QM_API qm_hresult qm_qmgr_dispatch(qm_qmgr *qm, int timeout_ms);

/* qmgr extension: live updates of groups (what `qmgr wait`, `monitor` and `get` follow).
 * An update is a snapshot of a group: one when the watch starts, then one per state change
 * and about every 250 ms while the group transfers; a last one with removed = 1 when the
 * group is committed (state ACKNOWLEDGED) or aborted (CANCELLED). */
typedef struct qm_group_update {
        qm_guid group_id;
        uint32_t state;  /* BG_JOB_STATE_*; ACKNOWLEDGED or CANCELLED when removed */
        uint32_t status; /* QM_STATUS_GROUP_* bits (0 when removed) */
        uint64_t bytes_transferred;
        uint64_t bytes_total; /* BG_SIZE_UNKNOWN until every file's size is known */
        uint32_t files_transferred;
        uint32_t files_total;
        uint32_t num_retries;
        qm_hresult error;          /* the group's fatal error; QM_S_OK when none */
        uint32_t error_context;    /* BG_ERROR_CONTEXT_* */
        uint32_t error_file_index; /* QM_NO_FILE_INDEX when no file is involved */
        uint32_t win32_result;
        uint32_t transport_result; /* HTTP status for HTTP errors, else 0 */
        int removed;               /* 1: the group is gone; no further update follows */
        const char *name;          /* the display name; valid during the call; NULL if unsent */
} qm_group_update;

/* Called from qm_qmgr_dispatch(); update is valid only during the call. */
typedef void (*qm_watch_fn)(void *userdata, const qm_group_update *update);

/* qm_qmgr_watch() - qmgr extension: asks the service for live updates of one group of the
 * caller (group != NULL), or of every group of the caller, including later ones
 * (group == NULL; every group for root). fn runs from qm_qmgr_dispatch() for each update;
 * watching the same group (or NULL) again replaces fn and userdata. A watch ends with the
 * connection, and for one group when it is removed.
 * Returns: QM_S_OK; QM_E_ITEM_NOT_FOUND for an unknown group; QM_E_POINTER for a NULL fn. */
QM_API qm_hresult qm_qmgr_watch(qm_qmgr *qm, const qm_guid *group, qm_watch_fn fn, void *userdata);

/* ---------------------------------------------------------------------------------------
 * IBackgroundCopyGroup (§4.2). Every function on a group handle whose group was cancelled
 * (by this or another handle) returns QM_E_ITEM_NOT_FOUND.
 */

QM_API qm_group *qm_group_ref(qm_group *group);
QM_API void qm_group_release(qm_group *group);

/* qm_group_get_prop() - Mirrors GetProp. *ret is filled per §2.5: I4 for PRIORITY,
 * PROTOCOLFLAGS, NOTIFYFLAGS; STR for NOTIFYCLSID, DISPLAYNAME, DESCRIPTION (free with
 * qm_variant_clear()). Returns: QM_S_OK; QM_E_NOTIMPL for the unsupported properties;
 * QM_E_INVALIDARG for a property outside 0-12; QM_E_POINTER. */
QM_API qm_hresult qm_group_get_prop(qm_group *group, GROUPPROP prop, qm_variant *ret);

/* qm_group_set_prop() - Mirrors SetProp. Integer properties accept I4 or UI4; string ones
 * STR. GROUPPROP_NOTIFYCLSID "{…}" looks the class up among this process's
 * qm_register_callback_class() registrations (unknown: QM_E_INVALIDARG, the service is not
 * asked), stores the CLSID on the service and then registers the class's callback as
 * qm_group_set_notification_pointer() does; the empty string stores "" and clears it.
 * Returns: QM_S_OK; QM_E_NOTIMPL for the unsupported properties; QM_E_INVALIDARG for a
 * wrong type, a value out of range, a string too long or not UTF-8, an unknown CLSID, a
 * property outside 0-12; QM_E_POINTER for a NULL value. */
QM_API qm_hresult qm_group_set_prop(qm_group *group, GROUPPROP prop, const qm_variant *value);

/* qm_group_get_progress() - Mirrors GetProgress. QM_PROGRESS_PERCENT_DONE: 0-100, floor of
 * 100*done/total, 0 while the total is unknown; QM_PROGRESS_SIZE_DONE: bytes transferred,
 * saturating at UINT32_MAX. Returns: QM_S_OK; QM_E_NOTIMPL for QM_PROGRESS_TIME_DONE;
 * QM_E_INVALIDARG for any other flags; QM_E_POINTER. */
QM_API qm_hresult qm_group_get_progress(qm_group *group, uint32_t flags, uint32_t *ret);

/* qm_group_get_status() - Mirrors GetStatus: QM_STATUS_GROUP_* bits per §2.1; the job index
 * is always 0. Returns: QM_S_OK; QM_E_POINTER. */
QM_API qm_hresult qm_group_get_status(qm_group *group, uint32_t *ret_status,
                                      uint32_t *ret_job_index);

/* qm_group_get_job() - Mirrors GetJob. Returns: QM_S_OK; QM_E_ITEM_NOT_FOUND when the group
 * has no job with this GUID; QM_E_POINTER. */
QM_API qm_hresult qm_group_get_job(qm_group *group, const qm_guid *id, qm_job1 **ret);

/* qm_group_suspend() - Mirrors SuspendGroup: an active transfer stops at once and its bytes
 * are kept for resume. Returns: QM_S_OK, also when already suspended. */
QM_API qm_hresult qm_group_suspend(qm_group *group);

/* qm_group_resume() - Mirrors ResumeGroup: suspended or failed groups are queued; an error
 * is cleared (the retry count is kept) and a pending retry delay is skipped.
 * Returns: QM_S_OK, also for a complete group (nothing changes); BG_E_EMPTY when the group
 * has no job or no files (it stays suspended). */
QM_API qm_hresult qm_group_resume(qm_group *group);

/* qm_group_cancel() - Mirrors CancelGroup, the legacy commit: stops any transfer, renames
 * every completely transferred file over its local path, deletes partial temporary files
 * and removes the group. Returns: QM_S_OK; BG_S_PARTIAL_COMPLETE when only some files were
 * committed; later calls on any handle of the group give QM_E_ITEM_NOT_FOUND. */
QM_API qm_hresult qm_group_cancel(qm_group *group);

/* qm_group_get_size() - Mirrors get_Size: the sum of the file sizes, 0 until every file's
 * size is known, saturating at UINT32_MAX. Returns: QM_S_OK; QM_E_POINTER. */
QM_API qm_hresult qm_group_get_size(qm_group *group, uint32_t *ret);

/* qm_group_get_id() - Mirrors get_GroupID. Local; never fails on a valid handle.
 * Returns: QM_S_OK; QM_E_POINTER. */
QM_API qm_hresult qm_group_get_id(qm_group *group, qm_guid *ret);

/* qm_group_create_job() - Mirrors CreateJob: the group's one job.
 * Returns: QM_S_OK; QM_E_NOTIMPL when the group already has a job; QM_E_POINTER. */
QM_API qm_hresult qm_group_create_job(qm_group *group, const qm_guid *id, qm_job1 **ret);

/* qm_group_enum_jobs() - Mirrors EnumJobs: a snapshot of the job GUIDs (zero or one).
 * Returns: QM_S_OK; QM_E_NOTIMPL for flags != 0; QM_E_POINTER. */
QM_API qm_hresult qm_group_enum_jobs(qm_group *group, uint32_t flags, qm_enum_jobs1 **ret);

/* qm_group_switch_to_foreground() - Mirrors SwitchToForeground: the group becomes a
 * foreground group for good. Returns: QM_S_OK, also when repeated. */
QM_API qm_hresult qm_group_switch_to_foreground(qm_group *group);

/* qm_group_query_new_job_interface() - Mirrors QueryNewJobInterface: the modern job behind
 * the group (same GUID as the group, §5). Returns: QM_S_OK; QM_E_POINTER. */
QM_API qm_hresult qm_group_query_new_job_interface(qm_group *group, qm_job **ret);

/* qm_group_set_notification_pointer() - Mirrors SetNotificationPointer: cb (copied) and
 * userdata become this group's callback on this connection (per process, as on Windows:
 * redo it after a restart); its on_status runs from qm_qmgr_dispatch() for the group's
 * completion (with QM_NOTIFY_GROUP_DONE) and error events (§4.6). Events that happened while
 * no client listened are delivered after registering. NULL clears it.
 * Returns: QM_S_OK; QM_E_ITEM_NOT_FOUND when the group is gone; QM_E_POINTER when
 * cb->on_status is NULL. */
QM_API qm_hresult qm_group_set_notification_pointer(qm_group *group, const qm_callback1 *cb,
                                                    void *userdata);

/* ---------------------------------------------------------------------------------------
 * IBackgroundCopyJob1 (§4.3)
 */

QM_API qm_job1 *qm_job1_ref(qm_job1 *job);
QM_API void qm_job1_release(qm_job1 *job);

/* qm_job1_cancel() - Mirrors CancelJob, documented unsupported. Returns: QM_E_NOTIMPL. */
QM_API qm_hresult qm_job1_cancel(qm_job1 *job);

/* qm_job1_get_progress() - Mirrors GetProgress, same rules as qm_group_get_progress(). */
QM_API qm_hresult qm_job1_get_progress(qm_job1 *job, uint32_t flags, uint32_t *ret);

/* qm_job1_get_status() - Mirrors GetStatus: QM_STATUS_JOB_COMPLETE, _INCOMPLETE or _ERROR.
 * win32_result and transport_result are meaningful only with JOB_ERROR (else 0).
 * Returns: QM_S_OK; QM_E_POINTER when any out-pointer is NULL. */
QM_API qm_hresult qm_job1_get_status(qm_job1 *job, uint32_t *ret_status, uint32_t *ret_win32_result,
                                     uint32_t *ret_transport_result, uint32_t *ret_num_retries);

/* qm_job1_add_files() - Mirrors AddFiles: appends count files, all or nothing (§4.3).
 * The caller's umask is recorded and gives the committed files their mode.
 * Returns: QM_S_OK; QM_E_INVALIDARG for a URL that is not an absolute http/https URL of at
 *   most 2,200 characters, a local path that is not absolute, too long, a directory, or
 *   used twice in the job; QM_E_ACCESSDENIED when the destination directory does not exist
 *   or is not writable; QM_E_INVALID_STATE for a complete group; BG_E_TOO_MANY_FILES past
 *   the per-job limit; QM_E_POINTER for a NULL files with count > 0. */
QM_API qm_hresult qm_job1_add_files(qm_job1 *job, uint32_t count, const qm_fileset_info *files);

/* qm_job1_get_file() - Mirrors GetFile: copies of the remote and local names (free with
 * qm_fileset_info_clear()). Returns: QM_S_OK; QM_E_ITEM_NOT_FOUND for index >= count. */
QM_API qm_hresult qm_job1_get_file(qm_job1 *job, uint32_t index, qm_fileset_info *ret);

/* qm_job1_get_file_count() - Mirrors GetFileCount. Returns: QM_S_OK; QM_E_POINTER. */
QM_API qm_hresult qm_job1_get_file_count(qm_job1 *job, uint32_t *ret);

/* qm_job1_switch_to_foreground() - documented unsupported. Returns: QM_E_NOTIMPL. */
QM_API qm_hresult qm_job1_switch_to_foreground(qm_job1 *job);

/* qm_job1_get_id() - Mirrors get_JobID. Returns: QM_S_OK; QM_E_POINTER. */
QM_API qm_hresult qm_job1_get_id(qm_job1 *job, qm_guid *ret);

/* ---------------------------------------------------------------------------------------
 * Enumerators: snapshots taken when created. Next returns QM_S_FALSE when it fetched fewer
 * than celt; Skip returns QM_S_FALSE when it skipped fewer than celt.
 */

QM_API qm_hresult qm_enum_groups_next(qm_enum_groups *e, uint32_t celt, qm_guid *rgelt,
                                      uint32_t *ret_fetched /* may be NULL when celt == 1 */);
QM_API qm_hresult qm_enum_groups_skip(qm_enum_groups *e, uint32_t celt);
QM_API qm_hresult qm_enum_groups_reset(qm_enum_groups *e);
QM_API qm_hresult qm_enum_groups_clone(qm_enum_groups *e, qm_enum_groups **ret);
QM_API qm_hresult qm_enum_groups_get_count(qm_enum_groups *e, uint32_t *ret);
QM_API void qm_enum_groups_release(qm_enum_groups *e);

QM_API qm_hresult qm_enum_jobs1_next(qm_enum_jobs1 *e, uint32_t celt, qm_guid *rgelt,
                                     uint32_t *ret_fetched /* may be NULL when celt == 1 */);
QM_API qm_hresult qm_enum_jobs1_skip(qm_enum_jobs1 *e, uint32_t celt);
QM_API qm_hresult qm_enum_jobs1_reset(qm_enum_jobs1 *e);
QM_API qm_hresult qm_enum_jobs1_clone(qm_enum_jobs1 *e, qm_enum_jobs1 **ret);
QM_API qm_hresult qm_enum_jobs1_get_count(qm_enum_jobs1 *e, uint32_t *ret);
QM_API void qm_enum_jobs1_release(qm_enum_jobs1 *e);

/* ---------------------------------------------------------------------------------------
 * The modern job behind a group (§5). Calls that change a job in a final state
 * (ACKNOWLEDGED, CANCELLED: the group is gone) return BG_E_INVALID_STATE.
 */

typedef struct qm_job_progress {
        uint64_t bytes_total; /* BG_SIZE_UNKNOWN until every file's size is known */
        uint64_t bytes_transferred;
        uint32_t files_total;
        uint32_t files_transferred;
} qm_job_progress;

typedef struct qm_job_error {
        qm_hresult code;           /* e.g. BG_E_HTTP_ERROR_404 */
        uint32_t context;          /* BG_ERROR_CONTEXT_* */
        uint32_t file_index;       /* QM_NO_FILE_INDEX when no file is involved */
        uint32_t win32_result;     /* Win32 error code, 0 when none applies */
        uint32_t transport_result; /* HTTP status for HTTP errors, else 0 */
        char *description;         /* owned: free with qm_job_error_clear() */
} qm_job_error;

typedef struct qm_job_times {
        int64_t creation;            /* Unix time, seconds */
        int64_t modification;        /* last state change */
        int64_t transfer_completion; /* 0 until every file is transferred */
} qm_job_times;

typedef struct qm_file_progress {
        uint64_t bytes_total; /* BG_SIZE_UNKNOWN until the server told it */
        uint64_t bytes_transferred;
        int completed; /* 1 when the file is fully transferred */
} qm_file_progress;

QM_API qm_job *qm_job_ref(qm_job *job);
QM_API void qm_job_release(qm_job *job);
QM_API void qm_job_error_clear(qm_job_error *err);

/* qm_job_get_id() - the job's GUID (the group's). Returns: QM_S_OK; QM_E_POINTER. */
QM_API qm_hresult qm_job_get_id(qm_job *job, qm_guid *ret);
/* qm_job_get_state() - BG_JOB_STATE_*. Returns: QM_S_OK; BG_E_NOT_FOUND when the group is
 * gone; QM_E_POINTER. */
QM_API qm_hresult qm_job_get_state(qm_job *job, uint32_t *ret);
/* qm_job_get_progress() - 64-bit bytes and file counts. Returns as qm_job_get_state(). */
QM_API qm_hresult qm_job_get_progress(qm_job *job, qm_job_progress *ret);
/* qm_job_get_error() - the last fatal error. Returns: QM_S_OK;
 * BG_E_ERROR_INFORMATION_UNAVAILABLE when the job is not in error; BG_E_NOT_FOUND. */
QM_API qm_hresult qm_job_get_error(qm_job *job, qm_job_error *ret);
/* qm_job_get_times() - creation, modification and completion times. */
QM_API qm_hresult qm_job_get_times(qm_job *job, qm_job_times *ret);
/* qm_job_get_owner() - the owner's Unix uid. */
QM_API qm_hresult qm_job_get_owner(qm_job *job, uint32_t *ret_uid);
/* qm_job_get_priority() / qm_job_set_priority() - BG_JOB_PRIORITY_*. Set returns
 * QM_E_INVALIDARG for any other value. */
QM_API qm_hresult qm_job_get_priority(qm_job *job, uint32_t *ret);
QM_API qm_hresult qm_job_set_priority(qm_job *job, uint32_t priority);
/* qm_job_get_file_progress() - one file's sizes. Returns: QM_S_OK; QM_E_ITEM_NOT_FOUND for
 * index >= count. */
QM_API qm_hresult qm_job_get_file_progress(qm_job *job, uint32_t index, qm_file_progress *ret);
/* qm_job_resume() / qm_job_suspend() - as the group's, but a transferred job gives
 * BG_E_INVALID_STATE (modern semantics). BG_E_EMPTY: no files. */
QM_API qm_hresult qm_job_resume(qm_job *job);
QM_API qm_hresult qm_job_suspend(qm_job *job);
/* qm_job_cancel() - removes the group and deletes every temporary file; commits nothing.
 * Returns: QM_S_OK; BG_S_UNABLE_TO_DELETE_FILES; BG_E_INVALID_STATE when already gone. */
QM_API qm_hresult qm_job_cancel(qm_job *job);
/* qm_job_complete() - commits every fully transferred file, deletes partial ones, removes
 * the group. Returns: QM_S_OK; BG_S_PARTIAL_COMPLETE when not every file was transferred;
 * BG_E_INVALID_STATE when already gone. */
QM_API qm_hresult qm_job_complete(qm_job *job);
/* Retry policy (§4.4), in seconds. */
QM_API qm_hresult qm_job_set_minimum_retry_delay(qm_job *job, uint32_t seconds);
QM_API qm_hresult qm_job_get_minimum_retry_delay(qm_job *job, uint32_t *ret);
QM_API qm_hresult qm_job_set_no_progress_timeout(qm_job *job, uint32_t seconds);
QM_API qm_hresult qm_job_get_no_progress_timeout(qm_job *job, uint32_t *ret);
/* qm_job_set_notify_cmdline() - a program (absolute path) and its command line, run as the
 * owner when the job is transferred or fails (§5). NULL program clears it. */
QM_API qm_hresult qm_job_set_notify_cmdline(qm_job *job, const char *program,
                                            const char *parameters);

#ifdef __cplusplus
}
#endif
#endif /* QMGR_H */
