/* libFuzzer target: the SSE parser under arbitrary input and arbitrary splits.
 * The first byte seeds the split sizes; the rest is the stream. Every split must yield the
 * same events as feeding the whole input at once (checked by hashing the event sequence),
 * with stash() exercised as a pausing caller would. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sse.h"
#include "sekha/error.h"

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t run(const uint8_t *data, size_t size, unsigned seed, int stash, int *err)
{
    sekha_sse_parser p;
    sekha__sse_init(&p, 512, 4096);
    uint64_t h = 14695981039346656037ULL;
    size_t pos = 0;
    *err = 0;
    while (pos < size && !*err) {
        size_t n = seed ? 1 + (seed = seed * 1103515245u + 12345u) % 23 : size;
        if (n > size - pos)
            n = size - pos;
        /* a fresh heap copy per window, freed right after: a kept pointer shows up in ASan */
        char *win = malloc(n);
        memcpy(win, data + pos, n);
        sekha__sse_feed(&p, win, n);
        struct sekha_sse_event *ev;
        int k, pulled = 0;
        while ((k = sekha__sse_next(&p, &ev)) == 1) {
            h = mix(h, ev->type, strlen(ev->type) + 1);
            h = mix(h, ev->data, ev->data_len + 1);
            h = mix(h, ev->id, strlen(ev->id) + 1);
            h = mix(h, &ev->retry_ms, sizeof ev->retry_ms);
            if (stash && ++pulled == 1 && sekha__sse_stash(&p) != 0)
                break;
        }
        if (k < 0)
            *err = k;
        free(win);
        pos += n;
    }
    h = mix(h, err, sizeof *err);
    sekha__sse_free(&p);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned seed = data[0] | 1u;
    int e1, e2, e3;
    uint64_t whole = run(data + 1, size - 1, 0, 0, &e1);
    uint64_t split = run(data + 1, size - 1, seed, 0, &e2);
    uint64_t stashed = run(data + 1, size - 1, seed, 1, &e3);
    /* A limit error may surface at a different point, but never different events before it
     * unless an error happened. */
    if (!e1 && !e2 && whole != split)
        abort();
    if (!e1 && !e3 && whole != stashed)
        abort();
    return 0;
}
