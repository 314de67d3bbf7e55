/* The health report of one service, for the controller and the bridge alike: one type,
 * one decoder, with the verdict rule of each service. */
#include "shared/shared.h"
#include "core/ref.h"

#include <stdlib.h>
#include <string.h>

struct sekha_health {
    sekha__ref ref;
    sekha_service_status verdict;
    cJSON *root;                /* the parsed body, owning every string below */
    const char *status, *version, *timestamp, *reason;
    const char **check_names, **check_status;
    size_t n_checks;
    const cJSON **providers;    /* the members of ollama_status.providers */
    size_t n_providers;
    char *json;
};

static void destroy(sekha_health *h)
{
    cJSON_Delete(h->root);
    free(h->check_names);
    free(h->check_status);
    free(h->providers);
    free(h->json);
    free(h);
}

void sekha_health_free(sekha_health *h)
{
    if (h && sekha__ref_put(&h->ref))
        destroy(h);
}

sekha_health *sekha_health_copy(const sekha_health *h)
{
    if (!h)
        return NULL;
    sekha__ref_get(&h->ref);
    return (sekha_health *)h;
}

static sekha_service_status verdict_of(const char *status)
{
    if (status && strcmp(status, "healthy") == 0)
        return SEKHA_STATUS_HEALTHY;
    if (status && strcmp(status, "degraded") == 0)
        return SEKHA_STATUS_DEGRADED;
    return SEKHA_STATUS_UNHEALTHY;
}

/* "checks": {"name": {"status": "..."}} or {"name": "..."}. */
static int read_checks(sekha_health *h, const cJSON *checks)
{
    int n = cJSON_IsObject(checks) ? cJSON_GetArraySize(checks) : 0;
    if (n <= 0)
        return 0;
    h->check_names = calloc((size_t)n, sizeof *h->check_names);
    h->check_status = calloc((size_t)n, sizeof *h->check_status);
    if (!h->check_names || !h->check_status)
        return -1;
    const cJSON *c;
    cJSON_ArrayForEach(c, checks) {
        const char *s = cJSON_IsString(c) ? c->valuestring : sekha__json_str(c, "status");
        if (!s || !c->string)
            continue;
        h->check_names[h->n_checks] = c->string;
        h->check_status[h->n_checks++] = s;
        if (strcmp(s, "ok") != 0 && strcmp(s, "healthy") != 0 &&
            h->verdict == SEKHA_STATUS_HEALTHY)
            h->verdict = SEKHA_STATUS_DEGRADED;
    }
    return 0;
}

/* The breaker state of a provider entry {provider_type, circuit_breaker: {state}}. */
static const char *provider_state(const cJSON *p)
{
    return sekha__json_str(cJSON_GetObjectItemCaseSensitive(p, "circuit_breaker"), "state");
}

/* ollama_status.providers: {"id": {...}}; anything else names no provider. */
static int read_providers(sekha_health *h, const cJSON *providers)
{
    int n = cJSON_IsObject(providers) ? cJSON_GetArraySize(providers) : 0;
    if (n <= 0)
        return 0;
    if (!(h->providers = calloc((size_t)n, sizeof *h->providers)))
        return -1;
    const cJSON *p;
    cJSON_ArrayForEach(p, providers) {
        if (!p->string)
            continue;
        h->providers[h->n_providers++] = p;
        const char *state = provider_state(p);
        if (state && strcmp(state, "closed") != 0 && h->verdict == SEKHA_STATUS_HEALTHY)
            h->verdict = SEKHA_STATUS_DEGRADED;
    }
    return 0;
}

/* bridge: the bridge's rule (provider check), else the controller's (status required). */
static void *decode(const sekha_response *resp, int bridge, const char *what, sekha_error **err)
{
    cJSON *root = sekha__json_parse(resp, what, err);
    if (!root)
        return NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *err = sekha__json_bad(what, "(body)", "an object");
        return NULL;
    }
    const char *status = sekha__json_str(root, "status");
    if (!status && !bridge) {
        cJSON_Delete(root);
        *err = sekha__json_bad(what, "status", "a string");
        return NULL;
    }
    sekha_health *h = calloc(1, sizeof *h);
    size_t len = 0;
    const char *body = sekha_response_body(resp, &len);
    if (h)
        h->json = malloc(len + 1);
    if (!h || !h->json) {
        free(h);
        cJSON_Delete(root);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "%s", what);
        return NULL;
    }
    sekha__ref_init(&h->ref);
    memcpy(h->json, body, len);
    h->json[len] = '\0';
    h->root = root;
    h->status = status;
    h->verdict = verdict_of(status);
    h->version = sekha__json_str(root, "version");
    h->timestamp = sekha__json_str(root, "timestamp");
    const cJSON *provider = cJSON_GetObjectItemCaseSensitive(root, "ollama_status");
    h->reason = sekha__json_str(provider, "reason");
    if (bridge && cJSON_IsObject(provider)) {
        sekha_service_status w = verdict_of(sekha__json_str(provider, "status"));
        if (w > h->verdict)
            h->verdict = w;
    }
    if (read_checks(h, cJSON_GetObjectItemCaseSensitive(root, "checks")) != 0 ||
        (bridge && read_providers(h, cJSON_GetObjectItemCaseSensitive(provider, "providers")))) {
        destroy(h);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "%s", what);
        return NULL;
    }
    return h;
}

static void *decode_controller(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    return decode(resp, 0, "controller health", err);
}

static void *decode_bridge(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    return decode(resp, 1, "bridge health", err);
}

static void deliver(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res, void *ud)
{
    ((sekha_health_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__health_controller_call = {
    decode_controller, (void (*)(void *))sekha_health_free, deliver};
const sekha__call_spec sekha__health_bridge_call = {
    decode_bridge, (void (*)(void *))sekha_health_free, deliver};

sekha_service_status sekha_health_status(const sekha_health *h)
{
    return h ? h->verdict : SEKHA_STATUS_UNHEALTHY;
}

const char *sekha_health_status_text(const sekha_health *h)
{
    return h ? h->status : NULL;
}

size_t sekha_health_check_count(const sekha_health *h)
{
    return h ? h->n_checks : 0;
}

const char *sekha_health_check_name(const sekha_health *h, size_t i)
{
    return h && i < h->n_checks ? h->check_names[i] : NULL;
}

const char *sekha_health_check(const sekha_health *h, const char *name)
{
    for (size_t i = 0; h && name && i < h->n_checks; i++)
        if (strcmp(h->check_names[i], name) == 0)
            return h->check_status[i];
    return NULL;
}

const char *sekha_health_version(const sekha_health *h)
{
    return h ? h->version : NULL;
}

const char *sekha_health_timestamp(const sekha_health *h)
{
    return h ? h->timestamp : NULL;
}

const char *sekha_health_reason(const sekha_health *h)
{
    return h ? h->reason : NULL;
}

const char *sekha_health_json(const sekha_health *h)
{
    return h ? h->json : NULL;
}

size_t sekha_health_provider_count(const sekha_health *h)
{
    return h ? h->n_providers : 0;
}

const char *sekha_health_provider_name(const sekha_health *h, size_t i)
{
    return h && i < h->n_providers ? h->providers[i]->string : NULL;
}

const char *sekha_health_provider_state(const sekha_health *h, size_t i)
{
    return h && i < h->n_providers ? provider_state(h->providers[i]) : NULL;
}
