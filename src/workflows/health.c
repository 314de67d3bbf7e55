/* health_check: the controller, the bridge and MCP probed at the same time, no retries, one
 * deadline for all, and a report per service that never turns one service's failure into
 * a failure of the whole check. */
#include "core/cnum.h"
#include "core/jwrite.h"
#include "shared/shared.h"
#include "workflows/wf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TIMEOUT_MS 5000

typedef struct probe {
    sekha_service_status status;
    double started_ms, latency_ms;
    char *detail;
    sekha_error *err;
    sekha_request *req;   /* while the probe is pending */
    int timed_out;        /* cancelled by the deadline */
} probe;

/* Complete, JSON included, before it is handed out: never changed after. */
struct sekha_deployment_health {
    sekha__ref ref;
    probe p[SEKHA_SERVICE_COUNT];
    sekha_health *bridge; /* the bridge's report, for its providers (NULL: none) */
    char *json;
};

typedef struct health_wf {
    wf base;
    long timeout_ms;
    int pending;
    sekha_deployment_health *h;
} health_wf;

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

sekha_deployment_health *sekha_deployment_health_copy(const sekha_deployment_health *h)
{
    if (h)
        sekha__ref_get(&h->ref);
    return (sekha_deployment_health *)h;
}

void sekha_deployment_health_free(sekha_deployment_health *h)
{
    if (!h || !sekha__ref_put(&h->ref))
        return;
    for (int i = 0; i < SEKHA_SERVICE_COUNT; i++) {
        free(h->p[i].detail);
        sekha_error_free(h->p[i].err);
    }
    sekha_health_free(h->bridge);
    free(h->json);
    free(h);
}

static const probe *probe_of(const sekha_deployment_health *h, sekha_service svc)
{
    return h && (int)svc >= 0 && (int)svc < SEKHA_SERVICE_COUNT ? &h->p[svc] : NULL;
}

sekha_service_status sekha_deployment_health_overall(const sekha_deployment_health *h)
{
    sekha_service_status worst = h ? SEKHA_STATUS_HEALTHY : SEKHA_STATUS_UNREACHABLE;
    for (int i = 0; h && i < SEKHA_SERVICE_COUNT; i++)
        if (h->p[i].status > worst)
            worst = h->p[i].status;
    return worst;
}

sekha_service_status sekha_deployment_health_status(const sekha_deployment_health *h,
                                                    sekha_service svc)
{
    const probe *p = probe_of(h, svc);
    return p ? p->status : SEKHA_STATUS_UNREACHABLE;
}

double sekha_deployment_health_latency_ms(const sekha_deployment_health *h, sekha_service svc)
{
    const probe *p = probe_of(h, svc);
    return p ? p->latency_ms : 0;
}

const char *sekha_deployment_health_detail(const sekha_deployment_health *h, sekha_service svc)
{
    const probe *p = probe_of(h, svc);
    return p && p->detail ? p->detail : "";
}

const sekha_error *sekha_deployment_health_error(const sekha_deployment_health *h,
                                                 sekha_service svc)
{
    const probe *p = probe_of(h, svc);
    return p ? p->err : NULL;
}

const char *sekha_deployment_health_json(const sekha_deployment_health *h)
{
    return h ? h->json : NULL;
}

/* ---- the report ---- */

