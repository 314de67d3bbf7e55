/* libFuzzer target: the remaining typed decoders on an arbitrary 2xx body: the MCP tool
 * envelope {success,data,error} and bridge embeddings (both API shapes, one and several
 * inputs); the health decoders are in fuzz_controller_decoders.c. Each returns a result or a service-layer error, never both. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/internal.h"
#include "mcp/mcp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_with(const sekha__call_spec *cs, const sekha_response *resp, void *dctx)
{
    sekha_error *err = NULL;
    void *res = cs->decode(resp, dctx, &err);
    if (res && err)
        abort();
    if (err && sekha_error_layer(err) != SEKHA_LAYER_SERVICE && sekha_error_code(err) != SEKHA_E_NOMEM)
        abort();
    if (res)
        cs->free_result(res);
    sekha_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sekha_response resp = {0};
    resp.status = 200;
    sekha__buf_append(&resp.body, data, size);
    decode_with(&mcp_envelope_call, &resp, NULL);
    for (uintptr_t api = 0; api < 3; api++)
        for (uintptr_t inputs = 1; inputs <= 3; inputs += 2)
            decode_with(&sekha__bridge_embeddings_call, &resp, (void *)(inputs << 2 | api));
    sekha__buf_free(&resp.body);
    return 0;
}
