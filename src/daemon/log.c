/* log.c - the service's log: one line per event on stderr, prefixed with its syslog priority
 * (<3> error ... <7> debug) so that journald keeps the levels (CLI.md). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qmgrd.h"

static int max_level = LOG_INFO;

void log_set_level(int level)
{
        max_level = level;
}

bool log_enabled(int level)
{
        return level <= max_level;
}

const char *log_url(const char *url, char *buf, size_t size)
{
        const char *auth = strstr(url, "://"), *end, *at = NULL;

        if (!auth)
                return url;
        auth += 3;
        /* The authority ends where curl_url() ends it; its last '@' ends the userinfo. */
        end = auth + strcspn(auth, "/?#");
        for (const char *p = auth; p < end; p++)
                if (*p == '@')
                        at = p;
        if (!at)
                return url;
        snprintf(buf, size, "%.*s%s", (int)(auth - url), url, at + 1);
        return buf;
}

int log_level_from_name(const char *name)
{
        if (strcmp(name, "debug") == 0)
                return LOG_DEBUG;
        if (strcmp(name, "info") == 0)
                return LOG_INFO;
        if (strcmp(name, "warning") == 0)
                return LOG_WARNING;
        if (strcmp(name, "error") == 0)
                return LOG_ERR;
        return -1;
}

void log_msg(int level, const char *fmt, ...)
{
        char line[2048];
        va_list ap;
        int n;

        if (level > max_level)
                return;
        n = snprintf(line, sizeof(line), "<%d>", level);
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
        /* Control characters from peers (URLs, names) must not forge log lines. */
        for (char *p = line + n; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
        fprintf(stderr, "%s\n", line);
}
