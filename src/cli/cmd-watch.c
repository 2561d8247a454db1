/* cmd-watch.c - the commands that follow the service's event stream (qm_qmgr_watch):
 *
 *   wait GROUP [--timeout S]  until the group is transferred (exit 0) or in error (exit 1,
 *                             the error printed); 124 on time-out; 1 when the group is
 *                             removed meanwhile. --json prints the last update.
 *   monitor [GROUP]           on a terminal, a table of the caller's groups redrawn in place;
 *                             otherwise (or with --json) one JSON object per line per event.
 *                             Runs until SIGINT/SIGTERM (exit 0) or, with GROUP, until that
 *                             group is removed.
 *
 * Nothing polls: every change arrives as an update from qm_qmgr_dispatch(). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
        stop_signal = sig;
}

/* SIGINT/SIGTERM set stop_signal and interrupt qm_qmgr_dispatch() (no SA_RESTART). */
static void catch_signals(void)
{
        struct sigaction sa = {.sa_handler = on_signal};

        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The JSON form of an update (CLI.md, monitor). message: the service's description of the
 * error when known, else the code's one-line message. */
static json_t *update_json(const qm_group_update *u, const char *message)
{
        json_t *err = json_null();

        if (u->error != QM_S_OK)
                err = json_pack("{sIsssssssIsIsI}", "hresult", (json_int_t)u->error, "name",
                                qm_hresult_name(u->error), "message",
                                message ? message : qm_strerror(u->error), "context",
                                context_name(u->error_context), "file_index",
                                (json_int_t)u->error_file_index, "win32_result",
                                (json_int_t)u->win32_result, "transport_result",
                                (json_int_t)u->transport_result);
        return json_pack("{sssosssIsIsosIsIsIso}", "event", u->removed ? "removed" : "update", "id",
                         json_guid(&u->group_id), "state", state_name(u->state), "status",
                         (json_int_t)u->status, "bytes_transferred",
                         (json_int_t)u->bytes_transferred, "bytes_total", json_size(u->bytes_total),
                         "files_transferred", (json_int_t)u->files_transferred, "files_total",
                         (json_int_t)u->files_total, "retries", (json_int_t)u->num_retries, "error",
                         err);
}

/* One JSON object on one line. */
static int print_json_line(json_t *doc)
{
        int r;

        if (!doc) {
                warnx_("out of memory");
                return EXIT_FAILED;
        }
        r = json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(doc);
        fputc('\n', stdout);
        fflush(stdout);
        return r < 0 ? EXIT_FAILED : EXIT_OK;
}

/* ---- wait ------------------------------------------------------------------------------ */

struct waiter {
        bool have, final;
        qm_group_update last;
};

static void on_wait_update(void *userdata, const qm_group_update *u)
{
        struct waiter *w = userdata;

        if (w->final)
                return;
        w->last = *u;
        w->have = true;
        w->final = u->removed || u->state == BG_JOB_STATE_TRANSFERRED ||
                   u->state == BG_JOB_STATE_ERROR;
}

int cmd_wait(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        static const struct option opts[] = {
                {"timeout", required_argument, NULL, 't'},
                {NULL, 0, NULL, 0},
        };
        struct waiter w = {0};
        double timeout = -1, deadline = 0;
        qm_group *g = NULL;
        qm_guid id;
        qm_hresult hr;
        char *end;
        int c, r;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 't':
                        timeout = strtod(optarg, &end);
                        if (end == optarg || *end || !(timeout >= 0) || timeout > 1e9)
                                return cmd_usage_error(
                                        cmd, "--timeout: not a number of seconds: %s", optarg);
                        break;
                default:
                        return cmd_usage_error(cmd, "unknown option");
                }
        }
        if (argc - optind != 1)
                return cmd_usage_error(cmd, "expected one GROUP");
        r = resolve_group(ctx, argv[optind], &g);
        if (r)
                return r;
        qm_group_get_id(g, &id);
        catch_signals();
        if (timeout >= 0)
                deadline = now_s() + timeout;
        hr = qm_qmgr_watch(ctx->qm, &id, on_wait_update, &w);
        if (QM_FAILED(hr)) {
                r = fail_hr("wait", hr);
                goto out;
        }
        while (!w.final) {
                int ms = 1000;

                if (stop_signal) {
                        r = EXIT_INTERRUPTED;
                        goto out;
                }
                if (timeout >= 0) {
                        double left = deadline - now_s();

                        if (left <= 0) {
                                warnx_("wait: timed out after %g s", timeout);
                                if (ctx->json && w.have)
                                        print_json(update_json(&w.last, NULL));
                                r = EXIT_TIMEOUT;
                                goto out;
                        }
                        if (left * 1000 < ms)
                                ms = (int)(left * 1000) + 1;
                }
                hr = qm_qmgr_dispatch(ctx->qm, ms);
                if (QM_FAILED(hr)) {
                        r = fail_hr("wait", hr);
                        goto out;
                }
        }
        if (w.last.removed) {
                warnx_("wait: the group was removed (%s) before it finished",
                       w.last.state == BG_JOB_STATE_ACKNOWLEDGED ? "committed" : "aborted");
                if (ctx->json)
                        print_json(update_json(&w.last, NULL));
                r = EXIT_FAILED;
        } else if (w.last.state == BG_JOB_STATE_ERROR) {
                qm_job_error e = {0};
                qm_job *j = NULL;
                const char *msg = NULL;

                /* The service's description says more than the code's message. */
                if (QM_SUCCEEDED(qm_group_query_new_job_interface(g, &j)) &&
                    QM_SUCCEEDED(qm_job_get_error(j, &e)))
                        msg = e.description;
                fprintf(stderr, "qmgr: wait: 0x%08x %s: %s\n", (unsigned)w.last.error,
                        qm_hresult_name(w.last.error), msg ? msg : qm_strerror(w.last.error));
                if (msg && e.file_index != QM_NO_FILE_INDEX) {
                        /* Which file, as `get` says it: a person should not need `info`. */
                        qm_fileset_info fi = {0};
                        qm_job1 *j1 = NULL;

                        if (group_job1(g, &j1) == 0 && j1 &&
                            QM_SUCCEEDED(qm_job1_get_file(j1, e.file_index, &fi)))
                                fprintf(stderr, "qmgr: file %u: %s -> %s\n", e.file_index,
                                        fi.remote_file, fi.local_file);
                        fprintf(stderr, "qmgr: context %s, transport result %u, win32 result %u\n",
                                context_name(e.context), e.transport_result, e.win32_result);
                        qm_fileset_info_clear(&fi);
                        qm_job1_release(j1);
                }
                if (ctx->json)
                        print_json(update_json(&w.last, msg));
                qm_job_error_clear(&e);
                qm_job_release(j);
                r = EXIT_FAILED;
        } else {
                r = ctx->json ? print_json(update_json(&w.last, NULL)) : EXIT_OK;
        }
