/* libFuzzer target: the streaming chunk decoders, differentially. Whatever the fast
 * scanner (and the template path) accept, the reference cJSON path must accept with the
 * same content, role and finish reason (and no tool calls: the scanner defers those), and
 * the template path must agree with itself. Tool-call fragments the reference path
 * accepts are merged into a completion twice (arguments double, calls stay sorted), and
 * the completion's synthesized JSON must be valid JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/chunk.h"
#include "bridge/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_span(sekha__span a, sekha__span b)
{
    return (!a.p && !b.p) || (a.p && b.p && a.n == b.n && memcmp(a.p, b.p, a.n) == 0);
}

static void merge_twice(const cJSON *calls)
{
    sekha_completion *c = sekha__completion_new();
    if (!c)
        return;
    size_t once[SEKHA__MAX_TOOL_CALLS];
    if (sekha__completion_add_tool_calls(c, calls) == 0) {
        size_t n = sekha_completion_tool_call_count(c);
        for (size_t i = 0; i < n; i++)
            sekha_completion_tool_call_arguments(c, i, &once[i]);
        if (sekha__completion_add_tool_calls(c, calls) == 0) {
            if (sekha_completion_tool_call_count(c) != n)
                abort();
            for (size_t i = 0; i < n; i++) {
                size_t len;
                sekha_completion_tool_call_arguments(c, i, &len);
                if (len != 2 * once[i] || !sekha_completion_tool_call_type(c, i))
                    abort();
                if (i && c->calls[i - 1].index >= c->calls[i].index)
                    abort();
            }
            if (c->tool_bytes != 2 * sekha__tool_calls_size(calls))
                abort();
        }
        const char *json = sekha_completion_json(c);
        cJSON *v = json ? cJSON_Parse(json) : NULL;
        if (json && !v)
            abort();
        cJSON_Delete(v);
    }
    sekha_completion_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a heap copy: reads past the end show up under ASan */
    char *in = malloc(size ? size : 1);
    memcpy(in, data, size);
    sekha_buf fast = {0}, full = {0}, viatpl = {0};
    sekha__chunk_fields ff, rf, tf;
    memset(&ff, 0, sizeof ff);
    memset(&rf, 0, sizeof rf);
    memset(&tf, 0, sizeof tf);
    cJSON *root = NULL;
    sekha__chunk_rc fast_rc = sekha__chunk_scan(in, size, &fast, &ff);
    sekha__chunk_rc full_rc = sekha__chunk_parse_full(in, size, &full, &rf, &root);
    if (fast_rc == SEKHA__CHUNK_OK) {
        if (full_rc != SEKHA__CHUNK_OK || !ff.has_content != !rf.has_content)
            abort();
        /* cJSON stops strings at an escaped NUL: compare up to the first NUL only */
        if (ff.has_content && strcmp(fast.data ? fast.data : "", full.data ? full.data : "") != 0)
            abort();
        if (!same_span(ff.role, rf.role) || !same_span(ff.finish, rf.finish) || rf.tool_calls)
            abort();
    }
    if (full_rc == SEKHA__CHUNK_OK && rf.tool_calls)
        merge_twice(rf.tool_calls);
    /* No check the other way: cJSON accepts input RFC 8259 forbids (raw control
     * characters, bad \u escapes, bytes that are not UTF-8), which the scanner rightly
     * calls invalid. */
    cJSON_Delete(root);
    /* the template path gives the same answers, learning from a first decode */
    sekha__chunk_tpl t = {0};
    cJSON *r1 = NULL, *r2 = NULL;
    sekha__chunk_rc a = sekha__chunk_decode_tpl(&t, in, size, &viatpl, &tf, &r1);
    sekha__buf_clear(&viatpl);
    sekha__chunk_rc b = sekha__chunk_decode_tpl(&t, in, size, &viatpl, &tf, &r2);
    if (a != b)
        abort();
    cJSON_Delete(r1);
    cJSON_Delete(r2);
    sekha__chunk_tpl_free(&t);
    sekha__buf_free(&fast);
    sekha__buf_free(&full);
    sekha__buf_free(&viatpl);
    free(in);
    return 0;
}
