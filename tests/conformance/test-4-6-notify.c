/* test-4-6-notify.c - QMGR.md §4.6 Notifications: callback classes (NOTIFYCLSID),
 * SetNotificationPointer, OnStatus events and qm_qmgr_dispatch(). The main service runs with
 * --min-retry-delay 1, so a redelivery comes about 1 s after a failed callback. */
#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "conf.h"

#define COMPLETE 0x140u
#define ERROR_ST 0x300u

/* What a callback saw. */
struct rec {
        int calls;
        int progress_calls;
        qm_hresult ret; /* what on_status returns */
        int fail_first; /* on_status returns QM_E_FAIL this many times first */
        double t[8];    /* when each call ran */
        uint32_t file_index, status, num_retries, win32, transport;
        qm_guid group_id, job_id;
        int have_job;
        pthread_t thread;
};

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static qm_hresult on_status(void *ud, qm_group *group, qm_job1 *job, uint32_t file_index,
                            uint32_t status, uint32_t num_retries, uint32_t win32_result,
                            uint32_t transport_result)
{
        struct rec *r = ud;

        if (r->calls < 8)
                r->t[r->calls] = now_s();
        r->calls++;
        r->file_index = file_index;
        r->status = status;
        r->num_retries = num_retries;
        r->win32 = win32_result;
        r->transport = transport_result;
        r->thread = pthread_self();
        ASSERT_NOT_NULL(group);
        ASSERT_HR(QM_S_OK, qm_group_get_id(group, &r->group_id));
        r->have_job = job != NULL;
        if (job)
                ASSERT_HR(QM_S_OK, qm_job1_get_id(job, &r->job_id));
        if (r->fail_first > 0) {
                r->fail_first--;
                return QM_E_FAIL;
        }
        return r->ret;
}

static qm_hresult on_progress(void *ud, uint32_t progress_type, qm_group *group, qm_job1 *job,
                              uint32_t file_index, uint32_t progress_value)
{
        ((struct rec *)ud)->progress_calls++;
        return QM_S_OK;
}

static qm_hresult on_progress_ex(void *ud, uint32_t progress_type, qm_group *group, qm_job1 *job,
                                 uint32_t file_index, uint32_t progress_value,
                                 uint32_t byte_array_size, const uint8_t *bytes)
{
        ((struct rec *)ud)->progress_calls++;
        return QM_S_OK;
}

static const qm_callback1 callback = {on_status, on_progress, on_progress_ex};

static qm_variant vstr(const char *s)
{
        qm_variant x = {.type = QM_VT_STR};

        x.u.str = (char *)s;
        return x;
}

static void set_flags(qm_group *g, uint32_t flags)
{
        qm_variant v = {.type = QM_VT_I4};

        v.u.i4 = (int32_t)flags;
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_NOTIFYFLAGS, &v));
}

/* A group with one file from url, notify flags set, not resumed. */
static qm_group *group_for(qm_qmgr *qm, const char *url, uint32_t flags, qm_job1 **job)
{
        char *dir = conf_dest_dir(), *u = (char *)url, *l = conf_fmt("%s/f", dir);
        qm_group *g = conf_group_with_files(qm, job, 1, &u, &l);

        set_flags(g, flags);
        return g;
}

/* Dispatches until r has seen n calls; fails after `seconds`. */
static void wait_calls(qm_qmgr *qm, struct rec *r, int n, double seconds)
{
        double deadline = now_s() + seconds;

        while (r->calls < n) {
                double left = deadline - now_s();
                qm_hresult hr;

                if (left <= 0)
                        unit_fail(__FILE__, __LINE__, "waited %.1f s for %d callbacks; saw %d",
                                  seconds, n, r->calls);
                hr = qm_qmgr_dispatch(qm, (int)(left * 1000) + 1);
                ASSERT_TRUE(hr == QM_S_OK || hr == QM_S_FALSE);
        }
}

