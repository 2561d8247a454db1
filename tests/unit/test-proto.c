/* test-proto.c - the wire codec of src/common/proto.c: encode/decode round trips, decoder
 * rejections, replies and UTF-8 validation. */
#include <errno.h>
#include <stdlib.h>

#include "proto.h"
#include "qmgr.h"
#include "unit.h"

#define ALL_FIELDS ((UINT64_C(1) << QMX_F__MAX) - 1)

static const qm_guid g1 = {0x01234567, 0x89AB, 0xCDEF, {1, 2, 3, 4, 5, 6, 7, 8}};
static const qm_guid g2 = {0xFFFFFFFF, 0x0000, 0x4ABC, {0x80, 0, 0, 0, 0, 0, 0, 0xFF}};

/* Every top-level field that has a wire name. */
static uint64_t named_fields(void)
{
        uint64_t b = 0;

        for (int i = 0; i < QMX_F__MAX; i++)
                if (qmx_fields[i].name)
                        b |= UINT64_C(1) << i;
        return b;
}

/* Encodes m with every field allowed, then decodes it with every field optional. */
static void round_trip(const struct qmx_msg *m, struct qmx_msg *out)
{
        char err[256] = "";
        json_t *j = qmx_encode(m, ALL_FIELDS);
        int r;

        ASSERT_NOT_NULL(j);
        r = qmx_decode(j, 0, named_fields(), out, err, sizeof(err));
        if (r != 0)
                unit_fail(__FILE__, __LINE__, "qmx_decode failed (%d): %s", r, err);
        json_decref(j);
}

/* Decodes a JSON text with the given required/optional sets; returns qmx_decode()'s result
 * and leaves the reason in err. */
static int decode_text(const char *text, uint64_t req, uint64_t opt, struct qmx_msg *m, char *err,
                       size_t errlen)
{
        json_error_t jerr;
        json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        int r;

        if (!j)
                unit_fail(__FILE__, __LINE__, "bad JSON in test: %s: %s", text, jerr.text);
        err[0] = '\0';
        r = qmx_decode(j, req, opt, m, err, errlen);
        json_decref(j);
        return r;
}

static void expect_rejected(const char *text, uint64_t req, uint64_t opt, const char *why, int line)
{
        struct qmx_msg m;
        char err[256];
        int r = decode_text(text, req, opt, &m, err, sizeof(err));

        if (r != -EINVAL)
                unit_fail(__FILE__, line, "decode of %s returned %d, expected -EINVAL", text, r);
        if (err[0] == '\0')
                unit_fail(__FILE__, line, "decode of %s gave no reason", text);
        if (why && !strstr(err, why))
                unit_fail(__FILE__, line, "decode of %s: reason \"%s\" lacks \"%s\"", text, err,
                          why);
        /* *m is left cleared */
        if (m.present != 0 || m.remote || m.files || m.groups || m.name)
                unit_fail(__FILE__, line, "decode of %s left data in the message", text);
}
#define REJECT(text, req, opt, why) expect_rejected(text, req, opt, why, __LINE__)

