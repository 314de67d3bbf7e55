/* The bridge's model registry routes: GET /api/v1/models, GET /api/v1/tasks, POST
 * /api/v1/route and GET /api/v1/health/providers, plus what every route result shares
 * (routes.h). Decoders require what a result cannot exist without and check the type of
 * everything else they read, so a bridge that leaves a field out still answers. */
#include "bridge/routes.h"
#include "core/jwrite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ shared parts */

void *sekha__rbase_new(size_t size, const sekha_response *resp, int want_array,
                       const char *what, sekha_error **err)
{
    cJSON *root = sekha__json_parse(resp, what, err);
    if (!root)
        return NULL;
    size_t len = 0;
    const char *body = sekha_response_body(resp, &len);
    if (want_array ? !cJSON_IsArray(root) : !cJSON_IsObject(root)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        *err = cJSON_IsObject(root) && e && !cJSON_IsNull(e)
                   ? sekha__bridge_service_error(body, len, what)
                   : sekha__json_bad(what, "(body)", want_array ? "an array" : "an object");
        cJSON_Delete(root);
        return NULL;
    }
    const cJSON *e = want_array ? NULL : cJSON_GetObjectItemCaseSensitive(root, "error");
    if (e && !cJSON_IsNull(e)) {
        *err = sekha__bridge_service_error(body, len, what);
        cJSON_Delete(root);
        return NULL;
    }
    sekha__rbase *b = calloc(1, size);
    char *json = malloc(len + 1);
    if (!b || !json) {
        free(b);
        free(json);
        cJSON_Delete(root);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "%s", what);
        return NULL;
    }
    memcpy(json, body, len);
    json[len] = '\0';
    sekha__ref_init(&b->ref);
    b->root = root;
    b->json = json;
    return b;
}

void sekha__rbase_put(sekha__rbase *b)
{
    if (!b || !sekha__ref_put(&b->ref))
        return;
    cJSON_Delete(b->root);
    free(b->json);
    free(b->items);
    free(b->items2);
    free(b);
}

void *sekha__rbase_copy(const sekha__rbase *b)
{
    if (b)
        sekha__ref_get(&b->ref);
    return (void *)b;
}

void sekha__rd_bad(sekha__rd *r, const char *key, const char *expected)
{
    if (r->err)
        return; /* the first problem is the one worth reading */
    char field[256];
    if (r->path && key)
        snprintf(field, sizeof field, "%s.%s", r->path, key);
    else
        snprintf(field, sizeof field, "%s", key ? key : r->path ? r->path : "(body)");
    r->err = sekha__json_bad(r->what, field, expected);
}

/* The member key of obj, NULL when absent or null. */
static const cJSON *member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(v) ? NULL : v;
}

const char *sekha__rd_str(sekha__rd *r, const cJSON *obj, const char *key, int required)
{
    const cJSON *v = member(obj, key);
    if (cJSON_IsString(v))
        return v->valuestring;
    if (v || required)
        sekha__rd_bad(r, key, "a string");
    return NULL;
}

double sekha__rd_num(sekha__rd *r, const cJSON *obj, const char *key, int required)
{
    const cJSON *v = member(obj, key);
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble))
        return v->valuedouble;
    if (v || required)
        sekha__rd_bad(r, key, "a number");
    return -1;
}

long sekha__rd_long(sekha__rd *r, const cJSON *obj, const char *key)
{
    double d = sekha__rd_num(r, obj, key, 0);
    return d < 0 ? -1 : sekha__to_long(d, -1);
}

int sekha__rd_bool(sekha__rd *r, const cJSON *obj, const char *key)
{
    const cJSON *v = member(obj, key);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    if (v)
        sekha__rd_bad(r, key, "a boolean");
    return -1;
}

sekha_request *sekha__route_start(sekha_client *c, const char *method, const char *path,
                                  const sekha_buf *body, int probe, const sekha__call_spec *cs,
                                  sekha__fn cb, void *ud)
{
    char what[96];
    snprintf(what, sizeof what, "bridge %s %s", method, path);
    sekha__spec spec = {
        .service = SEKHA_SERVICE_BRIDGE,
        .method = method,
        .path = path,
        .content_type = body ? "application/json" : NULL,
        .accept = "application/json",
        .body = body ? body->data : NULL,
        .body_len = body ? body->len : 0,
        /* nothing here changes the bridge; a probe reports the state at the time of asking */
        .flags = probe ? SEKHA_HTTP_NO_RETRY : SEKHA_HTTP_IDEMPOTENT,
        .what = what,
    };
    return sekha__call(c, &spec, cs, NULL, NULL, cb, ud);
}

