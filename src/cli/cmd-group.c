/* cmd-group.c - the commands that create a group or change one: create, addfile,
 * addfileset, resume, suspend, foreground, cancel, complete, abort, setprop, getprop and the
 * modern job settings. With --json each prints one object naming the group. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* Parses a command that takes no options and exactly nargs operands, the first a GROUP.
 * Returns 0 with *g and *ops (the operands) set, or an exit code. */
static int group_command(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv, int nargs,
                         qm_group **g, char ***ops)
{
        int ind, r;

        *g = NULL;
        *ops = NULL;
        r = no_options(cmd, argc, argv, &ind);
        if (r >= 0)
                return r;
        if (argc - ind != nargs)
                return cmd_usage_error(cmd, "expected %d argument%s", nargs, nargs == 1 ? "" : "s");
        *ops = argv + ind;
        return resolve_group(ctx, argv[ind], g);
}

/* Prints {"id": GUID} (plus the result) with --json; nothing otherwise. */
static int print_done(struct ctx *ctx, qm_group *g, const qm_hresult *hr)
{
        qm_guid id;
        json_t *o;

        if (!ctx->json)
                return EXIT_OK;
        qm_group_get_id(g, &id);
        o = json_pack("{so}", "id", json_guid(&id));
        if (o && hr) {
                json_object_set_new(o, "hresult", json_integer(*hr));
                json_object_set_new(o, "partial", json_boolean(*hr == BG_S_PARTIAL_COMPLETE));
        }
        return print_json(o);
}

/* ---- create --------------------------------------------------------------------------- */

static qm_hresult set_string_prop(qm_group *g, GROUPPROP prop, const char *s)
{
        qm_variant v = {.type = QM_VT_STR};

        v.u.str = (char *)s;
        return qm_group_set_prop(g, prop, &v);
}

int cmd_create(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        static const struct option opts[] = {
                {"name", required_argument, NULL, 'n'},
                {"description", required_argument, NULL, 'd'},
                {"id", required_argument, NULL, 'i'},
                {"foreground", no_argument, NULL, 'f'},
                {NULL, 0, NULL, 0},
        };
        const char *name = NULL, *desc = NULL;
        bool foreground = false, have_id = false;
        qm_guid gid, jid;
        qm_group *g = NULL;
        qm_job1 *j = NULL;
        qm_hresult hr;
        const char *what = NULL;
        char buf[QM_GUID_STRING_SIZE];
        int c, r;

        while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                switch (c) {
                case 'n':
                        name = optarg;
                        break;
                case 'd':
                        desc = optarg;
                        break;
                case 'i':
                        if (qm_guid_from_string(optarg, &gid) != QM_S_OK)
                                return cmd_usage_error(cmd, "'%s' is not a GUID", optarg);
                        have_id = true;
                        break;
                case 'f':
                        foreground = true;
                        break;
                default:
                        return cmd_usage_error(cmd, "unknown option");
                }
        }
        if (optind != argc)
                return cmd_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
        r = ctx_connect(ctx);
        if (r)
                return r;
        if ((!have_id && QM_FAILED(hr = qm_guid_generate(&gid))) ||
            QM_FAILED(hr = qm_guid_generate(&jid)))
                return fail_hr("cannot generate a GUID", hr);
        hr = qm_qmgr_create_group(ctx->qm, &gid, &g);
        if (QM_FAILED(hr))
                return fail_hr("CreateGroup", hr);
        hr = qm_group_create_job(g, &jid, &j);
        if (QM_FAILED(hr))
                what = "CreateJob";
        if (!what && name && QM_FAILED(hr = set_string_prop(g, GROUPPROP_DISPLAYNAME, name)))
                what = "SetProp(GROUPPROP_DISPLAYNAME)";
        if (!what && desc && QM_FAILED(hr = set_string_prop(g, GROUPPROP_DESCRIPTION, desc)))
                what = "SetProp(GROUPPROP_DESCRIPTION)";
        if (!what && foreground && QM_FAILED(hr = qm_group_switch_to_foreground(g)))
                what = "SwitchToForeground";
        if (what) {
                qm_job *mj;

                /* Decision: a half-made group is removed (modern cancel), not left behind. */
                r = fail_hr(what, hr);
                if (QM_SUCCEEDED(qm_group_query_new_job_interface(g, &mj))) {
                        qm_job_cancel(mj);
                        qm_job_release(mj);
                }
                qm_job1_release(j);
                qm_group_release(g);
                return r;
        }
        qm_job1_release(j);
        qm_group_release(g);
        if (ctx->json)
                return print_json(
                        json_pack("{soso}", "id", json_guid(&gid), "job_id", json_guid(&jid)));
        guid_str(&gid, buf);
        printf("%s\n", buf);
        return EXIT_OK;
}