TEST(proto_round_trip_scalars)
{
        struct qmx_msg m, d;

        memset(&m, 0, sizeof(m));
        m.present = named_fields() & ~(QMX_B(FILES) | QMX_B(GROUPS) | QMX_B(VALUE));
        m.group_id = g1;
        m.job_id = g2;
        m.flags = 0xFFFFFFFFu;
        m.prop = 12;
        m.umask = 022;
        m.index = 7;
        m.modern = true;
        m.all_users = false;
        m.status = 0x180;
        m.job_index = 0;
        m.progress = 99;
        m.size = 123456789;
        m.count = 3;
        m.win32_result = 12029;
        m.transport_result = 404;
        m.num_retries = 5;
        m.remote = (char *)"http://127.0.0.1:8080/a b/\xc3\xa9t\xc3\xa9.bin?x=1&y=\"2\"";
        m.local = (char *)"/tmp/dir/\xe2\x82\xac file";
        m.result = BG_S_PARTIAL_COMPLETE;
        m.state = BG_JOB_STATE_TRANSFERRING;
        m.priority = BG_JOB_PRIORITY_LOW;
        m.owner_uid = 4294967294u;
        m.bytes_total = UINT64_C(1) << 40;
        m.bytes_transferred = (UINT64_C(1) << 62) + 1;
        m.files_total = 100000;
        m.files_transferred = 99999;
        m.error_hresult = BG_E_HTTP_ERROR(404);
        m.error_context = BG_ERROR_CONTEXT_REMOTE_FILE;
        m.error_file_index = QM_NO_FILE_INDEX;
        m.error_win32 = 2;
        m.error_transport = 404;
        m.error_message = (char *)"line with \"quotes\", \\ backslash, tab\t and \xf0\x9d\x84\x9e";
        m.created = -1;
        m.modified = INT64_MAX;
        m.completed = INT64_MIN;
        m.offset = 10;
        m.limit = 1000;
        m.hresult = QM_E_INVALIDARG;
        m.name = (char *)"";
        m.message = (char *)"m";
        m.version = (char *)"0.1.0";
        m.seconds = 600;
        m.program = (char *)"/usr/bin/true";
        m.parameters = (char *)"--flag 'x y'";
        m.min_retry_delay = 1;
        m.no_progress_timeout = 1209600;

        round_trip(&m, &d);
        ASSERT_EQ_U64(m.present, d.present);
        ASSERT_TRUE(qm_guid_equal(&g1, &d.group_id));
        ASSERT_TRUE(qm_guid_equal(&g2, &d.job_id));
        ASSERT_EQ_INT(0xFFFFFFFFu, d.flags);
        ASSERT_EQ_INT(12, d.prop);
        ASSERT_EQ_INT(022, d.umask);
        ASSERT_EQ_INT(7, d.index);
        ASSERT_TRUE(d.modern);
        ASSERT_FALSE(d.all_users);
        ASSERT_EQ_INT(0x180, d.status);
        ASSERT_EQ_INT(99, d.progress);
        ASSERT_EQ_INT(123456789, d.size);
        ASSERT_EQ_INT(3, d.count);
        ASSERT_EQ_INT(12029, d.win32_result);
        ASSERT_EQ_INT(404, d.transport_result);
        ASSERT_EQ_INT(5, d.num_retries);
        ASSERT_EQ_STR(m.remote, d.remote);
        ASSERT_EQ_STR(m.local, d.local);
        ASSERT_HR(BG_S_PARTIAL_COMPLETE, d.result);
        ASSERT_EQ_INT(BG_JOB_STATE_TRANSFERRING, d.state);
        ASSERT_EQ_INT(BG_JOB_PRIORITY_LOW, d.priority);
        ASSERT_EQ_INT(4294967294u, d.owner_uid);
        ASSERT_EQ_U64(UINT64_C(1) << 40, d.bytes_total);
        ASSERT_EQ_U64((UINT64_C(1) << 62) + 1, d.bytes_transferred);
        ASSERT_EQ_INT(100000, d.files_total);
        ASSERT_EQ_INT(99999, d.files_transferred);
        ASSERT_HR(BG_E_HTTP_ERROR(404), d.error_hresult);
        ASSERT_EQ_INT(BG_ERROR_CONTEXT_REMOTE_FILE, d.error_context);
        ASSERT_EQ_INT(QM_NO_FILE_INDEX, d.error_file_index);
        ASSERT_EQ_INT(2, d.error_win32);
        ASSERT_EQ_INT(404, d.error_transport);
        ASSERT_EQ_STR(m.error_message, d.error_message);
        ASSERT_EQ_INT(-1, d.created);
        ASSERT_TRUE(d.modified == INT64_MAX);
        ASSERT_TRUE(d.completed == INT64_MIN);
        ASSERT_EQ_INT(10, d.offset);
        ASSERT_EQ_INT(1000, d.limit);
        ASSERT_HR(QM_E_INVALIDARG, d.hresult);
        ASSERT_EQ_STR("", d.name);
        ASSERT_EQ_STR("m", d.message);
        ASSERT_EQ_STR("0.1.0", d.version);
        ASSERT_EQ_INT(600, d.seconds);
        ASSERT_EQ_STR("/usr/bin/true", d.program);
        ASSERT_EQ_STR("--flag 'x y'", d.parameters);
        ASSERT_EQ_INT(1, d.min_retry_delay);
        ASSERT_EQ_INT(1209600, d.no_progress_timeout);
        qmx_msg_clear(&d);
        ASSERT_EQ_U64(0, d.present);
        ASSERT_NULL(d.remote);
}

TEST(proto_round_trip_unknown_size_is_null)
{
        struct qmx_msg m, d;
        json_t *j;

        memset(&m, 0, sizeof(m));
        m.present = QMX_B(BYTES_TOTAL);
        m.bytes_total = BG_SIZE_UNKNOWN;
        j = qmx_encode(&m, ALL_FIELDS);
        ASSERT_NOT_NULL(j);
        ASSERT_TRUE(json_is_null(json_object_get(j, "bytes_total")));
        json_decref(j);
        round_trip(&m, &d);
        ASSERT_EQ_U64(BG_SIZE_UNKNOWN, d.bytes_total);
        qmx_msg_clear(&d);
}

