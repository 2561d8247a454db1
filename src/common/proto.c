/* proto.c - the schema tables and the generic encoder/decoder driven by them (proto.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define M(f)                               offsetof(struct qmx_msg, f)
#define FIELD(id, wire, type, member, max) [QMX_F_##id] = {wire, type, M(member), 0, max}
#define ARRAY(id, wire, type, member, countmember, max)                                            \
        [QMX_F_##id] = {wire, type, M(member), M(countmember), max}

const struct qmx_field qmx_fields[QMX_F__MAX] = {
        FIELD(GROUP_ID, "group_id", QMX_T_GUID, group_id, 0),
        FIELD(JOB_ID, "job_id", QMX_T_GUID, job_id, 0),
        FIELD(FLAGS, "flags", QMX_T_U32, flags, 0),
        FIELD(PROP, "prop", QMX_T_U32, prop, 0),
        FIELD(VALUE, "value", QMX_T_VARIANT, value, QMX_MAX_STRING),
        ARRAY(FILES, "files", QMX_T_FILES, files, n_files, QMX_MAX_FILES),
        FIELD(UMASK, "umask", QMX_T_U32, umask, 0),
        FIELD(INDEX, "index", QMX_T_U32, index, 0),
        FIELD(MODERN, "modern", QMX_T_BOOL, modern, 0),
        FIELD(ALL_USERS, "all_users", QMX_T_BOOL, all_users, 0),
        FIELD(STATUS, "status", QMX_T_U32, status, 0),
        FIELD(JOB_INDEX, "job_index", QMX_T_U32, job_index, 0),
        FIELD(PROGRESS, "progress", QMX_T_U32, progress, 0),
        FIELD(SIZE, "size", QMX_T_U32, size, 0),
        FIELD(COUNT, "count", QMX_T_U32, count, 0),
        FIELD(WIN32_RESULT, "win32_result", QMX_T_U32, win32_result, 0),
        FIELD(TRANSPORT_RESULT, "transport_result", QMX_T_U32, transport_result, 0),
        FIELD(NUM_RETRIES, "num_retries", QMX_T_U32, num_retries, 0),
        ARRAY(GROUPS, "groups", QMX_T_GUIDS, groups, n_groups, QMX_MAX_GUIDS),
        FIELD(REMOTE, "remote", QMX_T_STR, remote, QMX_MAX_URL),
        FIELD(LOCAL, "local", QMX_T_STR, local, QMX_MAX_PATH),
        FIELD(RESULT, "result", QMX_T_I32, result, 0),
        FIELD(STATE, "state", QMX_T_U32, state, 0),
        FIELD(PRIORITY, "priority", QMX_T_U32, priority, 0),
        FIELD(OWNER_UID, "owner_uid", QMX_T_U32, owner_uid, 0),
        FIELD(BYTES_TOTAL, "bytes_total", QMX_T_U64, bytes_total, 0),
        FIELD(BYTES_TRANSFERRED, "bytes_transferred", QMX_T_U64, bytes_transferred, 0),
        FIELD(FILES_TOTAL, "files_total", QMX_T_U32, files_total, 0),
        FIELD(FILES_TRANSFERRED, "files_transferred", QMX_T_U32, files_transferred, 0),
        FIELD(ERROR_HRESULT, "error_hresult", QMX_T_I32, error_hresult, 0),
        FIELD(ERROR_CONTEXT, "error_context", QMX_T_U32, error_context, 0),
        FIELD(ERROR_FILE_INDEX, "error_file_index", QMX_T_U32, error_file_index, 0),
        FIELD(ERROR_WIN32, "error_win32_result", QMX_T_U32, error_win32, 0),
        FIELD(ERROR_TRANSPORT, "error_transport_result", QMX_T_U32, error_transport, 0),
        FIELD(ERROR_MESSAGE, "error_message", QMX_T_STR, error_message, QMX_MAX_STRING),
        FIELD(CREATED, "created", QMX_T_I64, created, 0),
        FIELD(MODIFIED, "modified", QMX_T_I64, modified, 0),
        FIELD(COMPLETED, "completed", QMX_T_I64, completed, 0),
        FIELD(OFFSET, "offset", QMX_T_U32, offset, 0),
        FIELD(LIMIT, "limit", QMX_T_U32, limit, 0),
        FIELD(HRESULT, "hresult", QMX_T_I32, hresult, 0),
        FIELD(NAME, "name", QMX_T_STR, name, QMX_MAX_STRING),
        FIELD(MESSAGE, "message", QMX_T_STR, message, QMX_MAX_STRING),
        FIELD(VERSION, "version", QMX_T_STR, version, 256),
        FIELD(SECONDS, "seconds", QMX_T_U32, seconds, 0),
        FIELD(PROGRAM, "program", QMX_T_STR, program, QMX_MAX_PATH),
        FIELD(PARAMETERS, "parameters", QMX_T_STR, parameters, QMX_MAX_STRING),
        FIELD(MIN_RETRY_DELAY, "min_retry_delay", QMX_T_U32, min_retry_delay, 0),
        FIELD(NO_PROGRESS_TIMEOUT, "no_progress_timeout", QMX_T_U32, no_progress_timeout, 0),
        FIELD(EVENT, "event", QMX_T_STR, event, 32),
        FIELD(EVENT_ID, "event_id", QMX_T_U64, event_id, 0),
        FIELD(WATCH_ALL, "watch_all", QMX_T_BOOL, watch_all, 0),
};
#undef FIELD
#undef ARRAY
#undef M

/* The fields of one element of a "files" array; offsets are into struct qmx_file. */
#define F(f) offsetof(struct qmx_file, f)
const struct qmx_field qmx_file_fields[QMX_F__MAX] = {
        [QMX_F_REMOTE] = {"remote", QMX_T_STR, F(remote), 0, QMX_MAX_URL},
        [QMX_F_LOCAL] = {"local", QMX_T_STR, F(local), 0, QMX_MAX_PATH},
        [QMX_F_BYTES_TOTAL] = {"bytes_total", QMX_T_U64, F(bytes_total), 0, 0},
        [QMX_F_BYTES_TRANSFERRED] = {"bytes_transferred", QMX_T_U64, F(bytes_transferred), 0, 0},
        [QMX_F_COMPLETE] = {"complete", QMX_T_BOOL, F(complete), 0, 0},
};
#undef F
#define FILE_FIELDS                                                                                \
        (QMX_B(REMOTE) | QMX_B(LOCAL) | QMX_B(BYTES_TOTAL) | QMX_B(BYTES_TRANSFERRED) |            \
         QMX_B(COMPLETE))

