/* test-4-1-qmgr.c - QMGR.md §4.1 IBackgroundCopyQMgr: CreateGroup, GetGroup, EnumGroups and
 * the group enumerator. */
#include "conf.h"

TEST(test_4_1_create_group_defaults)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g = conf_new_group(qm, NULL);
        qm_variant v = {.type = QM_VT_EMPTY};
        qm_enum_jobs1 *e;
        qm_job *j;
        uint32_t n = 9, prio = 9, owner = 9;

        ASSERT_EQ_INT(0x180, conf_status(g)); /* empty, suspended, background */
        ASSERT_HR(QM_S_OK, qm_group_get_prop(g, GROUPPROP_NOTIFYFLAGS, &v));
        ASSERT_EQ_INT(0, v.u.i4);
        ASSERT_HR(QM_S_OK, qm_group_get_prop(g, GROUPPROP_PRIORITY, &v));
        ASSERT_EQ_INT(1, v.u.i4);
        ASSERT_HR(QM_S_OK, qm_group_get_prop(g, GROUPPROP_PROTOCOLFLAGS, &v));
        ASSERT_EQ_INT(QM_PROTOCOL_HTTP, v.u.i4);
        ASSERT_HR(QM_S_OK, qm_group_enum_jobs(g, 0, &e));
        ASSERT_HR(QM_S_OK, qm_enum_jobs1_get_count(e, &n));
        ASSERT_EQ_INT(0, n);
        ASSERT_HR(QM_S_OK, qm_group_query_new_job_interface(g, &j));
        ASSERT_HR(QM_S_OK, qm_job_get_owner(j, &owner));
        ASSERT_EQ_INT(getuid(), owner);
        ASSERT_HR(QM_S_OK, qm_job_get_priority(j, &prio));
        ASSERT_NE_INT(BG_JOB_PRIORITY_FOREGROUND, prio); /* background */
        qm_group_cancel(g);
}

TEST(test_4_1_create_group_duplicate_guid_is_e_invalidarg)
{
        qm_qmgr *qm = conf_connect(), *qm2 = conf_connect();
        qm_guid id;
        qm_group *g = conf_new_group(qm, &id), *g2 = (qm_group *)0x1;

        ASSERT_HR(QM_E_INVALIDARG, qm_qmgr_create_group(qm, &id, &g2));
        ASSERT_TRUE(g2 == (qm_group *)0x1);
        ASSERT_HR(QM_E_INVALIDARG, qm_qmgr_create_group(qm2, &id, &g2));
        ASSERT_EQ_INT(0x180, conf_status(g)); /* the existing group is untouched */
        qm_group_cancel(g);
}

TEST(test_4_1_create_group_after_cancel_may_reuse_the_guid)
{
        qm_qmgr *qm = conf_connect();
        qm_guid id;
        qm_group *g = conf_new_group(qm, &id), *g2;

        ASSERT_HR(QM_S_OK, qm_group_cancel(g));
        ASSERT_HR(QM_S_OK, qm_qmgr_create_group(qm, &id, &g2));
        ASSERT_EQ_INT(0x180, conf_status(g2));
        qm_group_cancel(g2);
}

TEST(test_4_1_get_group_unknown_guid_is_item_not_found)
{
        qm_qmgr *qm = conf_connect();
        qm_guid id = conf_guid();
        qm_group *g = (qm_group *)0x1;

        ASSERT_HR(QM_E_ITEM_NOT_FOUND, qm_qmgr_get_group(qm, &id, &g));
        ASSERT_TRUE(g == (qm_group *)0x1);
}

TEST(test_4_1_get_group_returns_the_same_group)
{
        qm_qmgr *qm = conf_connect(), *qm2 = conf_connect();
        qm_guid id, got;
        qm_group *g = conf_new_group(qm, &id), *g2;
        qm_variant name = {.type = QM_VT_STR}, v = {.type = QM_VT_EMPTY};

        name.u.str = "shared";
        ASSERT_HR(QM_S_OK, qm_group_set_prop(g, GROUPPROP_DISPLAYNAME, &name));
        ASSERT_HR(QM_S_OK, qm_qmgr_get_group(qm2, &id, &g2));
        ASSERT_HR(QM_S_OK, qm_group_get_id(g2, &got));
        ASSERT_TRUE(qm_guid_equal(&id, &got));
        ASSERT_HR(QM_S_OK, qm_group_get_prop(g2, GROUPPROP_DISPLAYNAME, &v));
        ASSERT_EQ_STR("shared", v.u.str);
        qm_variant_clear(&v);
        ASSERT_HR(QM_S_OK, qm_group_switch_to_foreground(g2));
        ASSERT_EQ_INT(0x580, conf_status(g));
        qm_group_cancel(g);
}

