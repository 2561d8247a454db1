/* enum.c - IEnumBackgroundCopyGroups and IEnumBackgroundCopyJobs1: client-side snapshots of
 * GUIDs taken when the enumerator is created (one struct guid_enum serves both kinds; the
 * magic number tells them apart). COM rules: Next may take a NULL ret_fetched only when
 * celt == 1 (else it is a NULL required out-pointer: QM_E_POINTER, QMGR.md §2.6); Next and
 * Skip return QM_S_FALSE when they could not do all of celt. */
#include <stdlib.h>
#include <string.h>

#include "lib.h"

qm_hresult guid_enum_new(qm_qmgr *qm, uint32_t magic, qm_guid *items, uint32_t count,
                         struct guid_enum **ret)
{
        struct guid_enum *e = calloc(1, sizeof(*e));

        if (!e) {
                free(items);
                return QM_E_OUTOFMEMORY;
        }
        e->magic = magic;
        e->refs = 1;
        e->qm = conn_ref(qm);
        e->items = items;
        e->count = items ? count : 0;
        *ret = e;
        return QM_S_OK;
}

static void guid_enum_release(struct guid_enum *e, uint32_t magic)
{
        if (!GOOD_HANDLE(e, magic) || --e->refs > 0)
                return;
        conn_unref(e->qm);
        free(e->items);
        e->magic = MAGIC_DEAD;
        free(e);
}

static qm_hresult guid_enum_next(struct guid_enum *e, uint32_t magic, uint32_t celt, qm_guid *rgelt,
                                 uint32_t *ret_fetched)
{
        uint32_t n;

        if (!GOOD_HANDLE(e, magic))
                return QM_E_INVALIDARG;
        if (!ret_fetched && celt != 1)
                return QM_E_POINTER;
        if (!rgelt && celt > 0)
                return QM_E_POINTER;
        n = e->count - e->pos;
        if (n > celt)
                n = celt;
        if (n)
                memcpy(rgelt, e->items + e->pos, n * sizeof(*rgelt));
        e->pos += n;
        if (ret_fetched)
                *ret_fetched = n;
        return n == celt ? QM_S_OK : QM_S_FALSE;
}

static qm_hresult guid_enum_skip(struct guid_enum *e, uint32_t magic, uint32_t celt)
{
        uint32_t n;

        if (!GOOD_HANDLE(e, magic))
                return QM_E_INVALIDARG;
        n = e->count - e->pos;
        if (n > celt)
                n = celt;
        e->pos += n;
        return n == celt ? QM_S_OK : QM_S_FALSE;
}

static qm_hresult guid_enum_reset(struct guid_enum *e, uint32_t magic)
{
        if (!GOOD_HANDLE(e, magic))
                return QM_E_INVALIDARG;
        e->pos = 0;
        return QM_S_OK;
}

static qm_hresult guid_enum_clone(struct guid_enum *e, uint32_t magic, struct guid_enum **ret)
{
        struct guid_enum *c;
        qm_guid *items;
        qm_hresult hr;

        if (!GOOD_HANDLE(e, magic))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        items = malloc((e->count ? e->count : 1) * sizeof(*items));
        if (!items)
                return QM_E_OUTOFMEMORY;
        if (e->count)
                memcpy(items, e->items, e->count * sizeof(*items));
        hr = guid_enum_new(e->qm, magic, items, e->count, &c);
        if (QM_FAILED(hr))
                return hr;
        c->pos = e->pos; /* a clone continues from the same position (COM) */
        *ret = c;
        return QM_S_OK;
}

static qm_hresult guid_enum_get_count(struct guid_enum *e, uint32_t magic, uint32_t *ret)
{
        if (!GOOD_HANDLE(e, magic))
                return QM_E_INVALIDARG;
        if (!ret)
                return QM_E_POINTER;
        *ret = e->count;
        return QM_S_OK;
}

#define ENUM_FUNCS(prefix, type, magic)                                                            \
        QM_API qm_hresult prefix##_next(type *e, uint32_t celt, qm_guid *rgelt,                    \
                                        uint32_t *ret_fetched)                                     \
        {                                                                                          \
                return guid_enum_next((struct guid_enum *)e, magic, celt, rgelt, ret_fetched);     \
        }                                                                                          \
        QM_API qm_hresult prefix##_skip(type *e, uint32_t celt)                                    \
        {                                                                                          \
                return guid_enum_skip((struct guid_enum *)e, magic, celt);                         \
        }                                                                                          \
        QM_API qm_hresult prefix##_reset(type *e)                                                  \
        {                                                                                          \
                return guid_enum_reset((struct guid_enum *)e, magic);                              \
        }                                                                                          \
        QM_API qm_hresult prefix##_clone(type *e, type **ret)                                      \
        {                                                                                          \
                return guid_enum_clone((struct guid_enum *)e, magic, (struct guid_enum **)ret);    \
        }                                                                                          \
        QM_API qm_hresult prefix##_get_count(type *e, uint32_t *ret)                               \
        {                                                                                          \
                return guid_enum_get_count((struct guid_enum *)e, magic, ret);                     \
        }                                                                                          \
        QM_API void prefix##_release(type *e)                                                      \
        {                                                                                          \
                guid_enum_release((struct guid_enum *)e, magic);                                   \
        }

ENUM_FUNCS(qm_enum_groups, qm_enum_groups, MAGIC_ENUM_GROUPS)
ENUM_FUNCS(qm_enum_jobs1, qm_enum_jobs1, MAGIC_ENUM_JOBS1)