out:
        qm_group_release(g);
        return r;
}

/* ---- monitor --------------------------------------------------------------------------- */

#define REMOVED_LINGER_S 5.0 /* a removed group stays in the table this long */
#define REDRAW_S         0.2

struct row {
        qm_group_update u;
        char *name;    /* display name, fetched outside the callbacks; NULL until then */
        double base_t; /* the rate is measured from (base_t, base_bytes) */
        uint64_t base_bytes;
        double rate; /* bytes per second, smoothed */
        double removed_at;
};

struct monitor {
        struct ctx *ctx;
        bool table, has_group, group_removed;
        qm_guid group;
        struct row *rows;
        size_t n_rows;
        bool dirty;
        int r; /* exit code of a failed output */
};

static struct row *row_for(struct monitor *m, const qm_guid *id)
{
        struct row *n;

        for (size_t i = 0; i < m->n_rows; i++)
                if (qm_guid_equal(&m->rows[i].u.group_id, id))
                        return &m->rows[i];
        n = realloc(m->rows, (m->n_rows + 1) * sizeof(*n));
        if (!n)
                return NULL;
        m->rows = n;
        n = &m->rows[m->n_rows++];
        memset(n, 0, sizeof(*n));
        n->u.group_id = *id;
        n->u.bytes_total = BG_SIZE_UNKNOWN;
        return n;
}

static void on_monitor_update(void *userdata, const qm_group_update *u)
{
        struct monitor *m = userdata;
        struct row *row;
        double t = now_s();

        if (m->has_group && u->removed && qm_guid_equal(&u->group_id, &m->group))
                m->group_removed = true;
        if (!m->table) {
                if (print_json_line(update_json(u, NULL)) != EXIT_OK)
                        m->r = EXIT_FAILED;
                return;
        }
        row = row_for(m, &u->group_id);
        if (!row)
                return;
        if (row->base_t == 0 || u->bytes_transferred < row->base_bytes) {
                row->base_t = t;
                row->base_bytes = u->bytes_transferred;
        } else if (t - row->base_t >= 0.5) {
                double inst = (double)(u->bytes_transferred - row->base_bytes) / (t - row->base_t);

                row->rate = row->rate > 0 ? 0.6 * row->rate + 0.4 * inst : inst;
                row->base_t = t;
                row->base_bytes = u->bytes_transferred;
        }
        if (u->state != BG_JOB_STATE_TRANSFERRING && u->state != BG_JOB_STATE_CONNECTING)
                row->rate = 0;
        row->u = *u;
        row->u.name = NULL; /* valid only during this call */
        if (u->name && (!row->name || strcmp(row->name, u->name) != 0)) {
                /* The name can come after the group: the latest update says it. */
                char *name = strdup(u->name);

                if (name) {
                        free(row->name);
                        row->name = name;
                }
        }
        if (u->removed) {
                row->u.status = 0;
                row->removed_at = t;
        }
        m->dirty = true;
}

/* Display names of the rows that have none yet (library calls are made here, not from
 * inside a watch function, to keep the callbacks short). */