TEST(proto_encode_only_present_and_allowed)
{
        struct qmx_msg m;
        json_t *j;

        memset(&m, 0, sizeof(m));
        m.present = QMX_B(GROUP_ID) | QMX_B(FLAGS);
        m.group_id = g1;
        m.flags = 3;
        m.status = 0x180; /* not present: must not appear */
        j = qmx_encode(&m, QMX_B(GROUP_ID) | QMX_B(STATUS));
        ASSERT_NOT_NULL(j);
        ASSERT_EQ_INT(1, json_object_size(j));
        ASSERT_EQ_STR("{01234567-89AB-CDEF-0102-030405060708}",
                      json_string_value(json_object_get(j, "group_id")));
        json_decref(j);
}

static void variant_round_trip(const qm_variant *v, qm_variant *out_value, int line)
{
        struct qmx_msg m, d;

        memset(&m, 0, sizeof(m));
        m.present = QMX_B(VALUE);
        m.value = *v;
        round_trip(&m, &d);
        if (!(d.present & QMX_B(VALUE)))
                unit_fail(__FILE__, line, "value not present after round trip");
        *out_value = d.value; /* the caller owns a string */
        d.value.type = QM_VT_EMPTY;
        d.value.u.str = NULL;
        qmx_msg_clear(&d);
}

TEST(proto_round_trip_variants)
{
        qm_variant v, out;

        v.type = QM_VT_EMPTY;
        variant_round_trip(&v, &out, __LINE__);
        ASSERT_EQ_INT(QM_VT_EMPTY, out.type);

        v.type = QM_VT_I4;
        v.u.i4 = INT32_MIN;
        variant_round_trip(&v, &out, __LINE__);
        ASSERT_EQ_INT(QM_VT_I4, out.type);
        ASSERT_EQ_INT(INT32_MIN, out.u.i4);

        v.u.i4 = -1;
        variant_round_trip(&v, &out, __LINE__);
        ASSERT_EQ_INT(QM_VT_I4, out.type);
        ASSERT_EQ_INT(-1, out.u.i4);

        v.type = QM_VT_UI4;
        v.u.ui4 = UINT32_MAX;
        variant_round_trip(&v, &out, __LINE__);
        ASSERT_EQ_INT(QM_VT_UI4, out.type);
        ASSERT_EQ_INT(UINT32_MAX, out.u.ui4);

        v.type = QM_VT_STR;
        v.u.str = (char *)"{69AD4AEE-51BE-439B-A92C-86AE490E8B30} \xc3\xa9";
        variant_round_trip(&v, &out, __LINE__);
        ASSERT_EQ_INT(QM_VT_STR, out.type);
        ASSERT_EQ_STR(v.u.str, out.u.str);
        free(out.u.str);

        v.u.str = (char *)"";
        variant_round_trip(&v, &out, __LINE__);
        ASSERT_EQ_INT(QM_VT_STR, out.type);
        ASSERT_EQ_STR("", out.u.str);
        free(out.u.str);
}

TEST(proto_variant_wire_form)
{
        struct qmx_msg m;
        json_t *j;
        char *s;

        memset(&m, 0, sizeof(m));
        m.present = QMX_B(VALUE);
        m.value.type = QM_VT_UI4;
        m.value.u.ui4 = 5;
        j = qmx_encode(&m, QMX_B(VALUE));
        s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        ASSERT_EQ_STR("{\"value\":{\"ui4\":5}}", s);
        free(s);
        json_decref(j);
        m.value.type = QM_VT_EMPTY;
        j = qmx_encode(&m, QMX_B(VALUE));
        s = json_dumps(j, JSON_COMPACT);
        ASSERT_EQ_STR("{\"value\":null}", s);
        free(s);
        json_decref(j);
}

TEST(proto_round_trip_guid_array)
{
        struct qmx_msg m, d;
        qm_guid gs[3] = {g1, g2, g1};

        memset(&m, 0, sizeof(m));
        m.present = QMX_B(GROUPS);
        m.groups = gs;
        m.n_groups = 3;
        round_trip(&m, &d);
        ASSERT_EQ_INT(3, d.n_groups);
        ASSERT_TRUE(qm_guid_equal(&g1, &d.groups[0]));
        ASSERT_TRUE(qm_guid_equal(&g2, &d.groups[1]));
        ASSERT_TRUE(qm_guid_equal(&g1, &d.groups[2]));
        qmx_msg_clear(&d);

        /* empty array */
        m.n_groups = 0;
        round_trip(&m, &d);
        ASSERT_TRUE(d.present & QMX_B(GROUPS));
        ASSERT_EQ_INT(0, d.n_groups);
        qmx_msg_clear(&d);
}

