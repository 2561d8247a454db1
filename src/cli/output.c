/* output.c - formatting shared by the commands: names of states, priorities, error contexts
 * and status bits, sizes and times, and the JSON helpers (CLI.md: snake_case fields, GUIDs
 * in registry form, unknown sizes null, times ISO 8601 UTC). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

void guid_str(const qm_guid *g, char buf[QM_GUID_STRING_SIZE])
{
        if (qm_guid_to_string(g, buf) != QM_S_OK)
                buf[0] = '\0';
}

json_t *json_guid(const qm_guid *g)
{
        char buf[QM_GUID_STRING_SIZE];

        guid_str(g, buf);
        return json_string(buf);
}

json_t *json_size(uint64_t v)
{
        return v == BG_SIZE_UNKNOWN ? json_null() : json_integer((json_int_t)v);
}

json_t *json_time(int64_t t)
{
        char buf[32];

        if (t == 0)
                return json_null();
        format_time(t, buf, sizeof(buf));
        return json_string(buf);
}

void format_time(int64_t t, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (t == 0 || !gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, len, "-");
}

void format_bytes(uint64_t v, char *buf, size_t len)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double d = (double)v;
        unsigned u = 0;

        if (v == BG_SIZE_UNKNOWN) {
                snprintf(buf, len, "?");
                return;
        }
        while (d >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
                d /= 1024.0;
                u++;
        }
        if (u == 0)
                snprintf(buf, len, "%" PRIu64 " B", v);
        else
                snprintf(buf, len, "%.1f %s", d, units[u]);
}

const char *state_name(uint32_t state)
{
        static const char *const names[] = {
                "QUEUED",          "CONNECTING",  "TRANSFERRING", "SUSPENDED", "ERROR",
                "TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED",
        };

        return state < sizeof(names) / sizeof(names[0]) ? names[state] : "UNKNOWN";
}

const char *priority_name(uint32_t prio)
{
        static const char *const names[] = {"FOREGROUND", "HIGH", "NORMAL", "LOW"};

        return prio < sizeof(names) / sizeof(names[0]) ? names[prio] : "UNKNOWN";
}

const char *context_name(uint32_t c)
{
        static const char *const names[] = {
                "NONE",       "UNKNOWN",     "GENERAL_QUEUE_MANAGER", "QUEUE_MANAGER_NOTIFICATION",
                "LOCAL_FILE", "REMOTE_FILE", "GENERAL_TRANSPORT",     "REMOTE_APPLICATION",
        };

        return c < sizeof(names) / sizeof(names[0]) ? names[c] : "UNKNOWN";
}

/* The group bits in the order QMGR.md §2.1 writes them (ERROR|SUSPENDED,
 * SUSPENDED|INCOMPLETE, INCOMPLETE|FOREGROUND, COMPLETE|SUSPENDED). */
static const struct {
        uint32_t bit;
        const char *name;
} status_bits[] = {
        {QM_STATUS_GROUP_ERROR, "ERROR"},           {QM_STATUS_GROUP_COMPLETE, "COMPLETE"},
        {QM_STATUS_GROUP_SUSPENDED, "SUSPENDED"},   {QM_STATUS_GROUP_INCOMPLETE, "INCOMPLETE"},
        {QM_STATUS_GROUP_FOREGROUND, "FOREGROUND"},
};

#define N_STATUS_BITS (sizeof(status_bits) / sizeof(status_bits[0]))

void status_text(uint32_t status, char *buf, size_t len)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < N_STATUS_BITS; i++) {
                int n;

                if (!(status & status_bits[i].bit))
                        continue;
                n = snprintf(buf + used, len - used, "%s%s", used ? "|" : "", status_bits[i].name);
                if (n < 0 || (size_t)n >= len - used)
                        break;
                used += (size_t)n;
        }
        if (used == 0)
                snprintf(buf, len, "0x%x", status);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *status_flags_json(uint32_t status)
{
        const char *names[N_STATUS_BITS];
        size_t n = 0;
        json_t *a = json_array();

        for (size_t i = 0; i < N_STATUS_BITS; i++) {
                if (status & status_bits[i].bit)
                        names[n++] = status_bits[i].name;
        }
        qsort(names, n, sizeof(names[0]), cmp_str);
        for (size_t i = 0; a && i < n; i++)
                json_array_append_new(a, json_string(names[i]));
        return a;
}

unsigned percent(uint64_t done, uint64_t total)
{
        if (total == BG_SIZE_UNKNOWN || total == 0)
                return 0;
        if (done >= total)
                return 100;
        /* floor(100 * done / total) without overflowing 64 bits */
        if (done <= UINT64_MAX / 100)
                return (unsigned)(done * 100 / total);
        return (unsigned)(done / (total / 100));
}

int print_json(json_t *doc)
{
        int r;

        if (!doc) {
                warnx_("out of memory");
                return EXIT_FAILED;
        }
        r = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        fputc('\n', stdout);
        return r < 0 ? EXIT_FAILED : EXIT_OK;
}
