/* cmd-info.c - the commands that read: status, progress, info, files, list, version, and
 * reset (which walks the same list). Human output is for people; scripts use --json. */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int one_group(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv, qm_group **g)
{
        int ind, r = no_options(cmd, argc, argv, &ind);

        if (r >= 0)
                return r;
        if (argc - ind != 1)
                return cmd_usage_error(cmd, "expected GROUP");
        return resolve_group(ctx, argv[ind], g);
}

int cmd_status(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_group *g = NULL;
        uint32_t status, job_index;
        qm_hresult hr;
        char buf[128];
        int r;

        r = one_group(ctx, cmd, argc, argv, &g);
        if (r)
                return r;
        hr = qm_group_get_status(g, &status, &job_index);
        qm_group_release(g);
        if (QM_FAILED(hr))
                return fail_hr("GetStatus", hr);
        if (ctx->json)
                return print_json(json_pack("{sIsosI}", "status", (json_int_t)status, "flags",
                                            status_flags_json(status), "job_index",
                                            (json_int_t)job_index));
        status_text(status, buf, sizeof(buf));
        printf("%s\n", buf);
        return EXIT_OK;
}

int cmd_progress(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_job_progress p;
        qm_group *g = NULL;
        qm_job *j = NULL;
        qm_hresult hr;
        int r;

        /* The modern job's 64-bit counters rather than GetProgress/get_Size (32-bit). */
        r = one_group(ctx, cmd, argc, argv, &g);
        if (!r)
                r = group_job(g, &j);
        qm_group_release(g);
        if (r)
                return r;
        hr = qm_job_get_progress(j, &p);
        qm_job_release(j);
        if (QM_FAILED(hr))
                return fail_hr("GetProgress", hr);
        if (ctx->json)
                return print_json(
                        json_pack("{sIsosI}", "bytes", (json_int_t)p.bytes_transferred, "total",
                                  json_size(p.bytes_total), "percent",
                                  (json_int_t)percent(p.bytes_transferred, p.bytes_total)));
        if (p.bytes_total == BG_SIZE_UNKNOWN)
                printf("%" PRIu64 " bytes (total unknown)\n", p.bytes_transferred);
        else
                printf("%" PRIu64 "/%" PRIu64 " bytes (%u%%)\n", p.bytes_transferred, p.bytes_total,
                       percent(p.bytes_transferred, p.bytes_total));
        return EXIT_OK;
}

/* ---- files ---------------------------------------------------------------------------- */

/* [{"index","url","local","bytes_transferred","bytes_total","complete"}...] of the group,
 * or NULL after printing the failure (*exit set). */
static json_t *files_json(qm_group *g, qm_job *j, int *exit)
{
        qm_job1 *j1 = NULL;
        uint32_t n = 0;
        qm_hresult hr = QM_S_OK;
        json_t *a;

        *exit = group_job1(g, &j1);
        if (*exit)
                return NULL;
        a = json_array();
        if (j1)
                hr = qm_job1_get_file_count(j1, &n);
        for (uint32_t i = 0; QM_SUCCEEDED(hr) && a && i < n; i++) {
                qm_fileset_info fi = {0};
                qm_file_progress fp;

                hr = qm_job1_get_file(j1, i, &fi);
                if (QM_SUCCEEDED(hr))
                        hr = qm_job_get_file_progress(j, i, &fp);
                if (QM_SUCCEEDED(hr))
                        json_array_append_new(a, json_pack("{sIsssssIsosb}", "index", (json_int_t)i,
                                                           "url", fi.remote_file, "local",
                                                           fi.local_file, "bytes_transferred",
                                                           (json_int_t)fp.bytes_transferred,
                                                           "bytes_total", json_size(fp.bytes_total),
                                                           "complete", fp.completed));
                qm_fileset_info_clear(&fi);
        }
        qm_job1_release(j1);
        if (QM_FAILED(hr) || !a) {
                json_decref(a);
                *exit = fail_hr("cannot list the files", a ? hr : QM_E_OUTOFMEMORY);
                return NULL;
        }
        return a;
}