TEST(proto_round_trip_file_array)
{
        struct qmx_msg m, d;
        struct qmx_file f[3];
        uint64_t every = QMX_B(REMOTE) | QMX_B(LOCAL) | QMX_B(BYTES_TOTAL) |
                         QMX_B(BYTES_TRANSFERRED) | QMX_B(COMPLETE);

        memset(f, 0, sizeof(f));
        f[0].present = every;
        f[0].remote = (char *)"http://127.0.0.1/a";
        f[0].local = (char *)"/tmp/a";
        f[0].bytes_total = 1000;
        f[0].bytes_transferred = 1000;
        f[0].complete = true;
        f[1].present = every;
        f[1].remote = (char *)"https://example.org/b";
        f[1].local = (char *)"/tmp/b";
        f[1].bytes_total = BG_SIZE_UNKNOWN; /* encoded as null */
        f[1].bytes_transferred = 0;
        f[1].complete = false;
        f[2].present = QMX_B(REMOTE) | QMX_B(LOCAL); /* what AddFiles sends */
        f[2].remote = (char *)"http://127.0.0.1/c";
        f[2].local = (char *)"/tmp/c";
        memset(&m, 0, sizeof(m));
        m.present = QMX_B(FILES);
        m.files = f;
        m.n_files = 3;
        round_trip(&m, &d);
        ASSERT_EQ_INT(3, d.n_files);
        ASSERT_EQ_U64(every, d.files[0].present);
        ASSERT_EQ_STR("http://127.0.0.1/a", d.files[0].remote);
        ASSERT_EQ_STR("/tmp/a", d.files[0].local);
        ASSERT_EQ_U64(1000, d.files[0].bytes_total);
        ASSERT_EQ_U64(1000, d.files[0].bytes_transferred);
        ASSERT_TRUE(d.files[0].complete);
        ASSERT_EQ_U64(every, d.files[1].present);
        ASSERT_EQ_STR("https://example.org/b", d.files[1].remote);
        ASSERT_EQ_U64(BG_SIZE_UNKNOWN, d.files[1].bytes_total);
        ASSERT_EQ_U64(0, d.files[1].bytes_transferred);
        ASSERT_FALSE(d.files[1].complete);
        ASSERT_EQ_U64(QMX_B(REMOTE) | QMX_B(LOCAL), d.files[2].present);
        ASSERT_EQ_STR("/tmp/c", d.files[2].local);
        ASSERT_EQ_U64(BG_SIZE_UNKNOWN, d.files[2].bytes_total); /* absent = unknown */
        qmx_msg_clear(&d);
}

TEST(proto_file_null_bytes_total_on_wire)
{
        struct qmx_msg m;
        char err[256];
        int r;

        r = decode_text("{\"files\":[{\"remote\":\"http://h/x\",\"local\":\"/x\","
                        "\"bytes_total\":null,\"bytes_transferred\":5,\"complete\":false}]}",
                        QMX_B(FILES), 0, &m, err, sizeof(err));
        ASSERT_EQ_INT(0, r);
        ASSERT_EQ_INT(1, m.n_files);
        ASSERT_EQ_U64(BG_SIZE_UNKNOWN, m.files[0].bytes_total);
        ASSERT_EQ_U64(5, m.files[0].bytes_transferred);
        qmx_msg_clear(&m);
}

TEST(proto_decode_rejects_unknown_field)
{
        REJECT("{\"group_id\":\"{01234567-89AB-CDEF-0102-030405060708}\",\"bogus\":1}",
               QMX_B(GROUP_ID), 0, "bogus");
        /* a known field that the method does not take is unknown to it */
        REJECT("{\"group_id\":\"{01234567-89AB-CDEF-0102-030405060708}\",\"flags\":1}",
               QMX_B(GROUP_ID), 0, "flags");
        /* unknown field inside a file element */
        REJECT("{\"files\":[{\"remote\":\"http://h/\",\"local\":\"/x\",\"mode\":1}]}", QMX_B(FILES),
               0, "mode");
        /* a top-level-only field inside a file element */
        REJECT("{\"files\":[{\"remote\":\"http://h/\",\"local\":\"/x\",\"status\":1}]}",
               QMX_B(FILES), 0, "status");
}

TEST(proto_decode_rejects_missing_field)
{
        REJECT("{}", QMX_B(GROUP_ID), 0, "group_id");
        REJECT("{\"group_id\":\"{01234567-89AB-CDEF-0102-030405060708}\"}",
               QMX_B(GROUP_ID) | QMX_B(JOB_ID), 0, "job_id");
        REJECT("{\"prop\":1}", QMX_B(PROP) | QMX_B(VALUE), 0, "value");
}

TEST(proto_decode_rejects_non_object)
{
        REJECT("[]", 0, QMX_B(FLAGS), NULL);
        REJECT("\"x\"", 0, QMX_B(FLAGS), NULL);
        REJECT("null", 0, QMX_B(FLAGS), NULL);
        REJECT("{\"files\":[1]}", QMX_B(FILES), 0, NULL);
}

