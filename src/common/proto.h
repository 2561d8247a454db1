/* proto.h - the wire protocol between libqmgr and qmgrd: Varlink framing (one JSON object per
 * message, each terminated by a NUL byte) and the one schema of every method.
 *
 * The schema is data: qmx_fields[] names every field once (wire name, type, size limit,
 * where it lives in struct qmx_msg) and qmx_methods[] says which fields each method takes
 * and returns. The service decodes calls and the library encodes them with the same tables,
 * so neither side marshals by hand. docs/protocol.md describes the result on the wire.
 *
 * No daemon or library types appear here (shared by qmgrd, libqmgr and qmgr).
 */
#ifndef QMX_PROTO_H
#define QMX_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "qmgr.h"

#define QMX_INTERFACE  "io.qmgr.Manager"
#define QMX_ERROR_NAME "io.qmgr.Manager.Error"
/* The largest message either side accepts (a 100,000-file AddFiles of typical URLs fits). */
#define QMX_MAX_MESSAGE (128u * 1024u * 1024u)
/* Wire-level caps that bound memory; semantic limits (§4.7) are checked by the service. */
#define QMX_MAX_STRING 65536u
#define QMX_MAX_URL    8800u /* bytes: 2,200 characters of up to 4 bytes */
#define QMX_MAX_PATH   4096u
#define QMX_MAX_FILES  1000000u
#define QMX_MAX_GUIDS  1000000u

enum qmx_field_id {
        QMX_F_GROUP_ID,
        QMX_F_JOB_ID,
        QMX_F_FLAGS,
        QMX_F_PROP,
        QMX_F_VALUE,
        QMX_F_FILES,
        QMX_F_UMASK,
        QMX_F_INDEX,
        QMX_F_MODERN,
        QMX_F_ALL_USERS,
        QMX_F_STATUS,
        QMX_F_JOB_INDEX,
        QMX_F_PROGRESS,
        QMX_F_SIZE,
        QMX_F_COUNT,
        QMX_F_WIN32_RESULT,
        QMX_F_TRANSPORT_RESULT,
        QMX_F_NUM_RETRIES,
        QMX_F_GROUPS,
        QMX_F_REMOTE,
        QMX_F_LOCAL,
        QMX_F_RESULT,
        QMX_F_STATE,
        QMX_F_PRIORITY,
        QMX_F_OWNER_UID,
        QMX_F_BYTES_TOTAL,
        QMX_F_BYTES_TRANSFERRED,
        QMX_F_FILES_TOTAL,
        QMX_F_FILES_TRANSFERRED,
        QMX_F_ERROR_HRESULT,
        QMX_F_ERROR_CONTEXT,
        QMX_F_ERROR_FILE_INDEX,
        QMX_F_ERROR_WIN32,
        QMX_F_ERROR_TRANSPORT,
        QMX_F_ERROR_MESSAGE,
        QMX_F_CREATED,
        QMX_F_MODIFIED,
        QMX_F_COMPLETED,
        QMX_F_OFFSET,
        QMX_F_LIMIT,
        QMX_F_HRESULT,
        QMX_F_NAME,
        QMX_F_MESSAGE,
        QMX_F_VERSION,
        QMX_F_SECONDS,
        QMX_F_PROGRAM,
        QMX_F_PARAMETERS,
        QMX_F_MIN_RETRY_DELAY,
        QMX_F_NO_PROGRESS_TIMEOUT,
        QMX_F_COMPLETE, /* only inside a files element */
        QMX_F_EVENT,
        QMX_F_EVENT_ID,
        QMX_F_WATCH_ALL,
        QMX_F__MAX
};

#define QMX_B(f) (UINT64_C(1) << QMX_F_##f)

enum qmx_type {
        QMX_T_GUID,    /* "{XXXXXXXX-...}" string */
        QMX_T_U32,     /* integer 0..UINT32_MAX */
        QMX_T_I32,     /* integer INT32_MIN..INT32_MAX */
        QMX_T_U64,     /* integer 0..INT64_MAX, or null for BG_SIZE_UNKNOWN */
        QMX_T_I64,     /* integer */
        QMX_T_BOOL,    /* true / false */
        QMX_T_STR,     /* UTF-8 string, at most max bytes */
        QMX_T_VARIANT, /* null (EMPTY), {"i4": n}, {"ui4": n} or {"str": s} */
        QMX_T_GUIDS,   /* array of at most max GUID strings */
        QMX_T_FILES,   /* array of at most max file objects (struct qmx_file) */
};

/* One file on the wire: AddFiles sends remote+local; ListFiles returns every field. */
struct qmx_file {
        uint64_t present; /* QMX_B() bits of the fields below that were given */
        char *remote;
        char *local;
        uint64_t bytes_total; /* BG_SIZE_UNKNOWN when not known */
        uint64_t bytes_transferred;
        bool complete;
};

/* Every parameter and reply field of every method. A message uses the subset its method
 * allows; `present` says which were given. Decoded messages own their strings and arrays
 * (free with qmx_msg_clear()); messages built for encoding only borrow them. */