#define B     QMX_B
#define GROUP B(GROUP_ID)
#define JOB   (B(GROUP_ID) | B(JOB_ID))
#define ERR_FIELDS                                                                                 \
        (B(ERROR_HRESULT) | B(ERROR_CONTEXT) | B(ERROR_FILE_INDEX) | B(ERROR_WIN32) |              \
         B(ERROR_TRANSPORT) | B(ERROR_MESSAGE))
#define METHOD(id, name, req, opt, rep) [QMX_M_##id] = {QMX_INTERFACE "." name, req, opt, rep}

const struct qmx_method qmx_methods[QMX_M__MAX] = {
        METHOD(PING, "Ping", 0, 0, B(VERSION) | B(OWNER_UID)),
        METHOD(CREATE_GROUP, "CreateGroup", GROUP, 0, 0),
        METHOD(GET_GROUP, "GetGroup", GROUP, 0, 0),
        METHOD(ENUM_GROUPS, "EnumGroups", B(FLAGS), B(ALL_USERS), B(GROUPS)),
        METHOD(GET_PROP, "GetProp", GROUP | B(PROP), 0, B(VALUE)),
        METHOD(SET_PROP, "SetProp", GROUP | B(PROP) | B(VALUE), 0, 0),
        METHOD(GET_PROGRESS, "GetProgress", GROUP | B(FLAGS), 0, B(PROGRESS)),
        METHOD(GET_STATUS, "GetStatus", GROUP, 0, B(STATUS) | B(JOB_INDEX)),
        METHOD(GET_JOB, "GetJob", JOB, 0, 0),
        METHOD(SUSPEND, "SuspendGroup", GROUP, B(MODERN), 0),
        METHOD(RESUME, "ResumeGroup", GROUP, B(MODERN), 0),
        METHOD(CANCEL, "CancelGroup", GROUP, 0, B(RESULT)),
        METHOD(GET_SIZE, "GetSize", GROUP, 0, B(SIZE)),
        METHOD(CREATE_JOB, "CreateJob", JOB, 0, 0),
        METHOD(ENUM_JOBS, "EnumJobs", GROUP | B(FLAGS), 0, B(GROUPS)),
        METHOD(SWITCH_TO_FOREGROUND, "SwitchToForeground", GROUP, 0, 0),
        METHOD(JOB1_GET_PROGRESS, "Job1GetProgress", JOB | B(FLAGS), 0, B(PROGRESS)),
        METHOD(JOB1_GET_STATUS, "Job1GetStatus", JOB, 0,
               B(STATUS) | B(WIN32_RESULT) | B(TRANSPORT_RESULT) | B(NUM_RETRIES)),
        METHOD(ADD_FILES, "AddFiles", JOB | B(FILES) | B(UMASK), 0, 0),
        METHOD(GET_FILE, "GetFile", JOB | B(INDEX), 0, B(REMOTE) | B(LOCAL)),
        METHOD(GET_FILE_COUNT, "GetFileCount", JOB, 0, B(COUNT)),
        METHOD(GET_JOB_INFO, "GetJobInfo", GROUP, 0,
               B(JOB_ID) | B(STATE) | B(STATUS) | B(PRIORITY) | B(OWNER_UID) | B(BYTES_TOTAL) |
                       B(BYTES_TRANSFERRED) | B(FILES_TOTAL) | B(FILES_TRANSFERRED) |
                       B(NUM_RETRIES) | B(CREATED) | B(MODIFIED) | B(COMPLETED) |
                       B(MIN_RETRY_DELAY) | B(NO_PROGRESS_TIMEOUT) | B(PROGRAM) | B(PARAMETERS) |
                       ERR_FIELDS),
        METHOD(LIST_FILES, "ListFiles", GROUP, B(OFFSET) | B(LIMIT), B(FILES) | B(COUNT)),
        METHOD(JOB_CANCEL, "JobCancel", GROUP, 0, B(RESULT)),
        METHOD(JOB_COMPLETE, "JobComplete", GROUP, 0, B(RESULT)),
        METHOD(JOB_SET_PRIORITY, "JobSetPriority", GROUP | B(PRIORITY), 0, 0),
        METHOD(JOB_SET_RETRY_DELAY, "JobSetMinimumRetryDelay", GROUP | B(SECONDS), 0, 0),
        METHOD(JOB_SET_NO_PROGRESS_TIMEOUT, "JobSetNoProgressTimeout", GROUP | B(SECONDS), 0, 0),
        /* The connection's event stream (called with "more"): the first reply acknowledges,
         * every later reply ("continues": true) is one event (docs/protocol.md). */
        METHOD(SUBSCRIBE, "Subscribe", 0, 0,
               B(EVENT) | B(EVENT_ID) | B(GROUP_ID) | B(JOB_ID) | B(INDEX) | B(STATUS) | B(NAME) |
                       B(NUM_RETRIES) | B(WIN32_RESULT) | B(TRANSPORT_RESULT) | B(STATE) |
                       B(BYTES_TOTAL) | B(BYTES_TRANSFERRED) | B(FILES_TOTAL) |
                       B(FILES_TRANSFERRED) | ERR_FIELDS),
        METHOD(REGISTER_CALLBACK, "RegisterCallback", GROUP, 0, 0),
        METHOD(UNREGISTER_CALLBACK, "UnregisterCallback", GROUP, 0, 0),
        METHOD(ACK_EVENT, "AckEvent", B(EVENT_ID) | B(RESULT), 0, 0),
        METHOD(WATCH, "Watch", 0, GROUP | B(WATCH_ALL), 0),
        /* Without `program` the command line is cleared. */
        METHOD(JOB_SET_NOTIFY_CMDLINE, "JobSetNotifyCmdLine", GROUP, B(PROGRAM) | B(PARAMETERS), 0),
};
#undef METHOD