/* Index of id in the enumerator's snapshot, or -1. */
static int find(qm_guid *items, uint32_t n, const qm_guid *id)
{
        for (uint32_t i = 0; i < n; i++)
                if (qm_guid_equal(&items[i], id))
                        return (int)i;
        return -1;
}

static qm_guid *snapshot(qm_enum_groups *e, uint32_t *n)
{
        uint32_t count = 0, fetched = 0;
        qm_guid *items;

        ASSERT_HR(QM_S_OK, qm_enum_groups_get_count(e, &count));
        items = calloc(count + 1, sizeof(*items));
        ASSERT_NOT_NULL(items);
        ASSERT_HR(QM_S_OK, qm_enum_groups_reset(e));
        ASSERT_HR(count ? QM_S_OK : QM_S_FALSE,
                  qm_enum_groups_next(e, count ? count : 1, items, &fetched));
        ASSERT_EQ_INT(count, fetched);
        *n = count;
        return items;
}

TEST(test_4_1_enum_groups_lists_groups_in_creation_order)
{
        qm_qmgr *qm = conf_connect();
        qm_guid id[4];
        qm_group *g[4];
        qm_enum_groups *e;
        qm_guid *items;
        uint32_t n;

        for (int i = 0; i < 4; i++)
                g[i] = conf_new_group(qm, &id[i]);
        ASSERT_HR(QM_S_OK, qm_qmgr_enum_groups(qm, 0, &e));
        items = snapshot(e, &n);
        for (int i = 0; i < 4; i++)
                ASSERT_TRUE(find(items, n, &id[i]) >= 0);
        for (int i = 1; i < 4; i++)
                ASSERT_TRUE(find(items, n, &id[i - 1]) < find(items, n, &id[i]));
        for (int i = 0; i < 4; i++)
                qm_group_cancel(g[i]);
        qm_enum_groups_release(e);
}

TEST(test_4_1_enum_groups_is_a_snapshot)
{
        qm_qmgr *qm = conf_connect();
        qm_guid a, b;
        qm_group *ga = conf_new_group(qm, &a), *gb;
        qm_enum_groups *e, *e2;
        qm_guid *items;
        uint32_t n;

        ASSERT_HR(QM_S_OK, qm_qmgr_enum_groups(qm, 0, &e));
        gb = conf_new_group(qm, &b);             /* created after the snapshot */
        ASSERT_HR(QM_S_OK, qm_group_cancel(ga)); /* removed after the snapshot */
        items = snapshot(e, &n);
        ASSERT_TRUE(find(items, n, &a) >= 0);
        ASSERT_TRUE(find(items, n, &b) < 0);
        ASSERT_HR(QM_S_OK, qm_qmgr_enum_groups(qm, 0, &e2));
        items = snapshot(e2, &n);
        ASSERT_TRUE(find(items, n, &a) < 0);
        ASSERT_TRUE(find(items, n, &b) >= 0);
        qm_group_cancel(gb);
}

TEST(test_4_1_enum_groups_flags_nonzero_is_e_notimpl)
{
        qm_qmgr *qm = conf_connect();
        qm_enum_groups *e = (qm_enum_groups *)0x1;
        const uint32_t flags[] = {1, 2, 0x80000000u, 0xffffffffu};

        for (size_t i = 0; i < 4; i++) {
                ASSERT_HR(QM_E_NOTIMPL, qm_qmgr_enum_groups(qm, flags[i], &e));
                ASSERT_TRUE(e == (qm_enum_groups *)0x1);
        }
}

