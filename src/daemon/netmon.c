/* netmon.c - is the network there? BITS waits out a lost network without counting retries
 * (QMGR.md §4.4 "network down", TESTING.md N6). The service listens to the kernel's route
 * netlink for link and address changes and keeps one answer: the network is up when some
 * interface other than loopback is up, running and has an address. A transfer that fails
 * to connect while the network is down parks its group (group_transfer_failed()); when the
 * network comes back every parked group is retried at once. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "qmgrd.h"

struct netmon {
        struct daemon *d;
        uv_poll_t poll;
        int fd;
        bool up;
};

static bool compute_up(void)
{
        struct ifaddrs *list, *a;
        bool up = false;

        if (getifaddrs(&list) < 0)
                return true; /* when in doubt, do not hold transfers back */
        for (a = list; a && !up; a = a->ifa_next) {
                if (!a->ifa_addr || (a->ifa_flags & IFF_LOOPBACK))
                        continue;
                if (!(a->ifa_flags & IFF_UP) || !(a->ifa_flags & IFF_RUNNING))
                        continue;
                up = a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6;
        }
        freeifaddrs(list);
        return up;
}

static void recheck(struct netmon *m)
{
        bool was = m->up;

        m->up = compute_up();
        if (m->up == was)
                return;
        log_info("the network is %s", m->up ? "back" : "down");
        if (!m->up)
                return;
        for (struct group *g = m->d->groups_head; g; g = g->next) {
                if (!g->waiting_network)
                        continue;
                g->waiting_network = false;
                g->retry_at = 0; /* due now */
        }
        sched_kick(m->d);
}

static void readable(uv_poll_t *h, int status, int events)
{
        struct netmon *m = h->data;
        char buf[8192];

        /* The messages themselves do not matter: any change is a reason to look again. */
        while (recv(m->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
                ;
        recheck(m);
}

int netmon_new(struct daemon *d, struct netmon **ret)
{
        struct netmon *m = calloc(1, sizeof(*m));
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
                                 .nl_groups =
                                         RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};

        if (!m)
                return -ENOMEM;
        m->d = d;
        m->up = compute_up();
        m->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            uv_poll_init(d->loop, &m->poll, m->fd) < 0) {
                /* Without netlink the service still works: it only cannot tell a lost
                 * network from a failing server, and retries as for any transient error. */
                log_warn("cannot watch the network (netlink): %s; a lost network counts as "
                         "a transient error",
                         strerror(errno));
                if (m->fd >= 0)
                        close(m->fd);
                m->fd = -1;
                m->up = true;
                *ret = m;
                return 0;
        }
        m->poll.data = m;
        uv_poll_start(&m->poll, UV_READABLE, readable);
        log_debug("the network is %s", m->up ? "up" : "down");
        *ret = m;
        return 0;
}

static void poll_closed(uv_handle_t *h)
{
        struct netmon *m = h->data;

        close(m->fd);
        free(m);
}

void netmon_free(struct netmon *m)
{
        if (!m)
                return;
        if (m->fd < 0) {
                free(m);
                return;
        }
        uv_poll_stop(&m->poll);
        uv_close((uv_handle_t *)&m->poll, poll_closed);
}

bool netmon_is_up(struct netmon *m)
{
        if (!m)
                return true;
        if (m->fd >= 0)
                recheck(m); /* cheap, and exact at the moment a transfer failed */
        return m->up;
}

bool netmon_url_is_local(const char *url)
{
        CURLU *u = curl_url();
        char *host = NULL;
        bool local = false;

        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
                local = strcasecmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
                        strcmp(host, "[::1]") == 0;
        }
        curl_free(host);
        curl_url_cleanup(u);
        return local;
}
