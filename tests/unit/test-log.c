/* test-log.c - what the service's log may show of a URL (src/daemon/log.c): never its
 * userinfo (TESTING.md S15). */
#include "qmgrd.h"
#include "unit.h"

static void shown(const char *url, const char *want)
{
        char buf[256];

        ASSERT_EQ_STR(want, log_url(url, buf, sizeof(buf)));
}

TEST(log_url_drops_userinfo)
{
        shown("http://user:pass@host/p", "http://host/p");
        shown("https://user@host:8443/p?q=1", "https://host:8443/p?q=1");
        shown("http://a:b@c@host/x", "http://host/x"); /* the last '@' of the authority */
        shown("http://u:p@[::1]:80/", "http://[::1]:80/");
        shown("http://u:p@host", "http://host");
}

TEST(log_url_keeps_urls_without_userinfo)
{
        const char *plain = "http://host/a@b?c=d@e#f@g";

        ASSERT_TRUE(log_url(plain, NULL, 0) == plain); /* '@' only after the authority */
        shown("http://host:80/", "http://host:80/");
        shown("not a url @ all", "not a url @ all");
}
