/* Embeddings: the Sekha shape (/embed, /api/v1/embed) and the OpenAI shape (/v1/embeddings). */
#include "bridge/internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OPENAI_MAX_INPUTS 2048

struct sekha_embeddings {
    sekha__ref ref;
    float *vec;       /* count * dim floats, vector after vector */
    size_t count, dim;
    char *model;
    long tokens;
    char *json;
};

static sekha_error *bad(const char *why)
{
    return sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "%s", why);
}

/* A NUL-terminated copy of the body (NULL on no memory). */
static char *dup_body(const sekha_response *resp)
{
    size_t len;
    const char *b = sekha_response_body(resp, &len);
    char *s = malloc(len + 1);
    if (s)
        memcpy(s, b, len + 1);
    return s;
}

/* Parses a JSON object answer; a 2xx that carries an "error" member is the service's
 * failure (SEKHA_E_SERVICE). NULL with *err set otherwise. */
static cJSON *parse_reply(const sekha_response *resp, const char *what, sekha_error **err)
{
    cJSON *root = sekha__json_parse(resp, what, err);
    if (root && !cJSON_IsObject(root)) {
        *err = bad("the answer is not a JSON object");
    } else if (root) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        if (!e || cJSON_IsNull(e))
            return root;
        size_t len;
        const char *body = sekha_response_body(resp, &len);
        *err = sekha__bridge_service_error(body, len, NULL);
    }
    cJSON_Delete(root);
    return NULL;
}

/* ---------------------------------------------------------------------- embeddings */

static void destroy(sekha_embeddings *e)
{
    free(e->vec);
    free(e->model);
    free(e->json);
    free(e);
}

void sekha_embeddings_free(sekha_embeddings *e)
{
    if (e && sekha__ref_put(&e->ref))
        destroy(e);
}

sekha_embeddings *sekha_embeddings_copy(const sekha_embeddings *e)
{
    if (!e)
        return NULL;
    sekha__ref_get(&e->ref);
    return (sekha_embeddings *)e;
}

/* Copies one vector into slot i; the first vector fixes the dimension. */
static sekha_error *put_vector(sekha_embeddings *e, size_t i, const cJSON *arr)
{
    if (!cJSON_IsArray(arr))
        return bad("embedding is missing or not an array of numbers");
    size_t dim = (size_t)cJSON_GetArraySize(arr);
    if (dim == 0)
        return bad("embedding is empty");
    if (!e->vec) {
        e->dim = dim;
        if (!(e->vec = calloc(e->count * dim, sizeof *e->vec)))
            return sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "embeddings");
    } else if (dim != e->dim) {
        return bad("embedding vectors differ in length");
    }
    float *out = e->vec + i * dim;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        /* a double beyond float's range would make the cast undefined: treat it as invalid */
        float f = cJSON_IsNumber(v) && fabs(v->valuedouble) <= FLT_MAX ? (float)v->valuedouble : NAN;
        if (!isfinite(f))
            return bad("embedding holds something other than finite float numbers");
        *out++ = f;
    }
    return NULL;
}

static sekha_error *decode_sekha(sekha_embeddings *e, const cJSON *root)
{
    e->count = 1;
    sekha_error *err = put_vector(e, 0, cJSON_GetObjectItemCaseSensitive(root, "embedding"));
    if (err)
        return err;
    const cJSON *dim = cJSON_GetObjectItemCaseSensitive(root, "dimension");
    if (cJSON_IsNumber(dim) && dim->valuedouble != (double)e->dim)
        return bad("dimension does not match the vector's length");
    e->tokens = sekha__to_long(sekha__json_num(root, "tokens_used", -1), -1);
    return NULL;
}

static sekha_error *decode_openai(sekha_embeddings *e, const cJSON *root, size_t n)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!cJSON_IsArray(data) || (size_t)cJSON_GetArraySize(data) != n)
        return bad("data is missing or does not hold one item per input");
    e->count = n;
    unsigned char *filled = calloc(n, 1);
    if (!filled)
        return sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "embeddings");
    sekha_error *err = NULL;
    size_t pos = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, data) {
        /* Items carry their input's index; servers may send them in any order. */
        double idx = sekha__json_num(item, "index", (double)pos);
        if (idx < 0 || idx >= (double)n || idx != floor(idx) || filled[(size_t)idx]) {
            err = bad("data indexes are out of range or repeated");
            break;
        }
        filled[(size_t)idx] = 1;
        if ((err = put_vector(e, (size_t)idx, cJSON_GetObjectItemCaseSensitive(item, "embedding"))))
            break;
        pos++;
    }
    free(filled);
    if (!err)
        e->tokens = sekha__to_long(sekha__json_num(cJSON_GetObjectItemCaseSensitive(root, "usage"),
                                          "prompt_tokens", -1), -1);
    return err;
}

/* What the decoder needs to know, packed into the dctx pointer: inputs << 2 | api. */
static void *decode_embeddings(const sekha_response *resp, void *dctx, sekha_error **err)
{
    uintptr_t packed = (uintptr_t)dctx;
    sekha_embed_api api = (sekha_embed_api)(packed & 3);
    cJSON *root = parse_reply(resp, "bridge embeddings", err);
    if (!root)
        return NULL;
    sekha_embeddings *e = calloc(1, sizeof *e);
    if (!e) {
        cJSON_Delete(root);
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "embeddings");
        return NULL;
    }
    sekha__ref_init(&e->ref);
    *err = api == SEKHA_EMBED_OPENAI ? decode_openai(e, root, (size_t)(packed >> 2))
                                     : decode_sekha(e, root);
    if (!*err && ((sekha__json_str(root, "model") &&
                   !(e->model = strdup(sekha__json_str(root, "model")))) ||
                  !(e->json = dup_body(resp))))
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "embeddings");
    cJSON_Delete(root);
    if (*err) {
        sekha_embeddings_free(e);
        return NULL;
    }
    return e;
}

