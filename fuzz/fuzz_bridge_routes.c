/* libFuzzer target: the decoders of the bridge's route results (models, tasks, route,
 * provider health, summary, entities, importance) on an arbitrary 2xx body. Each returns a
 * result or a service-layer error, never both, and every accessor of a result is safe. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads everything a result offers, so a pointer into freed or unset memory trips ASan. */
static size_t touch(const char *s)
{
    return s ? strlen(s) : 0;
}

static void read_all(const sekha__call_spec *cs, const void *res)
{
    size_t sum = 0;
    if (cs == &sekha__route_models_call)
        for (size_t i = 0; i < sekha_models_count(res); i++) {
            const sekha_model *m = sekha_models_at(res, i);
            sum += touch(sekha_model_id(m)) + touch(sekha_model_provider(m)) +
                   touch(sekha_model_task(m));
        }
    else if (cs == &sekha__route_tasks_call)
        for (size_t i = 0; i < sekha_tasks_count(res); i++)
            sum += touch(sekha_tasks_at(res, i));
    else if (cs == &sekha__route_route_call)
        sum += touch(sekha_route_provider(res)) + touch(sekha_route_model(res)) +
               touch(sekha_route_reason(res)) + touch(sekha_route_provider_type(res));
    else if (cs == &sekha__route_providers_call)
        for (size_t i = 0; i < sekha_providers_count(res); i++) {
            const sekha_provider *p = sekha_providers_at(res, i);
            sum += touch(sekha_provider_id(p)) + touch(sekha_provider_type(p)) +
                   touch(sekha_provider_state(p)) + touch(sekha_provider_last_failure(p));
        }
    else if (cs == &sekha__route_summary_call)
        sum += touch(sekha_text_summary_text(res)) + touch(sekha_text_summary_level(res));
    else if (cs == &sekha__route_entities_call)
        for (size_t i = 0; i < sekha_entities_kind_count(res); i++) {
            sum += touch(sekha_entities_kind(res, i));
            for (size_t j = 0; j < sekha_entities_count(res, i); j++)
                sum += touch(sekha_entities_at(res, i, j));
        }
    else
        sum += touch(sekha_importance_reasoning(res)) + touch(sekha_importance_model(res));
    if (sum == (size_t)-1)
        abort(); /* keeps the reads */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const sekha__call_spec *const calls[] = {
        &sekha__route_models_call,    &sekha__route_tasks_call,    &sekha__route_route_call,
        &sekha__route_providers_call, &sekha__route_summary_call,  &sekha__route_entities_call,
        &sekha__route_importance_call};
    sekha_response resp = {0};
    resp.status = 200;
    sekha__buf_append(&resp.body, data, size);
    for (size_t k = 0; k < sizeof calls / sizeof *calls; k++) {
        sekha_error *err = NULL;
        void *res = calls[k]->decode(&resp, NULL, &err);
        if (res && err)
            abort();
        if (err && sekha_error_layer(err) != SEKHA_LAYER_SERVICE &&
            sekha_error_code(err) != SEKHA_E_NOMEM)
            abort();
        if (res) {
            read_all(calls[k], res);
            calls[k]->free_result(res);
        }
        sekha_error_free(err);
    }
    sekha__buf_free(&resp.body);
    return 0;
}
