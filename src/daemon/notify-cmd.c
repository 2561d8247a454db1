/* notify-cmd.c - the modern job's notification command line (QMGR.md §5, SetNotifyCmdLine):
 * when a group becomes TRANSFERRED or ERROR, its program runs as the owner (a per-user service
 * is the owner), without a shell, with a clean environment, standard input from /dev/null
 * and its output in the service log; when it does not exit 0 it runs again after the group's
 * retry delay, for as long as the group stays in that state. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qmgrd.h"

struct notify_cmd {
        struct group *g; /* borrowed; NULL once the group went away */
        uint32_t state;  /* the state the command reports */
        uv_process_t proc;
        uv_timer_t retry;
        bool running; /* proc is alive */
        bool closing;
        int handles; /* open libuv handles, freed at zero */
};

char **notify_cmd_split(const char *line)
{
        size_t len = strlen(line), nargs = 0;
        /* Worst case: every other byte starts an argument. */
        size_t slots = len / 2 + 2;
        char **argv = malloc(slots * sizeof(char *) + len + 1), *out;
        const char *p = line;

        if (!argv)
                return NULL;
        out = (char *)(argv + slots);
        for (;;) {
                bool quoted = false, any = false;

                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        break;
                argv[nargs++] = out;
                while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
                        any = true;
                        if (*p == '"') {
                                quoted = !quoted;
                                p++;
                        } else if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
                                *out++ = p[1];
                                p += 2;
                        } else {
                                *out++ = *p++;
                        }
                }
                (void)any;
                *out++ = '\0';
                if (quoted) {
                        free(argv);
                        errno = EINVAL;
                        return NULL;
                }
        }
        argv[nargs] = NULL;
        return argv;
}

/* Life cycle: the retry timer lives as long as the struct; the process handle from a spawn
 * to its exit (or to a forced close at shutdown). The struct is freed when both are closed. */
static void handle_closed(uv_handle_t *h)
{
        struct notify_cmd *c = h->data;

        if (--c->handles == 0)
                free(c);
}

/* Ends the struct: no more runs. A process still running keeps it until it exits, unless
 * `force` (shutdown), which closes the handle without waiting (the program is not killed). */
static void cmd_close(struct notify_cmd *c, bool force)
{
        if (c->g)
                c->g->cmd = NULL;
        c->g = NULL;
        if (c->running && force) {
                c->running = false;
                uv_close((uv_handle_t *)&c->proc, handle_closed);
        }
        if (c->closing)
                return;
        c->closing = true;
        uv_timer_stop(&c->retry);
        uv_close((uv_handle_t *)&c->retry, handle_closed);
}

static void cmd_run(struct notify_cmd *c);

static void retry_fired(uv_timer_t *t)
{
        cmd_run(t->data);
}

static void schedule_retry(struct notify_cmd *c)
{
        uint32_t delay = group_min_retry_delay(c->g);

        log_info("group %s: the notification command will run again in %u s", c->g->id_str, delay);
        uv_timer_start(&c->retry, retry_fired, (uint64_t)delay * 1000, 0);
}

static void proc_exited(uv_process_t *p, int64_t status, int signum)
{
        struct notify_cmd *c = p->data;

        c->running = false;
        uv_close((uv_handle_t *)&c->proc, handle_closed);
        if (c->closing)
                return;
        if (!c->g) { /* the group went away meanwhile */
                cmd_close(c, false);
                return;
        }
        if (status == 0 && signum == 0) {
                log_info("group %s: the notification command exited 0", c->g->id_str);
                cmd_close(c, false);
                return;
        }
        log_warn("group %s: the notification command %s %d", c->g->id_str,
                 signum ? "was killed by signal" : "exited", signum ? signum : (int)status);
        schedule_retry(c);
}

static void cmd_run(struct notify_cmd *c)
{
        struct group *g = c->g;
        char **argv = NULL, env_group[80], env_state[64], env_home[4200] = "HOME=/";
        char *env[6];
        const char *home = getenv("HOME");
        uv_process_options_t opt;
        uv_stdio_container_t stdio[3];
        int r, null_fd;

        if (!g || !g->notify_program || g->state != c->state) {
                cmd_close(c, false);
                return;
        }
        argv = notify_cmd_split(g->notify_params && *g->notify_params ? g->notify_params
                                                                      : g->notify_program);
        if (!argv || !argv[0]) {
                log_warn("group %s: the notification command line cannot be parsed; not run",
                         g->id_str);
                free(argv);
                cmd_close(c, false);
                return;
        }
        if (home && strlen(home) < sizeof(env_home) - 5)
                snprintf(env_home, sizeof(env_home), "HOME=%s", home);
        snprintf(env_group, sizeof(env_group), "QMGR_GROUP_ID=%s", g->id_str);
        snprintf(env_state, sizeof(env_state), "QMGR_JOB_STATE=%s", job_state_name(c->state));
        env[0] = "PATH=/usr/local/bin:/usr/bin:/bin";
        env[1] = env_home;
        env[2] = "LANG=C.UTF-8";
        env[3] = env_group;
        env[4] = env_state;
        env[5] = NULL;
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        stdio[0].flags = null_fd >= 0 ? UV_INHERIT_FD : UV_IGNORE;
        stdio[0].data.fd = null_fd;
        stdio[1].flags = UV_INHERIT_FD; /* the output goes to the service log */
        stdio[1].data.fd = 2;
        stdio[2].flags = UV_INHERIT_FD;
        stdio[2].data.fd = 2;
        memset(&opt, 0, sizeof(opt));
        opt.file = g->notify_program; /* the program is the absolute path; argv[0] is a name */
        opt.args = argv;
        opt.env = env;
        opt.cwd = "/";
        opt.exit_cb = proc_exited;
        opt.stdio = stdio;
        opt.stdio_count = 3;
        c->proc.data = c;
        r = uv_spawn(g->d->loop, &c->proc, &opt);
        if (null_fd >= 0)
                close(null_fd);
        free(argv);
        if (r < 0) {
                /* A failed spawn still leaves a handle to close. */
                c->handles++;
                uv_close((uv_handle_t *)&c->proc, handle_closed);
                log_warn("group %s: cannot run the notification command '%s': %s", g->id_str,
                         g->notify_program, uv_strerror(r));
                schedule_retry(c);
                return;
        }
        c->handles++;
        c->running = true;
        log_info("group %s: running the notification command '%s' (pid %d)", g->id_str,
                 g->notify_program, c->proc.pid);
}

void notify_cmd_state(struct group *g, uint32_t to)
{
        struct notify_cmd *c;

        if (g->cmd && g->cmd->state != to)
                notify_cmd_detach(g, false); /* the state it reported is over */
        if (!g->notify_program || (to != BG_JOB_STATE_TRANSFERRED && to != BG_JOB_STATE_ERROR) ||
            g->cmd)
                return;
        c = calloc(1, sizeof(*c));
        if (!c)
                return;
        c->g = g;
        c->state = to;
        uv_timer_init(g->d->loop, &c->retry);
        c->retry.data = c;
        c->handles = 1;
        g->cmd = c;
        cmd_run(c);
}

void notify_cmd_detach(struct group *g, bool force)
{
        if (g->cmd)
                cmd_close(g->cmd, force);
}
