/* The bridge health check: GET /health and a healthy/degraded/unhealthy verdict. */
#include "bridge/internal.h"

#include <stdlib.h>
#include <string.h>

struct sekha_bridge_health_report {
    sekha_bridge_verdict verdict;
    char *status;
    char *reason;
    char *json;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void sekha_bridge_health_free(sekha_bridge_health_report *h)
{
    if (!h)
        return;
    free(h->status);
    free(h->reason);
    free(h->json);
    free(h);
}

static sekha_bridge_verdict verdict_of(const char *status)
{
    if (status && strcmp(status, "healthy") == 0)
        return SEKHA_BRIDGE_HEALTHY;
    if (status && strcmp(status, "degraded") == 0)
        return SEKHA_BRIDGE_DEGRADED;
    return SEKHA_BRIDGE_UNHEALTHY;
}

static void *decode_health(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    cJSON *root = sekha__bridge_parse_reply(resp, "bridge health", err);
    if (!root)
        return NULL;
    sekha_bridge_health_report *h = calloc(1, sizeof *h);
    const char *status = sekha__json_str(root, "status");
    const cJSON *ollama = cJSON_GetObjectItemCaseSensitive(root, "ollama_status");
    const char *inner = sekha__json_str(ollama, "status");
    const char *reason = sekha__json_str(ollama, "reason");
    if (h) {
        /* The worse of the bridge's own status and its provider check. */
        sekha_bridge_verdict v = verdict_of(status);
        sekha_bridge_verdict w = cJSON_IsObject(ollama) ? verdict_of(inner) : v;
        h->verdict = v > w ? v : w;
        h->status = dup_or_null(status);
        h->reason = dup_or_null(reason);
        h->json = sekha__bridge_dup_body(resp);
    }
    cJSON_Delete(root);
    if (!h || (status && !h->status) || (reason && !h->reason) || !h->json) {
        sekha_bridge_health_free(h);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "health");
        return NULL;
    }
    return h;
}

static void deliver_health(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res,
                           void *ud)
{
    ((sekha_bridge_health_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__bridge_health_call = {
    decode_health, (void (*)(void *))sekha_bridge_health_free, deliver_health};

sekha_request *sekha_bridge_health(sekha_client *c, sekha_bridge_health_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha__spec spec = {
        .service = SEKHA_SERVICE_BRIDGE,
        .method = "GET",
        .path = "/health",
        .accept = "application/json",
        .flags = SEKHA_HTTP_NO_RETRY, /* a probe reports the state at the time of asking */
        .what = "bridge GET /health",
    };
    return sekha__call(c, &spec, &sekha__bridge_health_call, NULL, NULL, (sekha__fn)cb, ud);
}

static sekha_request *health_sync_start(sekha_client *c, void *args, sekha__fn cb, void *ud)
{
    (void)args;
    return sekha_bridge_health(c, (sekha_bridge_health_cb)cb, ud);
}

sekha_code sekha_bridge_health_sync(sekha_client *c, sekha_bridge_health_report **out, sekha_error **err)
{
    return sekha__call_sync(c, health_sync_start, NULL, (void **)out, err);
}

sekha_bridge_verdict sekha_bridge_health_verdict(const sekha_bridge_health_report *h)
{
    return h ? h->verdict : SEKHA_BRIDGE_UNHEALTHY;
}

const char *sekha_bridge_verdict_name(sekha_bridge_verdict v)
{
    switch (v) {
    case SEKHA_BRIDGE_HEALTHY: return "healthy";
    case SEKHA_BRIDGE_DEGRADED: return "degraded";
    default: return "unhealthy";
    }
}

const char *sekha_bridge_health_status(const sekha_bridge_health_report *h)
{
    return h ? h->status : NULL;
}

const char *sekha_bridge_health_reason(const sekha_bridge_health_report *h)
{
    return h ? h->reason : NULL;
}

const char *sekha_bridge_health_json(const sekha_bridge_health_report *h)
{
    return h ? h->json : NULL;
}
