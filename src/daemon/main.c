/* main.c - qmgrd: settings, the state directory and its lock, signals, and the life of the
 * event loop. Everything else is a subsystem with its own file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qmgrd.h"

/* mkdir -p, the last component with `mode`. */
static int mkdir_p(const char *path, mode_t mode)
{
        char buf[PATH_MAX];

        if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* One service per state directory: an exclusive lock held for the process's life. */
static int lock_state_dir(struct daemon *d)
{
        char path[PATH_MAX];
        int r = mkdir_p(d->cfg.state_dir, 0700), fd;

        if (r < 0) {
                log_error("cannot create the state directory '%s': %s", d->cfg.state_dir,
                          strerror(-r));
                return r;
        }
        snprintf(path, sizeof(path), "%s/qmgrd.lock", d->cfg.state_dir);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                log_error("cannot open '%s': %s", path, strerror(errno));
                return -errno;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                r = -errno;
                if (errno == EWOULDBLOCK)
                        log_error("another qmgrd is already running on the state directory '%s'",
                                  d->cfg.state_dir);
                else
                        log_error("cannot lock '%s': %s", path, strerror(errno));
                close(fd);
                return r;
        }
        d->lock_fd = fd;
        return 0;
}

static void adopt_group(struct daemon *d, struct group *g)
{
        /* What was moving when the service stopped is queued again; its bytes on disk are
         * where it resumes. */
        if (g->state == BG_JOB_STATE_CONNECTING || g->state == BG_JOB_STATE_TRANSFERRING ||
            g->state == BG_JOB_STATE_TRANSIENT_ERROR)
                g->state = BG_JOB_STATE_QUEUED;
        group_link(d, g);
}

/* Saves the progress of every moving file in one transaction: its temporary file is synced in
 * the thread pool first, and the offset saved is the one taken before that sync, so the store
 * never claims bytes that a power cut could lose (TESTING.md I2, L13). */
static void checkpoint(struct daemon *d)
{
        if (d->xe)
                xfer_checkpoint(d->xe);
        /* The file completions saved relaxed since the last one become durable. */
        if (store_sync(d->store) < 0)
                log_error("store: the progress could not be synced");
}

static void checkpoint_fired(uv_timer_t *t)
{
        checkpoint(t->data);
}

static void stop(struct daemon *d, const char *why)
{
        if (d->stopping)
                return;
        log_info("%s: stopping", why);
        checkpoint(d);
        d->stopping = true;
        for (struct group *g = d->groups_head; g; g = g->next) {
                xfer_detach(g);
                notify_cmd_detach(g, true);
        }
        ipc_server_free(d->ipc); /* closes the connections, and so the subscribers */
        d->ipc = NULL;
        notify_free(d->notify);
        d->notify = NULL;
        netmon_free(d->netmon);
        d->netmon = NULL;
        xfer_engine_free(d->xe);
        d->xe = NULL;
        sched_close(d);
        uv_close((uv_handle_t *)&d->checkpoint_timer, NULL);
        uv_close((uv_handle_t *)&d->sig_term, NULL);
        uv_close((uv_handle_t *)&d->sig_int, NULL);
        uv_close((uv_handle_t *)&d->sig_hup, NULL);
}

/* SIGHUP: the settings are read again as at start and take effect at once: the log level, the
 * checkpoint period, and the limits and timeouts, which are read where they are used (a new
 * max_active_transfers lets more files start now; a lower one lets the running ones finish).
 * Settings with an error leave every current one in force. */
static void reload(struct daemon *d)
{
        struct config next;
        uint32_t period = d->cfg.checkpoint_seconds;

        if (config_reload(&d->cfg, d->argc, d->argv, &next) < 0) {
                log_error("SIGHUP: the configuration was not reloaded; the current one stays");
                return;
        }
        config_free(&d->cfg);
        d->cfg = next;
        log_set_level(d->cfg.log_level);
        if (d->cfg.checkpoint_seconds != period)
                uv_timer_start(&d->checkpoint_timer, checkpoint_fired,
                               d->cfg.checkpoint_seconds * 1000ull,
                               d->cfg.checkpoint_seconds * 1000ull);
        log_info("SIGHUP: configuration reloaded%s%s", d->cfg.config_file ? " from " : "",
                 d->cfg.config_file ? d->cfg.config_file : "");
        sched_kick(d);
}

