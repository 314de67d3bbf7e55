/* Recycling requests: a finished request keeps its buffers (URL, body, header lines,
 * response) on its client's spare list, so a steady stream of requests allocates nothing
 * for them. AddressSanitizer builds poison the spares, so a use of a request after its
 * final callback still trips it. */
#include "core/internal.h"

#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SPARE_MAX 64                 /* requests kept per client */
#define SPARE_BUF_MAX (64 * 1024)    /* buffers larger than this are not kept */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SEKHA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SEKHA_ASAN 1
#endif
#ifdef SEKHA_ASAN
#include <sanitizer/asan_interface.h>
/* A spare is poisoned so that a use of a finished request still trips AddressSanitizer. */
#define SPARE_POISON(r) ASAN_POISON_MEMORY_REGION((r), sizeof *(r))
#define SPARE_UNPOISON(r) ASAN_UNPOISON_MEMORY_REGION((r), sizeof *(r))
#else
#define SPARE_POISON(r) ((void)(r))
#define SPARE_UNPOISON(r) ((void)(r))
#endif

static const size_t kept_offsets[] = {
    offsetof(sekha_request, url_buf),   offsetof(sekha_request, what_buf),
    offsetof(sekha_request, body),      offsetof(sekha_request, header_lines),
    offsetof(sekha_request, resp.body), offsetof(sekha_request, resp.headers)};
#define N_KEPT (sizeof kept_offsets / sizeof *kept_offsets)

static sekha_buf *kept_buf(sekha_request *r, size_t i)
{
    return (sekha_buf *)(void *)((char *)r + kept_offsets[i]);
}

/* Frees what a finished request holds besides its kept buffers; frees the buffers too
 * when all is set. */
static void release_fields(sekha_request *r, int all)
{
    free(r->header_heap);
    r->header_heap = NULL;
    if (r->tr) {
        sekha__buf_free(&r->tr->stream);
        free(r->tr);
        r->tr = NULL;
    }
    if (r->sse) {
        sekha__sse_free(r->sse);
        free(r->sse);
        r->sse = NULL;
    }
    for (size_t i = 0; i < N_KEPT; i++) {
        sekha_buf *b = kept_buf(r, i);
        /* Token requests carry codes, verifiers and secrets both ways: a kept buffer must
         * not hand them to the next request, nor a freed one leave them in the heap. */
        if ((r->flags & SEKHA__HTTP_SECRET_BODIES) && b->data)
            sodium_memzero(b->data, b->cap);
        if (all || b->cap > SPARE_BUF_MAX)
            sekha__buf_free(b);
    }
}

static void destroy_request(sekha_request *r)
{
    release_fields(r, 1);
    sekha__handle_slot_free(r->slot);
    free(r);
}

void sekha__request_recycle(sekha_client *c, sekha_request *r)
{
    int keep = !c->freeing && c->spare_len < SPARE_MAX;
    if (!keep) {
        destroy_request(r);
        return;
    }
    release_fields(r, 0);
    r->next = c->spare;
    c->spare = r;
    c->spare_len++;
    SPARE_POISON(r);
}

sekha_request *sekha__request_take(sekha_client *c)
{
    sekha_request *r = c->spare;
    if (!r) {
        r = calloc(1, sizeof(sekha_request));
        if (r && sekha__handle_slot_new(&r->slot) != 0) {
            free(r);
            r = NULL;
        }
        return r;
    }
    SPARE_UNPOISON(r);
    c->spare = r->next;
    c->spare_len--;
    sekha_buf saved[N_KEPT];
    for (size_t i = 0; i < N_KEPT; i++)
        saved[i] = *kept_buf(r, i);
    uint32_t slot = r->slot;
    memset(r, 0, sizeof *r);
    r->slot = slot;
    for (size_t i = 0; i < N_KEPT; i++) {
        *kept_buf(r, i) = saved[i];
        sekha__buf_clear(kept_buf(r, i));
    }
    return r;
}

void sekha__request_spares_free(sekha_client *c)
{
    while (c->spare) {
        sekha_request *r = c->spare;
        SPARE_UNPOISON(r);
        c->spare = r->next;
        destroy_request(r);
    }
    c->spare_len = 0;
}
