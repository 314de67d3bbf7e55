/* libFuzzer target: decoding a whole chat.completion body (the non-streaming answer and
 * the synthetic chunk of a server that ignores stream:true), with its tool calls: every
 * accessor answers, and a copy holds the same calls. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size + 1);
    memcpy(body, data, size);
    body[size] = '\0';
    sekha_completion *c = sekha__completion_new();
    if (c) {
        sekha_error *err = sekha__completion_from_body(c, body, size, "fuzz");
        if (err && sekha_error_layer(err) != SEKHA_LAYER_SERVICE && sekha_error_code(err) != SEKHA_E_NOMEM)
            abort();
        if (!err) {
            size_t len;
            (void)sekha_completion_content(c, &len);
            (void)sekha_completion_finish_reason(c);
            size_t n = sekha_completion_tool_call_count(c);
            sekha_completion *d = sekha_completion_copy(c);
            if (d && sekha_completion_tool_call_count(d) != n)
                abort();
            for (size_t i = 0; i < n; i++) {
                size_t a, b;
                const char *x = sekha_completion_tool_call_arguments(c, i, &a);
                const char *y = d ? sekha_completion_tool_call_arguments(d, i, &b) : x;
                if (!x || !sekha_completion_tool_call_type(c, i) || (d && (a != b ||
                    memcmp(x, y, a) != 0)))
                    abort();
                (void)sekha_completion_tool_call_id(c, i);
                (void)sekha_completion_tool_call_name(c, i);
            }
            if (sekha_completion_tool_call_arguments(c, n, NULL))
                abort();
            sekha_completion_free(d);
        }
        sekha_error_free(err);
        sekha_completion_free(c);
    }
    free(body);
    return 0;
}