static void on_signal(uv_signal_t *h, int signum)
{
        struct daemon *d = h->data;

        if (signum == SIGHUP) {
                reload(d);
                return;
        }
        stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Files waiting for their sync keep their descriptors (xfer.c, up to 512) besides the
 * clients' connections and the transfers' sockets: the soft limit (often 1024) is raised to
 * the hard one, as far as 65536. */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= 65536 || rl.rlim_cur >= rl.rlim_max)
                return;
        rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                log_warn("cannot raise the limit of open files: %s", strerror(errno));
}

/* A service started with standard descriptors closed would hand their numbers to its
 * database or a download, and then write its log into them (SQLite's "how to corrupt",
 * §1.1; TESTING.md L22): /dev/null takes every free one of 0-2 first. */
static void guard_std_fds(void)
{
        for (int fd = 0; fd <= 2; fd++) {
                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                int null_fd = open("/dev/null", O_RDWR);

                if (null_fd < 0)
                        _exit(1);  /* nowhere safe to write even this */
                if (null_fd > 2) { /* cannot happen: the lowest free number is taken */
                        close(null_fd);
                        break;
                }
        }
}

int main(int argc, char **argv)
{
        static struct daemon daemon;
        struct daemon *d = &daemon;
        char db_path[PATH_MAX];
        int r;

        guard_std_fds();
        config_defaults(&d->cfg);
        d->argc = argc;
        d->argv = argv;
        r = config_parse(&d->cfg, argc, argv);
        if (r != 0)
                return r > 0 ? 0 : 2;
        log_set_level(d->cfg.log_level);
        if (d->cfg.system_mode) {
                log_error("--system is not supported yet: run one `qmgrd --user` per user");
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        /* Past RLIMIT_FSIZE a write fails with EFBIG, a local file error (xfer-error.c),
         * instead of the signal killing the service (TESTING.md L21). */
        signal(SIGXFSZ, SIG_IGN);
        raise_fd_limit();
        d->loop = uv_default_loop();
        d->lock_fd = -1;
        if (lock_state_dir(d) < 0)
                return 1;
        snprintf(db_path, sizeof(db_path), "%s/queue.db", d->cfg.state_dir);
        r = store_open(db_path, &d->store);
        if (r == 0) {
                d->next_seq = store_max_seq(d->store);
                r = store_load(d->store, d, adopt_group);
        }
        if (r < 0) {
                log_error("the queue database '%s' cannot be used (above); qmgrd does not start "
                          "with an empty queue in its place: move the file away to start afresh",
                          db_path);
                return 1;
        }
        r = notify_new(d, &d->notify);
        if (r < 0) {
                log_error("cannot load the pending notifications");
                return 1;
        }
        r = netmon_new(d, &d->netmon);
        if (r < 0) {
                log_error("cannot start the network monitor: %s", strerror(-r));
                return 1;
        }
        r = xfer_engine_new(d, &d->xe);
        if (r < 0) {
                log_error("cannot start the transfer engine: %s", strerror(-r));
                return 1;
        }
        sched_init(d);
        group_finish_commits(d);
        /* The signals are ours before a client can reach the socket: a SIGHUP sent as soon as
         * it answers must not meet the default action (exit). */
        uv_signal_init(d->loop, &d->sig_term);
        uv_signal_init(d->loop, &d->sig_int);
        uv_signal_init(d->loop, &d->sig_hup);
        d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
        uv_signal_start(&d->sig_term, on_signal, SIGTERM);
        uv_signal_start(&d->sig_int, on_signal, SIGINT);
        uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
        if (ipc_server_new(d, &d->ipc) < 0)
                return 1;
        uv_timer_init(d->loop, &d->checkpoint_timer);
        d->checkpoint_timer.data = d;
        uv_timer_start(&d->checkpoint_timer, checkpoint_fired, d->cfg.checkpoint_seconds * 1000ull,
                       d->cfg.checkpoint_seconds * 1000ull);
        log_info("qmgrd %s ready: %u group(s), state in %s", QMGR_VERSION, d->n_groups,
                 d->cfg.state_dir);
        sched_kick(d);

        uv_run(d->loop, UV_RUN_DEFAULT);

        while (d->groups_head) {
                struct group *g = d->groups_head;

                group_unlink(d, g);
                group_free(g);
        }
        store_close(d->store);
        uv_loop_close(d->loop);
        close(d->lock_fd);
        config_free(&d->cfg);
        log_info("stopped");
        return 0;
}
