/* Request handles. What a user holds is not a request's address but an opaque value that
 * names a slot of a process-wide table and the generation of the request it was issued for.
 * Request structures are recycled, so an address would name the next request made in the
 * same memory: a kept handle would then cancel, pause or describe a stranger. A slot's
 * generation moves on when its request ends, so an old handle no longer matches and every
 * function taking one sees it is stale.
 *
 * A slot belongs to a request structure for the structure's whole life (recycling keeps
 * it), so the hot path takes no lock: only creating and destroying a structure does. Slots
 * live in chunks that are never freed or moved, so a stale handle read from any thread
 * points at valid memory. */
#include "core/internal.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define CHUNK_BITS 12
#define CHUNK_SLOTS (1u << CHUNK_BITS)
#define MAX_CHUNKS 4096u /* 16M request structures alive at once */

/* On 64-bit systems a handle is slot index (24 bits) and generation (40 bits): a slot's
 * generation wraps after 2^40 requests, so a kept handle stays detectably stale for that
 * many requests made in the same structure. 32-bit systems have 20 + 12 bits. */
#if UINTPTR_MAX > 0xffffffffu
#define GEN_BITS 40
#else
#define GEN_BITS 12
#endif
#define GEN_MASK ((((uintptr_t)1) << GEN_BITS) - 1)
#define MAX_INDEX ((uintptr_t)(UINTPTR_MAX >> GEN_BITS))

typedef struct slot {
    _Atomic(uintptr_t) gen;
    _Atomic(sekha_request *) req; /* the live request, NULL between requests */
    uint32_t next_free;           /* 1-based index of the next free slot, under the lock */
} slot;

static _Atomic(slot *) chunks[MAX_CHUNKS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t free_head; /* 1-based, 0 = none */
static uint32_t used;      /* slots handed out so far (the next new index) */

static slot *slot_at(uint32_t index)
{
    slot *chunk = atomic_load_explicit(&chunks[index >> CHUNK_BITS], memory_order_acquire);
    return chunk ? &chunk[index & (CHUNK_SLOTS - 1)] : NULL;
}

int sekha__handle_slot_new(uint32_t *index)
{
    pthread_mutex_lock(&lock);
    uint32_t i;
    if (free_head) {
        i = free_head - 1;
        free_head = slot_at(i)->next_free;
    } else {
        i = used;
        if ((uintptr_t)i >= MAX_INDEX || (i >> CHUNK_BITS) >= MAX_CHUNKS) {
            pthread_mutex_unlock(&lock);
            return -1;
        }
        if (!atomic_load_explicit(&chunks[i >> CHUNK_BITS], memory_order_relaxed)) {
            slot *chunk = calloc(CHUNK_SLOTS, sizeof *chunk);
            if (!chunk) {
                pthread_mutex_unlock(&lock);
                return -1;
            }
            atomic_store_explicit(&chunks[i >> CHUNK_BITS], chunk, memory_order_release);
        }
        used++;
    }
    pthread_mutex_unlock(&lock);
    *index = i;
    return 0;
}

void sekha__handle_slot_free(uint32_t index)
{
    slot *s = slot_at(index);
    atomic_store_explicit(&s->req, (sekha_request *)NULL, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->gen, 1, memory_order_release);
    pthread_mutex_lock(&lock);
    s->next_free = free_head;
    free_head = index + 1;
    pthread_mutex_unlock(&lock);
}

sekha_request *sekha__handle_bind(sekha_request *r)
{
    slot *s = slot_at(r->slot);
    uintptr_t gen = atomic_load_explicit(&s->gen, memory_order_relaxed) & GEN_MASK;
    atomic_store_explicit(&s->req, r, memory_order_release);
    /* index + 1, so that no handle is NULL */
    return (sekha_request *)((((uintptr_t)r->slot + 1) << GEN_BITS) | gen);
}

void sekha__handle_unbind(sekha_request *r)
{
    slot *s = slot_at(r->slot);
    atomic_store_explicit(&s->req, (sekha_request *)NULL, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->gen, 1, memory_order_release);
}

sekha_request *sekha__req(const sekha_request *h)
{
    uintptr_t v = (uintptr_t)h;
    uintptr_t index = v >> GEN_BITS;
    if (!index || index - 1 >= (uintptr_t)MAX_CHUNKS * CHUNK_SLOTS)
        return NULL;
    slot *s = slot_at((uint32_t)(index - 1));
    if (!s)
        return NULL;
    sekha_request *r = atomic_load_explicit(&s->req, memory_order_acquire);
    if (!r || (atomic_load_explicit(&s->gen, memory_order_acquire) & GEN_MASK) != (v & GEN_MASK))
        return NULL;
    return r;
}
