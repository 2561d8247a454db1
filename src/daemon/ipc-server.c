/* ipc-server.c - the service's end of the Varlink socket: creating the socket safely,
 * accepting clients, establishing each one's identity from SO_PEERCRED once, framing
 * (NUL-terminated JSON messages with a size limit), decoding every call through the one
 * schema (proto.c) and sending the reply. What a method does is ipc-methods.c's business. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "qmgrd.h"

/* A client that does not read its replies is cut off past this many queued bytes. */
#define MAX_PENDING_OUT (256u * 1024u * 1024u)

struct conn {
        struct ipc_server *s;
        struct conn *prev, *next;
        uv_pipe_t h;
        uv_timer_t deadline; /* runs while a message is only partly received */
        int open_handles;    /* freed when both handles are closed */
        uid_t uid;
        pid_t pid;
        char *buf; /* received bytes not yet consumed */
        size_t len, cap;
        size_t pending_out;
        bool closing;
        struct subscriber *sub; /* owned by notify.c; NULL: no event stream */
};

struct ipc_server {
        struct daemon *d;
        uv_pipe_t listener;
        struct conn *conns;
        char *path;
};

static void conn_closed(uv_handle_t *h)
{
        struct conn *c = h->data;

        if (--c->open_handles > 0)
                return;
        free(c->buf);
        free(c);
}

static void conn_close(struct conn *c)
{
        if (c->closing)
                return;
        c->closing = true;
        notify_conn_closed(c, c->sub);
        c->sub = NULL;
        if (c->prev)
                c->prev->next = c->next;
        else
                c->s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        uv_close((uv_handle_t *)&c->h, conn_closed);
        uv_close((uv_handle_t *)&c->deadline, conn_closed);
}

struct write_req {
        uv_write_t req;
        struct conn *c;
        char *data;
        size_t len;
};

static void write_done(uv_write_t *req, int status)
{
        struct write_req *w = (struct write_req *)req;

        if (!w->c->closing) {
                w->c->pending_out -= w->len;
                if (status < 0)
                        conn_close(w->c);
        }
        free(w->data);
        free(w);
}

/* Sends one message and drops our reference to it. */
static void conn_send(struct conn *c, json_t *msg)
{
        struct write_req *w;
        uv_buf_t b;

        if (c->closing || !msg) {
                json_decref(msg);
                return;
        }
        w = calloc(1, sizeof(*w));
        if (w)
                w->data = qmx_frame(msg, &w->len);
        json_decref(msg);
        if (!w || !w->data) {
                free(w);
                conn_close(c);
                return;
        }
        w->c = c;
        if (c->pending_out + w->len > MAX_PENDING_OUT) {
                log_warn("client pid %d: does not read its replies; disconnecting", (int)c->pid);
                free(w->data);
                free(w);
                conn_close(c);
                return;
        }
        b = uv_buf_init(w->data, (unsigned)w->len);
        if (uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, write_done) < 0) {
                free(w->data);
                free(w);
                conn_close(c);
                return;
        }
        c->pending_out += w->len;
}

void ipc_conn_send(struct conn *c, json_t *msg)
{
        conn_send(c, msg);
}

struct daemon *ipc_conn_daemon(struct conn *c)
{
        return c->s->d;
}

struct subscriber *ipc_conn_subscriber(struct conn *c)
{
        return c->sub;
}

void ipc_conn_set_subscriber(struct conn *c, struct subscriber *s)
{
        c->sub = s;
}

static void conn_error(struct conn *c, qm_hresult hr, const char *msg)
{
        conn_send(c, qmx_error_new(hr, msg));
}

json_t *ipc_process(struct ipc_call *call, const char *text, size_t len)
{
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *params, *v, *reply;
        const char *key, *name;
        enum qmx_method_id id;
        const struct qmx_method *m;
        struct qmx_msg in, out;
        bool oneway;
        qm_hresult hr;

        if (!root || !json_is_object(root)) {
                char msg[200];

                snprintf(msg, sizeof(msg), "malformed message: %s",
                         root ? "not an object" : jerr.text);
                json_decref(root);
                return qmx_error_new(QM_E_PROTOCOL, msg);
        }
        json_object_foreach(root, key, v)
        {
                if (strcmp(key, "method") && strcmp(key, "parameters") && strcmp(key, "more") &&
                    strcmp(key, "oneway")) {
                        json_decref(root);
                        return qmx_error_new(QM_E_PROTOCOL, "unknown key in the message");
                }
        }
        name = json_string_value(json_object_get(root, "method"));
        oneway = json_is_true(json_object_get(root, "oneway"));
        call->more = json_is_true(json_object_get(root, "more"));
        m = name ? qmx_method_lookup(name, &id) : NULL;
        if (!m) {
                json_decref(root);
                return qmx_error_new(QM_E_NOTIMPL, "unknown method");
        }
        params = json_object_get(root, "parameters");
        if (!params)
                params = json_object();
        else
                json_incref(params);
        if (qmx_decode(params, m->required, m->optional, &in, call->err, sizeof(call->err)) < 0) {
                json_decref(params);
                json_decref(root);
                return qmx_error_new(QM_E_INVALIDARG, call->err);
        }
        json_decref(params);
        json_decref(root);

        memset(&out, 0, sizeof(out));
        hr = ipc_dispatch(call, id, &in, &out);
        qmx_msg_clear(&in);
        reply = NULL;
        if (oneway) {
                /* no reply */
        } else if (QM_FAILED(hr)) {
                reply = qmx_error_new(hr, call->err[0] ? call->err : NULL);
                if (!reply) /* never leave a call unanswered */
                        reply = qmx_error_new(hr, NULL);
        } else {
                if (hr != QM_S_OK) {
                        out.result = hr;
                        out.present |= QMX_B(RESULT);
                }
                reply = qmx_reply_new(id, &out, call->more);
        }
        /* Replies borrow the model's strings; only the arrays are the handler's. */
        free(out.groups);
        free(out.files);
        return reply;
}