/* Dispatches for `seconds` whatever happens (to see that nothing comes). */
static void dispatch_for(qm_qmgr *qm, double seconds)
{
        double deadline = now_s() + seconds;

        for (;;) {
                double left = deadline - now_s();
                qm_hresult hr;

                if (left <= 0)
                        return;
                hr = qm_qmgr_dispatch(qm, (int)(left * 1000) + 1);
                ASSERT_TRUE(hr == QM_S_OK || hr == QM_S_FALSE);
        }
}

static char *get_clsid(qm_group *g)
{
        qm_variant v = {.type = QM_VT_EMPTY};

        ASSERT_HR(QM_S_OK, qm_group_get_prop(g, GROUPPROP_NOTIFYCLSID, &v));
        ASSERT_EQ_INT(QM_VT_STR, v.type);
        return v.u.str;
}

TEST(test_4_6_notifyclsid_of_a_registered_class_reads_back_upper_case)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        struct rec r = {.ret = QM_S_OK};
        const char *lower = "{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}";
        qm_variant v = vstr(lower);

        ASSERT_HR(QM_S_OK, qm_register_callback_class(lower, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_NOTIFYCLSID, &v));
        ASSERT_EQ_STR("{0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D}", get_clsid(g));
        qm_group_cancel(g);
}

TEST(test_4_6_notifyclsid_unknown_class_is_e_invalidarg)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_variant v = vstr("{11111111-2222-4333-8444-555555555555}"); /* never registered */

        ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_NOTIFYCLSID, &v));
        ASSERT_EQ_STR("", get_clsid(g));
        qm_group_cancel(g);
}

TEST(test_4_6_notifyclsid_malformed_is_e_invalidarg)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        struct rec r = {.ret = QM_S_OK};
        const char *good = "{22222222-3333-4444-8555-666666666666}";
        const char *bad[] = {"not a guid",
                             "{22222222-3333-4444-8555-666666666666",
                             "{22222222-3333-4444-8555-666666666666}x",
                             "{22222222-3333-4444-8555-66666666666}",
                             "{}",
                             " {22222222-3333-"
                             "4444-8555-666666666666}"};

        ASSERT_HR(QM_S_OK, qm_register_callback_class(good, &callback, &r));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                qm_variant v = vstr(bad[i]);

                ASSERT_HR(QM_E_INVALIDARG, qm_group_set_prop(g, GROUPPROP_NOTIFYCLSID, &v));
        }
        ASSERT_EQ_STR("", get_clsid(g));
        qm_group_cancel(g);
}

TEST(test_4_6_notifyclsid_empty_string_clears_it_and_the_callback)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, NULL);
        struct rec r = {.ret = QM_S_OK};
        const char *id = "{33333333-4444-4555-8666-777777777777}";
        qm_variant v = vstr(id), empty = vstr("");

        ASSERT_HR(QM_S_OK, qm_register_callback_class(id, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_NOTIFYCLSID, &v));
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_NOTIFYCLSID, &empty));
        ASSERT_EQ_STR("", get_clsid(g));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 5);
        dispatch_for(qm, 0.5);
        ASSERT_EQ_INT(0, r.calls);
        qm_group_cancel(g);
}

TEST(test_4_6_set_notification_pointer_null_clears_the_callback)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, NULL);
        struct rec r = {.ret = QM_S_OK};

        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, NULL, NULL));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 5);
        dispatch_for(qm, 0.5);
        ASSERT_EQ_INT(0, r.calls);
        qm_group_cancel(g);
}

TEST(test_4_6_notifyclsid_registers_the_class_callback)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, NULL);
        struct rec r = {.ret = QM_S_OK};
        const char *id = "{44444444-5555-4666-8777-888888888888}";
        qm_variant v = vstr(id);

        ASSERT_HR(QM_S_OK, qm_register_callback_class(id, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_NOTIFYCLSID, &v));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_calls(qm, &r, 1, 5);
        ASSERT_EQ_INT(COMPLETE, r.status);
        qm_group_cancel(g);
}

