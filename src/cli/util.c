/* util.c - helpers shared by the commands: reporting failures with their exit code,
 * connecting, resolving a GROUP argument (GUID or display name), parsing numbers and
 * making local paths absolute. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void warnx_(const char *fmt, ...)
{
        va_list ap;

        fputs("qmgr: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* The connection whose last refusal fail_hr() describes (set by ctx_connect()). */
static qm_qmgr *described;

int fail_hr(const char *what, qm_hresult hr)
{
        const char *no = getenv("QMGR_NO_AUTOSTART");
        char *why = NULL;

        if (!described || QM_FAILED(qm_qmgr_get_error_description(described, hr, &why)))
                why = NULL;
        fprintf(stderr, "qmgr: %s: 0x%08x %s: %s\n", what, (unsigned)hr, qm_hresult_name(hr),
                why ? why : qm_strerror(hr));
        qm_free(why);
        if (hr != QM_E_SERVICE_UNAVAILABLE)
                return EXIT_FAILED;
        if (no && strcmp(no, "1") == 0)
                fputs("qmgr: hint: start it with `qmgrd --user` or drop --no-autostart\n", stderr);
        else
                fputs("qmgr: hint: is qmgrd installed? `qmgrd --user --foreground` shows why it "
                      "does not start\n",
                      stderr);
        return EXIT_UNAVAILABLE;
}

int ctx_connect(struct ctx *ctx)
{
        qm_hresult hr;

        if (ctx->qm)
                return 0;
        hr = qm_qmgr_connect(ctx->socket, &ctx->qm);
        if (hr == QM_E_ACCESSDENIED) {
                fail_hr("cannot connect to the service", hr);
                fputs("qmgr: hint: the service refuses more connections from this user: too many "
                      "are open (its max_connections_per_user)\n",
                      stderr);
                return EXIT_FAILED;
        }
        if (QM_FAILED(hr))
                return fail_hr("cannot connect to the service", hr);
        described = ctx->qm;
        return 0;
}

/* Looks the name up among the caller's groups. */
static int group_by_name(struct ctx *ctx, const char *name, qm_group **ret)
{
        qm_enum_groups *e = NULL;
        qm_group *found = NULL;
        qm_guid *ids = NULL;
        uint32_t n = 0, matches = 0;
        qm_hresult hr;
        int r = EXIT_FAILED;

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
                return fail_hr("cannot list the groups", hr);
        }
        for (uint32_t i = 0; i < n; i++) {
                qm_variant v = {0};
                qm_group *g;

                /* A group that vanished meanwhile simply does not match. */
                if (QM_FAILED(qm_qmgr_get_group(ctx->qm, &ids[i], &g)))
                        continue;
                if (QM_SUCCEEDED(qm_group_get_prop(g, GROUPPROP_DISPLAYNAME, &v)) &&
                    v.type == QM_VT_STR && v.u.str && strcmp(v.u.str, name) == 0) {
                        ids[matches++] = ids[i];
                        qm_group_release(found);
                        found = qm_group_ref(g);
                }
                qm_variant_clear(&v);
                qm_group_release(g);
        }
        if (matches == 1) {
                *ret = found;
                found = NULL;
                r = 0;
        } else if (matches == 0) {
                fail_hr(name, QM_E_ITEM_NOT_FOUND);
        } else {
                char buf[QM_GUID_STRING_SIZE];

                warnx_("%s: the name matches %u groups; give one of their GUIDs:", name, matches);
                for (uint32_t i = 0; i < matches; i++) {
                        guid_str(&ids[i], buf);
                        fprintf(stderr, "  %s\n", buf);
                }
        }
        qm_group_release(found);
        free(ids);
        return r;
}

int resolve_group(struct ctx *ctx, const char *arg, qm_group **ret)
{
        qm_guid id;
        qm_hresult hr;
        int r;

        r = ctx_connect(ctx);
        if (r)
                return r;
        if (qm_guid_from_string(arg, &id) != QM_S_OK)
                return group_by_name(ctx, arg, ret);
        hr = qm_qmgr_get_group(ctx->qm, &id, ret);
        if (QM_FAILED(hr))
                return fail_hr(arg, hr);
        return 0;
}

int group_job(qm_group *g, qm_job **ret)
{
        qm_hresult hr = qm_group_query_new_job_interface(g, ret);

        return QM_FAILED(hr) ? fail_hr("QueryNewJobInterface", hr) : 0;
}

int group_job1(qm_group *g, qm_job1 **ret)
{
        qm_enum_jobs1 *e = NULL;
        qm_guid id;
        uint32_t n = 0;
        qm_hresult hr;

        *ret = NULL;
        hr = qm_group_enum_jobs(g, 0, &e);
        if (QM_SUCCEEDED(hr))
                hr = qm_enum_jobs1_next(e, 1, &id, &n);
        qm_enum_jobs1_release(e);
        if (QM_FAILED(hr))
                return fail_hr("EnumJobs", hr);
        if (n == 0)
                return 0;
        hr = qm_group_get_job(g, &id, ret);
        return QM_FAILED(hr) ? fail_hr("GetJob", hr) : 0;
}

int no_options(const struct cmd *cmd, int argc, char **argv, int *ind)
{
        static const struct option opts[] = {{NULL, 0, NULL, 0}};

        if (getopt_long(argc, argv, "+", opts, NULL) != -1)
                return cmd_usage_error(cmd, "unknown option");
        *ind = optind;
        return -1;
}

int parse_i64(const char *s, int64_t *ret)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 0);
        if (errno || end == s || *end)
                return -1;
        *ret = v;
        return 0;
}

int parse_u32(const char *s, uint32_t *ret)
{
        int64_t v;

        if (parse_i64(s, &v) < 0 || v < 0 || v > UINT32_MAX)
                return -1;
        *ret = (uint32_t)v;
        return 0;
}

char *absolute_path(const char *path)
{
        char *cwd, *out;
        size_t len;

        if (path[0] == '/')
                return strdup(path);
        cwd = getcwd(NULL, 0);
        if (!cwd)
                return NULL;
        len = strlen(cwd) + 1 + strlen(path) + 1;
        out = malloc(len);
        if (out)
                snprintf(out, len, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "",
                         path[0] == '.' && path[1] == '/' ? path + 2 : path);
        free(cwd);
        return out;
}