/* Handles one complete message (without its NUL). */
static void conn_message(struct conn *c, const char *text, size_t len)
{
        struct ipc_call call = {.d = c->s->d, .uid = c->uid, .conn = c};
        json_t *reply = ipc_process(&call, text, len);

        if (reply)
                conn_send(c, reply);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        struct conn *c = h->data;
        size_t want = c->len + 65536;

        if (want > c->cap) {
                size_t cap = c->cap ? c->cap : 65536;
                char *nb;

                while (cap < want)
                        cap *= 2;
                if (cap > QMX_MAX_MESSAGE + 65536)
                        cap = QMX_MAX_MESSAGE + 65536;
                nb = cap > c->cap ? realloc(c->buf, cap) : c->buf;
                if (!nb) {
                        *buf = uv_buf_init(NULL, 0);
                        return;
                }
                c->buf = nb;
                c->cap = cap;
        }
        *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void deadline_fired(uv_timer_t *t)
{
        struct conn *c = t->data;

        log_warn("client pid %d: a message not complete after %u s; disconnecting", (int)c->pid,
                 c->s->d->cfg.client_message_timeout);
        conn_error(c, QM_E_PROTOCOL, "message not complete in time");
        conn_close(c);
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
        struct conn *c = stream->data;
        size_t start = 0;

        if (nread < 0) {
                conn_close(c);
                return;
        }
        if (nread == 0)
                return;
        c->len += (size_t)nread;
        for (;;) {
                char *nul = memchr(c->buf + start, '\0', c->len - start);

                if (!nul)
                        break;
                conn_message(c, c->buf + start, (size_t)(nul - (c->buf + start)));
                if (c->closing)
                        return;
                start = (size_t)(nul - c->buf) + 1;
        }
        if (start) {
                memmove(c->buf, c->buf + start, c->len - start);
                c->len -= start;
        }
        if (c->len > QMX_MAX_MESSAGE) {
                log_warn("client pid %d: message larger than %u bytes; disconnecting", (int)c->pid,
                         QMX_MAX_MESSAGE);
                conn_error(c, QM_E_PROTOCOL, "message too large");
                conn_close(c);
                return;
        }
        /* A message must arrive whole within the deadline, counted from its first byte: a
         * client sending half a message, or a byte a second, cannot hold a connection (and
         * its buffer) forever. An idle connection between messages has no deadline. */
        if (c->len == 0) {
                uv_timer_stop(&c->deadline);
        } else if (start || !uv_is_active((uv_handle_t *)&c->deadline)) {
                /* A message was consumed: what is left began in this read, now (the loop's
                 * clock is refreshed, the messages may have taken a while). */
                uv_update_time(c->s->d->loop);
                uv_timer_start(&c->deadline, deadline_fired,
                               c->s->d->cfg.client_message_timeout * 1000ull, 0);
        }
}

/* The open connections of uid, this one included. */
static uint32_t conns_of(const struct ipc_server *s, uid_t uid)
{
        uint32_t n = 0;

        for (const struct conn *c = s->conns; c; c = c->next)
                n += !c->closing && c->uid == uid;
        return n;
}

/* One uid past its connection cap: the client is told why (its first call reads this error
 * as the reply) and disconnected. The socket is new and empty, so the error fits in it: it is
 * sent at once, never queued. Warned about once per burst, not per connection. */
static void refuse(struct conn *c, uv_os_fd_t fd)
{
        static uint64_t warned_at;
        uint64_t now = uv_now(c->s->d->loop);
        char msg[160];
        json_t *err;
        char *frame;
        size_t len;

        snprintf(msg, sizeof(msg), "too many connections from uid %u (at most %u)",
                 (unsigned)c->uid, c->s->d->cfg.max_connections_per_user);
        if (!warned_at || now - warned_at >= 10000) {
                log_warn("client pid %d: %s; refusing", (int)c->pid, msg);
                warned_at = now;
        }
        err = qmx_error_new(QM_E_ACCESSDENIED, msg);
        frame = err ? qmx_frame(err, &len) : NULL;
        json_decref(err);
        if (frame && send(fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                log_debug("client pid %d: cannot send the refusal: %s", (int)c->pid,
                          strerror(errno));
        free(frame);
        conn_close(c);
}

static void on_connection(uv_stream_t *listener, int status)
{
        struct ipc_server *s = listener->data;
        struct conn *c;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        uv_os_fd_t fd;

        if (status < 0)
                return;
        c = calloc(1, sizeof(*c));
        if (!c)
                return;
        c->s = s;
        uv_pipe_init(s->d->loop, &c->h, 0);
        uv_timer_init(s->d->loop, &c->deadline);
        c->h.data = c->deadline.data = c;
        c->open_handles = 2;
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        if (uv_accept(listener, (uv_stream_t *)&c->h) < 0 ||
            uv_fileno((uv_handle_t *)&c->h, &fd) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                conn_close(c);
                return;
        }
        /* The identity is fixed here, once, and never read from the messages (M1). */
        c->uid = cred.uid;
        c->pid = cred.pid;
        if (!s->d->cfg.system_mode && cred.uid != getuid()) {
                log_warn("refusing a client of uid %u: this per-user service serves uid %u only",
                         (unsigned)cred.uid, (unsigned)getuid());
                conn_close(c);
                return;
        }
        if (conns_of(s, cred.uid) > s->d->cfg.max_connections_per_user) {
                refuse(c, fd);
                return;
        }
        uv_read_start((uv_stream_t *)&c->h, alloc_cb, read_cb);
}

/* Makes the socket's directory (0700 for a per-user service) and refuses one that another
 * user owns. */
static int prepare_dir(struct ipc_server *s)
{
        char buf[PATH_MAX];
        const char *dir;
        struct stat st;

        snprintf(buf, sizeof(buf), "%s", s->path);
        dir = dirname(buf);
        if (mkdir(dir, s->d->cfg.system_mode ? 0755 : 0700) < 0 && errno != EEXIST) {
                log_error("cannot create the socket directory '%s': %s", dir, strerror(errno));
                return -errno;
        }
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                log_error("'%s' is not a directory", dir);
                return -ENOTDIR;
        }
        if (st.st_uid != getuid()) {
                log_error("the socket directory '%s' belongs to uid %u, not to us; refusing", dir,
                          (unsigned)st.st_uid);
                return -EPERM;
        }
        return 0;
}

/* Removes a stale socket; refuses when a service answers on it. */
static int remove_stale(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;
        int fd, r;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode)) {
                log_error("'%s' exists and is not a socket; refusing to replace it", path);
                return -EEXIST;
        }
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
        close(fd);
        if (r == 0) {
                log_error("another qmgrd is already listening on '%s'", path);
                return -EADDRINUSE;
        }
        if (unlink(path) < 0)
                return -errno;
        log_info("removed the stale socket '%s'", path);
        return 0;
}