static void print_file_line(json_t *f)
{
        json_t *total = json_object_get(f, "bytes_total");
        char t[32];

        if (json_is_integer(total))
                snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT, json_integer_value(total));
        else
                snprintf(t, sizeof(t), "?");
        printf("%4" JSON_INTEGER_FORMAT "  %" JSON_INTEGER_FORMAT "/%s  %-10s  %s  %s\n",
               json_integer_value(json_object_get(f, "index")),
               json_integer_value(json_object_get(f, "bytes_transferred")), t,
               json_is_true(json_object_get(f, "complete")) ? "COMPLETE" : "INCOMPLETE",
               json_string_value(json_object_get(f, "url")),
               json_string_value(json_object_get(f, "local")));
}

int cmd_files(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_group *g = NULL;
        qm_job *j = NULL;
        json_t *a;
        size_t i;
        json_t *f;
        int r;

        r = one_group(ctx, cmd, argc, argv, &g);
        if (!r)
                r = group_job(g, &j);
        a = r ? NULL : files_json(g, j, &r);
        qm_job_release(j);
        qm_group_release(g);
        if (r)
                return r;
        if (ctx->json)
                return print_json(json_pack("{so}", "files", a));
        json_array_foreach(a, i, f) print_file_line(f);
        json_decref(a);
        return EXIT_OK;
}

/* ---- info ----------------------------------------------------------------------------- */

static json_t *string_prop(qm_group *g, GROUPPROP prop, qm_hresult *hr)
{
        qm_variant v = {0};
        json_t *s;

        *hr = qm_group_get_prop(g, prop, &v);
        s = json_string(v.type == QM_VT_STR && v.u.str ? v.u.str : "");
        qm_variant_clear(&v);
        return s;
}

static json_t *owner_json(uint32_t uid)
{
        struct passwd *pw = getpwuid((uid_t)uid);

        return json_pack("{sIso}", "uid", (json_int_t)uid, "name",
                         pw ? json_string(pw->pw_name) : json_null());
}

/* Every field of `info --json` (CLI.md), or NULL after printing the failure. */
static json_t *info_json(qm_group *g, int *exit)
{
        uint32_t status = 0, job_index, state = 0, prio = 0, uid = 0, retries = 0;
        uint32_t st1, w32, tr;
        qm_job_progress p = {0};
        qm_job_times t = {0};
        qm_job_error e = {0};
        json_t *o = NULL, *name, *desc, *files = NULL, *err = json_null(), *job_id = json_null();
        qm_job1 *j1 = NULL;
        qm_job *j = NULL;
        qm_guid id, jid;
        qm_hresult hr, hr2;

        *exit = group_job(g, &j);
        if (*exit)
                return NULL;
        *exit = group_job1(g, &j1);
        if (*exit) {
                qm_job_release(j);
                return NULL;
        }
        qm_group_get_id(g, &id);
        if (j1 && QM_SUCCEEDED(qm_job1_get_id(j1, &jid))) {
                json_decref(job_id);
                job_id = json_guid(&jid);
        }
        name = string_prop(g, GROUPPROP_DISPLAYNAME, &hr);
        desc = string_prop(g, GROUPPROP_DESCRIPTION, &hr2);
        if (QM_SUCCEEDED(hr))
                hr = hr2;
        /* Each getter is a call of its own: the state is read first and again last, and all
         * of them again when it moved in between (a group that failed meanwhile must not show
         * ERROR with the status bits of before). */
        for (unsigned attempt = 0; QM_SUCCEEDED(hr); attempt++) {
                uint32_t last = 0;

                hr = qm_job_get_state(j, &state);
                if (QM_SUCCEEDED(hr))
                        hr = qm_group_get_status(g, &status, &job_index);
                if (QM_SUCCEEDED(hr))
                        hr = qm_job_get_priority(j, &prio);
                if (QM_SUCCEEDED(hr))
                        hr = qm_job_get_owner(j, &uid);
                if (QM_SUCCEEDED(hr))
                        hr = qm_job_get_progress(j, &p);
                if (QM_SUCCEEDED(hr))
                        hr = qm_job_get_times(j, &t);
                if (QM_SUCCEEDED(hr) && j1)
                        hr = qm_job1_get_status(j1, &st1, &w32, &tr, &retries);
                if (QM_SUCCEEDED(hr)) {
                        hr2 = qm_job_get_error(j, &e);
                        if (QM_SUCCEEDED(hr2)) {
                                json_decref(err);
                                err = json_pack("{sIsssssssIsIsI}", "hresult", (json_int_t)e.code,
                                                "name", qm_hresult_name(e.code), "message",
                                                e.description ? e.description : qm_strerror(e.code),
                                                "context", context_name(e.context), "file_index",
                                                (json_int_t)e.file_index, "win32_result",
                                                (json_int_t)e.win32_result, "transport_result",
                                                (json_int_t)e.transport_result);
                                qm_job_error_clear(&e);
                        } else if (hr2 != BG_E_ERROR_INFORMATION_UNAVAILABLE) {
                                hr = hr2;
                        }
                }
                if (QM_SUCCEEDED(hr))
                        hr = qm_job_get_state(j, &last);
                if (QM_FAILED(hr) || last == state || attempt == 4)
                        break;
                json_decref(err);
                err = json_null();
        }
        if (QM_SUCCEEDED(hr))
                files = files_json(g, j, exit);
        if (QM_FAILED(hr) || !files) {
                json_decref(name);
                json_decref(desc);
                json_decref(err);
                json_decref(job_id);
                if (QM_FAILED(hr))
                        *exit = fail_hr("cannot read the group", hr);
        } else {
                o = json_pack(
                        "{sosososososssIsosssIsosIsIsIsososososo}", "id", json_guid(&id), "job_id",
                        job_id, "name", name, "description", desc, "owner", owner_json(uid),
                        "state", state_name(state), "status", (json_int_t)status, "flags",
                        status_flags_json(status), "priority", priority_name(prio),
                        "bytes_transferred", (json_int_t)p.bytes_transferred, "bytes_total",
                        json_size(p.bytes_total), "files_transferred",
                        (json_int_t)p.files_transferred, "files_total", (json_int_t)p.files_total,
                        "retries", (json_int_t)retries, "error", err, "created",
                        json_time(t.creation), "modified", json_time(t.modification), "completed",
                        json_time(t.transfer_completion), "files", files);
                if (!o)
                        *exit = fail_hr("info", QM_E_OUTOFMEMORY);
        }
        qm_job1_release(j1);
        qm_job_release(j);
        return o;
}