TEST(proto_decode_rejects_wrong_type)
{
        uint64_t all = named_fields();

        REJECT("{\"flags\":\"1\"}", 0, all, "flags");
        REJECT("{\"flags\":1.0}", 0, all, "flags");
        REJECT("{\"flags\":true}", 0, all, "flags");
        REJECT("{\"flags\":null}", 0, all, "flags");
        REJECT("{\"result\":\"0\"}", 0, all, "result");
        REJECT("{\"created\":1.5}", 0, all, "created");
        REJECT("{\"bytes_total\":\"5\"}", 0, all, "bytes_total");
        REJECT("{\"bytes_total\":-1}", 0, all, "bytes_total");
        REJECT("{\"modern\":1}", 0, all, "modern");
        REJECT("{\"modern\":null}", 0, all, "modern");
        REJECT("{\"name\":5}", 0, all, "name");
        REJECT("{\"name\":null}", 0, all, "name");
        REJECT("{\"group_id\":5}", 0, all, "group_id");
        REJECT("{\"group_id\":\"not-a-guid\"}", 0, all, "group_id");
        REJECT("{\"group_id\":\"{01234567-89AB-CDEF-0102-030405060708}x\"}", 0, all, "group_id");
        REJECT("{\"groups\":{}}", 0, all, "groups");
        REJECT("{\"groups\":[5]}", 0, all, "groups");
        REJECT("{\"groups\":[\"{01234567-89AB-CDEF-0102-030405060708}\",\"x\"]}", 0, all, "groups");
        REJECT("{\"files\":{}}", 0, all, "files");
        REJECT("{\"files\":[{\"remote\":5}]}", 0, all, "remote");
        REJECT("{\"files\":[{\"complete\":\"yes\"}]}", 0, all, "complete");
        /* variants */
        REJECT("{\"value\":5}", 0, all, "value");
        REJECT("{\"value\":\"s\"}", 0, all, "value");
        REJECT("{\"value\":{}}", 0, all, "value");
        REJECT("{\"value\":{\"i4\":1,\"ui4\":2}}", 0, all, "value");
        REJECT("{\"value\":{\"bstr\":\"x\"}}", 0, all, "value");
        REJECT("{\"value\":{\"i4\":\"1\"}}", 0, all, "value");
        REJECT("{\"value\":{\"str\":5}}", 0, all, "value");
        REJECT("{\"value\":{\"i4\":1.5}}", 0, all, "value");
}

TEST(proto_decode_rejects_out_of_range)
{
        uint64_t all = named_fields();
        struct qmx_msg m;
        char err[256];

        REJECT("{\"flags\":-1}", 0, all, "flags");
        REJECT("{\"flags\":4294967296}", 0, all, "flags");
        REJECT("{\"result\":2147483648}", 0, all, "result");
        REJECT("{\"result\":-2147483649}", 0, all, "result");
        REJECT("{\"value\":{\"i4\":2147483648}}", 0, all, "value");
        REJECT("{\"value\":{\"i4\":-2147483649}}", 0, all, "value");
        REJECT("{\"value\":{\"ui4\":-1}}", 0, all, "value");
        REJECT("{\"value\":{\"ui4\":4294967296}}", 0, all, "value");
        /* the limits themselves are accepted */
        ASSERT_EQ_INT(0, decode_text("{\"flags\":4294967295,\"result\":-2147483648,"
                                     "\"hresult\":2147483647,\"index\":0}",
                                     0, all, &m, err, sizeof(err)));
        ASSERT_EQ_INT(UINT32_MAX, m.flags);
        ASSERT_EQ_INT(INT32_MIN, m.result);
        ASSERT_EQ_INT(INT32_MAX, m.hresult);
        qmx_msg_clear(&m);
}

/* {"FIELD": "<n times c>"} */
static char *string_json(const char *field, size_t n, char c)
{
        size_t len = strlen(field) + n + 16;
        char *s = malloc(len);
        int k;

        ASSERT_NOT_NULL(s);
        k = snprintf(s, len, "{\"%s\":\"", field);
        memset(s + k, c, n);
        strcpy(s + k + n, "\"}");
        return s;
}