/* ---- addfile / addfileset ------------------------------------------------------------- */

/* The group's job, created (with a new GUID) when the group has none yet. */
static int job1_for_adding(qm_group *g, qm_job1 **ret)
{
        qm_guid jid;
        qm_hresult hr;
        int r = group_job1(g, ret);

        if (r || *ret)
                return r;
        hr = qm_guid_generate(&jid);
        if (QM_SUCCEEDED(hr))
                hr = qm_group_create_job(g, &jid, ret);
        return QM_FAILED(hr) ? fail_hr("CreateJob", hr) : 0;
}

/* Sends the files in one AddFiles call (all or nothing). */
static int add_files(struct ctx *ctx, qm_group *g, uint32_t n, qm_fileset_info *files)
{
        qm_job1 *j = NULL;
        qm_hresult hr;
        int r;

        r = job1_for_adding(g, &j);
        if (r)
                return r;
        hr = qm_job1_add_files(j, n, files);
        qm_job1_release(j);
        if (QM_FAILED(hr))
                return fail_hr("AddFiles", hr);
        if (ctx->json) {
                qm_guid id;

                qm_group_get_id(g, &id);
                return print_json(
                        json_pack("{sosI}", "id", json_guid(&id), "files_added", (json_int_t)n));
        }
        return EXIT_OK;
}

int cmd_addfile(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_fileset_info f = {0};
        qm_group *g = NULL;
        char **ops;
        int r;

        r = group_command(ctx, cmd, argc, argv, 3, &g, &ops);
        if (r)
                return r;
        f.remote_file = ops[1];
        f.local_file = absolute_path(ops[2]);
        if (!f.local_file) {
                warnx_("%s: cannot make the path absolute", ops[2]);
                r = EXIT_FAILED;
        } else {
                r = add_files(ctx, g, 1, &f);
        }
        free(f.local_file);
        qm_group_release(g);
        return r;
}

static char *trim(char *s)
{
        char *end;

        while (isspace((unsigned char)*s))
                s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
                *--end = '\0';
        return s;
}

/* Reads "URL LOCAL" lines; LOCAL is the rest of the line, so it may contain spaces. */
static int read_list(const char *path, qm_fileset_info **ret, uint32_t *ret_n)
{
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
        qm_fileset_info *files = NULL;
        uint32_t n = 0, cap = 0;
        char *line = NULL;
        size_t len = 0;
        unsigned lineno = 0;
        int r = 0;

        if (!f) {
                warnx_("%s: %s", path, strerror(errno));
                return EXIT_FAILED;
        }
        while (getline(&line, &len, f) >= 0) {
                char *s = trim(line), *url, *local;

                lineno++;
                if (*s == '\0' || *s == '#')
                        continue;
                url = s;
                while (*s && !isspace((unsigned char)*s))
                        s++;
                if (*s)
                        *s++ = '\0';
                local = trim(s);
                if (*local == '\0') {
                        warnx_("%s:%u: expected URL LOCAL", path, lineno);
                        r = EXIT_FAILED;
                        break;
                }
                if (n == cap) {
                        uint32_t ncap = cap ? cap * 2 : 64;
                        qm_fileset_info *p = realloc(files, ncap * sizeof(*files));

                        if (!p) {
                                r = EXIT_FAILED;
                                warnx_("out of memory");
                                break;
                        }
                        files = p;
                        cap = ncap;
                }
                files[n].remote_file = strdup(url);
                files[n].local_file = absolute_path(local);
                files[n].size_hint = 0;
                n++;
                if (!files[n - 1].remote_file || !files[n - 1].local_file) {
                        warnx_("out of memory");
                        r = EXIT_FAILED;
                        break;
                }
        }
        if (!r && ferror(f)) {
                warnx_("%s: read error", path);
                r = EXIT_FAILED;
        }
        free(line);
        if (f != stdin)
                fclose(f);
        if (r) {
                for (uint32_t i = 0; i < n; i++)
                        qm_fileset_info_clear(&files[i]);
                free(files);
                return r;
        }
        *ret = files;
        *ret_n = n;
        return 0;
}

