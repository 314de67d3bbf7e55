/* libFuzzer target: error-body parsing (controller, FastAPI, OpenAI, JSON-RPC, plain
 * text). The resulting message must be bounded and free of control characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int status = size ? 400 + data[0] % 200 : 500;
    sekha_error *e = sekha__error_http(status, -1, (const char *)data, size, "fuzz");
    const char *m = sekha_error_message(e);
    for (const char *p = m; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
    const char *sm = sekha_error_service_message(e);
    if (sm && strlen(sm) > 512)
        abort();
    sekha_error *copy = sekha_error_copy(e);
    sekha_error_free(copy);
    sekha_error_free(e);
    return 0;
}