static const char *str_or(json_t *v, const char *dflt)
{
        return json_is_string(v) ? json_string_value(v) : dflt;
}

static void print_info(json_t *o)
{
        json_t *err = json_object_get(o, "error");
        json_t *owner = json_object_get(o, "owner");
        json_t *files = json_object_get(o, "files"), *f;
        char bt[32] = "unknown", flags[128] = "";
        size_t i;

        status_text((uint32_t)json_integer_value(json_object_get(o, "status")), flags,
                    sizeof(flags));
        if (json_is_integer(json_object_get(o, "bytes_total")))
                snprintf(bt, sizeof(bt), "%" JSON_INTEGER_FORMAT,
                         json_integer_value(json_object_get(o, "bytes_total")));
        printf("id:                %s\n", str_or(json_object_get(o, "id"), ""));
        printf("job id:            %s\n", str_or(json_object_get(o, "job_id"), "-"));
        printf("name:              %s\n", str_or(json_object_get(o, "name"), ""));
        printf("description:       %s\n", str_or(json_object_get(o, "description"), ""));
        printf("owner:             %s (uid %" JSON_INTEGER_FORMAT ")\n",
               str_or(json_object_get(owner, "name"), "?"),
               json_integer_value(json_object_get(owner, "uid")));
        printf("state:             %s\n", str_or(json_object_get(o, "state"), ""));
        printf("status:            0x%x %s\n",
               (unsigned)json_integer_value(json_object_get(o, "status")), flags);
        printf("priority:          %s\n", str_or(json_object_get(o, "priority"), ""));
        printf("bytes:             %" JSON_INTEGER_FORMAT " / %s\n",
               json_integer_value(json_object_get(o, "bytes_transferred")), bt);
        printf("files:             %" JSON_INTEGER_FORMAT " / %" JSON_INTEGER_FORMAT "\n",
               json_integer_value(json_object_get(o, "files_transferred")),
               json_integer_value(json_object_get(o, "files_total")));
        printf("retries:           %" JSON_INTEGER_FORMAT "\n",
               json_integer_value(json_object_get(o, "retries")));
        if (json_is_object(err)) {
                printf("error:             0x%08x %s: %s\n",
                       (unsigned)json_integer_value(json_object_get(err, "hresult")),
                       str_or(json_object_get(err, "name"), ""),
                       str_or(json_object_get(err, "message"), ""));
                printf("error context:     %s, file %" JSON_INTEGER_FORMAT
                       ", win32 %" JSON_INTEGER_FORMAT ", transport %" JSON_INTEGER_FORMAT "\n",
                       str_or(json_object_get(err, "context"), ""),
                       json_integer_value(json_object_get(err, "file_index")),
                       json_integer_value(json_object_get(err, "win32_result")),
                       json_integer_value(json_object_get(err, "transport_result")));
        } else {
                printf("error:             none\n");
        }
        printf("created:           %s\n", str_or(json_object_get(o, "created"), "-"));
        printf("modified:          %s\n", str_or(json_object_get(o, "modified"), "-"));
        printf("completed:         %s\n", str_or(json_object_get(o, "completed"), "-"));
        json_array_foreach(files, i, f) print_file_line(f);
}