int sekha__route_put_str(sekha_buf *b, const char *key, const char *value)
{
    int rc = sekha__buf_puts(b, b->len > 1 ? ",\"" : "\"");
    rc |= sekha__buf_puts(b, key);
    rc |= sekha__buf_puts(b, "\":");
    return rc | sekha__jw_string(b, value);
}

#define NOMEM(what) sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "%s", what)

/* ------------------------------------------------------------------------ models */

struct sekha_model {
    const char *id, *provider, *task;
    long context_window, dimension;
    int vision, audio;
};

struct sekha_models {
    sekha__rbase b; /* items: the sekha_model array */
    size_t n;
};

static void *decode_models(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha__rd r = {"bridge models", NULL, NULL};
    sekha_models *m = sekha__rbase_new(sizeof *m, resp, 1, r.what, err);
    if (!m)
        return NULL;
    size_t n = (size_t)cJSON_GetArraySize(m->b.root);
    sekha_model *items = n ? calloc(n, sizeof *items) : NULL;
    if (n && !items) {
        sekha__rbase_put(&m->b);
        *err = NOMEM(r.what);
        return NULL;
    }
    m->b.items = items;
    char path[32];
    r.path = path;
    const cJSON *it;
    cJSON_ArrayForEach(it, m->b.root) {
        sekha_model *x = &items[m->n];
        snprintf(path, sizeof path, "[%zu]", m->n);
        if (!cJSON_IsObject(it)) {
            sekha__rd_bad(&r, NULL, "an object");
            break;
        }
        x->id = sekha__rd_str(&r, it, "model_id", 1);
        x->provider = sekha__rd_str(&r, it, "provider_id", 0);
        x->task = sekha__rd_str(&r, it, "task", 0);
        x->context_window = sekha__rd_long(&r, it, "context_window");
        x->dimension = sekha__rd_long(&r, it, "dimension");
        x->vision = sekha__rd_bool(&r, it, "supports_vision");
        x->audio = sekha__rd_bool(&r, it, "supports_audio");
        if (r.err)
            break;
        m->n++;
    }
    if (r.err) {
        sekha__rbase_put(&m->b);
        *err = r.err;
        return NULL;
    }
    return m;
}

