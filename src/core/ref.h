/* Reference counts for results: the one ownership rule ("lent to callbacks; _copy gives
 * you one you own; _free releases it") is implemented by sharing one immutable result
 * among its owners. The count is atomic because owners may live on different threads;
 * a result is never changed after it is first handed out, so sharing it is invisible. */
#ifndef SEKHA_CORE_REF_H
#define SEKHA_CORE_REF_H

#include <stdatomic.h>

typedef struct sekha__ref {
    atomic_uint n;
} sekha__ref;

static inline void sekha__ref_init(sekha__ref *r)
{
    atomic_init(&r->n, 1u);
}

/* Takes a reference. The count is the one field an owner of a const result may change:
 * it is not part of the result's value. */
static inline void sekha__ref_get(const sekha__ref *r)
{
    atomic_fetch_add_explicit((atomic_uint *)&r->n, 1u, memory_order_relaxed);
}

/* Drops a reference; returns 1 when it was the last (the caller then frees). */
static inline int sekha__ref_put(sekha__ref *r)
{
    return atomic_fetch_sub_explicit(&r->n, 1u, memory_order_acq_rel) == 1u;
}

#endif
