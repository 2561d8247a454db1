/* daemon-fixture.h - a struct daemon on an in-memory store, for the unit tests that drive the
 * service's model directly. fixture_free() releases every group it holds. */
#ifndef QMGR_TEST_DAEMON_FIXTURE_H
#define QMGR_TEST_DAEMON_FIXTURE_H

#include <stdlib.h>

#include "qmgrd.h"
#include "unit.h"

static inline struct daemon *fixture_new(const char *db_path)
{
        struct daemon *d = calloc(1, sizeof(*d));

        ASSERT_TRUE(d != NULL);
        config_defaults(&d->cfg);
        log_set_level(LOG_ERR);
        ASSERT_EQ_INT(0, store_open(db_path, &d->store));
        return d;
}

/* A new group, linked into d and saved. */
static inline struct group *fixture_group(struct daemon *d)
{
        qm_guid id;
        struct group *g;

        ASSERT_EQ_INT(QM_S_OK, qm_guid_generate(&id));
        g = group_new(d, &id, 1000);
        ASSERT_TRUE(g != NULL);
        g->seq = ++d->next_seq;
        ASSERT_EQ_INT(0, store_save_group(d->store, g));
        group_link(d, g);
        return g;
}

static inline void fixture_free(struct daemon *d)
{
        while (d->groups_head) {
                struct group *g = d->groups_head;

                group_unlink(d, g);
                group_free(g);
        }
        store_close(d->store);
        config_free(&d->cfg);
        free(d);
}

#endif