int cmd_info(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_group *g = NULL;
        json_t *o;
        int r;

        r = one_group(ctx, cmd, argc, argv, &g);
        if (r)
                return r;
        o = info_json(g, &r);
        qm_group_release(g);
        if (!o)
                return r ? r : EXIT_FAILED;
        if (ctx->json)
                return print_json(o);
        print_info(o);
        json_decref(o);
        return EXIT_OK;
}

/* ---- list / reset --------------------------------------------------------------------- */

/* The GUIDs of the caller's groups (every group for root). Returns 0 or an exit code. */
static int all_groups(struct ctx *ctx, qm_guid **ret, uint32_t *ret_n)
{
        qm_enum_groups *e = NULL;
        qm_guid *ids = NULL;
        uint32_t n = 0;
        qm_hresult hr;
        int r;

        r = ctx_connect(ctx);
        if (r)
                return r;
        /* --all-users has no API switch yet: EnumGroups(0) already lists every group for
         * root (QMGR.md §4.1), so the option changes nothing. */
        hr = qm_qmgr_enum_groups(ctx->qm, 0, &e);
        if (QM_SUCCEEDED(hr))
                hr = qm_enum_groups_get_count(e, &n);
        if (QM_SUCCEEDED(hr)) {
                ids = calloc(n ? n : 1, sizeof(*ids));
                hr = ids ? qm_enum_groups_next(e, n, ids, &n) : QM_E_OUTOFMEMORY;
        }
        qm_enum_groups_release(e);
        if (QM_FAILED(hr)) {
                free(ids);
                return fail_hr("EnumGroups", hr);
        }
        *ret = ids;
        *ret_n = n;
        return 0;
}

static int parse_all_users(const struct cmd *cmd, int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--all-users") != 0)
                        return cmd_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        }
        return -1;
}

/* One list entry; NULL when the group vanished meanwhile (skipped). */
static json_t *list_entry(struct ctx *ctx, const qm_guid *id, qm_hresult *hr)
{
        qm_job_progress p;
        uint32_t status, ji, state;
        qm_group *g = NULL;
        qm_job *j = NULL;
        json_t *name = NULL, *o = NULL;

        *hr = qm_qmgr_get_group(ctx->qm, id, &g);
        if (QM_SUCCEEDED(*hr))
                *hr = qm_group_query_new_job_interface(g, &j);
        if (QM_SUCCEEDED(*hr))
                name = string_prop(g, GROUPPROP_DISPLAYNAME, hr);
        if (QM_SUCCEEDED(*hr)) /* the state first: once final, the status read after agrees */
                *hr = qm_job_get_state(j, &state);
        if (QM_SUCCEEDED(*hr))
                *hr = qm_group_get_status(g, &status, &ji);
        if (QM_SUCCEEDED(*hr))
                *hr = qm_job_get_progress(j, &p);
        if (QM_SUCCEEDED(*hr)) {
                o = json_pack("{sosOsssIsIsosI}", "id", json_guid(id), "name", name, "state",
                              state_name(state), "status", (json_int_t)status, "bytes_transferred",
                              (json_int_t)p.bytes_transferred, "bytes_total",
                              json_size(p.bytes_total), "files_total", (json_int_t)p.files_total);
                if (!o)
                        *hr = QM_E_OUTOFMEMORY;
        }
        if (*hr == QM_E_ITEM_NOT_FOUND || *hr == BG_E_NOT_FOUND)
                *hr = QM_S_OK; /* vanished between EnumGroups and now */
        json_decref(name);
        qm_job_release(j);
        qm_group_release(g);
        return o;
}

