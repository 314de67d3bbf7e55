/* libFuzzer target: decoding a whole chat.completion body (the non-streaming answer and
 * the synthetic chunk of a server that ignores stream:true). */
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
        }
        sekha_error_free(err);
        sekha_completion_free(c);
    }
    free(body);
    return 0;
}
