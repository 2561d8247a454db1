/* conn.c - the connection to qmgrd: finding the socket, starting a per-user service when
 * none answers, and the blocking request/reply exchange every other file goes through.
 *
 * One Unix stream socket per qm_qmgr. Requests are strictly request -> reply; a reply is one
 * JSON object followed by a NUL byte (Varlink framing, proto.h). Once the connection is
 * subscribed (notify.c), event messages ("continues": true with an `event` field) may arrive
 * at any time, also between a call and its reply: they are queued for qm_qmgr_dispatch()
 * and the wait for the reply goes on. Any transport failure closes
 * the socket, and that call and every later one on the handle return
 * QM_E_SERVICE_UNAVAILABLE. The library never logs, never starts a thread, and never dies
 * of SIGPIPE (MSG_NOSIGNAL). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

#ifndef QMGRD_PATH
#define QMGRD_PATH "/usr/local/bin/qmgrd"
#endif

#define AUTOSTART_TIMEOUT_MS 5000
#define AUTOSTART_STEP_MS    20
#define READ_CHUNK           65536u

extern char **environ;

/* ---- socket path ---------------------------------------------------------------------- */

/* Writes the socket path into buf. *ret_per_user says whether it is the per-user default
 * (the only case in which the service may be autostarted). Returns 0 or -ENAMETOOLONG. */
static int socket_path(const char *arg, char *buf, size_t len, bool *ret_per_user)
{
        const char *env = getenv("QMGR_SOCKET");
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        int n;

        *ret_per_user = false;
        if (arg)
                n = snprintf(buf, len, "%s", arg);
        else if (env && *env)
                n = snprintf(buf, len, "%s", env);
        else {
                *ret_per_user = true;
                if (xdg && *xdg)
                        n = snprintf(buf, len, "%s/qmgr/qmgrd.sock", xdg);
                else
                        n = snprintf(buf, len, "/tmp/qmgr-%u/qmgrd.sock", (unsigned)getuid());
        }
        if (n < 0 || (size_t)n >= len)
                return -ENAMETOOLONG;
        return 0;
}

/* Returns a connected socket, or -errno. */
static int try_connect(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        for (;;) {
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
                if (r == 0)
                        return fd;
                r = -errno;
                close(fd);
                /* An interrupted connect() completes asynchronously; starting over on a fresh
                 * socket is simpler than polling for it, and harmless on AF_UNIX. */
                if (r != -EINTR)
                        return r;
        }
}

/* ---- autostart ------------------------------------------------------------------------ */

/* Finds an executable named name in $PATH, before forking (execvp() is not
 * async-signal-safe). Returns a malloc'ed path or NULL. */
static char *search_path(const char *name)
{
        const char *path = getenv("PATH");
        const char *p;

        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        for (p = path; *p;) {
                const char *end = strchr(p, ':');
                size_t dlen = end ? (size_t)(end - p) : strlen(p);
                size_t len = dlen + 1 + strlen(name) + 1;
                char *full = malloc(len);

                if (!full)
                        return NULL;
                /* An empty $PATH element means the current directory. */
                if (dlen == 0)
                        snprintf(full, len, "./%s", name);
                else
                        snprintf(full, len, "%.*s/%s", (int)dlen, p, name);
                if (access(full, X_OK) == 0)
                        return full;
                free(full);
                p += dlen;
                if (*p == ':')
                        p++;
        }
        return NULL;
}

/* The program to start: $QMGR_QMGRD, else the installed qmgrd, else qmgrd from $PATH. */
static char *qmgrd_program(void)
{
        const char *env = getenv("QMGR_QMGRD");

        if (env && *env)
                return strchr(env, '/') ? strdup(env) : search_path(env);
        if (access(QMGRD_PATH, X_OK) == 0)
                return strdup(QMGRD_PATH);
        return search_path("qmgrd");
}

/* Starts `qmgrd --user` detached: double fork, setsid, standard streams on /dev/null. Only
 * async-signal-safe calls run between fork() and exec. Returns 0 or -errno. */
