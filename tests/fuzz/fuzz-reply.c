/* fuzz-reply.c - libqmgr's reply decoder: bytes -> qmx_reply_parse() for every method.
 *
 * Checks, besides the sanitizers: the error text is NUL-terminated; and a reply that parses
 * as a success is a fixed point of encode-then-parse (qmx_reply_new() of the decoded message
 * parses again to the same result, the same `continues` and the same encoding). */
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "proto.h"

/* The canonical text of the reply built from m (keys sorted), or NULL. */
static char *encode(enum qmx_method_id id, const struct qmx_msg *m, bool continues)
{
        json_t *r = qmx_reply_new(id, m, continues);
        char *s = r ? json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

        json_decref(r);
        return s;
}

static void round_trip(enum qmx_method_id id, const struct qmx_msg *m, bool cont, qm_hresult hr,
                       const uint8_t *data, size_t size)
{
        struct qmx_msg m2;
        bool cont2 = false;
        char *s1 = encode(id, m, cont), *s2;
        qm_hresult hr2;

        if (!s1)
                fuzz_die(data, size, "method %d: a decoded reply cannot be encoded", (int)id);
        hr2 = qmx_reply_parse(id, s1, strlen(s1), &m2, &cont2, NULL, 0);
        if (hr2 != hr || cont2 != cont)
                fuzz_die(data, size,
                         "method %d: re-parsed reply gives 0x%08x/%d, first 0x%08x/%d: %s", (int)id,
                         (unsigned)hr2, cont2, (unsigned)hr, cont, s1);
        s2 = encode(id, &m2, cont2);
        if (!s2 || strcmp(s1, s2) != 0)
                fuzz_die(data, size, "method %d: encoding is not stable:\n  %s\n  %s", (int)id, s1,
                         s2 ? s2 : "(null)");
        free(s1);
        free(s2);
        qmx_msg_clear(&m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        for (int i = 0; i < QMX_M__MAX; i++) {
                enum qmx_method_id id = (enum qmx_method_id)i;
                struct qmx_msg m;
                bool cont = false;
                char err[256];
                qm_hresult hr;

                memset(err, 'x', sizeof(err));
                hr = qmx_reply_parse(id, (const char *)data, size, &m, &cont, err, sizeof(err));
                if (!memchr(err, '\0', sizeof(err)))
                        fuzz_die(data, size, "method %d: err is not NUL-terminated", i);
                if (QM_SUCCEEDED(hr))
                        round_trip(id, &m, cont, hr, data, size);
                qmx_msg_clear(&m);
        }
        return 0;
}