TEST(test_4_6_on_status_fires_on_completion_only_with_group_done)
{
        qm_qmgr *qm = conf_connect();
        qm_group *with = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, NULL);
        qm_group *without = group_for(qm, conf_url(CONF_SMALL), 0, NULL);
        struct rec rw = {.ret = QM_S_OK}, ro = {.ret = QM_S_OK};

        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(with, &callback, &rw));
        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(without, &callback, &ro));
        ASSERT_HR(QM_S_OK, qm_group_resume(without));
        ASSERT_HR(QM_S_OK, qm_group_resume(with));
        conf_wait_status(without, 0xffffffff, COMPLETE, 5);
        wait_calls(qm, &rw, 1, 5);
        ASSERT_EQ_INT(COMPLETE, rw.status);
        dispatch_for(qm, 0.5);
        ASSERT_EQ_INT(1, rw.calls);
        ASSERT_EQ_INT(0, ro.calls);
        qm_group_cancel(with);
        qm_group_cancel(without);
}

TEST(test_4_6_on_status_fires_on_fatal_error_by_default_with_error_details)
{
        qm_qmgr *qm = conf_connect();
        char *dir = conf_dest_dir();
        char *u[2] = {conf_url(CONF_SMALL), conf_url("missing.bin")};
        char *l[2] = {conf_fmt("%s/ok", dir), conf_fmt("%s/missing", dir)};
        qm_job1 *job;
        qm_group *g = conf_group_with_files(qm, &job, 2, u, l); /* NOTIFYFLAGS 0 */
        struct rec r = {.ret = QM_S_OK};
        uint32_t st, w32, tr, nr = 99;

        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_calls(qm, &r, 1, 5);
        ASSERT_EQ_INT(ERROR_ST, r.status);
        ASSERT_EQ_INT(1, r.file_index);
        ASSERT_EQ_INT(2, r.win32); /* ERROR_FILE_NOT_FOUND (docs/errors.md) */
        ASSERT_EQ_INT(404, r.transport);
        ASSERT_HR(QM_S_OK, qm_job1_get_status(job, &st, &w32, &tr, &nr));
        ASSERT_EQ_INT(nr, r.num_retries);
        ASSERT_EQ_INT(0, r.num_retries); /* a fatal error is not retried */
        qm_group_cancel(g);
}

TEST(test_4_6_no_callback_for_transient_errors)
{
        qm_qmgr *qm = conf_connect();
        qm_job1 *job;
        qm_group *g = group_for(qm, conf_status_url(503), QM_NOTIFY_GROUP_DONE, &job);
        struct rec r = {.ret = QM_S_OK};
        uint32_t st = 0, w32 = 0, tr = 0, nr = 0;
        double deadline = now_s() + 8;

        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        do { /* the first failed attempt counts one retry */
                ASSERT_TRUE(now_s() < deadline);
                dispatch_for(qm, 0.1);
                ASSERT_HR(QM_S_OK, qm_job1_get_status(job, &st, &w32, &tr, &nr));
        } while (nr < 1);
        dispatch_for(qm, 0.3);
        ASSERT_EQ_INT(0, r.calls);
        qm_group_cancel(g);
}

TEST(test_4_6_disable_notify_suppresses_error_and_completion)
{
        qm_qmgr *qm = conf_connect();
        qm_group *done = group_for(qm, conf_url(CONF_SMALL),
                                   QM_NOTIFY_GROUP_DONE | QM_NOTIFY_DISABLE_NOTIFY, NULL);
        qm_group *bad = group_for(qm, conf_url("missing.bin"), QM_NOTIFY_DISABLE_NOTIFY, NULL);
        struct rec rd = {.ret = QM_S_OK}, rb = {.ret = QM_S_OK};

        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(done, &callback, &rd));
        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(bad, &callback, &rb));
        ASSERT_HR(QM_S_OK, qm_group_resume(done));
        ASSERT_HR(QM_S_OK, qm_group_resume(bad));
        conf_wait_status(done, 0xffffffff, COMPLETE, 5);
        conf_wait_status(bad, 0xffffffff, ERROR_ST, 5);
        dispatch_for(qm, 0.5);
        ASSERT_EQ_INT(0, rd.calls);
        ASSERT_EQ_INT(0, rb.calls);
        qm_group_cancel(done);
        qm_group_cancel(bad);
}

