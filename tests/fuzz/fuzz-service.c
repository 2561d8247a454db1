/* fuzz-service.c - the service's message path: bytes -> ipc_process() on a daemon with an
 * in-memory store (TESTING.md C17).
 *
 * The input is cut at its NUL bytes, as the socket cuts its stream (the tail after the last
 * NUL counts as one more message), and the messages run in order on one daemon, so that one
 * input can create a group, add a job and files, and then poke at them. The model is emptied
 * before each input, so every input replays alone, exactly as the fuzzer ran it.
 *
 * The daemon is built once: config defaults with small limits (16 groups per user, 64 files
 * per job, so the limit paths are reachable), an in-memory store, the scheduler's timers on
 * the default loop, the notifier and the transfer engine. The loop never runs, so no transfer starts and
 * nothing touches the network or writes a file; AddFiles only stat()s and access()es the
 * destination directories. The caller is getuid(). Seeds name files under FUZZ_DIR.
 *
 * Checks, besides the sanitizers, after every message:
 *  - every call that is not oneway gets a reply, and every reply can be framed;
 *  - an error reply carries a negative hresult (and only hresult, name, message);
 *  - a success reply parses with libqmgr's decoder for the method that was called;
 *  - the group list agrees with n_groups, the per-user limit holds, states are legal. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "qmgrd.h"

#define FUZZ_DIR     "/tmp/qmgr-fuzz"
#define MAX_GROUPS   16
#define MAX_FILES    64
#define MAX_MESSAGES 256

static struct daemon *daemon_get(void)
{
        static struct daemon *d;

        if (d)
                return d;
        d = calloc(1, sizeof(*d));
        if (!d)
                abort();
        config_defaults(&d->cfg);
        d->cfg.max_groups_per_user = MAX_GROUPS;
        d->cfg.max_files_per_job = MAX_FILES;
        log_set_level(getenv("QMGR_FUZZ_DEBUG") ? LOG_DEBUG : LOG_ERR);
        d->loop = uv_default_loop();
        if (store_open(":memory:", &d->store) < 0) {
                fprintf(stderr, "fuzz-service: cannot open an in-memory store\n");
                abort();
        }
        if (notify_new(d, &d->notify) < 0) {
                fprintf(stderr, "fuzz-service: cannot create the notifier\n");
                abort();
        }
        sched_init(d);
        if (xfer_engine_new(d, &d->xe) < 0) {
                fprintf(stderr, "fuzz-service: cannot create the transfer engine\n");
                abort();
        }
        if (mkdir(FUZZ_DIR, 0700) < 0 && errno != EEXIST)
                fprintf(stderr, "fuzz-service: mkdir %s: %s\n", FUZZ_DIR, strerror(errno));
        return d;
}

/* Empties the model, the store and the notifier's queue the way the service removes a
 * group (JobCancel). No file was ever transferred, so this deletes no file. */
static void reset(struct daemon *d)
{
        while (d->groups_head)
                group_abort(d->groups_head);
        d->next_seq = 0;
}

static void check_model(struct daemon *d, uid_t uid, const void *in, size_t len)
{
        uint32_t n = 0;

        for (struct group *g = d->groups_head; g; g = g->next) {
                if (g->next ? g->next->prev != g : d->groups_tail != g)
                        fuzz_die(in, len, "the group list is broken");
                if (g->state > BG_JOB_STATE_TRANSFERRED || g->priority > BG_JOB_PRIORITY_LOW)
                        fuzz_die(in, len, "group %s: state %u, priority %u", g->id_str, g->state,
                                 g->priority);
                if (g->n_files > g->cap_files || g->n_files > MAX_FILES ||
                    (g->n_files && !g->has_job))
                        fuzz_die(in, len, "group %s: %u files (capacity %u, job %d)", g->id_str,
                                 g->n_files, g->cap_files, g->has_job);
                n++;
        }
        if (n != d->n_groups)
                fuzz_die(in, len, "%u groups listed, n_groups %u", n, d->n_groups);
        if (group_count_for(d, uid) > MAX_GROUPS)
                fuzz_die(in, len, "%u groups for uid %u, limit %u", group_count_for(d, uid),
                         (unsigned)uid, MAX_GROUPS);
}

/* What a client would do with the reply: frame it, then decode it. */
static void check_reply(const char *text, size_t len, json_t *reply)
{
        json_t *in = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
        const char *name =
                json_is_object(in) ? json_string_value(json_object_get(in, "method")) : NULL;
        bool oneway = json_is_object(in) && json_is_true(json_object_get(in, "oneway"));
        enum qmx_method_id id = QMX_M_PING;
        bool known = name && qmx_method_lookup(name, &id);
        char *frame;
        size_t flen;
        json_t *params;

        if (!reply) {
                if (!oneway)
                        fuzz_die(text, len, "no reply to a call that is not oneway");
                json_decref(in);
                return;
        }
        frame = qmx_frame(reply, &flen);
        if (!frame)
                fuzz_die(text, len, "the reply cannot be framed");
        params = json_object_get(reply, "parameters");
        if (json_object_get(reply, "error")) {
                struct qmx_msg e;
                char err[256];

                if (!json_is_string(json_object_get(reply, "error")) ||
                    qmx_decode(params, QMX_B(HRESULT), QMX_B(NAME) | QMX_B(MESSAGE), &e, err,
                               sizeof(err)) < 0)
                        fuzz_die(text, len, "malformed error reply (%s): %s", err, frame);
                if (e.hresult >= 0)
                        fuzz_die(text, len, "error reply with a success code: %s", frame);
                qmx_msg_clear(&e);
        } else {
                struct qmx_msg m;
                bool cont;
                char err[256];
                qm_hresult hr;

                if (!known)
                        fuzz_die(text, len, "success reply to an unknown method: %s", frame);
                hr = qmx_reply_parse(id, frame, flen - 1, &m, &cont, err, sizeof(err));
                if (QM_FAILED(hr))
                        fuzz_die(text, len, "the library rejects the reply to %s (0x%08x %s): %s",
                                 name, (unsigned)hr, err, frame);
                qmx_msg_clear(&m);
        }
        free(frame);
        json_decref(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct daemon *d = daemon_get();
        const char *p = (const char *)data, *end = p + size;
        uid_t uid = getuid();
        int n = 0;

        reset(d);
        while (p <= end && n++ < MAX_MESSAGES) {
                const char *nul = memchr(p, '\0', (size_t)(end - p));
                size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
                struct ipc_call call = {.d = d, .uid = uid};
                json_t *reply;

                if (!nul && len == 0 && p != (const char *)data)
                        break; /* nothing after the last NUL */
                reply = ipc_process(&call, p, len);
                check_reply(p, len, reply);
                json_decref(reply);
                check_model(d, uid, p, len);
                if (!nul)
                        break;
                p = nul + 1;
        }
        return 0;
}