static void deliver_models(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res,
                           void *ud)
{
    ((sekha_models_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__route_models_call = {
    decode_models, (void (*)(void *))sekha_models_free, deliver_models};

sekha_request *sekha_bridge_models(sekha_client *c, const sekha_params *params,
                                   sekha_models_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_bridge_models", (const sekha_param[]){0});
    if (e)
        return sekha__call_fail(c, NULL, &sekha__route_models_call, e, (sekha__fn)cb, ud);
    return sekha__route_start(c, "GET", "/api/v1/models", NULL, 0, &sekha__route_models_call,
                              (sekha__fn)cb, ud);
}

SEKHA__SYNC_CB(models_sync_cb, sekha_models, sekha_models_copy)

sekha_code sekha_bridge_models_sync(sekha_client *c, const sekha_params *params,
                                    sekha_models **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_bridge_models(c, params, models_sync_cb, SEKHA__SYNC_SLOT), out,
                       sekha_models_free, err);
}

size_t sekha_models_count(const sekha_models *m) { return m ? m->n : 0; }

const sekha_model *sekha_models_at(const sekha_models *m, size_t i)
{
    return m && i < m->n ? (const sekha_model *)m->b.items + i : NULL;
}

const char *sekha_models_json(const sekha_models *m) { return m ? m->b.json : NULL; }
sekha_models *sekha_models_copy(const sekha_models *m)
{
    return m ? sekha__rbase_copy(&m->b) : NULL;
}
void sekha_models_free(sekha_models *m)
{
    if (m)
        sekha__rbase_put(&m->b);
}

const char *sekha_model_id(const sekha_model *m) { return m ? m->id : NULL; }
const char *sekha_model_provider(const sekha_model *m) { return m ? m->provider : NULL; }
const char *sekha_model_task(const sekha_model *m) { return m ? m->task : NULL; }
long sekha_model_context_window(const sekha_model *m) { return m ? m->context_window : -1; }
long sekha_model_dimension(const sekha_model *m) { return m ? m->dimension : -1; }
int sekha_model_supports_vision(const sekha_model *m) { return m ? m->vision : -1; }
int sekha_model_supports_audio(const sekha_model *m) { return m ? m->audio : -1; }

/* ------------------------------------------------------------------------- tasks */

struct sekha_tasks {
    sekha__rbase b; /* items: the names */
    size_t n;
};

static void *decode_tasks(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    const char *what = "bridge tasks";
    sekha_tasks *t = sekha__rbase_new(sizeof *t, resp, 1, what, err);
    if (!t)
        return NULL;
    size_t n = (size_t)cJSON_GetArraySize(t->b.root);
    const char **names = n ? calloc(n, sizeof *names) : NULL;
    if (n && !names) {
        sekha__rbase_put(&t->b);
        *err = NOMEM(what);
        return NULL;
    }
    t->b.items = (void *)names;
    const cJSON *it;
    cJSON_ArrayForEach(it, t->b.root) {
        if (!cJSON_IsString(it)) {
            char field[32];
            snprintf(field, sizeof field, "[%zu]", t->n);
            *err = sekha__json_bad(what, field, "a string");
            sekha__rbase_put(&t->b);
            return NULL;
        }
        names[t->n++] = it->valuestring;
    }
    return t;
}

static void deliver_tasks(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res,
                          void *ud)
{
    ((sekha_tasks_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__route_tasks_call = {
    decode_tasks, (void (*)(void *))sekha_tasks_free, deliver_tasks};

sekha_request *sekha_bridge_tasks(sekha_client *c, const sekha_params *params,
                                  sekha_tasks_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_bridge_tasks", (const sekha_param[]){0});
    if (e)
        return sekha__call_fail(c, NULL, &sekha__route_tasks_call, e, (sekha__fn)cb, ud);
    return sekha__route_start(c, "GET", "/api/v1/tasks", NULL, 0, &sekha__route_tasks_call, (sekha__fn)cb,
                              ud);
}

SEKHA__SYNC_CB(tasks_sync_cb, sekha_tasks, sekha_tasks_copy)

sekha_code sekha_bridge_tasks_sync(sekha_client *c, const sekha_params *params,
                                   sekha_tasks **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_bridge_tasks(c, params, tasks_sync_cb, SEKHA__SYNC_SLOT), out,
                       sekha_tasks_free, err);
}

size_t sekha_tasks_count(const sekha_tasks *t) { return t ? t->n : 0; }
const char *sekha_tasks_at(const sekha_tasks *t, size_t i)
{
    return t && i < t->n ? ((const char **)t->b.items)[i] : NULL;
}
const char *sekha_tasks_json(const sekha_tasks *t) { return t ? t->b.json : NULL; }
sekha_tasks *sekha_tasks_copy(const sekha_tasks *t) { return t ? sekha__rbase_copy(&t->b) : NULL; }
void sekha_tasks_free(sekha_tasks *t)
{
    if (t)
        sekha__rbase_put(&t->b);
}

/* ------------------------------------------------------------------------- route */

struct sekha_route {
    sekha__rbase b;
    const char *provider, *model, *provider_type, *reason;
    double cost;
};

static void *decode_route(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha__rd r = {"bridge route", NULL, NULL};
    sekha_route *x = sekha__rbase_new(sizeof *x, resp, 0, r.what, err);
    if (!x)
        return NULL;
    const cJSON *o = x->b.root;
    x->provider = sekha__rd_str(&r, o, "provider_id", 1);
    x->model = sekha__rd_str(&r, o, "model_id", 1);
    x->provider_type = sekha__rd_str(&r, o, "provider_type", 0);
    x->reason = sekha__rd_str(&r, o, "reason", 0);
    x->cost = sekha__rd_num(&r, o, "estimated_cost", 0);
    if (r.err) {
        sekha__rbase_put(&x->b);
        *err = r.err;
        return NULL;
    }
    return x;
}

static void deliver_route(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res,
                          void *ud)
{
    ((sekha_route_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__route_route_call = {
    decode_route, (void (*)(void *))sekha_route_free, deliver_route};

static int route_body(sekha_buf *b, const char *task, const sekha_params *p)
{
    int64_t vision = 0, ctx = 0;
    double cost = 0;
    const char *model = sekha__params_text(p, SEKHA_PARAM_MODEL);
    int rc = sekha__buf_puts(b, "{");
    rc |= sekha__route_put_str(b, "task", task);
    if (model && *model)
        rc |= sekha__route_put_str(b, "preferred_model", model);
    if (sekha__params_int(p, SEKHA_PARAM_REQUIRE_VISION, &vision))
        rc |= sekha__buf_puts(b, vision ? ",\"require_vision\":true" : ",\"require_vision\":false");
    if (sekha__params_real(p, SEKHA_PARAM_MAX_COST, &cost)) {
        rc |= sekha__buf_puts(b, ",\"max_cost\":");
        rc |= sekha__jw_double(b, cost);
    }
    if (sekha__params_int(p, SEKHA_PARAM_CONTEXT_SIZE, &ctx)) {
        rc |= sekha__buf_puts(b, ",\"context_size\":");
        rc |= sekha__jw_long(b, (long)ctx);
    }
    return rc | sekha__buf_puts(b, "}");
}

sekha_request *sekha_bridge_route(sekha_client *c, const char *task, const sekha_params *params,
                                  sekha_route_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_bridge_route",
                                 (const sekha_param[]){SEKHA_PARAM_MODEL,
                                                       SEKHA_PARAM_REQUIRE_VISION,
                                                       SEKHA_PARAM_MAX_COST,
                                                       SEKHA_PARAM_CONTEXT_SIZE, 0});
    if (!e && (!task || !*task || !sekha__utf8_valid(task, strlen(task))))
        e = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                             "sekha_bridge_route: task must be a non-empty UTF-8 text");
    sekha_buf *body = sekha__client_scratch(c); /* the core copies the body */
    if (!e && route_body(body, task, params) != 0)
        e = NOMEM("request body");
    if (e)
        return sekha__call_fail(c, NULL, &sekha__route_route_call, e, (sekha__fn)cb, ud);
    return sekha__route_start(c, "POST", "/api/v1/route", body, 0, &sekha__route_route_call, (sekha__fn)cb,
                              ud);
}

SEKHA__SYNC_CB(route_sync_cb, sekha_route, sekha_route_copy)

sekha_code sekha_bridge_route_sync(sekha_client *c, const char *task, const sekha_params *params,
                                   sekha_route **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_bridge_route(c, task, params, route_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_route_free, err);
}

const char *sekha_route_provider(const sekha_route *r) { return r ? r->provider : NULL; }
const char *sekha_route_model(const sekha_route *r) { return r ? r->model : NULL; }
const char *sekha_route_provider_type(const sekha_route *r) { return r ? r->provider_type : NULL; }
const char *sekha_route_reason(const sekha_route *r) { return r ? r->reason : NULL; }
double sekha_route_estimated_cost(const sekha_route *r) { return r ? r->cost : -1; }
const char *sekha_route_json(const sekha_route *r) { return r ? r->b.json : NULL; }
sekha_route *sekha_route_copy(const sekha_route *r) { return r ? sekha__rbase_copy(&r->b) : NULL; }
void sekha_route_free(sekha_route *r)
{
    if (r)
        sekha__rbase_put(&r->b);
}

/* -------------------------------------------------------------- provider health */

struct sekha_provider {
    const char *id, *type, *state, *last_failure;
    long models, failures;
};

struct sekha_providers {
    sekha__rbase b; /* items: the sekha_provider array */
    size_t n;
    long healthy, total_models;
};

/* {provider_type, circuit_breaker: {state, failure_count, last_failure, ...},
 * models_count}; the flat form {status, circuit_breaker_state, last_failure} of the
 * bridge's ProviderHealth model is read too. */
static void read_provider(sekha__rd *r, const cJSON *o, sekha_provider *x)
{
    x->type = sekha__rd_str(r, o, "provider_type", 0);
    x->models = sekha__rd_long(r, o, "models_count");
    const cJSON *cb = member(o, "circuit_breaker");
    if (cb && !cJSON_IsObject(cb)) {
        sekha__rd_bad(r, "circuit_breaker", "an object");
        return;
    }
    const cJSON *from = cb ? cb : o;
    x->state = sekha__rd_str(r, from, cb ? "state" : "circuit_breaker_state", 0);
    x->failures = sekha__rd_long(r, from, "failure_count");
    x->last_failure = sekha__rd_str(r, from, "last_failure", 0);
}

static void *decode_providers(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha__rd r = {"bridge provider health", NULL, NULL};
    sekha_providers *p = sekha__rbase_new(sizeof *p, resp, 0, r.what, err);
    if (!p)
        return NULL;
    const cJSON *all = member(p->b.root, "providers");
    if (!cJSON_IsObject(all)) {
        sekha__rd_bad(&r, "providers", "an object");
        sekha__rbase_put(&p->b);
        *err = r.err;
        return NULL;
    }
    p->healthy = sekha__rd_long(&r, p->b.root, "healthy_providers");
    p->total_models = sekha__rd_long(&r, p->b.root, "total_models");
    size_t n = (size_t)cJSON_GetArraySize(all);
    sekha_provider *items = n ? calloc(n, sizeof *items) : NULL;
    if (n && !items) {
        sekha__rbase_put(&p->b);
        *err = NOMEM(r.what);
        return NULL;
    }
    p->b.items = items;
    char path[160];
    r.path = path;
    const cJSON *it;
    cJSON_ArrayForEach(it, all) {
        snprintf(path, sizeof path, "providers.%.140s", it->string ? it->string : "");
        if (!cJSON_IsObject(it)) {
            sekha__rd_bad(&r, NULL, "an object");
            break;
        }
        items[p->n].id = it->string;
        read_provider(&r, it, &items[p->n]);
        if (r.err)
            break;
        p->n++;
    }
    if (r.err) {
        sekha__rbase_put(&p->b);
        *err = r.err;
        return NULL;
    }
    return p;
}

static void deliver_providers(sekha__fn cb, sekha_request *req, const sekha_error *err,
                              void *res, void *ud)
{
    ((sekha_providers_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__route_providers_call = {
    decode_providers, (void (*)(void *))sekha_providers_free, deliver_providers};

sekha_request *sekha_bridge_providers(sekha_client *c, const sekha_params *params,
                                      sekha_providers_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_bridge_providers", (const sekha_param[]){0});
    if (e)
        return sekha__call_fail(c, NULL, &sekha__route_providers_call, e, (sekha__fn)cb, ud);
    return sekha__route_start(c, "GET", "/api/v1/health/providers", NULL, 1, &sekha__route_providers_call,
                              (sekha__fn)cb, ud);
}

SEKHA__SYNC_CB(providers_sync_cb, sekha_providers, sekha_providers_copy)

sekha_code sekha_bridge_providers_sync(sekha_client *c, const sekha_params *params,
                                       sekha_providers **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_bridge_providers(c, params, providers_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_providers_free, err);
}

size_t sekha_providers_count(const sekha_providers *p) { return p ? p->n : 0; }
const sekha_provider *sekha_providers_at(const sekha_providers *p, size_t i)
{
    return p && i < p->n ? (const sekha_provider *)p->b.items + i : NULL;
}
long sekha_providers_healthy(const sekha_providers *p) { return p ? p->healthy : -1; }
long sekha_providers_total_models(const sekha_providers *p) { return p ? p->total_models : -1; }
const char *sekha_providers_json(const sekha_providers *p) { return p ? p->b.json : NULL; }
sekha_providers *sekha_providers_copy(const sekha_providers *p)
{
    return p ? sekha__rbase_copy(&p->b) : NULL;
}
void sekha_providers_free(sekha_providers *p)
{
    if (p)
        sekha__rbase_put(&p->b);
}

const char *sekha_provider_id(const sekha_provider *p) { return p ? p->id : NULL; }
const char *sekha_provider_type(const sekha_provider *p) { return p ? p->type : NULL; }
const char *sekha_provider_state(const sekha_provider *p) { return p ? p->state : NULL; }
long sekha_provider_models_count(const sekha_provider *p) { return p ? p->models : -1; }
long sekha_provider_failure_count(const sekha_provider *p) { return p ? p->failures : -1; }
const char *sekha_provider_last_failure(const sekha_provider *p)
{
    return p ? p->last_failure : NULL;
}