TEST(test_4_6_callback_handles_are_that_group_and_job)
{
        qm_qmgr *qm = conf_connect();
        qm_job1 *job;
        qm_group *g = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, &job);
        struct rec r = {.ret = QM_S_OK};
        qm_guid gid, jid;

        ASSERT_HR(QM_S_OK, qm_group_get_id(g, &gid));
        ASSERT_HR(QM_S_OK, qm_job1_get_id(job, &jid));
        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_calls(qm, &r, 1, 5);
        ASSERT_TRUE(qm_guid_equal(&gid, &r.group_id));
        ASSERT_TRUE(r.have_job);
        ASSERT_TRUE(qm_guid_equal(&jid, &r.job_id));
        qm_group_cancel(g);
}

TEST(test_4_6_completion_event_file_index_is_0xffffffff)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, NULL);
        struct rec r = {.ret = QM_S_OK};

        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_calls(qm, &r, 1, 5);
        ASSERT_EQ_INT(COMPLETE, r.status);
        ASSERT_EQ_INT(0xFFFFFFFFu, r.file_index);
        ASSERT_EQ_INT(QM_NO_FILE_INDEX, r.file_index);
        qm_group_cancel(g);
}

TEST(test_4_6_failed_callback_gets_the_same_event_after_the_retry_delay)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, NULL);
        struct rec r = {.ret = QM_S_OK, .fail_first = 1};

        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_calls(qm, &r, 1, 5);
        ASSERT_EQ_INT(COMPLETE, r.status);
        wait_calls(qm, &r, 2, 5);
        ASSERT_TRUE(r.t[1] - r.t[0] >= 0.9); /* not before the 1 s retry delay */
        ASSERT_TRUE(r.t[1] - r.t[0] < 4.0);
        ASSERT_EQ_INT(COMPLETE, r.status);
        ASSERT_EQ_INT(QM_NO_FILE_INDEX, r.file_index);
        dispatch_for(qm, 1.2); /* acknowledged with S_OK: retired, no call after 1 s */
        ASSERT_EQ_INT(2, r.calls);
        qm_group_cancel(g);
}

TEST(test_4_6_event_without_a_callback_is_delivered_when_a_client_registers)
{
        qm_qmgr *qm = conf_connect(), *other;
        qm_guid gid;
        qm_group *g = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, NULL), *g2;
        struct rec r = {.ret = QM_S_OK};

        ASSERT_HR(QM_S_OK, qm_group_get_id(g, &gid));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 5);
        qm_group_release(g);
        qm_qmgr_release(qm);    /* that client is gone */
        other = conf_connect(); /* a new client process */
        ASSERT_HR(QM_S_OK, qm_qmgr_get_group(other, &gid, &g2));
        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g2, &callback, &r));
        wait_calls(other, &r, 1, 5);
        ASSERT_EQ_INT(COMPLETE, r.status);
        ASSERT_TRUE(qm_guid_equal(&gid, &r.group_id));
        qm_group_cancel(g2);
}

TEST(test_4_6_events_survive_a_service_restart)
{
        char *sock;
        pid_t pid = conf_service_start("restart", &sock);
        qm_qmgr *qm = NULL;
        qm_guid gid;
        qm_group *g;
        struct rec r = {.ret = QM_S_OK};

        ASSERT_HR(QM_S_OK, qm_qmgr_connect(sock, &qm));
        g = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, NULL);
        ASSERT_HR(QM_S_OK, qm_group_get_id(g, &gid));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        conf_wait_status(g, 0xffffffff, COMPLETE, 5);
        qm_group_release(g);
        qm_qmgr_release(qm);
        conf_service_stop(pid);
        pid = conf_service_start("restart", &sock);
        ASSERT_HR(QM_S_OK, qm_qmgr_connect(sock, &qm));
        ASSERT_HR(QM_S_OK, qm_qmgr_get_group(qm, &gid, &g));
        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        wait_calls(qm, &r, 1, 5);
        ASSERT_EQ_INT(COMPLETE, r.status);
        ASSERT_TRUE(qm_guid_equal(&gid, &r.group_id));
        qm_group_cancel(g);
        qm_group_release(g);
        qm_qmgr_release(qm);
        conf_service_stop(pid);
}

