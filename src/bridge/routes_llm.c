/* The bridge's memory helpers: POST /api/v1/summarize, /api/v1/extract and /api/v1/score
 * (the same handlers as the unversioned /summarize, /extract, /score). Each is one LLM
 * call on the bridge, with no side effect, so each is an idempotent request. */
#include "bridge/routes.h"
#include "core/jwrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOMEM(what) sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "%s", what)

/* Checks one text argument; NULL or the local error naming it. */
static sekha_error *text_arg(const char *call, const char *name, const char *s)
{
    if (s && sekha__utf8_valid(s, strlen(s)))
        return NULL;
    return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                            "%s: %s is NULL or not valid UTF-8", call, name);
}

/* Appends ,"model":... when the caller named one. */
static int put_model(sekha_buf *b, const sekha_params *p)
{
    const char *model = sekha__params_text(p, SEKHA_PARAM_MODEL);
    return model && *model ? sekha__route_put_str(b, "model", model) : 0;
}

/* The body {"<key>": text, "model"?: ...} of extract and score. */
static sekha_error *one_text_body(sekha_client *c, const char *call, const char *key,
                                  const char *text, const sekha_params *p, sekha_buf **out)
{
    sekha_error *e = sekha__params_check(p, call, (const sekha_param[]){SEKHA_PARAM_MODEL, 0});
    if (!e)
        e = text_arg(call, key, text);
    if (e)
        return e;
    sekha_buf *b = sekha__client_scratch(c); /* the core copies the body */
    int rc = sekha__buf_puts(b, "{");
    rc |= sekha__route_put_str(b, key, text);
    rc |= put_model(b, p);
    if ((rc | sekha__buf_puts(b, "}")) != 0)
        return NOMEM("request body");
    *out = b;
    return NULL;
}

/* ---------------------------------------------------------------------- summaries */

struct sekha_text_summary {
    sekha__rbase b;
    const char *text, *level, *model;
    long tokens, count;
};

static void *decode_summary(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha__rd r = {"bridge summary", NULL, NULL};
    sekha_text_summary *s = sekha__rbase_new(sizeof *s, resp, 0, r.what, err);
    if (!s)
        return NULL;
    const cJSON *o = s->b.root;
    s->text = sekha__rd_str(&r, o, "summary", 1);
    s->level = sekha__rd_str(&r, o, "level", 0);
    s->model = sekha__rd_str(&r, o, "model", 0);
    s->tokens = sekha__rd_long(&r, o, "tokens_used");
    s->count = sekha__rd_long(&r, o, "message_count");
    if (r.err) {
        sekha__rbase_put(&s->b);
        *err = r.err;
        return NULL;
    }
    return s;
}