TEST(test_4_1_group_enumerator_next_skip_reset_clone_count)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g[3];
        qm_enum_groups *e, *c;
        qm_guid *all, buf[8], one;
        uint32_t n, count = 0, fetched = 99;

        for (int i = 0; i < 3; i++)
                g[i] = conf_new_group(qm, NULL);
        ASSERT_HR(QM_S_OK, qm_qmgr_enum_groups(qm, 0, &e));
        all = snapshot(e, &n);
        ASSERT_TRUE(n >= 3);
        ASSERT_HR(QM_S_OK, qm_enum_groups_get_count(e, &count));
        ASSERT_EQ_INT(n, count);

        /* Next with celt > 1 */
        ASSERT_HR(QM_S_OK, qm_enum_groups_reset(e));
        ASSERT_HR(QM_S_OK, qm_enum_groups_next(e, 2, buf, &fetched));
        ASSERT_EQ_INT(2, fetched);
        ASSERT_TRUE(qm_guid_equal(&buf[0], &all[0]) && qm_guid_equal(&buf[1], &all[1]));
        /* Next with celt == 1 and a NULL fetched */
        ASSERT_HR(QM_S_OK, qm_enum_groups_next(e, 1, &one, NULL));
        ASSERT_TRUE(qm_guid_equal(&one, &all[2]));
        /* Clone continues from the same position, independently */
        ASSERT_HR(QM_S_OK, qm_enum_groups_clone(e, &c));
        ASSERT_HR(QM_S_OK, qm_enum_groups_get_count(c, &count));
        ASSERT_EQ_INT(n, count);
        /* Skip past the end: S_FALSE */
        ASSERT_HR(QM_S_FALSE, qm_enum_groups_skip(e, n));
        /* Next at the end: S_FALSE, 0 fetched */
        fetched = 99;
        ASSERT_HR(QM_S_FALSE, qm_enum_groups_next(e, 1, &one, &fetched));
        ASSERT_EQ_INT(0, fetched);
        ASSERT_HR(QM_S_FALSE, qm_enum_groups_next(e, 1, &one, NULL));
        /* The clone still stands after the third element */
        if (n > 3) {
                ASSERT_HR(QM_S_OK, qm_enum_groups_next(c, 1, &one, NULL));
                ASSERT_TRUE(qm_guid_equal(&one, &all[3]));
        }
        /* Short Next: S_FALSE with what there was */
        ASSERT_HR(QM_S_OK, qm_enum_groups_reset(e));
        ASSERT_HR(QM_S_OK, qm_enum_groups_skip(e, n - 1));
        fetched = 99;
        ASSERT_HR(QM_S_FALSE, qm_enum_groups_next(e, 3, buf, &fetched));
        ASSERT_EQ_INT(1, fetched);
        ASSERT_TRUE(qm_guid_equal(&buf[0], &all[n - 1]));
        /* Reset rewinds */
        ASSERT_HR(QM_S_OK, qm_enum_groups_reset(e));
        ASSERT_HR(QM_S_OK, qm_enum_groups_next(e, 1, &one, NULL));
        ASSERT_TRUE(qm_guid_equal(&one, &all[0]));
        /* Skip 0 and Next 0 are complete successes */
        ASSERT_HR(QM_S_OK, qm_enum_groups_skip(e, 0));
        fetched = 99;
        ASSERT_HR(QM_S_OK, qm_enum_groups_next(e, 0, buf, &fetched));
        ASSERT_EQ_INT(0, fetched);
        qm_enum_groups_release(c);
        qm_enum_groups_release(e);
        for (int i = 0; i < 3; i++)
                qm_group_cancel(g[i]);
}

TEST(test_4_1_group_enumerator_next_celt_gt_1_with_null_fetched_is_e_pointer)
{
        qm_qmgr *qm = conf_connect();
        qm_group *g[2] = {conf_new_group(qm, NULL), conf_new_group(qm, NULL)};
        qm_enum_groups *e;
        qm_guid buf[2];

        ASSERT_HR(QM_S_OK, qm_qmgr_enum_groups(qm, 0, &e));
        /* pceltFetched is required when celt != 1: a NULL required out-pointer (§2.6, §3) */
        ASSERT_HR(QM_E_POINTER, qm_enum_groups_next(e, 2, buf, NULL));
        qm_group_cancel(g[0]);
        qm_group_cancel(g[1]);
}