/* Records the outcome of probe svc; detail is printf-style. */
static void record(health_wf *hw, sekha_service svc, sekha_service_status status,
                   const sekha_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void record(health_wf *hw, sekha_service svc, sekha_service_status status,
                   const sekha_error *err, const char *fmt, ...)
{
    probe *p = &hw->h->p[svc];
    p->req = NULL;
    p->status = status;
    p->latency_ms = p->timed_out ? (double)hw->timeout_ms : mono_ms() - p->started_ms;
    if (p->timed_out) {
        p->err = sekha__error_new(SEKHA_E_TIMEOUT, SEKHA_LAYER_TRANSPORT,
                                  "no answer within %ld ms", hw->timeout_ms);
        sekha__error_compose(p->err, "health check");
    } else if (err) {
        p->err = sekha_error_copy(err);
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    sekha__vsnprintf_c(line, sizeof line, fmt, ap); /* numbers as the report's JSON has them */
    va_end(ap);
    /* Server text need not be UTF-8 and the cut may split a character; the detail goes
     * into the JSON report. NULL on no memory reads as "". */
    p->detail = sekha__utf8_repair(line);
}

/* A probe that got no 2xx: no answer at all means unreachable, any answer unhealthy. */
static void record_failure(health_wf *hw, sekha_service svc, const sekha_error *err,
                           const char *hint)
{
    if (hw->h->p[svc].timed_out) {
        record(hw, svc, SEKHA_STATUS_UNREACHABLE, NULL, "no answer within %ld ms",
               hw->timeout_ms);
        return;
    }
    const char *said = sekha_error_service_message(err);
    int status = sekha_error_http_status(err);
    if (sekha_error_layer(err) == SEKHA_LAYER_TRANSPORT)
        record(hw, svc, SEKHA_STATUS_UNREACHABLE, err, "%s%s%s",
               sekha_strerror(sekha_error_code(err)), said ? ": " : "", said ? said : "");
    else if (status)
        record(hw, svc, SEKHA_STATUS_UNHEALTHY, err, "HTTP %d%s%s%s", status,
               said && *said ? ": " : "", said && *said ? said : "", hint ? hint : "");
    else
        record(hw, svc, SEKHA_STATUS_UNHEALTHY, err, "%s", sekha_error_message(err));
}

static cJSON *body_json(const sekha_response *resp)
{
    size_t len = 0;
    const char *body = sekha_response_body(resp, &len);
    return len ? cJSON_ParseWithLength(body, len) : NULL;
}

/* GET /health of the controller: {status, checks:{name:{status}}} (January) or
 * {status, version} (February); an unhealthy January controller answers 503. The report
 * is read by the same decoder, with the same verdict rule, as sekha_controller_health(). */
static void judge_controller(health_wf *hw, const sekha_response *resp)
{
    sekha_error *e = NULL;
    sekha_health *h = sekha__health_controller_call.decode(resp, NULL, &e);
    if (!h) {
        record(hw, SEKHA_SERVICE_CONTROLLER, SEKHA_STATUS_DEGRADED, NULL,
               "answered HTTP %d without a health report", sekha_response_status(resp));
        sekha_error_free(e);
        return;
    }
    sekha_service_status st = sekha_health_status(h);
    sekha_buf d = {0};
    for (size_t i = 0; i < sekha_health_check_count(h); i++) {
        const char *name = sekha_health_check_name(h, i);
        sekha__buf_printf(&d, "%s%s %s", d.len ? ", " : "", name, sekha_health_check(h, name));
    }
    const char *version = sekha_health_version(h);
    if (version)
        sekha__buf_printf(&d, "%sversion %s", d.len ? ", " : "", version);
    if (st != SEKHA_STATUS_HEALTHY && !d.len)
        sekha__buf_printf(&d, "status \"%s\"", sekha_health_status_text(h));
    record(hw, SEKHA_SERVICE_CONTROLLER, st, NULL, "%s", sekha__buf_str(&d));
    sekha__buf_free(&d);
    sekha_health_free(h);
}

/* The MCP tool envelope {success, data, error} of memory_stats. */
static void judge_mcp(health_wf *hw, const sekha_response *resp)
{
    cJSON *root = body_json(resp);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "success");
    const char *error = sekha__json_str(root, "error");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(data, "total_conversations");
    if (cJSON_IsTrue(ok) && cJSON_IsNumber(total))
        record(hw, SEKHA_SERVICE_MCP, SEKHA_STATUS_HEALTHY, NULL, "memory_stats: %.0f conversations",
               total->valuedouble);
    else if (cJSON_IsTrue(ok))
        record(hw, SEKHA_SERVICE_MCP, SEKHA_STATUS_HEALTHY, NULL, "memory_stats answered");
    else if (cJSON_IsBool(ok))
        record(hw, SEKHA_SERVICE_MCP, SEKHA_STATUS_UNHEALTHY, NULL, "memory_stats failed: %s",
               error ? error : "no reason given");
    else
        record(hw, SEKHA_SERVICE_MCP, SEKHA_STATUS_DEGRADED, NULL,
               "answered HTTP %d without the MCP tool envelope", sekha_response_status(resp));
    cJSON_Delete(root);
}

/* ---- the probes ---- */

/* Forgets the probe's child; 1 when its outcome is still wanted. */
static int probe_done(health_wf *hw, sekha_request *req)
{
    return wf_child_done(&hw->base, req, NULL); /* a probe's error is data, not a failure */
}

static void report_when_complete(health_wf *hw);

static void on_bridge(sekha_request *req, const sekha_error *err,
                      const sekha_health *r, void *ud)
{
    health_wf *hw = ud;
    if (probe_done(hw, req)) {
        if (err) {
            record_failure(hw, SEKHA_SERVICE_BRIDGE, err, NULL);
        } else {
            sekha_service_status st = sekha_health_status(r);
            const char *reason = sekha_health_reason(r);
            const char *status = sekha_health_status_text(r);
            sekha_buf d = {0};
            if (reason)
                sekha__buf_puts(&d, reason);
            else
                sekha__buf_printf(&d, "status %s", status ? status : "missing");
            for (size_t i = 0; i < sekha_health_provider_count(r); i++) {
                const char *state = sekha_health_provider_state(r, i);
                sekha__buf_printf(&d, ", provider %s %s", sekha_health_provider_name(r, i),
                                  state ? state : "(state not reported)");
            }
            hw->h->bridge = sekha_health_copy(r);
            record(hw, SEKHA_SERVICE_BRIDGE, st, NULL, "%s", sekha__buf_str(&d));
            sekha__buf_free(&d);
        }
        report_when_complete(hw);
    }
    wf_unref(&hw->base);
}

/* The controller and MCP probes are raw requests: one callback, told apart by handle. */
static void on_raw_probe(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                         void *ud)
{
    health_wf *hw = ud;
    int mcp = req == hw->h->p[SEKHA_SERVICE_MCP].req;
    if (probe_done(hw, req)) {
        const char *hint = NULL;
        if (mcp && sekha_error_code(err) == SEKHA_E_AUTH)
            hint = " (check the MCP key: SEKHA_MCP_API_KEY, or SEKHA_API_KEY)";
        if (mcp && sekha_error_http_status(err) == 404)
            /* The controller answered; it only lacks the tool routes (newer controllers
             * dropped them), so a missing part, not a failing service. */
            record(hw, SEKHA_SERVICE_MCP, SEKHA_STATUS_DEGRADED, err,
                   "HTTP 404: no MCP tool routes here; newer controllers dropped them "
                   "(use the REST API)");
        else if (err)
            record_failure(hw, mcp ? SEKHA_SERVICE_MCP : SEKHA_SERVICE_CONTROLLER, err, hint);
        else if (mcp)
            judge_mcp(hw, resp);
        else
            judge_controller(hw, resp);
        report_when_complete(hw);
    }
    wf_unref(&hw->base);
}

/* The MCP probe. It uses the raw request API on purpose, in this one function, so that it
 * can switch to the MCP sub-client (include/sekha/mcp.h) once that exists: POST
 * /mcp/tools/memory_stats with "{}" (the MCP key falls back to the controller's). */
static sekha_request *start_mcp_probe(sekha_client *c, health_wf *hw)
{
    static const char body[] = "{}";
    sekha_params *p = sekha_params_new();
    sekha_request *r = NULL;
    if (p && sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "application/json") == SEKHA_OK &&
        sekha_params_set_bytes(p, SEKHA_PARAM_BODY, body, sizeof body - 1) == SEKHA_OK &&
        sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_NO_RETRY) == SEKHA_OK)
        r = sekha_http_request(c, SEKHA_SERVICE_MCP, "POST /mcp/tools/memory_stats", p,
                               on_raw_probe, hw);
    sekha_params_free(p); /* read by the call */
    return r;
}