int cmd_addfileset(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_fileset_info *files = NULL;
        qm_group *g = NULL;
        uint32_t n = 0;
        char **ops;
        int r;

        r = group_command(ctx, cmd, argc, argv, 2, &g, &ops);
        if (r)
                return r;
        r = read_list(ops[1], &files, &n);
        if (!r)
                r = add_files(ctx, g, n, files);
        for (uint32_t i = 0; i < n; i++)
                qm_fileset_info_clear(&files[i]);
        free(files);
        qm_group_release(g);
        return r;
}

/* ---- state changes -------------------------------------------------------------------- */

static int simple_action(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv,
                         qm_hresult (*fn)(qm_group *), const char *what)
{
        qm_group *g = NULL;
        qm_hresult hr;
        char **ops;
        int r;

        r = group_command(ctx, cmd, argc, argv, 1, &g, &ops);
        if (r)
                return r;
        hr = fn(g);
        r = QM_FAILED(hr) ? fail_hr(what, hr) : print_done(ctx, g, NULL);
        qm_group_release(g);
        return r;
}

int cmd_resume(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        return simple_action(ctx, cmd, argc, argv, qm_group_resume, "ResumeGroup");
}

int cmd_suspend(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        return simple_action(ctx, cmd, argc, argv, qm_group_suspend, "SuspendGroup");
}

int cmd_foreground(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        return simple_action(ctx, cmd, argc, argv, qm_group_switch_to_foreground,
                             "SwitchToForeground");
}

/* cancel, complete and abort end the group; partial commits are successes. */
static int ending_action(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv, int kind)
{
        qm_group *g = NULL;
        qm_job *j = NULL;
        qm_hresult hr;
        char **ops;
        int r;

        r = group_command(ctx, cmd, argc, argv, 1, &g, &ops);
        if (r)
                return r;
        if (kind == 0) {
                hr = qm_group_cancel(g);
        } else {
                r = group_job(g, &j);
                if (r) {
                        qm_group_release(g);
                        return r;
                }
                hr = kind == 1 ? qm_job_complete(j) : qm_job_cancel(j);
                qm_job_release(j);
        }
        if (QM_FAILED(hr)) {
                r = fail_hr(kind == 0 ? "CancelGroup" : kind == 1 ? "Complete" : "Cancel", hr);
        } else {
                if (hr == BG_S_PARTIAL_COMPLETE)
                        warnx_("only some files were committed");
                else if (hr == BG_S_UNABLE_TO_DELETE_FILES)
                        warnx_("a temporary file could not be deleted");
                r = print_done(ctx, g, &hr);
        }
        qm_group_release(g);
        return r;
}

int cmd_cancel(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        return ending_action(ctx, cmd, argc, argv, 0);
}

int cmd_complete(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        return ending_action(ctx, cmd, argc, argv, 1);
}

int cmd_abort(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        return ending_action(ctx, cmd, argc, argv, 2);
}

/* ---- properties ----------------------------------------------------------------------- */

static const char *const prop_names[] = {
        "priority",      "remoteuserid", "remoteuserpwd", "localuserid",  "localuserpwd",
        "protocolflags", "notifyflags",  "notifyclsid",   "progresssize", "progresspercent",
        "progresstime",  "displayname",  "description",
};

#define N_PROPS (sizeof(prop_names) / sizeof(prop_names[0]))

static bool prop_is_integer(uint32_t p)
{
        return p == GROUPPROP_PRIORITY || p == GROUPPROP_PROTOCOLFLAGS ||
               p == GROUPPROP_NOTIFYFLAGS ||
               (p >= GROUPPROP_PROGRESSSIZE && p <= GROUPPROP_PROGRESSTIME);
}