static int start_service(void)
{
        char *prog = qmgrd_program();
        char *argv[3];
        sigset_t all;
        pid_t pid;
        int devnull, status, r = 0;

        if (!prog)
                return -ENOENT;
        argv[0] = prog;
        argv[1] = (char *)"--user";
        argv[2] = NULL;
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) {
                r = -errno;
                free(prog);
                return r;
        }
        sigemptyset(&all);
        pid = fork();
        if (pid < 0) {
                r = -errno;
        } else if (pid == 0) {
                /* The service must not inherit our blocked signals or our descriptors. */
                sigprocmask(SIG_SETMASK, &all, NULL);
                if (setsid() < 0)
                        _exit(127);
                pid = fork();
                if (pid != 0)
                        _exit(pid < 0 ? 127 : 0);
                if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
                        _exit(127);
                close_range(3, ~0u, 0);
                execve(prog, argv, environ);
                _exit(127);
        } else {
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        }
        close(devnull);
        free(prog);
        return r;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Connects to path; for the per-user default, starts the service when nobody listens. */
static int open_socket(const char *path, bool per_user)
{
        const char *no = getenv("QMGR_NO_AUTOSTART");
        int64_t deadline;
        int fd;

        fd = try_connect(path);
        if (fd >= 0 || !per_user || (fd != -ENOENT && fd != -ECONNREFUSED))
                return fd;
        if (no && strcmp(no, "1") == 0)
                return fd;
        if (start_service() < 0)
                return fd;
        deadline = now_ms() + AUTOSTART_TIMEOUT_MS;
        do {
                sleep_ms(AUTOSTART_STEP_MS);
                fd = try_connect(path);
                if (fd >= 0 || (fd != -ENOENT && fd != -ECONNREFUSED))
                        return fd;
        } while (now_ms() < deadline);
        return fd;
}

/* ---- handle --------------------------------------------------------------------------- */

static void conn_close(qm_qmgr *qm)
{
        /* Queued events stay: dispatch still runs them. */
        if (qm->fd >= 0)
                close(qm->fd);
        qm->fd = -1;
        free(qm->in);
        qm->in = NULL;
        qm->in_len = qm->in_cap = 0;
}

qm_qmgr *conn_ref(qm_qmgr *qm)
{
        qm->refs++;
        return qm;
}

void conn_unref(qm_qmgr *qm)
{
        if (!qm || --qm->refs > 0)
                return;
        conn_close(qm);
        notify_free(qm);
        free(qm->service_version);
        free(qm->last_msg);
        qm->magic = MAGIC_DEAD;
        free(qm);
}

QM_API qm_hresult qm_qmgr_connect(const char *socket_path_arg, qm_qmgr **ret)
{
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        struct qmx_msg params = {0};
        struct qmx_msg pong;
        bool per_user;
        qm_qmgr *qm;
        qm_hresult hr;
        int fd;

        if (!ret)
                return QM_E_POINTER;
        if (socket_path(socket_path_arg, path, sizeof(path), &per_user) < 0)
                return socket_path_arg ? QM_E_INVALIDARG : QM_E_SERVICE_UNAVAILABLE;
        fd = open_socket(path, per_user);
        if (fd < 0)
                return fd == -ENOMEM ? QM_E_OUTOFMEMORY : QM_E_SERVICE_UNAVAILABLE;
        qm = calloc(1, sizeof(*qm));
        if (!qm) {
                close(fd);
                return QM_E_OUTOFMEMORY;
        }
        qm->magic = MAGIC_QMGR;
        qm->refs = 1;
        qm->fd = fd;
        /* Check that the peer is a qmgrd that answers before handing out the handle. */
        hr = conn_call(qm, QMX_M_PING, &params, &pong);
        if (QM_FAILED(hr)) {
                conn_unref(qm);
                /* QM_E_ACCESSDENIED: the service refused the connection (its per-user cap). */
                return hr == QM_E_OUTOFMEMORY || hr == QM_E_ACCESSDENIED ? hr
                                                                         : QM_E_SERVICE_UNAVAILABLE;
        }
        if (pong.present & QMX_B(VERSION)) {
                qm->service_version = pong.version; /* taken over from the reply */
                pong.version = NULL;
        }
        qmx_msg_clear(&pong);
        *ret = qm;
        return QM_S_OK;
}