static sekha_request *start_controller_probe(sekha_client *c, health_wf *hw)
{
    static const char *const accept[] = {"Accept: application/json", NULL};
    sekha_params *p = sekha_params_new();
    sekha_request *r = NULL;
    if (p && sekha_params_set_list(p, SEKHA_PARAM_HEADERS, accept) == SEKHA_OK &&
        sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_NO_RETRY) == SEKHA_OK)
        r = sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /health", p, on_raw_probe, hw);
    sekha_params_free(p);
    return r;
}

/* The deadline: every probe still pending is cancelled and reported unreachable. */
static void on_deadline(sekha_request *r)
{
    health_wf *hw = sekha__req(r)->ud;
    if (!wf_running(&hw->base))
        return;
    for (int i = 0; i < SEKHA_SERVICE_COUNT; i++)
        if (hw->h->p[i].req) {
            hw->h->p[i].timed_out = 1;
            sekha_request_cancel(hw->h->p[i].req);
        }
}

/* "providers": [{"provider", "state"}] of the bridge's report, when it names any. */
static void add_providers(cJSON *service, const sekha_health *bridge)
{
    size_t n = sekha_health_provider_count(bridge);
    cJSON *arr = n ? cJSON_AddArrayToObject(service, "providers") : NULL;
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *p = cJSON_CreateObject();
        const char *state = sekha_health_provider_state(bridge, i);
        cJSON_AddStringToObject(p, "provider", sekha_health_provider_name(bridge, i));
        if (state)
            cJSON_AddStringToObject(p, "state", state);
        else
            cJSON_AddNullToObject(p, "state");
        cJSON_AddItemToArray(arr, p);
    }
}