int cmd_list(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_guid *ids = NULL;
        uint32_t n = 0;
        json_t *a;
        qm_hresult hr = QM_S_OK;
        int r;

        r = parse_all_users(cmd, argc, argv);
        if (r >= 0)
                return r;
        r = all_groups(ctx, &ids, &n);
        if (r)
                return r;
        a = json_array();
        for (uint32_t i = 0; a && i < n && QM_SUCCEEDED(hr); i++) {
                json_t *o = list_entry(ctx, &ids[i], &hr);

                if (o)
                        json_array_append_new(a, o);
        }
        free(ids);
        if (QM_FAILED(hr) || !a) {
                json_decref(a);
                return fail_hr("cannot list the groups", a ? hr : QM_E_OUTOFMEMORY);
        }
        if (ctx->json)
                return print_json(json_pack("{so}", "groups", a));
        for (size_t i = 0; i < json_array_size(a); i++) {
                json_t *o = json_array_get(a, i);
                json_t *total = json_object_get(o, "bytes_total");
                uint64_t done =
                        (uint64_t)json_integer_value(json_object_get(o, "bytes_transferred"));
                char pct[8] = "?";

                if (json_is_integer(total))
                        snprintf(pct, sizeof(pct), "%u%%",
                                 percent(done, (uint64_t)json_integer_value(total)));
                printf("%s  %-15s %5s  %s\n", json_string_value(json_object_get(o, "id")),
                       json_string_value(json_object_get(o, "state")), pct,
                       json_string_value(json_object_get(o, "name")));
        }
        json_decref(a);
        return EXIT_OK;
}

int cmd_reset(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_guid *ids = NULL;
        uint32_t n = 0, aborted = 0;
        char buf[QM_GUID_STRING_SIZE];
        int r, worst = EXIT_OK;

        r = parse_all_users(cmd, argc, argv);
        if (r >= 0)
                return r;
        r = all_groups(ctx, &ids, &n);
        if (r)
                return r;
        for (uint32_t i = 0; i < n; i++) {
                qm_group *g = NULL;
                qm_job *j = NULL;
                qm_hresult hr;

                hr = qm_qmgr_get_group(ctx->qm, &ids[i], &g);
                if (QM_SUCCEEDED(hr))
                        hr = qm_group_query_new_job_interface(g, &j);
                if (QM_SUCCEEDED(hr))
                        hr = qm_job_cancel(j);
                qm_job_release(j);
                qm_group_release(g);
                if (QM_SUCCEEDED(hr)) {
                        aborted++;
                } else if (hr != QM_E_ITEM_NOT_FOUND && hr != BG_E_INVALID_STATE) {
                        guid_str(&ids[i], buf);
                        r = fail_hr(buf, hr);
                        if (r > worst)
                                worst = r;
                }
        }
        free(ids);
        if (ctx->json)
                r = print_json(json_pack("{sI}", "aborted", (json_int_t)aborted));
        return worst ? worst : r;
}

int cmd_version(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        char *service = NULL;
        int ind, r = no_options(cmd, argc, argv, &ind);

        if (r >= 0)
                return r;
        if (argc != ind)
                return cmd_usage_error(cmd, "unexpected argument '%s'", argv[ind]);
        r = ctx_connect(ctx);
        if (!r && QM_FAILED(qm_qmgr_get_service_version(ctx->qm, &service)))
                service = NULL;
        if (ctx->json) {
                int p = print_json(json_pack("{ssso}", "client", QMGR_VERSION, "service",
                                             service ? json_string(service) : json_null()));

                qm_free(service);
                return r ? r : p;
        }
        printf("client: %s\n", QMGR_VERSION);
        if (service)
                printf("service: %s\n", service);
        qm_free(service);
        return r;
}