int ipc_server_new(struct daemon *d, struct ipc_server **ret)
{
        struct ipc_server *s = calloc(1, sizeof(*s));
        mode_t old;
        int r;

        if (!s)
                return -ENOMEM;
        s->d = d;
        s->path = strdup(d->cfg.socket_path);
        if (!s->path || strlen(s->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                log_error("the socket path '%s' is too long", d->cfg.socket_path);
                free(s->path);
                free(s);
                return -ENAMETOOLONG;
        }
        if ((r = prepare_dir(s)) < 0 || (r = remove_stale(s->path)) < 0) {
                free(s->path);
                free(s);
                return r;
        }
        uv_pipe_init(d->loop, &s->listener, 0);
        s->listener.data = s;
        old = umask(d->cfg.system_mode ? 0 : 0077);
        r = uv_pipe_bind(&s->listener, s->path);
        umask(old);
        if (r == 0 && d->cfg.system_mode)
                chmod(s->path, 0666);
        if (r == 0)
                r = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
        if (r < 0) {
                log_error("cannot listen on '%s': %s", s->path, uv_strerror(r));
                uv_close((uv_handle_t *)&s->listener, NULL);
                free(s->path);
                free(s);
                return r;
        }
        log_info("listening on %s", s->path);
        *ret = s;
        return 0;
}

static void listener_closed(uv_handle_t *h)
{
        struct ipc_server *s = h->data;

        free(s->path);
        free(s);
}

void ipc_server_free(struct ipc_server *s)
{
        if (!s)
                return;
        while (s->conns)
                conn_close(s->conns);
        unlink(s->path);
        uv_close((uv_handle_t *)&s->listener, listener_closed);
}