/* A name (any case, GROUPPROP_ prefix optional) or a number 0-12. */
static int parse_prop(const char *s, uint32_t *ret)
{
        if (strncasecmp(s, "GROUPPROP_", 10) == 0)
                s += 10;
        for (uint32_t i = 0; i < N_PROPS; i++) {
                if (strcasecmp(s, prop_names[i]) == 0) {
                        *ret = i;
                        return 0;
                }
        }
        if (parse_u32(s, ret) == 0 && *ret < N_PROPS)
                return 0;
        return -1;
}

int cmd_getprop(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_variant v = {0};
        qm_group *g = NULL;
        qm_hresult hr;
        uint32_t prop;
        char **ops;
        int r, ind;

        r = no_options(cmd, argc, argv, &ind);
        if (r >= 0)
                return r;
        if (argc - ind != 2)
                return cmd_usage_error(cmd, "expected GROUP PROP");
        if (parse_prop(argv[ind + 1], &prop) < 0)
                return cmd_usage_error(cmd, "unknown property '%s'", argv[ind + 1]);
        r = group_command(ctx, cmd, argc, argv, 2, &g, &ops);
        if (r)
                return r;
        hr = qm_group_get_prop(g, (GROUPPROP)prop, &v);
        qm_group_release(g);
        if (QM_FAILED(hr))
                return fail_hr("GetProp", hr);
        if (ctx->json) {
                json_t *val = v.type == QM_VT_I4    ? json_integer(v.u.i4)
                              : v.type == QM_VT_UI4 ? json_integer(v.u.ui4)
                              : v.type == QM_VT_STR ? json_string(v.u.str ? v.u.str : "")
                                                    : json_null();

                r = print_json(json_pack("{ssso}", "prop", prop_names[prop], "value", val));
        } else if (v.type == QM_VT_I4) {
                printf("%d\n", (int)v.u.i4);
        } else if (v.type == QM_VT_UI4) {
                printf("%u\n", (unsigned)v.u.ui4);
        } else if (v.type == QM_VT_STR) {
                printf("%s\n", v.u.str ? v.u.str : "");
        } else {
                printf("\n");
        }
        qm_variant_clear(&v);
        return r;
}

int cmd_setprop(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_variant v = {0};
        qm_group *g = NULL;
        qm_hresult hr;
        uint32_t prop;
        char **ops;
        int r, ind;

        r = no_options(cmd, argc, argv, &ind);
        if (r >= 0)
                return r;
        if (argc - ind != 3)
                return cmd_usage_error(cmd, "expected GROUP PROP VALUE");
        if (parse_prop(argv[ind + 1], &prop) < 0)
                return cmd_usage_error(cmd, "unknown property '%s'", argv[ind + 1]);
        if (prop_is_integer(prop)) {
                int64_t x;

                if (parse_i64(argv[ind + 2], &x) < 0 || x < INT32_MIN || x > UINT32_MAX)
                        return cmd_usage_error(cmd, "'%s' is not a 32-bit integer", argv[ind + 2]);
                if (x <= INT32_MAX) {
                        v.type = QM_VT_I4;
                        v.u.i4 = (int32_t)x;
                } else {
                        v.type = QM_VT_UI4;
                        v.u.ui4 = (uint32_t)x;
                }
        } else {
                v.type = QM_VT_STR;
                v.u.str = argv[ind + 2];
        }
        r = group_command(ctx, cmd, argc, argv, 3, &g, &ops);
        if (r)
                return r;
        hr = qm_group_set_prop(g, (GROUPPROP)prop, &v);
        r = QM_FAILED(hr) ? fail_hr("SetProp", hr) : print_done(ctx, g, NULL);
        qm_group_release(g);
        return r;
}

/* ---- modern job settings -------------------------------------------------------------- */