QM_API qm_hresult qm_qmgr_get_service_version(qm_qmgr *qm, char **ret)
{
        char *v;

        if (!GOOD_HANDLE(qm, MAGIC_QMGR))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        v = strdup(qm->service_version ? qm->service_version : "unknown");
        if (!v)
                return QM_E_OUTOFMEMORY;
        *ret = v;
        return QM_S_OK;
}

QM_API qm_hresult qm_qmgr_get_error_description(qm_qmgr *qm, qm_hresult hr, char **ret)
{
        char *d;

        if (!GOOD_HANDLE(qm, MAGIC_QMGR))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        d = strdup(qm->last_msg && qm->last_hr == hr ? qm->last_msg : qm_strerror(hr));
        if (!d)
                return QM_E_OUTOFMEMORY;
        *ret = d;
        return QM_S_OK;
}

QM_API void qm_qmgr_release(qm_qmgr *qm)
{
        if (GOOD_HANDLE(qm, MAGIC_QMGR))
                conn_unref(qm);
}

/* ---- exchange ------------------------------------------------------------------------- */

static int send_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Makes room for one more read. Returns 0, -EMSGSIZE or -ENOMEM. */
static int in_room(qm_qmgr *qm)
{
        if (qm->in_len > QMX_MAX_MESSAGE)
                return -EMSGSIZE;
        if (qm->in_cap - qm->in_len < READ_CHUNK) {
                size_t cap = qm->in_cap ? qm->in_cap * 2 : READ_CHUNK * 2;
                char *p;

                if (cap > QMX_MAX_MESSAGE + READ_CHUNK + 1)
                        cap = QMX_MAX_MESSAGE + READ_CHUNK + 1;
                p = realloc(qm->in, cap);
                if (!p)
                        return -ENOMEM;
                qm->in = p;
                qm->in_cap = cap;
        }
        return 0;
}

/* The length of the first buffered message (without its NUL), or -1 if it is incomplete. */
static long buffered_message(qm_qmgr *qm)
{
        char *nul = qm->in_len ? memchr(qm->in, '\0', qm->in_len) : NULL;

        return nul ? (long)(nul - qm->in) : -1;
}

/* Reads until a complete message is buffered. Returns its length (without the NUL), or
 * -EPIPE (peer closed), -EMSGSIZE (message too large), -ENOMEM, -errno. */