TEST(proto_decode_string_max)
{
        uint64_t all = named_fields();
        struct qmx_msg m;
        char err[256];
        char *s;

        /* version: at most 256 bytes */
        s = string_json("version", 256, 'v');
        ASSERT_EQ_INT(0, decode_text(s, 0, all, &m, err, sizeof(err)));
        ASSERT_EQ_INT(256, strlen(m.version));
        qmx_msg_clear(&m);
        free(s);
        s = string_json("version", 257, 'v');
        REJECT(s, 0, all, "version");
        free(s);
        /* local: QMX_MAX_PATH bytes */
        s = string_json("local", QMX_MAX_PATH + 1, 'p');
        REJECT(s, 0, all, "local");
        free(s);
        /* remote: QMX_MAX_URL bytes */
        s = string_json("remote", QMX_MAX_URL, 'u');
        ASSERT_EQ_INT(0, decode_text(s, 0, all, &m, err, sizeof(err)));
        qmx_msg_clear(&m);
        free(s);
        s = string_json("remote", QMX_MAX_URL + 1, 'u');
        REJECT(s, 0, all, "remote");
        free(s);
        /* the limit counts bytes, not characters: 2 bytes each */
        {
                char *t = malloc(300 * 2 + 32);

                ASSERT_NOT_NULL(t);
                strcpy(t, "{\"version\":\"");
                for (int i = 0; i < 129; i++)
                        strcat(t, "\xc3\xa9");
                strcat(t, "\"}");
                REJECT(t, 0, all, "version");
                free(t);
        }
        /* strings inside variants and file elements are bounded too */
        s = string_json("x", QMX_MAX_STRING + 1, 's');
        {
                /* turn {"x":"sss"} into {"value":{"str":"sss"}} */
                size_t n = strlen(s) + 32;
                char *t = malloc(n);

                ASSERT_NOT_NULL(t);
                snprintf(t, n, "{\"value\":{\"str\":%s}", strchr(s, '"') + 4);
                REJECT(t, 0, all, "value");
                free(t);
        }
        free(s);
}

TEST(proto_decode_rejects_embedded_nul)
{
        uint64_t all = named_fields();

        REJECT("{\"name\":\"a\\u0000b\"}", 0, all, "NUL");
        REJECT("{\"value\":{\"str\":\"a\\u0000\"}}", 0, all, "NUL");
        REJECT("{\"files\":[{\"remote\":\"http://h/\\u0000\",\"local\":\"/x\"}]}", 0, all, "NUL");
        REJECT("{\"files\":[{\"remote\":\"http://h/\",\"local\":\"/x\\u0000/y\"}]}", 0, all, "NUL");
}

TEST(proto_decode_rejects_too_many_elements)
{
        uint64_t all = named_fields();
        json_t *obj, *a;
        struct qmx_msg m;
        char err[256] = "";

        /* json_null() is a singleton: a million-element array costs only its pointers. */
        a = json_array();
        for (uint32_t i = 0; i < QMX_MAX_GUIDS + 1; i++)
                ASSERT_EQ_INT(0, json_array_append_new(a, json_null()));
        obj = json_pack("{sO}", "groups", a);
        ASSERT_EQ_INT(-EINVAL, qmx_decode(obj, 0, all, &m, err, sizeof(err)));
        ASSERT_CONTAINS(err, "more than");
        json_decref(obj);
        obj = json_pack("{sO}", "files", a);
        ASSERT_EQ_INT(-EINVAL, qmx_decode(obj, 0, all, &m, err, sizeof(err)));
        ASSERT_CONTAINS(err, "more than");
        json_decref(obj);
        /* exactly the maximum is not rejected for its count (but for its null elements) */
        ASSERT_EQ_INT(0, json_array_remove(a, 0));
        obj = json_pack("{sO}", "groups", a);
        ASSERT_EQ_INT(-EINVAL, qmx_decode(obj, 0, all, &m, err, sizeof(err)));
        ASSERT_TRUE(strstr(err, "more than") == NULL);
        json_decref(obj);
        json_decref(a);
}

TEST(proto_method_table)
{
        enum qmx_method_id id = QMX_M__MAX;
        const struct qmx_method *mt;

        mt = qmx_method_lookup("io.qmgr.Manager.GetStatus", &id);
        ASSERT_NOT_NULL(mt);
        ASSERT_EQ_INT(QMX_M_GET_STATUS, id);
        ASSERT_TRUE(mt->required & QMX_B(GROUP_ID));
        ASSERT_TRUE(mt->reply & QMX_B(STATUS));
        ASSERT_NULL(qmx_method_lookup("io.qmgr.Manager.Nope", NULL));
        ASSERT_NULL(qmx_method_lookup("GetStatus", NULL));
        for (int i = 0; i < QMX_M__MAX; i++) {
                ASSERT_NOT_NULL(qmx_methods[i].name);
                ASSERT_TRUE(strncmp(qmx_methods[i].name, QMX_INTERFACE ".",
                                    strlen(QMX_INTERFACE) + 1) == 0);
                ASSERT_EQ_INT(0, qmx_methods[i].required & qmx_methods[i].optional);
                ASSERT_TRUE(qmx_method_lookup(qmx_methods[i].name, &id) == &qmx_methods[i]);
                ASSERT_EQ_INT(i, id);
        }
}