static void deliver_summary(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res,
                            void *ud)
{
    ((sekha_text_summary_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__route_summary_call = {
    decode_summary, (void (*)(void *))sekha_text_summary_free, deliver_summary};

static sekha_error *summary_body(sekha_client *c, const char *const *texts, size_t n,
                                 const sekha_params *p, sekha_buf **out)
{
    static const char call[] = "sekha_bridge_summarize";
    sekha_error *e = sekha__params_check(p, call,
                                         (const sekha_param[]){SEKHA_PARAM_LEVEL,
                                                               SEKHA_PARAM_MODEL, 0});
    if (e)
        return e;
    if (!texts || n == 0)
        return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                "%s: give at least one text", call);
    for (size_t i = 0; i < n; i++)
        if (!texts[i] || !sekha__utf8_valid(texts[i], strlen(texts[i])))
            return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                    "%s: text %zu is NULL or not valid UTF-8", call, i);
    sekha_buf *b = sekha__client_scratch(c);
    int rc = sekha__buf_puts(b, "{\"messages\":[");
    for (size_t i = 0; i < n; i++) {
        rc |= i ? sekha__buf_puts(b, ",") : 0;
        rc |= sekha__jw_string(b, texts[i]);
    }
    rc |= sekha__buf_puts(b, "]");
    const char *level = sekha__params_text(p, SEKHA_PARAM_LEVEL);
    if (level)
        rc |= sekha__route_put_str(b, "level", level);
    rc |= put_model(b, p);
    if ((rc | sekha__buf_puts(b, "}")) != 0)
        return NOMEM("request body");
    *out = b;
    return NULL;
}

sekha_request *sekha_bridge_summarize(sekha_client *c, const char *const *texts, size_t n,
                                      const sekha_params *params, sekha_text_summary_cb cb,
                                      void *ud)
{
    if (!c)
        return NULL;
    sekha_buf *body = NULL;
    sekha_error *e = summary_body(c, texts, n, params, &body);
    if (e)
        return sekha__call_fail(c, NULL, &sekha__route_summary_call, e, (sekha__fn)cb, ud);
    return sekha__route_start(c, "POST", "/api/v1/summarize", body, 0, &sekha__route_summary_call,
                              (sekha__fn)cb, ud);
}

SEKHA__SYNC_CB(summary_sync_cb, sekha_text_summary, sekha_text_summary_copy)

sekha_code sekha_bridge_summarize_sync(sekha_client *c, const char *const *texts, size_t n,
                                       const sekha_params *params, sekha_text_summary **out,
                                       sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        c, sekha_bridge_summarize(c, texts, n, params, summary_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_text_summary_free, err);
}

const char *sekha_text_summary_text(const sekha_text_summary *s) { return s ? s->text : NULL; }
const char *sekha_text_summary_level(const sekha_text_summary *s) { return s ? s->level : NULL; }
const char *sekha_text_summary_model(const sekha_text_summary *s) { return s ? s->model : NULL; }
long sekha_text_summary_tokens(const sekha_text_summary *s) { return s ? s->tokens : -1; }
long sekha_text_summary_message_count(const sekha_text_summary *s) { return s ? s->count : -1; }
const char *sekha_text_summary_json(const sekha_text_summary *s) { return s ? s->b.json : NULL; }
sekha_text_summary *sekha_text_summary_copy(const sekha_text_summary *s)
{
    return s ? sekha__rbase_copy(&s->b) : NULL;
}
void sekha_text_summary_free(sekha_text_summary *s)
{
    if (s)
        sekha__rbase_put(&s->b);
}

/* ----------------------------------------------------------------------- entities */

typedef struct kind {
    const char *name;
    size_t first, count; /* in the flat array of entity texts */
} kind;

struct sekha_entities {
    sekha__rbase b; /* items: the kinds; items2: every entity text, kind after kind */
    size_t nkinds;
    const char *model;
};

static void *decode_entities(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha__rd r = {"bridge entities", NULL, NULL};
    sekha_entities *x = sekha__rbase_new(sizeof *x, resp, 0, r.what, err);
    if (!x)
        return NULL;
    x->model = sekha__rd_str(&r, x->b.root, "model", 0);
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(x->b.root, "entities");
    if (!r.err && !cJSON_IsObject(all))
        sekha__rd_bad(&r, "entities", "an object of text arrays");
    size_t nk = 0, ne = 0;
    const cJSON *k, *v;
    char path[160];
    r.path = path;
    const cJSON *src = r.err ? NULL : all;
    cJSON_ArrayForEach(k, src) {
        snprintf(path, sizeof path, "entities.%.140s", k->string ? k->string : "");
        if (!cJSON_IsArray(k) && !cJSON_IsNull(k)) {
            sekha__rd_bad(&r, NULL, "an array of texts");
            break;
        }
        nk++;
        cJSON_ArrayForEach(v, k) {
            if (!cJSON_IsString(v)) {
                sekha__rd_bad(&r, NULL, "an array of texts");
                break;
            }
            ne++;
        }
    }
    kind *kinds = nk ? calloc(nk, sizeof *kinds) : NULL;
    const char **texts = ne ? calloc(ne, sizeof *texts) : NULL;
    x->b.items = kinds;
    x->b.items2 = (void *)texts;
    if (!r.err && ((nk && !kinds) || (ne && !texts)))
        r.err = NOMEM(r.what);
    ne = 0;
    src = r.err ? NULL : all;
    cJSON_ArrayForEach(k, src) {
        kind *kd = &kinds[x->nkinds++];
        kd->name = k->string;
        kd->first = ne;
        cJSON_ArrayForEach(v, k)
            texts[ne++] = v->valuestring;
        kd->count = ne - kd->first;
    }
    if (r.err) {
        sekha__rbase_put(&x->b);
        *err = r.err;
        return NULL;
    }
    return x;
}

static void deliver_entities(sekha__fn cb, sekha_request *req, const sekha_error *err,
                             void *res, void *ud)
{
    ((sekha_entities_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__route_entities_call = {
    decode_entities, (void (*)(void *))sekha_entities_free, deliver_entities};

sekha_request *sekha_bridge_extract(sekha_client *c, const char *text,
                                    const sekha_params *params, sekha_entities_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_buf *body = NULL;
    sekha_error *e = one_text_body(c, "sekha_bridge_extract", "text", text, params, &body);
    if (e)
        return sekha__call_fail(c, NULL, &sekha__route_entities_call, e, (sekha__fn)cb, ud);
    return sekha__route_start(c, "POST", "/api/v1/extract", body, 0, &sekha__route_entities_call,
                              (sekha__fn)cb, ud);
}

SEKHA__SYNC_CB(entities_sync_cb, sekha_entities, sekha_entities_copy)

sekha_code sekha_bridge_extract_sync(sekha_client *c, const char *text,
                                     const sekha_params *params, sekha_entities **out,
                                     sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, sekha_bridge_extract(c, text, params, entities_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_entities_free, err);
}

static const kind *kind_at(const sekha_entities *e, size_t i)
{
    return e && i < e->nkinds ? (const kind *)e->b.items + i : NULL;
}

size_t sekha_entities_kind_count(const sekha_entities *e) { return e ? e->nkinds : 0; }
const char *sekha_entities_kind(const sekha_entities *e, size_t i)
{
    const kind *k = kind_at(e, i);
    return k ? k->name : NULL;
}
size_t sekha_entities_count(const sekha_entities *e, size_t i)
{
    const kind *k = kind_at(e, i);
    return k ? k->count : 0;
}
const char *sekha_entities_at(const sekha_entities *e, size_t i, size_t j)
{
    const kind *k = kind_at(e, i);
    return k && j < k->count ? ((const char **)e->b.items2)[k->first + j] : NULL;
}
const char *sekha_entities_model(const sekha_entities *e) { return e ? e->model : NULL; }
const char *sekha_entities_json(const sekha_entities *e) { return e ? e->b.json : NULL; }
sekha_entities *sekha_entities_copy(const sekha_entities *e)
{
    return e ? sekha__rbase_copy(&e->b) : NULL;
}
void sekha_entities_free(sekha_entities *e)
{
    if (e)
        sekha__rbase_put(&e->b);
}

/* ------------------------------------------------------------------ importance */

struct sekha_importance {
    sekha__rbase b;
    double score;
    const char *reasoning, *model;
};

static void *decode_importance(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha__rd r = {"bridge importance score", NULL, NULL};
    sekha_importance *s = sekha__rbase_new(sizeof *s, resp, 0, r.what, err);
    if (!s)
        return NULL;
    s->score = sekha__rd_num(&r, s->b.root, "score", 1);
    s->reasoning = sekha__rd_str(&r, s->b.root, "reasoning", 0);
    s->model = sekha__rd_str(&r, s->b.root, "model", 0);
    if (r.err) {
        sekha__rbase_put(&s->b);
        *err = r.err;
        return NULL;
    }
    return s;
}

static void deliver_importance(sekha__fn cb, sekha_request *req, const sekha_error *err,
                               void *res, void *ud)
{
    ((sekha_importance_cb)cb)(req, err, res, ud);
}

const sekha__call_spec sekha__route_importance_call = {
    decode_importance, (void (*)(void *))sekha_importance_free, deliver_importance};

sekha_request *sekha_bridge_score(sekha_client *c, const char *conversation,
                                  const sekha_params *params, sekha_importance_cb cb, void *ud)
{
    if (!c)
        return NULL;
    sekha_buf *body = NULL;
    sekha_error *e = one_text_body(c, "sekha_bridge_score", "conversation", conversation, params,
                                   &body);
    if (e)
        return sekha__call_fail(c, NULL, &sekha__route_importance_call, e, (sekha__fn)cb, ud);
    return sekha__route_start(c, "POST", "/api/v1/score", body, 0, &sekha__route_importance_call,
                              (sekha__fn)cb, ud);
}

SEKHA__SYNC_CB(importance_sync_cb, sekha_importance, sekha_importance_copy)

sekha_code sekha_bridge_score_sync(sekha_client *c, const char *conversation,
                                   const sekha_params *params, sekha_importance **out,
                                   sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        c, sekha_bridge_score(c, conversation, params, importance_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_importance_free, err);
}

double sekha_importance_score(const sekha_importance *s) { return s ? s->score : -1; }
const char *sekha_importance_reasoning(const sekha_importance *s)
{
    return s ? s->reasoning : NULL;
}
const char *sekha_importance_model(const sekha_importance *s) { return s ? s->model : NULL; }
const char *sekha_importance_json(const sekha_importance *s) { return s ? s->b.json : NULL; }
sekha_importance *sekha_importance_copy(const sekha_importance *s)
{
    return s ? sekha__rbase_copy(&s->b) : NULL;
}
void sekha_importance_free(sekha_importance *s)
{
    if (s)
        sekha__rbase_put(&s->b);
}