static void fetch_names(struct monitor *m)
{
        for (size_t i = 0; i < m->n_rows; i++) {
                struct row *row = &m->rows[i];
                qm_variant v = {0};
                qm_group *g;

                if (row->name || row->u.removed)
                        continue;
                if (QM_SUCCEEDED(qm_qmgr_get_group(m->ctx->qm, &row->u.group_id, &g))) {
                        if (QM_SUCCEEDED(qm_group_get_prop(g, GROUPPROP_DISPLAYNAME, &v)) &&
                            v.type == QM_VT_STR && v.u.str)
                                row->name = strdup(v.u.str);
                        qm_variant_clear(&v);
                        qm_group_release(g);
                }
                if (!row->name)
                        row->name = strdup("");
        }
}

static void draw_table(struct monitor *m)
{
        double t = now_s();
        size_t kept = 0;

        /* Forget removed groups after a while. */
        for (size_t i = 0; i < m->n_rows; i++) {
                if (m->rows[i].u.removed && t - m->rows[i].removed_at > REMOVED_LINGER_S) {
                        free(m->rows[i].name);
                        continue;
                }
                m->rows[kept++] = m->rows[i];
        }
        m->n_rows = kept;
        fetch_names(m);
        fputs("\033[H", stdout);
        printf("qmgr monitor: %zu group%s   (Ctrl-C quits)\033[K\n\033[K\n", m->n_rows,
               m->n_rows == 1 ? "" : "s");
        printf("%-11s %-20s %-15s %5s %21s %11s  %s\033[K\n", "ID", "NAME", "STATE", "DONE",
               "BYTES / TOTAL", "RATE", "ERROR");
        for (size_t i = 0; i < m->n_rows; i++) {
                const struct row *row = &m->rows[i];
                char id[QM_GUID_STRING_SIZE], done[16], tot[16], rate[24], pct[8], err[96] = "";

                guid_str(&row->u.group_id, id);
                id[9] = '}'; /* "{XXXXXXXX}" is enough to tell groups apart on screen */
                id[10] = '\0';
                format_bytes(row->u.bytes_transferred, done, sizeof(done));
                format_bytes(row->u.bytes_total, tot, sizeof(tot));
                if (row->rate >= 1.0) {
                        format_bytes((uint64_t)row->rate, rate, sizeof(rate));
                        strncat(rate, "/s", sizeof(rate) - strlen(rate) - 1);
                } else {
                        snprintf(rate, sizeof(rate), "-");
                }
                if (row->u.bytes_total == BG_SIZE_UNKNOWN || row->u.removed)
                        snprintf(pct, sizeof(pct), "-");
                else
                        snprintf(pct, sizeof(pct), "%u%%",
                                 percent(row->u.bytes_transferred, row->u.bytes_total));
                if (row->u.error != QM_S_OK)
                        snprintf(err, sizeof(err), "0x%08x %s", (unsigned)row->u.error,
                                 qm_hresult_name(row->u.error));
                printf("%-11s %-20.20s %-15s %5s %10s/%-10s %11s  %s\033[K\n", id,
                       row->name ? row->name : "", state_name(row->u.state), pct, done, tot, rate,
                       err);
        }
        fputs("\033[J", stdout);
        fflush(stdout);
        m->dirty = false;
}

int cmd_monitor(struct ctx *ctx, const struct cmd *cmd, int argc, char **argv)
{
        struct monitor m = {.ctx = ctx};
        qm_group *g = NULL;
        double last_draw = 0;
        qm_hresult hr;
        int ind, r;

        r = no_options(cmd, argc, argv, &ind);
        if (r >= 0)
                return r;
        if (argc - ind > 1)
                return cmd_usage_error(cmd, "expected at most one GROUP");
        m.table = !ctx->json && isatty(STDOUT_FILENO) == 1;
        if (argc - ind == 1) {
                r = resolve_group(ctx, argv[ind], &g);
                if (r)
                        return r;
                qm_group_get_id(g, &m.group);
                qm_group_release(g);
                m.has_group = true;
        } else {
                r = ctx_connect(ctx);
                if (r)
                        return r;
        }
        catch_signals();
        hr = qm_qmgr_watch(ctx->qm, m.has_group ? &m.group : NULL, on_monitor_update, &m);
        if (QM_FAILED(hr))
                return fail_hr("monitor", hr);
        if (m.table) {
                fputs("\033[H\033[2J", stdout);
                m.dirty = true;
        }
        r = EXIT_OK;
        while (!stop_signal && !m.group_removed && m.r == EXIT_OK) {
                double t;

                hr = qm_qmgr_dispatch(ctx->qm, m.table ? 500 : 1000);
                if (QM_FAILED(hr)) {
                        r = fail_hr("monitor", hr);
                        break;
                }
                t = now_s();
                if (m.table && (m.dirty || t - last_draw >= 1.0) && t - last_draw >= REDRAW_S) {
                        draw_table(&m);
                        last_draw = t;
                }
        }
        if (m.table && r == EXIT_OK)
                draw_table(&m);
        for (size_t i = 0; i < m.n_rows; i++)
                free(m.rows[i].name);
        free(m.rows);
        return r == EXIT_OK ? m.r : r;
}