TEST(proto_call_and_frame)
{
        struct qmx_msg p, d;
        json_t *call, *back;
        size_t len = 0;
        char *buf;
        char err[256];
        json_error_t jerr;
        enum qmx_method_id id;
        const struct qmx_method *mt;

        memset(&p, 0, sizeof(p));
        p.present = QMX_B(GROUP_ID) | QMX_B(STATUS); /* STATUS is not a GetStatus parameter */
        p.group_id = g1;
        call = qmx_call_new(QMX_M_GET_STATUS, &p, false);
        ASSERT_NOT_NULL(call);
        buf = qmx_frame(call, &len);
        ASSERT_NOT_NULL(buf);
        ASSERT_EQ_INT(strlen(buf) + 1, len); /* the NUL terminator is part of the frame */
        ASSERT_TRUE(strstr(buf, "\"status\"") == NULL);
        ASSERT_TRUE(strstr(buf, "\"more\"") == NULL);
        back = json_loadb(buf, len - 1, 0, &jerr);
        ASSERT_NOT_NULL(back);
        mt = qmx_method_lookup(json_string_value(json_object_get(back, "method")), &id);
        ASSERT_NOT_NULL(mt);
        ASSERT_EQ_INT(QMX_M_GET_STATUS, id);
        ASSERT_EQ_INT(0, qmx_decode(json_object_get(back, "parameters"), mt->required, mt->optional,
                                    &d, err, sizeof(err)));
        ASSERT_TRUE(qm_guid_equal(&g1, &d.group_id));
        qmx_msg_clear(&d);
        json_decref(back);
        free(buf);
        json_decref(call);

        call = qmx_call_new(QMX_M_ENUM_GROUPS, &p, true);
        ASSERT_NOT_NULL(call);
        ASSERT_TRUE(json_is_true(json_object_get(call, "more")));
        json_decref(call);
}

static qm_hresult parse_text(enum qmx_method_id id, const char *text, struct qmx_msg *reply,
                             bool *continues, char *err, size_t errlen)
{
        return qmx_reply_parse(id, text, strlen(text), reply, continues, err, errlen);
}

TEST(proto_reply_parse_success)
{
        struct qmx_msg r, reply;
        json_t *j;
        char *buf;
        size_t len;
        bool cont = false;
        char err[256];

        memset(&r, 0, sizeof(r));
        r.present = QMX_B(STATUS) | QMX_B(JOB_INDEX) | QMX_B(FLAGS); /* FLAGS not in reply */
        r.status = 0x140;
        r.job_index = 0;
        j = qmx_reply_new(QMX_M_GET_STATUS, &r, true);
        buf = qmx_frame(j, &len);
        ASSERT_NOT_NULL(buf);
        ASSERT_HR(QM_S_OK,
                  qmx_reply_parse(QMX_M_GET_STATUS, buf, len - 1, &reply, &cont, err, sizeof(err)));
        ASSERT_TRUE(cont);
        ASSERT_EQ_INT(0x140, reply.status);
        ASSERT_EQ_U64(QMX_B(STATUS) | QMX_B(JOB_INDEX), reply.present);
        qmx_msg_clear(&reply);
        free(buf);
        json_decref(j);

        /* a success code in `result` is returned */
        ASSERT_HR(BG_S_PARTIAL_COMPLETE,
                  parse_text(QMX_M_CANCEL, "{\"parameters\":{\"result\":2097175}}", &reply, &cont,
                             err, sizeof(err)));
        ASSERT_FALSE(cont);
        qmx_msg_clear(&reply);
        /* parameters may be omitted */
        ASSERT_HR(QM_S_OK, parse_text(QMX_M_SUSPEND, "{}", &reply, NULL, NULL, 0));
        qmx_msg_clear(&reply);
}

TEST(proto_reply_parse_error)
{
        struct qmx_msg reply;
        json_t *j;
        char *buf;
        size_t len;
        char err[256] = "x";

        j = qmx_error_new(BG_E_EMPTY, "group has no files");
        ASSERT_NOT_NULL(j);
        ASSERT_EQ_STR(QMX_ERROR_NAME, json_string_value(json_object_get(j, "error")));
        buf = qmx_frame(j, &len);
        ASSERT_HR(BG_E_EMPTY,
                  qmx_reply_parse(QMX_M_RESUME, buf, len - 1, &reply, NULL, err, sizeof(err)));
        ASSERT_EQ_STR("group has no files", err);
        qmx_msg_clear(&reply);
        free(buf);
        json_decref(j);

        /* without a message: qm_strerror() of the code */
        j = qmx_error_new(BG_E_HTTP_ERROR(404), NULL);
        buf = qmx_frame(j, &len);
        ASSERT_CONTAINS(buf, "BG_E_HTTP_ERROR_404");
        ASSERT_HR(BG_E_HTTP_ERROR(404),
                  qmx_reply_parse(QMX_M_RESUME, buf, len - 1, &reply, NULL, err, sizeof(err)));
        ASSERT_EQ_STR(qm_strerror(BG_E_HTTP_ERROR(404)), err);
        qmx_msg_clear(&reply);
        free(buf);
        json_decref(j);
}