static void deliver_embeddings(sekha__fn cb, sekha_request *req, const sekha_error *err,
                               void *res, void *ud)
{
    ((sekha_embeddings_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__bridge_embeddings_call = {
    decode_embeddings, (void (*)(void *))sekha_embeddings_free, deliver_embeddings};

static sekha_error *embed_args(const char *const *texts, size_t n, sekha_embed_api api)
{
    if (!texts || n == 0 || (api != SEKHA_EMBED_OPENAI && n != 1) || n > OPENAI_MAX_INPUTS)
        return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                "sekha_bridge_embed: embed takes 1 text (Sekha endpoints) or "
                                "1 to %d texts (SEKHA_EMBED_OPENAI)", OPENAI_MAX_INPUTS);
    for (size_t i = 0; i < n; i++)
        if (!texts[i] || !sekha__utf8_valid(texts[i], strlen(texts[i])))
            return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "sekha_bridge_embed: text %zu is NULL or not valid UTF-8",
                                    i);
    return NULL;
}

static int embed_body(sekha_buf *b, const char *const *texts, size_t n, const char *model,
                      sekha_embed_api api)
{
    int rc;
    if (api == SEKHA_EMBED_OPENAI) {
        rc = sekha__buf_puts(b, "{\"input\":[");
        for (size_t i = 0; i < n; i++) {
            rc |= i ? sekha__buf_puts(b, ",") : 0;
            rc |= sekha__json_put_string(b, texts[i], strlen(texts[i]));
        }
        rc |= sekha__buf_puts(b, "],\"encoding_format\":\"float\"");
    } else {
        rc = sekha__buf_puts(b, "{\"text\":");
        rc |= sekha__json_put_string(b, texts[0], strlen(texts[0]));
    }
    if (model && *model) {
        rc |= sekha__buf_puts(b, ",\"model\":");
        rc |= sekha__json_put_string(b, model, strlen(model));
    }
    return rc | sekha__buf_puts(b, "}");
}

sekha_request *sekha_bridge_embed(sekha_client *c, const char *const *texts, size_t n,
                                  const sekha_params *params, sekha_embeddings_cb cb, void *ud)
{
    static const char *const paths[] = {"/embed", "/api/v1/embed", "/v1/embeddings"};
    static const char *const whats[] = {"bridge POST /embed", "bridge POST /api/v1/embed",
                                        "bridge POST /v1/embeddings"};
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(params, "sekha_bridge_embed",
                                         (const sekha_param[]){SEKHA_PARAM_MODEL,
                                                               SEKHA_PARAM_EMBED_API, 0});
    /* The setters checked the values (the model is UTF-8, the API one of the three). */
    int64_t api = SEKHA_EMBED_SEKHA;
    sekha__params_int(params, SEKHA_PARAM_EMBED_API, &api);
    const char *model = sekha__params_text(params, SEKHA_PARAM_MODEL);
    if (!e)
        e = embed_args(texts, n, (sekha_embed_api)api);
    /* the client's scratch buffer: the core copies the body, so nothing is allocated */
    sekha_buf *body = sekha__client_scratch(c);
    if (!e && embed_body(body, texts, n, model, (sekha_embed_api)api) != 0)
        e = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "request body");
    if (e)
        return sekha__call_fail(c, NULL, &sekha__bridge_embeddings_call, e, (sekha__fn)cb, ud);
    sekha__spec spec = {
        .service = SEKHA_SERVICE_BRIDGE,
        .method = "POST",
        .path = paths[api],
        .content_type = "application/json",
        .accept = "application/json",
        .body = body->data,
        .body_len = body->len,
        .flags = SEKHA_HTTP_IDEMPOTENT, /* no side effects (see bridge.h) */
        .what = whats[api],
    };
    return sekha__call(c, &spec, &sekha__bridge_embeddings_call,
                       (void *)(uintptr_t)(n << 2 | (size_t)api), NULL, (sekha__fn)cb, ud);
}

SEKHA__SYNC_CB(embed_sync_cb, sekha_embeddings, sekha_embeddings_copy)

sekha_code sekha_bridge_embed_sync(sekha_client *c, const char *const *texts, size_t n,
                                   const sekha_params *params, sekha_embeddings **out,
                                   sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_bridge_embed(c, texts, n, params, embed_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_embeddings_free, err);
}

size_t sekha_embeddings_count(const sekha_embeddings *e) { return e ? e->count : 0; }
const char *sekha_embeddings_model(const sekha_embeddings *e) { return e ? e->model : NULL; }
long sekha_embeddings_tokens(const sekha_embeddings *e) { return e ? e->tokens : -1; }
const char *sekha_embeddings_json(const sekha_embeddings *e) { return e ? e->json : NULL; }

const float *sekha_embeddings_vector(const sekha_embeddings *e, size_t i, size_t *dim)
{
    if (dim)
        *dim = e && i < e->count ? e->dim : 0;
    return e && i < e->count ? e->vec + i * e->dim : NULL;
}