/* Fields of an error reply's parameters. */
#define ERROR_REPLY (B(HRESULT) | B(NAME) | B(MESSAGE))

const struct qmx_method *qmx_method_lookup(const char *name, enum qmx_method_id *ret_id)
{
        for (int i = 0; i < QMX_M__MAX; i++) {
                if (strcmp(qmx_methods[i].name, name) == 0) {
                        if (ret_id)
                                *ret_id = (enum qmx_method_id)i;
                        return &qmx_methods[i];
                }
        }
        return NULL;
}

long qmx_utf8_count(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        long n = 0;

        while (*p) {
                uint32_t cp;
                int len;

                if (*p < 0x80) {
                        p++;
                        n++;
                        continue;
                } else if ((*p & 0xE0) == 0xC0) {
                        cp = *p & 0x1F;
                        len = 2;
                } else if ((*p & 0xF0) == 0xE0) {
                        cp = *p & 0x0F;
                        len = 3;
                } else if ((*p & 0xF8) == 0xF0) {
                        cp = *p & 0x07;
                        len = 4;
                } else {
                        return -1;
                }
                for (int i = 1; i < len; i++) {
                        if ((p[i] & 0xC0) != 0x80)
                                return -1;
                        cp = cp << 6 | (p[i] & 0x3F);
                }
                if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                    (len == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return -1;
                p += len;
                n++;
        }
        return n;
}

/* ---- encoding ------------------------------------------------------------------------- */

static json_t *guid_json(const qm_guid *g)
{
        char buf[QM_GUID_STRING_SIZE];

        qm_guid_to_string(g, buf);
        return json_string(buf);
}

static json_t *encode_value(const struct qmx_field *f, const void *base);

static json_t *encode_object(const struct qmx_field *table, const void *base, uint64_t fields)
{
        json_t *o = json_object();

        if (!o)
                return NULL;
        for (int i = 0; i < QMX_F__MAX; i++) {
                json_t *v;

                if (!(fields & (UINT64_C(1) << i)) || !table[i].name)
                        continue;
                v = encode_value(&table[i], base);
                if (!v || json_object_set_new(o, table[i].name, v) < 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        return o;
}

static json_t *encode_value(const struct qmx_field *f, const void *base)
{
        const char *p = (const char *)base + f->offset;

        switch (f->type) {
        case QMX_T_GUID:
                return guid_json((const qm_guid *)p);
        case QMX_T_U32:
                return json_integer(*(const uint32_t *)p);
        case QMX_T_I32:
                return json_integer(*(const int32_t *)p);
        case QMX_T_U64: {
                uint64_t v = *(const uint64_t *)p;

                return v == BG_SIZE_UNKNOWN ? json_null() : json_integer((json_int_t)v);
        }
        case QMX_T_I64:
                return json_integer(*(const int64_t *)p);
        case QMX_T_BOOL:
                return json_boolean(*(const bool *)p);
        case QMX_T_STR: {
                const char *s = *(char *const *)p;

                return json_string(s ? s : "");
        }
        case QMX_T_VARIANT: {
                const qm_variant *v = (const qm_variant *)p;

                switch (v->type) {
                case QM_VT_I4:
                        return json_pack("{sI}", "i4", (json_int_t)v->u.i4);
                case QM_VT_UI4:
                        return json_pack("{sI}", "ui4", (json_int_t)v->u.ui4);
                case QM_VT_STR:
                        return json_pack("{ss}", "str", v->u.str ? v->u.str : "");
                default:
                        return json_null();
                }
        }
        case QMX_T_GUIDS: {
                const qm_guid *g = *(qm_guid *const *)p;
                uint32_t n = *(const uint32_t *)((const char *)base + f->count_offset);
                json_t *a = json_array();

                for (uint32_t i = 0; a && i < n; i++) {
                        if (json_array_append_new(a, guid_json(&g[i])) < 0) {
                                json_decref(a);
                                a = NULL;
                        }
                }
                return a;
        }
        case QMX_T_FILES: {
                const struct qmx_file *files = *(struct qmx_file *const *)p;
                uint32_t n = *(const uint32_t *)((const char *)base + f->count_offset);
                json_t *a = json_array();

                for (uint32_t i = 0; a && i < n; i++) {
                        json_t *o = encode_object(qmx_file_fields, &files[i],
                                                  files[i].present & FILE_FIELDS);

                        if (!o || json_array_append_new(a, o) < 0) {
                                json_decref(a);
                                a = NULL;
                        }
                }
                return a;
        }
        }
        return NULL;
}

json_t *qmx_encode(const struct qmx_msg *m, uint64_t allowed)
{
        return encode_object(qmx_fields, m, m->present & allowed);
}

char *qmx_frame(json_t *msg, size_t *ret_len)
{
        char *s;

        if (!msg)
                return NULL;
        s = json_dumps(msg, JSON_COMPACT);
        if (!s)
                return NULL;
        *ret_len = strlen(s) + 1; /* the NUL terminates the message on the wire */
        return s;
}

json_t *qmx_call_new(enum qmx_method_id id, const struct qmx_msg *params, bool more)
{
        const struct qmx_method *m = &qmx_methods[id];
        json_t *p = qmx_encode(params, m->required | m->optional);

        if (!p)
                return NULL;
        return json_pack("{ss so* so}", "method", m->name, "more", more ? json_true() : NULL,
                         "parameters", p);
}

json_t *qmx_reply_new(enum qmx_method_id id, const struct qmx_msg *reply, bool continues)
{
        json_t *p = qmx_encode(reply, qmx_methods[id].reply);

        if (!p)
                return NULL;
        return json_pack("{so so*}", "parameters", p, "continues", continues ? json_true() : NULL);
}

/* Replaces every byte that is not part of a valid UTF-8 sequence by '?', in place: messages
 * are cut by bytes (snprintf), which may split a character, and JSON needs valid UTF-8. */
static void utf8_sanitize(char *s)
{
        unsigned char *p = (unsigned char *)s;

        while (*p) {
                int len = *p < 0x80             ? 1
                          : (*p & 0xE0) == 0xC0 ? 2
                          : (*p & 0xF0) == 0xE0 ? 3
                          : (*p & 0xF8) == 0xF0 ? 4
                                                : 0;
                char one[5] = {0};
                int i;

                for (i = 0; i < len && p[i]; i++)
                        one[i] = (char)p[i];
                if (len == 0 || i < len || qmx_utf8_count(one) != 1) {
                        *p++ = '?';
                        continue;
                }
                p += len;
        }
}

json_t *qmx_error_new(qm_hresult hr, const char *message)
{
        char *copy = strdup(message ? message : qm_strerror(hr));
        json_t *e;

        if (!copy)
                return NULL;
        utf8_sanitize(copy);
        e = json_pack("{ss s{si ss ss}}", "error", QMX_ERROR_NAME, "parameters", "hresult", (int)hr,
                      "name", qm_hresult_name(hr), "message", copy);
        free(copy);
        return e;
}

/* ---- decoding ------------------------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (err && errlen) {
                va_start(ap, fmt);
                vsnprintf(err, errlen, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static int decode_string(const struct qmx_field *f, json_t *v, char **out, char *err, size_t errlen)
{
        size_t len;

        if (!json_is_string(v))
                return fail(err, errlen, "field '%s' must be a string", f->name);
        len = json_string_length(v);
        if (len > f->max)
                return fail(err, errlen, "field '%s' is longer than %u bytes", f->name, f->max);
        if (memchr(json_string_value(v), '\0', len))
                return fail(err, errlen, "field '%s' contains a NUL character", f->name);
        *out = strdup(json_string_value(v));
        return *out ? 0 : -ENOMEM;
}

static int decode_guid(const struct qmx_field *f, json_t *v, qm_guid *out, char *err, size_t errlen)
{
        if (!json_is_string(v) || qm_guid_from_string(json_string_value(v), out) != QM_S_OK)
                return fail(err, errlen, "field '%s' must be a GUID string", f->name);
        return 0;
}

static int decode_object(const struct qmx_field *table, json_t *obj, uint64_t required,
                         uint64_t optional, void *base, uint64_t *present, char *err,
                         size_t errlen);

static int decode_value(const struct qmx_field *f, json_t *v, void *base, char *err, size_t errlen)
{
        char *p = (char *)base + f->offset;
        json_int_t i;

        switch (f->type) {
        case QMX_T_GUID:
                return decode_guid(f, v, (qm_guid *)p, err, errlen);
        case QMX_T_U32:
        case QMX_T_I32:
        case QMX_T_I64:
                if (!json_is_integer(v))
                        return fail(err, errlen, "field '%s' must be an integer", f->name);
                i = json_integer_value(v);
                if (f->type == QMX_T_U32) {
                        if (i < 0 || i > UINT32_MAX)
                                return fail(err, errlen, "field '%s' is out of range", f->name);
                        *(uint32_t *)p = (uint32_t)i;
                } else if (f->type == QMX_T_I32) {
                        if (i < INT32_MIN || i > INT32_MAX)
                                return fail(err, errlen, "field '%s' is out of range", f->name);
                        *(int32_t *)p = (int32_t)i;
                } else {
                        *(int64_t *)p = (int64_t)i;
                }
                return 0;
        case QMX_T_U64:
                if (json_is_null(v)) {
                        *(uint64_t *)p = BG_SIZE_UNKNOWN;
                        return 0;
                }
                if (!json_is_integer(v) || json_integer_value(v) < 0)
                        return fail(err, errlen, "field '%s' must be a non-negative integer",
                                    f->name);
                *(uint64_t *)p = (uint64_t)json_integer_value(v);
                return 0;
        case QMX_T_BOOL:
                if (!json_is_boolean(v))
                        return fail(err, errlen, "field '%s' must be a boolean", f->name);
                *(bool *)p = json_is_true(v);
                return 0;
        case QMX_T_STR:
                return decode_string(f, v, (char **)p, err, errlen);
        case QMX_T_VARIANT: {
                qm_variant *var = (qm_variant *)p;
                const char *key;
                json_t *x;

                var->type = QM_VT_EMPTY;
                if (json_is_null(v))
                        return 0;
                if (!json_is_object(v) || json_object_size(v) != 1)
                        return fail(err, errlen, "field '%s' must be a variant", f->name);
                json_object_foreach(v, key, x)
                {
                        if (strcmp(key, "str") == 0) {
                                int r = decode_string(f, x, &var->u.str, err, errlen);

                                if (r == 0)
                                        var->type = QM_VT_STR;
                                return r;
                        }
                        if (!json_is_integer(x))
                                break;
                        i = json_integer_value(x);
                        if (strcmp(key, "i4") == 0 && i >= INT32_MIN && i <= INT32_MAX) {
                                var->type = QM_VT_I4;
                                var->u.i4 = (int32_t)i;
                                return 0;
                        }
                        if (strcmp(key, "ui4") == 0 && i >= 0 && i <= UINT32_MAX) {
                                var->type = QM_VT_UI4;
                                var->u.ui4 = (uint32_t)i;
                                return 0;
                        }
                }
                return fail(err, errlen, "field '%s' must be a variant", f->name);
        }
        case QMX_T_GUIDS: {
                uint32_t *count = (uint32_t *)((char *)base + f->count_offset);
                qm_guid **out = (qm_guid **)p;
                size_t n;

                if (!json_is_array(v))
                        return fail(err, errlen, "field '%s' must be an array", f->name);
                n = json_array_size(v);
                if (n > f->max)
                        return fail(err, errlen, "field '%s' has more than %u elements", f->name,
                                    f->max);
                *out = calloc(n ? n : 1, sizeof(qm_guid));
                if (!*out)
                        return -ENOMEM;
                *count = (uint32_t)n;
                for (size_t k = 0; k < n; k++) {
                        int r = decode_guid(f, json_array_get(v, k), &(*out)[k], err, errlen);

                        if (r < 0)
                                return r;
                }
                return 0;
        }
        case QMX_T_FILES: {
                uint32_t *count = (uint32_t *)((char *)base + f->count_offset);
                struct qmx_file **out = (struct qmx_file **)p;
                size_t n;

                if (!json_is_array(v))
                        return fail(err, errlen, "field '%s' must be an array", f->name);
                n = json_array_size(v);
                if (n > f->max)
                        return fail(err, errlen, "field '%s' has more than %u elements", f->name,
                                    f->max);
                *out = calloc(n ? n : 1, sizeof(struct qmx_file));
                if (!*out)
                        return -ENOMEM;
                *count = (uint32_t)n;
                for (size_t k = 0; k < n; k++) {
                        struct qmx_file *file = &(*out)[k];
                        int r;

                        file->bytes_total = BG_SIZE_UNKNOWN;
                        r = decode_object(qmx_file_fields, json_array_get(v, k), 0, FILE_FIELDS,
                                          file, &file->present, err, errlen);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        }
        return fail(err, errlen, "field '%s' has an unknown type", f->name);
}

static int decode_object(const struct qmx_field *table, json_t *obj, uint64_t required,
                         uint64_t optional, void *base, uint64_t *present, char *err, size_t errlen)
{
        const char *key;
        json_t *v;

        if (!json_is_object(obj))
                return fail(err, errlen, "parameters must be an object");
        json_object_foreach(obj, key, v)
        {
                int id = -1, r;

                for (int i = 0; i < QMX_F__MAX; i++) {
                        if (table[i].name && strcmp(table[i].name, key) == 0) {
                                id = i;
                                break;
                        }
                }
                if (id < 0 || !((required | optional) & (UINT64_C(1) << id)))
                        return fail(err, errlen, "unknown field '%.64s'", key);
                r = decode_value(&table[id], v, base, err, errlen);
                if (r < 0)
                        return r;
                *present |= UINT64_C(1) << id;
        }
        if ((*present & required) != required) {
                for (int i = 0; i < QMX_F__MAX; i++)
                        if ((required & ~*present) & (UINT64_C(1) << i))
                                return fail(err, errlen, "missing field '%s'", table[i].name);
        }
        return 0;
}

void qmx_msg_clear(struct qmx_msg *m)
{
        if (!m)
                return;
        if (m->value.type == QM_VT_STR)
                free(m->value.u.str);
        free(m->remote);
        free(m->local);
        free(m->error_message);
        free(m->name);
        free(m->message);
        free(m->version);
        free(m->program);
        free(m->parameters);
        free(m->event);
        free(m->groups);
        for (uint32_t i = 0; m->files && i < m->n_files; i++) {
                free(m->files[i].remote);
                free(m->files[i].local);
        }
        free(m->files);
        memset(m, 0, sizeof(*m));
}

int qmx_decode(json_t *obj, uint64_t required, uint64_t optional, struct qmx_msg *m, char *err,
               size_t errlen)
{
        int r;

        memset(m, 0, sizeof(*m));
        m->bytes_total = BG_SIZE_UNKNOWN;
        r = decode_object(qmx_fields, obj, required, optional, m, &m->present, err, errlen);
        if (r < 0)
                qmx_msg_clear(m);
        return r;
}

qm_hresult qmx_reply_parse(enum qmx_method_id id, const char *buf, size_t len,
                           struct qmx_msg *reply, bool *continues, char *err, size_t errlen)
{
        json_t *root, *params, *error;
        json_error_t jerr;
        qm_hresult hr;

        memset(reply, 0, sizeof(*reply));
        if (err && errlen)
                err[0] = '\0';
        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root || !json_is_object(root)) {
                json_decref(root);
                return QM_E_PROTOCOL;
        }
        params = json_object_get(root, "parameters");
        error = json_object_get(root, "error");
        if (continues)
                *continues = json_is_true(json_object_get(root, "continues"));
        if (!params)
                params = json_object(); /* Varlink allows the parameters to be omitted */
        else
                json_incref(params);
        if (error) {
                struct qmx_msg e;

                if (!json_is_string(error) ||
                    qmx_decode(params, B(HRESULT), B(NAME) | B(MESSAGE), &e, NULL, 0) < 0) {
                        hr = QM_E_PROTOCOL;
                } else if (e.hresult >= 0) {
                        /* An error must carry a failure code. */
                        qmx_msg_clear(&e);
                        hr = QM_E_PROTOCOL;
                } else {
                        hr = e.hresult;
                        if (err && errlen && e.message)
                                snprintf(err, errlen, "%s", e.message);
                        qmx_msg_clear(&e);
                }
        } else if (qmx_decode(params, 0, qmx_methods[id].reply, reply, err, errlen) < 0) {
                hr = QM_E_PROTOCOL;
        } else {
                hr = (reply->present & B(RESULT)) && reply->result >= 0 ? reply->result : QM_S_OK;
        }
        json_decref(params);
        json_decref(root);
        return hr;
}
