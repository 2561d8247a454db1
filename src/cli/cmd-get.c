/* cmd-get.c - `qmgr get`: a one-shot transfer. Creates a group and its job, adds every
 * URL LOCAL pair in one AddFiles call, resumes, then follows the group's live updates
 * (qm_qmgr_watch, the connection's event stream): TRANSFERRED -> Complete (commit) and
 * exit 0; ERROR -> print the error, abort (modern cancel, nothing committed) and exit 1.
 * SIGINT/SIGTERM abort the group and exit 130. The progress bar goes to stderr, and only
 * when stderr is a terminal; it is redrawn on every update. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* How long one qm_qmgr_dispatch() waits; signals end it early. */
#define DISPATCH_MS 1000

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
        interrupted = sig;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bar {
        bool on;    /* stderr is a terminal */
        bool drawn; /* a line is on screen */
        double t0, last_t, rate;
        uint64_t last_bytes;
};

static void bar_draw(struct bar *b, const qm_job_progress *p, uint32_t state)
{
        char done[32], total[32], rate[32], eta[32] = "";
        double t = now_s();

        if (!b->on)
                return;
        if (t > b->last_t && p->bytes_transferred >= b->last_bytes) {
                double inst = (double)(p->bytes_transferred - b->last_bytes) / (t - b->last_t);

                /* an exponential moving average keeps the rate readable */
                b->rate = b->drawn ? 0.8 * b->rate + 0.2 * inst : inst;
        }
        b->last_t = t;
        b->last_bytes = p->bytes_transferred;
        format_bytes(p->bytes_transferred, done, sizeof(done));
        format_bytes(p->bytes_total, total, sizeof(total));
        format_bytes((uint64_t)b->rate, rate, sizeof(rate));
        if (p->bytes_total != BG_SIZE_UNKNOWN && b->rate >= 1.0 &&
            p->bytes_total >= p->bytes_transferred) {
                uint64_t s = (uint64_t)((double)(p->bytes_total - p->bytes_transferred) / b->rate);

                snprintf(eta, sizeof(eta), "  ETA %" PRIu64 ":%02u:%02u", s / 3600,
                         (unsigned)(s / 60 % 60), (unsigned)(s % 60));
        }
        fprintf(stderr, "\r%s / %s  %3u%%  %s/s%s%s\033[K", done, total,
                percent(p->bytes_transferred, p->bytes_total), rate, eta,
                state == BG_JOB_STATE_TRANSIENT_ERROR ? "  (retrying)" : "");
        fflush(stderr);
        b->drawn = true;
}

static void bar_end(struct bar *b)
{
        if (b->drawn)
                fputc('\n', stderr);
        b->drawn = false;
}

static void print_job_error(qm_job *j, const qm_fileset_info *files, uint32_t n)
{
        qm_job_error e = {0};
        qm_hresult hr = qm_job_get_error(j, &e);

        if (QM_FAILED(hr)) {
                fail_hr("the transfer failed", hr);
                return;
        }
        fprintf(stderr, "qmgr: get: 0x%08x %s: %s\n", (unsigned)e.code, qm_hresult_name(e.code),
                e.description ? e.description : qm_strerror(e.code));
        if (e.file_index < n)
                fprintf(stderr, "qmgr: file %u: %s -> %s\n", e.file_index,
                        files[e.file_index].remote_file, files[e.file_index].local_file);
        fprintf(stderr, "qmgr: context %s, transport result %u, win32 result %u\n",
                context_name(e.context), e.transport_result, e.win32_result);
        qm_job_error_clear(&e);
}

/* Sets up the group; returns 0 or an exit code (the group is left for the caller to
 * abort). */
static int setup(struct ctx *ctx, qm_group *g, const char *name, bool foreground,
                 qm_fileset_info *files, uint32_t n)
{
        qm_variant v = {.type = QM_VT_STR};
        qm_job1 *j1 = NULL;
        qm_guid jid;
        qm_hresult hr;

        hr = qm_guid_generate(&jid);
        if (QM_FAILED(hr))
                return fail_hr("cannot generate a GUID", hr);
        hr = qm_group_create_job(g, &jid, &j1);
        if (QM_FAILED(hr))
                return fail_hr("CreateJob", hr);
        v.u.str = (char *)name;
        hr = qm_group_set_prop(g, GROUPPROP_DISPLAYNAME, &v);
        if (QM_FAILED(hr)) {
                qm_job1_release(j1);
                return fail_hr("SetProp(GROUPPROP_DISPLAYNAME)", hr);
        }
        hr = qm_job1_add_files(j1, n, files);
        qm_job1_release(j1);
        if (QM_FAILED(hr))
                return fail_hr("AddFiles", hr);
        if (foreground && QM_FAILED(hr = qm_group_switch_to_foreground(g)))
                return fail_hr("SwitchToForeground", hr);
        hr = qm_group_resume(g);
        if (QM_FAILED(hr))
                return fail_hr("ResumeGroup", hr);
        return 0;
}

