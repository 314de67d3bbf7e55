/* libFuzzer target: every controller result decoder on an arbitrary 2xx body. Each must
 * return a result or a service-layer error (never both, never neither for non-empty
 * decoders), and never crash, whatever the server sends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const sekha__call_spec *const specs[] = {
        &ctl_conversation_call, &ctl_search_results_call, &ctl_fts_call, &ctl_context_call,
        &ctl_count_call, &ctl_summary_call, &ctl_prune_call, &ctl_labels_call,
        &sekha__health_controller_call, &sekha__health_bridge_call, &ctl_metrics_call};
    sekha_response resp = {0};
    resp.status = 200;
    sekha__buf_append(&resp.body, data, size);
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        sekha_error *err = NULL;
        void *res = specs[i]->decode(&resp, NULL, &err);
        if (res && err)
            abort();
        if (err && sekha_error_layer(err) != SEKHA_LAYER_SERVICE && sekha_error_code(err) != SEKHA_E_NOMEM)
            abort();
        if (res)
            specs[i]->free_result(res);
        sekha_error_free(err);
    }
    sekha__buf_free(&resp.body);
    return 0;
}