TEST(test_4_6_on_progress_and_on_progress_ex_are_never_called)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = group_for(qm, conf_slow_url(CONF_B),
                                QM_NOTIFY_GROUP_DONE | QM_NOTIFY_FILE_DONE | QM_NOTIFY_JOB_DONE |
                                        QM_NOTIFY_USE_PROGRESSEX,
                                NULL);
        struct rec r = {.ret = QM_S_OK};

        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        wait_calls(qm, &r, 1, 10);
        ASSERT_EQ_INT(COMPLETE, r.status);
        dispatch_for(qm, 0.3);
        ASSERT_EQ_INT(0, r.progress_calls);
        qm_group_cancel(g);
}

TEST(test_4_6_get_fd_is_pollable_and_readable_when_an_event_waits)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = group_for(qm, conf_slow_url(CONF_B), QM_NOTIFY_GROUP_DONE, NULL);
        struct rec r = {.ret = QM_S_OK};
        struct pollfd p;
        int fd;

        ASSERT_EQ_INT(-1, qm_qmgr_get_fd(NULL));
        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        fd = qm_qmgr_get_fd(qm);
        ASSERT_TRUE(fd >= 0);
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        ASSERT_HR(QM_S_FALSE, qm_qmgr_dispatch(qm, 0)); /* the transfer takes ~0.4 s */
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        ASSERT_EQ_INT(1, poll(&p, 1, 10000)); /* no other call on qm meanwhile */
        ASSERT_TRUE(p.revents & POLLIN);
        ASSERT_HR(QM_S_OK, qm_qmgr_dispatch(qm, 0));
        ASSERT_EQ_INT(1, r.calls);
        ASSERT_EQ_INT(COMPLETE, r.status);
        qm_group_cancel(g);
}

TEST(test_4_6_dispatch_with_timeout_0_and_nothing_pending_is_s_false)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        struct rec r = {.ret = QM_S_OK};

        ASSERT_HR(QM_S_FALSE, qm_qmgr_dispatch(qm, 0)); /* never subscribed */
        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        ASSERT_HR(QM_S_FALSE, qm_qmgr_dispatch(qm, 0)); /* subscribed, nothing happened */
        ASSERT_EQ_INT(0, r.calls);
        qm_group_cancel(g);
}

struct dispatcher {
        qm_qmgr *qm;
        struct rec *r;
        pthread_t self;
};

static void *dispatch_thread(void *arg)
{
        struct dispatcher *d = arg;

        d->self = pthread_self();
        wait_calls(d->qm, d->r, 1, 5);
        return NULL;
}

TEST(test_4_6_callback_runs_in_the_thread_that_dispatches)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = group_for(qm, conf_url(CONF_SMALL), QM_NOTIFY_GROUP_DONE, NULL);
        struct rec r = {.ret = QM_S_OK};
        struct dispatcher d = {qm, &r, 0};
        pthread_t t;

        ASSERT_HR(QM_S_OK, qm_group_set_notification_pointer(g, &callback, &r));
        ASSERT_HR(QM_S_OK, qm_group_resume(g));
        ASSERT_EQ_INT(0, pthread_create(&t, NULL, dispatch_thread, &d));
        ASSERT_EQ_INT(0, pthread_join(t, NULL));
        ASSERT_EQ_INT(1, r.calls);
        ASSERT_TRUE(pthread_equal(d.self, r.thread));
        ASSERT_FALSE(pthread_equal(pthread_self(), r.thread));
        qm_group_cancel(g);
}