static long read_message(qm_qmgr *qm)
{
        size_t scanned = 0;

        for (;;) {
                char *nul = NULL;
                ssize_t n;
                int r;

                if (qm->in_len > scanned)
                        nul = memchr(qm->in + scanned, '\0', qm->in_len - scanned);
                if (nul)
                        return (long)(nul - qm->in);
                scanned = qm->in_len;
                r = in_room(qm);
                if (r < 0)
                        return r;
                n = recv(qm->fd, qm->in + qm->in_len, qm->in_cap - qm->in_len, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EPIPE;
                qm->in_len += (size_t)n;
        }
}

/* If the first buffered message (len bytes) belongs to the event stream, queues it (a
 * malformed one is dropped) and returns true. Only a subscribed connection gets events;
 * the textual test spares replies a second parse. The Subscribe reply itself carries
 * "continues" but no `event`. */
static bool take_event(qm_qmgr *qm, size_t len)
{
        struct qmx_msg m;
        bool continues = false;
        qm_hresult hr;

        if (!qm->subscribed || !memmem(qm->in, len, "\"continues\"", 11))
                return false;
        hr = qmx_reply_parse(QMX_M_SUBSCRIBE, qm->in, len, &m, &continues, NULL, 0);
        if (!continues) {
                qmx_msg_clear(&m);
                return false;
        }
        if (QM_FAILED(hr) || !(m.present & QMX_B(EVENT)) || !m.event) {
                qmx_msg_clear(&m);
                return QM_FAILED(hr); /* a broken stream message is dropped */
        }
        event_queue(qm, &m);
        return true;
}

/* Drops the first message (len bytes plus its NUL), keeping what follows it. */
static void consume(qm_qmgr *qm, size_t len)
{
        size_t rest = qm->in_len - (len + 1);

        memmove(qm->in, qm->in + len + 1, rest);
        qm->in_len = rest;
}

/* Reads the reply to call id, queueing the events that come before it, into *reply (NULL:
 * dropped). A failure's message is kept for qm_qmgr_get_error_description(). */
static qm_hresult receive_reply(qm_qmgr *qm, enum qmx_method_id id, struct qmx_msg *reply)
{
        char err[256];
        struct qmx_msg tmp;
        long mlen;
        qm_hresult hr;

        for (;;) {
                mlen = read_message(qm);
                if (mlen < 0) {
                        if (mlen == -ENOMEM)
                                return QM_E_OUTOFMEMORY;
                        /* Past an oversize or lost reply the stream cannot be resynchronised. */
                        conn_close(qm);
                        return mlen == -EMSGSIZE ? QM_E_PROTOCOL : QM_E_SERVICE_UNAVAILABLE;
                }
                if (!take_event(qm, (size_t)mlen))
                        break;
                consume(qm, (size_t)mlen); /* an event: the reply is still to come */
        }
        hr = qmx_reply_parse(id, qm->in, (size_t)mlen, reply ? reply : &tmp, NULL, err,
                             sizeof(err));
        consume(qm, (size_t)mlen);
        if (QM_FAILED(hr) && hr != QM_E_PROTOCOL) {
                qm->last_hr = hr;
                qm->last_msg = err[0] ? strdup(err) : NULL;
        }
        if (QM_FAILED(hr) || !reply)
                qmx_msg_clear(reply ? reply : &tmp);
        return hr;
}

qm_hresult conn_call_more(qm_qmgr *qm, enum qmx_method_id id, const struct qmx_msg *params,
                          bool more, struct qmx_msg *reply)
{
        json_t *call;
        char *buf;
        size_t len = 0;
        int r;
        qm_hresult hr;

        if (reply)
                memset(reply, 0, sizeof(*reply));
        free(qm->last_msg);
        qm->last_msg = NULL;
        qm->last_hr = QM_S_OK;
        if (qm->fd < 0)
                return QM_E_SERVICE_UNAVAILABLE;
        call = qmx_call_new(id, params, more);
        buf = qmx_frame(call, &len);
        json_decref(call);
        if (!buf)
                return QM_E_OUTOFMEMORY;
        if (len > QMX_MAX_MESSAGE) {
                /* The service would refuse it and drop the connection; refuse it here. */
                free(buf);
                return BG_E_TOO_LARGE;
        }
        r = send_all(qm->fd, buf, len);
        free(buf);
        if (r < 0) {
                /* A service that closed on us may have said why first (a connection refused
                 * past the per-user cap): that error answers the call. Anything else, a
                 * reply included, cannot be the answer to a call it never read. */
                hr = r == -EPIPE || r == -ECONNRESET ? receive_reply(qm, id, NULL)
                                                     : QM_E_SERVICE_UNAVAILABLE;
                conn_close(qm);
                return QM_FAILED(hr) && hr != QM_E_PROTOCOL ? hr : QM_E_SERVICE_UNAVAILABLE;
        }
        return receive_reply(qm, id, reply);
}

qm_hresult conn_call(qm_qmgr *qm, enum qmx_method_id id, const struct qmx_msg *params,
                     struct qmx_msg *reply)
{
        return conn_call_more(qm, id, params, false, reply);
}

qm_hresult conn_read_available(qm_qmgr *qm)
{
        for (;;) {
                long mlen;
                ssize_t n;
                int r;

                while ((mlen = buffered_message(qm)) >= 0) {
                        bool ev = take_event(qm, (size_t)mlen);

                        consume(qm, (size_t)mlen);
                        if (!ev) {
                                /* a reply nobody asked for: the exchange is out of step */
                                conn_close(qm);
                                return QM_E_PROTOCOL;
                        }
                }
                if (qm->fd < 0)
                        return QM_E_SERVICE_UNAVAILABLE;
                r = in_room(qm);
                if (r == -ENOMEM)
                        return QM_E_OUTOFMEMORY;
                if (r < 0) {
                        conn_close(qm);
                        return QM_E_PROTOCOL;
                }
                n = recv(qm->fd, qm->in + qm->in_len, qm->in_cap - qm->in_len, MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return QM_S_OK; /* a partial message stays buffered */
                if (n <= 0) {
                        conn_close(qm);
                        return QM_E_SERVICE_UNAVAILABLE;
                }
                qm->in_len += (size_t)n;
        }
}