TEST(proto_reply_parse_garbage)
{
        static const char *bad[] = {
                "",
                "not json",
                "{\"parameters\":",
                "[1,2]",
                "{\"parameters\":{\"status\":\"x\"}}",         /* wrong type */
                "{\"parameters\":{\"status\":1,\"bogus\":2}}", /* unknown field */
                "{\"parameters\":{\"group_id\":\"{01234567-89AB-CDEF-0102-030405060708}\"}}",
                "{\"parameters\":{\"status\":-1}}",             /* out of range */
                "{\"parameters\":{\"status\":1,\"status\":2}}", /* duplicate key */
                "{\"error\":\"io.qmgr.Manager.Error\"}",        /* no hresult */
                "{\"error\":\"io.qmgr.Manager.Error\",\"parameters\":{\"hresult\":0}}",
                "{\"error\":\"io.qmgr.Manager.Error\",\"parameters\":{\"hresult\":5}}",
                "{\"error\":5,\"parameters\":{\"hresult\":-2145386493}}",
                "{\"error\":\"io.qmgr.Manager.Error\",\"parameters\":{\"hresult\":-1,"
                "\"extra\":1}}",
        };

        int wrong = 0;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct qmx_msg reply;
                char err[256];
                qm_hresult hr =
                        parse_text(QMX_M_GET_STATUS, bad[i], &reply, NULL, err, sizeof(err));

                if (hr != QM_E_PROTOCOL) {
                        fprintf(stderr,
                                "%s:%d: reply '%s' gave 0x%08X %s, expected QM_E_PROTOCOL\n",
                                __FILE__, __LINE__, bad[i], (unsigned)hr, qm_hresult_name(hr));
                        wrong++;
                }
                qmx_msg_clear(&reply);
        }
        ASSERT_EQ_INT(0, wrong);
}

TEST(proto_utf8_valid)
{
        ASSERT_EQ_INT(0, qmx_utf8_count(""));
        ASSERT_EQ_INT(5, qmx_utf8_count("hello"));
        ASSERT_EQ_INT(5, qmx_utf8_count("h\xc3\xa9llo"));     /* é */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xe2\x82\xac"));     /* € */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xf0\x9d\x84\x9e")); /* U+1D11E */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xc2\x80"));         /* U+0080 */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xdf\xbf"));         /* U+07FF */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xe0\xa0\x80"));     /* U+0800 */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xed\x9f\xbf"));     /* U+D7FF */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xee\x80\x80"));     /* U+E000 */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xef\xbf\xbf"));     /* U+FFFF */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xf0\x90\x80\x80")); /* U+10000 */
        ASSERT_EQ_INT(1, qmx_utf8_count("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
        ASSERT_EQ_INT(4, qmx_utf8_count("a\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e"));
        ASSERT_EQ_INT(1, qmx_utf8_count("\x7f"));
}

TEST(proto_utf8_invalid)
{
        static const char *bad[] = {
                "\x80", /* lone continuation byte */
                "a\xbf",
                "\xc3",                     /* truncated 2-byte */
                "\xe2\x82",                 /* truncated 3-byte */
                "\xf0\x9d\x84",             /* truncated 4-byte */
                "\xc3\x28",                 /* bad continuation */
                "\xc0\xaf",                 /* overlong '/' */
                "\xc1\xbf",                 /* overlong U+007F */
                "\xe0\x80\xaf",             /* overlong 3-byte */
                "\xe0\x9f\xbf",             /* overlong U+07FF */
                "\xf0\x82\x82\xac",         /* overlong 4-byte € */
                "\xf0\x8f\xbf\xbf",         /* overlong U+FFFF */
                "\xed\xa0\x80",             /* U+D800 high surrogate */
                "\xed\xbf\xbf",             /* U+DFFF low surrogate */
                "\xed\xa0\xbd\xed\xb2\xa9", /* CESU-8 surrogate pair */
                "\xf4\x90\x80\x80",         /* U+110000 */
                "\xf7\xbf\xbf\xbf",         /* U+1FFFFF */
                "\xf8\x88\x80\x80\x80",     /* 5-byte form */
                "\xfc\x84\x80\x80\x80\x80", /* 6-byte form */
                "\xfe",
                "\xff",
                "ok\xe2\x82\xacthen\xc0\x80", /* modified-UTF-8 NUL at the end */
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (qmx_utf8_count(bad[i]) != -1)
                        unit_fail(__FILE__, __LINE__, "string #%zu accepted as %ld code points", i,
                                  qmx_utf8_count(bad[i]));
}