/* The latest update of the group, kept by the watch function. */
struct follow {
        bool have, changed;
        qm_group_update u;
};

static void on_update(void *userdata, const qm_group_update *u)
{
        struct follow *f = userdata;

        f->u = *u;
        f->have = f->changed = true;
}

/* Follows the group's updates until it is transferred (0) or failed (exit code). */
static int wait_job(qm_qmgr *qm, const qm_guid *gid, qm_job *j, const qm_fileset_info *files,
                    uint32_t n, uint64_t *ret_bytes)
{
        struct bar b = {.on = isatty(STDERR_FILENO) == 1};
        struct follow f = {0};
        qm_hresult hr;

        b.t0 = b.last_t = now_s();
        hr = qm_qmgr_watch(qm, gid, on_update, &f);
        if (QM_FAILED(hr))
                return fail_hr("cannot follow the transfer", hr);
        for (;;) {
                qm_job_progress p;

                if (interrupted)
                        break;
                hr = qm_qmgr_dispatch(qm, DISPATCH_MS);
                if (QM_FAILED(hr)) {
                        bar_end(&b);
                        return fail_hr("cannot follow the transfer", hr);
                }
                if (!f.changed)
                        continue;
                f.changed = false;
                if (f.u.removed) {
                        bar_end(&b);
                        warnx_("get: the group was removed by someone else");
                        return EXIT_FAILED;
                }
                p.bytes_total = f.u.bytes_total;
                p.bytes_transferred = f.u.bytes_transferred;
                p.files_total = f.u.files_total;
                p.files_transferred = f.u.files_transferred;
                bar_draw(&b, &p, f.u.state);
                if (f.u.state == BG_JOB_STATE_TRANSFERRED) {
                        bar_end(&b);
                        *ret_bytes = p.bytes_transferred;
                        return 0;
                }
                if (f.u.state == BG_JOB_STATE_ERROR) {
                        bar_end(&b);
                        print_job_error(j, files, n);
                        return EXIT_FAILED;
                }
        }
        bar_end(&b);
        return EXIT_INTERRUPTED;
}

int cmd_get(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        static const struct option opts[] = {
                {"foreground", no_argument, NULL, 'f'},
                {"name", required_argument, NULL, 'n'},
                {NULL, 0, NULL, 0},
        };
        struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waits end early */
        const char *name = "qmgr get";
        bool foreground = false;
        qm_fileset_info *files;
        uint32_t n;
        uint64_t bytes = 0;
        qm_group *g = NULL;
        qm_job *j = NULL;
        qm_guid gid;
        qm_hresult hr;
        int c, r;

        while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        foreground = true;
                        break;
                case 'n':
                        name = optarg;
                        break;
                default:
                        return cmd_usage_error(cmd, "unknown option");
                }
        }
        if (argc - optind < 2 || (argc - optind) % 2)
                return cmd_usage_error(cmd, "expected URL LOCAL pairs");
        n = (uint32_t)(argc - optind) / 2;
        files = calloc(n, sizeof(*files));
        if (!files)
                return fail_hr("get", QM_E_OUTOFMEMORY);
        for (uint32_t i = 0; i < n; i++) {
                files[i].remote_file = argv[optind + 2 * i];
                files[i].local_file = absolute_path(argv[optind + 2 * i + 1]);
                if (!files[i].local_file) {
                        r = fail_hr("get", QM_E_OUTOFMEMORY);
                        goto out;
                }
        }
        r = ctx_connect(ctx);
        if (r)
                goto out;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        hr = qm_guid_generate(&gid);
        if (QM_SUCCEEDED(hr))
                hr = qm_qmgr_create_group(ctx->qm, &gid, &g);
        if (QM_FAILED(hr)) {
                r = fail_hr("CreateGroup", hr);
                goto out;
        }
        hr = qm_group_query_new_job_interface(g, &j);
        if (QM_FAILED(hr)) {
                r = fail_hr("QueryNewJobInterface", hr);
                goto out;
        }
        r = setup(ctx, g, name, foreground, files, n);
        if (!r)
                r = interrupted ? EXIT_INTERRUPTED : wait_job(ctx->qm, &gid, j, files, n, &bytes);
        if (r) {
                /* failed or interrupted: remove the group, commit nothing */
                qm_job_cancel(j);
                goto out;
        }
        hr = qm_job_complete(j);
        if (QM_FAILED(hr)) {
                r = fail_hr("Complete", hr);
                qm_job_cancel(j);
                goto out;
        }
        if (hr == BG_S_PARTIAL_COMPLETE)
                warnx_("only some files were committed");
        if (ctx->json)
                r = print_json(json_pack("{sosIsI}", "id", json_guid(&gid), "files", (json_int_t)n,
                                         "bytes", (json_int_t)bytes));
out:
        qm_job_release(j);
        qm_group_release(g);
        for (uint32_t i = 0; i < n; i++)
                free(files[i].local_file);
        free(files);
        return r;
}