struct qmx_msg {
        uint64_t present;
        qm_guid group_id, job_id;
        uint32_t flags, prop, umask, index, status, job_index, progress, size, count;
        uint32_t win32_result, transport_result, num_retries, state, priority, owner_uid;
        uint32_t files_total, files_transferred, error_context, error_file_index;
        uint32_t error_win32, error_transport, offset, limit, seconds;
        uint32_t min_retry_delay, no_progress_timeout;
        int32_t result, error_hresult, hresult;
        uint64_t bytes_total, bytes_transferred;
        int64_t created, modified, completed;
        bool modern, all_users, watch_all;
        char *event; /* "callback", "update" or "removed" (Subscribe stream) */
        uint64_t event_id;
        qm_variant value;
        char *remote, *local, *error_message, *name, *message, *version, *program, *parameters;
        qm_guid *groups;
        uint32_t n_groups;
        struct qmx_file *files;
        uint32_t n_files;
};

struct qmx_field {
        const char *name; /* wire name, snake_case */
        enum qmx_type type;
        size_t offset;       /* in struct qmx_msg (or struct qmx_file for file fields) */
        size_t count_offset; /* arrays: offset of the uint32_t element count */
        uint32_t max;        /* strings: bytes; arrays: elements */
};

enum qmx_method_id {
        QMX_M_PING,
        QMX_M_CREATE_GROUP,
        QMX_M_GET_GROUP,
        QMX_M_ENUM_GROUPS,
        QMX_M_GET_PROP,
        QMX_M_SET_PROP,
        QMX_M_GET_PROGRESS,
        QMX_M_GET_STATUS,
        QMX_M_GET_JOB,
        QMX_M_SUSPEND,
        QMX_M_RESUME,
        QMX_M_CANCEL,
        QMX_M_GET_SIZE,
        QMX_M_CREATE_JOB,
        QMX_M_ENUM_JOBS,
        QMX_M_SWITCH_TO_FOREGROUND,
        QMX_M_JOB1_GET_PROGRESS,
        QMX_M_JOB1_GET_STATUS,
        QMX_M_ADD_FILES,
        QMX_M_GET_FILE,
        QMX_M_GET_FILE_COUNT,
        QMX_M_GET_JOB_INFO,
        QMX_M_LIST_FILES,
        QMX_M_JOB_CANCEL,
        QMX_M_JOB_COMPLETE,
        QMX_M_JOB_SET_PRIORITY,
        QMX_M_JOB_SET_RETRY_DELAY,
        QMX_M_JOB_SET_NO_PROGRESS_TIMEOUT,
        QMX_M_SUBSCRIBE,
        QMX_M_REGISTER_CALLBACK,
        QMX_M_UNREGISTER_CALLBACK,
        QMX_M_ACK_EVENT,
        QMX_M_WATCH,
        QMX_M_JOB_SET_NOTIFY_CMDLINE,
        QMX_M__MAX
};

struct qmx_method {
        const char *name;  /* full Varlink name, "io.qmgr.Manager.CreateGroup" */
        uint64_t required; /* parameters that must be given */
        uint64_t optional; /* parameters that may be given */
        uint64_t reply;    /* fields the reply may carry */
};

extern const struct qmx_field qmx_fields[QMX_F__MAX];
extern const struct qmx_field qmx_file_fields[QMX_F__MAX];
extern const struct qmx_method qmx_methods[QMX_M__MAX];

/* The method with this Varlink name, or NULL. */
const struct qmx_method *qmx_method_lookup(const char *name, enum qmx_method_id *ret_id);

/* Builds the JSON object of the fields of m that are both present and in `allowed`.
 * Returns a new reference, or NULL when out of memory. */
json_t *qmx_encode(const struct qmx_msg *m, uint64_t allowed);

/* Decodes a parameters object into *m (zeroed first). Rejects unknown fields, fields not in
 * required|optional, wrong types, values out of range and oversize strings or arrays, and
 * requires every field of `required`. On failure writes a one-line reason into err and
 * returns -EINVAL (or -ENOMEM); *m is left cleared. */
int qmx_decode(json_t *obj, uint64_t required, uint64_t optional, struct qmx_msg *m, char *err,
               size_t errlen);

/* Frees what qmx_decode() allocated and zeroes *m. NULL-safe. */
void qmx_msg_clear(struct qmx_msg *m);

/* Serialises a complete Varlink message (JSON text plus the terminating NUL).
 * Returns a malloc'ed buffer and its length including the NUL, or NULL. */
char *qmx_frame(json_t *msg, size_t *ret_len);

/* The Varlink messages of this protocol. */
json_t *qmx_call_new(enum qmx_method_id id, const struct qmx_msg *params, bool more);
json_t *qmx_reply_new(enum qmx_method_id id, const struct qmx_msg *reply, bool continues);
json_t *qmx_error_new(qm_hresult hr, const char *message);

/* Parses one framed reply (without its NUL) to method id. On a success reply fills *reply
 * and returns QM_S_OK (or the reply's `result` success code); on an error reply returns its
 * hresult; on a malformed reply returns QM_E_PROTOCOL. *continues (may be NULL) is set from
 * the reply. err (may be NULL) receives the error reply's message. */
qm_hresult qmx_reply_parse(enum qmx_method_id id, const char *buf, size_t len,
                           struct qmx_msg *reply, bool *continues, char *err, size_t errlen);

/* UTF-8: the number of code points in s (NUL-terminated), or -1 if s is not valid UTF-8
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
long qmx_utf8_count(const char *s);

#endif
