#include "core/call.h"

#include <stdlib.h>
#include <string.h>

typedef struct call_ctx {
    const sekha__call_spec *cs;
    sekha__fn cb;
    void *ud;
    void *dctx;
    void (*dctx_free)(void *);
} call_ctx;

static void call_free(void *p)
{
    call_ctx *x = p;
    if (x->dctx_free)
        x->dctx_free(x->dctx);
    free(x);
}

static void call_done(sekha_request *req, const sekha_error *err, const sekha_response *resp, void *ud)
{
    call_ctx *x = ud;
    void *res = NULL;
    sekha_error *derr = NULL;
    if (!err && x->cs->decode) {
        res = x->cs->decode(resp, x->dctx, &derr);
        if (derr && derr != &sekha__nomem_error) {
            derr->attempts = sekha__req(req)->attempts;
            sekha__error_compose(derr, sekha__req(req)->what);
        }
    }
    const sekha_error *e = err ? err : derr;
    if (x->cb)
        x->cs->deliver(x->cb, req, e, res, x->ud);
    if (res && x->cs->free_result)
        x->cs->free_result(res);
    sekha_error_free(derr);
}

static call_ctx *ctx_new(const sekha__call_spec *cs, void *dctx, void (*dctx_free)(void *),
                         sekha__fn cb, void *ud)
{
    call_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->cs = cs;
    x->cb = cb;
    x->ud = ud;
    x->dctx = dctx;
    x->dctx_free = dctx_free;
    return x;
}

sekha_request *sekha__call(sekha_client *c, const sekha__spec *http, const sekha__call_spec *cs,
                           void *dctx, void (*dctx_free)(void *), sekha__fn cb, void *ud)
{
    if (!c) {
        if (dctx_free)
            dctx_free(dctx);
        return NULL;
    }
    call_ctx *x = ctx_new(cs, dctx, dctx_free, cb, ud);
    if (!x) {
        if (dctx_free)
            dctx_free(dctx);
        return NULL;
    }
    sekha_request *req = sekha__start(c, http, NULL, call_done, x);
    if (!req) {
        call_free(x);
        return NULL;
    }
    sekha__req(req)->sub = x;
    sekha__req(req)->sub_free = call_free;
    return req;
}

sekha_request *sekha__call_fail(sekha_client *c, sekha_request *parent, const sekha__call_spec *cs,
                                sekha_error *err, sekha__fn cb, void *ud)
{
    if (!c) {
        sekha_error_free(err);
        return NULL;
    }
    call_ctx *x = ctx_new(cs, NULL, NULL, cb, ud);
    if (!x) {
        sekha_error_free(err);
        return NULL;
    }
    sekha_request *req = sekha__start_failed(c, parent, err, call_done, x);
    if (!req) {
        free(x);
        return NULL;
    }
    sekha__req(req)->sub = x;
    sekha__req(req)->sub_free = call_free;
    return req;
}

/* ---- JSON helpers ---- */

cJSON *sekha__json_parse(const sekha_response *resp, const char *what, sekha_error **err)
{
    size_t len = 0;
    const char *body = sekha_response_body(resp, &len);
    const char *end = NULL;
    /* The body is NUL-terminated: parsing len + 1 bytes with require_null_terminated
     * rejects anything after the value except whitespace. */
    if (len && !sekha__utf8_valid(body, len)) {
        *err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                "%s: the body is not valid UTF-8", what);
        return NULL;
    }
    cJSON *root = len ? cJSON_ParseWithLengthOpts(body, len + 1, &end, 1) : NULL;
    if (root)
        return root;
    if (!len)
        *err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                "%s: expected a JSON body, got an empty one", what);
    else
        *err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                "%s: the body is not valid JSON (broken at byte %ld of %zu)", what,
                                end ? (long)(end - body) : -1L, len);
    return NULL;
}

sekha_error *sekha__json_bad(const char *what, const char *field, const char *expected)
{
    return sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                            "%s: field \"%s\" is missing or not %s", what, field, expected);
}

const char *sekha__json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double sekha__json_num(const cJSON *obj, const char *key, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

int sekha__json_bool(const cJSON *obj, const char *key, int fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}