/* Runs fn(job, value) on GROUP's modern job. */
static int job_setting(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv,
                       qm_hresult (*fn)(qm_job *, uint32_t), uint32_t value, const char *what)
{
        qm_group *g = NULL;
        qm_job *j = NULL;
        qm_hresult hr;
        char **ops;
        int r;

        r = group_command(ctx, cmd, argc, argv, 2, &g, &ops);
        if (r)
                return r;
        r = group_job(g, &j);
        if (!r) {
                hr = fn(j, value);
                r = QM_FAILED(hr) ? fail_hr(what, hr) : print_done(ctx, g, NULL);
        }
        qm_job_release(j);
        qm_group_release(g);
        return r;
}

/* The second operand, after the options (which these commands do not have). */
static const char *second_operand(int argc, char **argv)
{
        int i = 1;

        if (i < argc && strcmp(argv[i], "--") == 0)
                i++;
        return i + 1 < argc ? argv[i + 1] : NULL;
}

int cmd_setpriority(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        static const char *const names[] = {"foreground", "high", "normal", "low"};
        const char *s = second_operand(argc, argv);
        uint32_t prio = 4;

        for (uint32_t i = 0; s && i < 4; i++) {
                if (strcasecmp(s, names[i]) == 0)
                        prio = i; /* BG_JOB_PRIORITY_* are 0-3 in this order */
        }
        if (prio > 3)
                return cmd_usage_error(cmd, "expected GROUP foreground|high|normal|low");
        return job_setting(ctx, cmd, argc, argv, qm_job_set_priority, prio, "SetPriority");
}

int cmd_setretrydelay(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        const char *s = second_operand(argc, argv);
        uint32_t v;

        if (!s || parse_u32(s, &v) < 0)
                return cmd_usage_error(cmd, "expected GROUP SECONDS");
        return job_setting(ctx, cmd, argc, argv, qm_job_set_minimum_retry_delay, v,
                           "SetMinimumRetryDelay");
}

int cmd_setnoprogresstimeout(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        const char *s = second_operand(argc, argv);
        uint32_t v;

        if (!s || parse_u32(s, &v) < 0)
                return cmd_usage_error(cmd, "expected GROUP SECONDS");
        return job_setting(ctx, cmd, argc, argv, qm_job_set_no_progress_timeout, v,
                           "SetNoProgressTimeout");
}

/* Appends arg to the command line in the quoting the service splits it with: in double
 * quotes, with \" and \\ escaped. */
static int append_quoted(char **line, size_t *len, const char *arg)
{
        size_t need = *len + 2 * strlen(arg) + 4;
        char *n = realloc(*line, need), *o;

        if (!n)
                return -1;
        *line = n;
        o = n + *len;
        if (*len)
                *o++ = ' ';
        *o++ = '"';
        for (const char *a = arg; *a; a++) {
                if (*a == '"' || *a == '\\')
                        *o++ = '\\';
                *o++ = *a;
        }
        *o++ = '"';
        *o = '\0';
        *len = (size_t)(o - n);
        return 0;
}

int cmd_setnotifycmdline(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        qm_group *g = NULL;
        qm_job *j = NULL;
        char *line = NULL, *program;
        size_t len = 0;
        qm_hresult hr;
        int ind, r;

        r = no_options(cmd, argc, argv, &ind);
        if (r >= 0)
                return r;
        if (argc - ind < 2)
                return cmd_usage_error(cmd, "expected GROUP PROGRAM [ARG...]");
        /* The command line is PROGRAM ARG... (argv[0] included, as on Windows). */
        for (int i = ind + 1; i < argc; i++) {
                if (append_quoted(&line, &len, argv[i]) < 0) {
                        free(line);
                        return fail_hr("setnotifycmdline", QM_E_OUTOFMEMORY);
                }
        }
        program = absolute_path(argv[ind + 1]);
        r = program ? resolve_group(ctx, argv[ind], &g)
                    : fail_hr("setnotifycmdline", QM_E_OUTOFMEMORY);
        if (!r)
                r = group_job(g, &j);
        if (!r) {
                hr = qm_job_set_notify_cmdline(j, program, line);
                r = QM_FAILED(hr) ? fail_hr("SetNotifyCmdLine", hr) : print_done(ctx, g, NULL);
        }
        qm_job_release(j);
        qm_group_release(g);
        free(program);
        free(line);
        return r;
}