static void build_json(health_wf *hw)
{
    sekha_deployment_health *h = hw->h;
    const sekha_options *o = sekha_client_options(hw->base.client);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "status",
                            sekha_service_status_name(sekha_deployment_health_overall(h)));
    cJSON *arr = cJSON_AddArrayToObject(root, "services");
    for (int i = 0; i < SEKHA_SERVICE_COUNT; i++) {
        const probe *p = &h->p[i];
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "service", sekha_service_name((sekha_service)i));
        cJSON_AddStringToObject(s, "url", sekha_options_get_url(o, (sekha_service)i));
        cJSON_AddStringToObject(s, "status", sekha_service_status_name(p->status));
        cJSON_AddNumberToObject(s, "latency_ms", (double)(long long)(p->latency_ms * 10 + 0.5) / 10);
        cJSON_AddStringToObject(s, "detail", p->detail ? p->detail : "");
        char *msg = p->err ? sekha__utf8_repair(sekha_error_message(p->err)) : NULL;
        if (msg)
            cJSON_AddStringToObject(s, "error", msg);
        else
            cJSON_AddNullToObject(s, "error");
        free(msg);
        if (i == SEKHA_SERVICE_BRIDGE)
            add_providers(s, h->bridge);
        cJSON_AddItemToArray(arr, s);
    }
    /* Written like request bodies: numbers in the "C" locale, strings checked. */
    sekha_buf out = {0};
    h->json = sekha__jw_tree(&out, root, NULL, 0) == 0 ? sekha__buf_steal(&out, NULL) : NULL;
    sekha__buf_free(&out);
    cJSON_Delete(root);
}

static void report_when_complete(health_wf *hw)
{
    if (--hw->pending > 0)
        return;
    build_json(hw);
    if (!hw->h->json)
        wf_fail(&hw->base, SEKHA_E_NOMEM, "the health report");
    else
        wf_end(&hw->base, NULL);
}

/* ---- the workflow ---- */

static void health_deliver(wf *w, sekha_request *req, const sekha_error *err)
{
    health_wf *hw = (health_wf *)w;
    ((sekha_deployment_health_cb)w->cb)(req, err, err ? NULL : hw->h, w->ud);
}

static void health_destroy(wf *w)
{
    sekha_deployment_health_free(((health_wf *)w)->h);
}

static const wf_ops health_ops = {"workflow health_check", health_deliver, health_destroy};

sekha_request *sekha_workflow_health_check(sekha_client *client, const sekha_params *params,
                                           sekha_deployment_health_cb cb, void *userdata)
{
    if (!client)
        return NULL;
    health_wf *hw = calloc(1, sizeof *hw);
    if (!hw)
        return NULL;
    hw->h = calloc(1, sizeof *hw->h);
    if (hw->h)
        sekha__ref_init(&hw->h->ref);
    int64_t timeout_ms = DEFAULT_TIMEOUT_MS; /* the setter keeps it within a day */
    sekha__params_int(params, SEKHA_PARAM_TIMEOUT_MS, &timeout_ms);
    hw->timeout_ms = (long)timeout_ms;
    wf *w = &hw->base;
    sekha_request *req = wf_begin(w, &health_ops, client, (sekha__fn)cb, userdata);
    if (!req || !wf_running(w) ||
        !wf_params_ok(w, params, "sekha_workflow_health_check",
                      (const sekha_param[]){SEKHA_PARAM_TIMEOUT_MS, 0}))
        return req;
    if (!hw->h) {
        wf_fail(w, SEKHA_E_NOMEM, "the health report");
        return req;
    }
    sekha__req(req)->on_timer = on_deadline;
    sekha__loop_arm(sekha__req(req)->loop, &sekha__req(req)->timer, sekha__now_ms() + hw->timeout_ms);
    /* All three are started now and run side by side on the loop. */
    hw->pending = SEKHA_SERVICE_COUNT;
    probe *p = hw->h->p;
    p[0].started_ms = p[1].started_ms = p[2].started_ms = mono_ms();
    WF_CHILD(w, p[SEKHA_SERVICE_CONTROLLER].req = start_controller_probe(client, hw));
    WF_CHILD(w, p[SEKHA_SERVICE_BRIDGE].req = sekha_bridge_health(client, on_bridge, hw));
    WF_CHILD(w, p[SEKHA_SERVICE_MCP].req = start_mcp_probe(client, hw));
    return req;
}

SEKHA__SYNC_CB(health_sync_cb, sekha_deployment_health, sekha_deployment_health_copy)

sekha_code sekha_workflow_health_check_sync(sekha_client *client, const sekha_params *params,
                                            sekha_deployment_health **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        client, sekha_workflow_health_check(client, params, health_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_deployment_health_free, err);
}
