/* Decoders of the controller's answers into result objects, and the typed-call specs that
 * pair each decoder with its result's free function and callback type.
 *
 * Tolerant reading: a decoder requires only what its result cannot exist without (an id,
 * the content, a score, the list itself); every other field is optional and reads NULL
 * (-1 for numbers) when absent or null, so a controller that drops a field, or a mock that
 * leaves it out, does not fail every call. Ids are opaque strings (the controller sends
 * UUIDs, other servers and the SDKs' mocks do not). A field of the wrong type is still
 * SEKHA_E_BAD_RESPONSE naming it: that is a different protocol, not a missing detail.
 * Unknown fields are ignored, as serde does on the server. */
#include "controller/ctl.h"

#include <stdlib.h>
#include <string.h>

/* Hands the result over, or frees it and reports the first decoding problem. */
static void *finish(ctl_dec *d, void *result, sekha_error **err)
{
    sekha__jdoc_drop_values(d->doc); /* all is read: give the thread's table back */
    if (!d->err)
        return result;
    ctl_result_release(result);
    *err = d->err;
    return NULL;
}

/* Reads every element of arr (when not NULL) with read_item into a new zeroed array of
 * item_size-byte items in the arena, counting them in *n. NULL when arr is NULL or on no
 * memory. */
static void *read_items(ctl_dec *d, const sekha_jv *arr, const char *name, size_t item_size,
                        void (*read_item)(ctl_dec *d, const sekha_jv *it, void *item), size_t *n)
{
    *n = 0;
    if (!arr)
        return NULL;
    char *items = sekha__jalloc(d->doc, (arr->count ? arr->count : 1) * item_size);
    if (!items) {
        if (!d->err)
            d->err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return NULL;
    }
    for (const sekha_jv *it = sekha__jfirst(d->doc, arr); it; it = sekha__jnext(d->doc, it)) {
        ctl_dec_item(d, name, *n);
        read_item(d, it, items + *n * item_size);
        ++*n;
    }
    return items;
}

/* ---- conversation ---- */

static void *decode_conversation(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha_conversation *cv = ctl_result_new(sizeof *cv, resp, 1, "conversation", err);
    if (!cv)
        return NULL;
    ctl_dec d = {.doc = &cv->base.doc, .what = "conversation"};
    const sekha_jv *o = sekha__jroot(&cv->base.doc);
    if (ctl_need_object(&d, o)) {
        cv->id = ctl_req_str(&d, o, "id");
        cv->label = ctl_opt_str(&d, o, "label");
        cv->folder = ctl_opt_str(&d, o, "folder");
        cv->status = ctl_opt_str(&d, o, "status");
        cv->message_count = ctl_opt_count(&d, o, "message_count");
        cv->created_at = ctl_opt_str(&d, o, "created_at");
    }
    return finish(&d, cv, err);
}

/* ---- search results (list and semantic query) ---- */

static void read_search_result(ctl_dec *d, const sekha_jv *it, void *item)
{
    sekha_search_result *r = item;
    r->conversation_id = ctl_req_str(d, it, "conversation_id");
    r->message_id = ctl_opt_str(d, it, "message_id");
    r->score = ctl_req_num(d, it, "score");
    r->content = ctl_req_str(d, it, "content");
    r->label = ctl_opt_str(d, it, "label");
    r->folder = ctl_opt_str(d, it, "folder");
    r->timestamp = ctl_opt_str(d, it, "timestamp");
    r->metadata = ctl_compact(d, sekha__jget(d->doc, it, "metadata"));
}

static void *decode_search_results(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha_search_results *s = ctl_result_new(sizeof *s, resp, 1, "search results", err);
    if (!s)
        return NULL;
    ctl_dec d = {.doc = &s->base.doc, .what = "search results"};
    const sekha_jv *o = sekha__jroot(&s->base.doc);
    const sekha_jv *arr = ctl_need_object(&d, o) ? ctl_req_array(&d, o, "results") : NULL;
    s->total = ctl_opt_count(&d, o, "total");
    s->page = ctl_opt_count(&d, o, "page");
    s->page_size = ctl_opt_count(&d, o, "page_size");
    s->items = read_items(&d, arr, "results", sizeof *s->items, read_search_result, &s->n);
    return finish(&d, s, err);
}

/* ---- message lists (full-text search and context assembly) ---- */

/* Content sent as parts: the text parts joined with one space, as ctl_flatten_content. */
static const char *flatten_parts(ctl_dec *d, const sekha_jv *parts)
{
    size_t cap = 1;
    for (const sekha_jv *p = sekha__jfirst(d->doc, parts); p; p = sekha__jnext(d->doc, p))
        cap += p->len + 1; /* a part's decoded text is shorter than the part */
    char *out = sekha__jalloc(d->doc, cap), *o = out;
    if (!out) {
        if (!d->err)
            d->err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return "";
    }
    for (const sekha_jv *p = sekha__jfirst(d->doc, parts); p; p = sekha__jnext(d->doc, p)) {
        const char *type = sekha__jstr(d->doc, sekha__jget(d->doc, p, "type"));
        const char *text = sekha__jstr(d->doc, sekha__jget(d->doc, p, "text"));
        if (!type || strcmp(type, "text") != 0 || !text)
            continue;
        if (o != out)
            *o++ = ' ';
        size_t n = strlen(text);
        memcpy(o, text, n);
        o += n;
    }
    *o = '\0';
    return out;
}

static void read_message(ctl_dec *d, const sekha_jv *it, void *item)
{
    sekha_stored_message *m = item;
    m->id = ctl_req_str(d, it, "id");
    m->conversation_id = ctl_opt_str(d, it, "conversation_id");
    m->role = ctl_opt_str(d, it, "role");
    const sekha_jv *content = sekha__jget(d->doc, it, "content");
    if (content && content->type == SEKHA_J_ARRAY) { /* parts, should a server send them */
        m->content = flatten_parts(d, content);
    } else {
        m->content = ctl_req_str(d, it, "content");
    }
    m->timestamp = ctl_opt_str(d, it, "timestamp");
    m->embedding_id = ctl_opt_str(d, it, "embedding_id");
    m->metadata = ctl_compact(d, sekha__jget(d->doc, it, "metadata"));
}

static void read_messages(ctl_dec *d, sekha_stored_messages *l, const sekha_jv *arr,
                          const char *name)
{
    l->items = read_items(d, arr, name, sizeof *l->items, read_message, &l->n);
}

static void *decode_fts(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha_stored_messages *l = ctl_result_new(sizeof *l, resp, 1, "full-text search", err);
    if (!l)
        return NULL;
    ctl_dec d = {.doc = &l->base.doc, .what = "full-text search"};
    const sekha_jv *o = sekha__jroot(&l->base.doc);
    const sekha_jv *arr = ctl_need_object(&d, o) ? ctl_req_array(&d, o, "results") : NULL;
    l->total = ctl_opt_count(&d, o, "total");
    read_messages(&d, l, arr, "results");
    return finish(&d, l, err);
}

/* The real route answers Json<Vec<Message>>; the SDKs' type (and other versions of the
 * stack) wrap it as {"messages":[...]}. Both are accepted. */
static void *decode_context(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha_stored_messages *l = ctl_result_new(sizeof *l, resp, 1, "context", err);
    if (!l)
        return NULL;
    ctl_dec d = {.doc = &l->base.doc, .what = "context"};
    const sekha_jv *o = sekha__jroot(&l->base.doc);
    if (o && o->type == SEKHA_J_ARRAY) {
        read_messages(&d, l, o, "");
    } else if (o && o->type == SEKHA_J_OBJECT) {
        read_messages(&d, l, ctl_req_array(&d, o, "messages"), "messages");
    } else {
        d.err = sekha__error_new(SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE,
                                 "context: expected a JSON array of messages or an object "
                                 "with \"messages\"");
    }
    l->total = (long long)l->n;
    return finish(&d, l, err);
}

/* ---- count ---- */

static void *decode_count(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha_count_result *r = ctl_result_new(sizeof *r, resp, 1, "count", err);
    if (!r)
        return NULL;
    ctl_dec d = {.doc = &r->base.doc, .what = "count"};
    const sekha_jv *o = sekha__jroot(&r->base.doc);
    const sekha_jv *error = sekha__jget(d.doc, o, "error");
    if (ctl_need_object(&d, o) && error && error->type != SEKHA_J_NULL) {
        /* The controller's 200 {"count":0,"error":"..."}: a failure told in-band. */
        sekha_error *e = sekha__error_new(SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE,
                                          "count: the controller reported an error");
        if (e != &sekha__nomem_error) {
            size_t len = 0;
            const char *body = sekha_response_body(resp, &len);
            e->http_status = sekha_response_status(resp);
            sekha__error_parse_body(e, body, len);
        }
        d.err = e;
    }
    r->count = ctl_req_count(&d, o, "count");
    r->label = ctl_opt_str(&d, o, "label");
    r->folder = ctl_opt_str(&d, o, "folder");
    return finish(&d, r, err);
}

/* ---- summary ---- */

static void *decode_summary(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha_summary *s = ctl_result_new(sizeof *s, resp, 1, "summary", err);
    if (!s)
        return NULL;
    ctl_dec d = {.doc = &s->base.doc, .what = "summary"};
    const sekha_jv *o = sekha__jroot(&s->base.doc);
    if (ctl_need_object(&d, o)) {
        s->conversation_id = ctl_opt_str(&d, o, "conversation_id");
        s->level = ctl_opt_str(&d, o, "level");
        s->summary = ctl_req_str(&d, o, "summary");
        s->generated_at = ctl_opt_str(&d, o, "generated_at");
        s->model = ctl_opt_str(&d, o, "model");
    }
    return finish(&d, s, err);
}

/* ---- pruning suggestions ---- */

static void read_prune_suggestion(ctl_dec *d, const sekha_jv *it, void *item)
{
    sekha_prune_suggestion *s = item;
    s->conversation_id = ctl_req_str(d, it, "conversation_id");
    s->label = ctl_opt_str(d, it, "conversation_label");
    s->last_accessed = ctl_opt_str(d, it, "last_accessed");
    s->message_count = ctl_opt_count(d, it, "message_count");
    s->token_estimate = ctl_opt_count(d, it, "token_estimate");
    s->importance = ctl_opt_num(d, it, "importance_score");
    s->preview = ctl_opt_str(d, it, "preview");
    s->recommendation = ctl_opt_str(d, it, "recommendation");
    if (!s->preview)
        s->preview = "";
}

static void *decode_prune(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha_prune_suggestions *p = ctl_result_new(sizeof *p, resp, 1, "prune suggestions", err);
    if (!p)
        return NULL;
    ctl_dec d = {.doc = &p->base.doc, .what = "prune suggestions"};
    const sekha_jv *o = sekha__jroot(&p->base.doc);
    const sekha_jv *arr = ctl_need_object(&d, o) ? ctl_req_array(&d, o, "suggestions") : NULL;
    p->total = ctl_opt_count(&d, o, "total");
    p->items = read_items(&d, arr, "suggestions", sizeof *p->items, read_prune_suggestion, &p->n);
    return finish(&d, p, err);
}

/* ---- label suggestions ---- */

static void read_label_suggestion(ctl_dec *d, const sekha_jv *it, void *item)
{
    sekha_label_suggestion *s = item;
    s->label = ctl_req_str(d, it, "label");
    s->confidence = ctl_opt_num(d, it, "confidence");
    s->is_existing = ctl_opt_bool(d, it, "is_existing");
    s->reason = ctl_opt_str(d, it, "reason");
    if (!s->reason)
        s->reason = "";
}

static void *decode_labels(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    sekha_label_suggestions *l = ctl_result_new(sizeof *l, resp, 1, "label suggestions", err);
    if (!l)
        return NULL;
    ctl_dec d = {.doc = &l->base.doc, .what = "label suggestions"};
    const sekha_jv *o = sekha__jroot(&l->base.doc);
    const sekha_jv *arr = NULL;
    if (ctl_need_object(&d, o)) {
        l->conversation_id = ctl_opt_str(&d, o, "conversation_id");
        arr = ctl_req_array(&d, o, "suggestions");
    }
    l->items = read_items(&d, arr, "suggestions", sizeof *l->items, read_label_suggestion, &l->n);
    return finish(&d, l, err);
}

/* ---- health and metrics ---- */

static void *decode_metrics(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    return ctl_result_new(sizeof(sekha_metrics), resp, 0, "metrics", err);
}

/* ---- the typed-call specs ---- */

#define CTL_DELIVER(name, cb_type, res_type)                                               \
    static void name(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res,  \
                     void *ud)                                                             \
    {                                                                                      \
        ((cb_type)cb)(req, err, (const res_type *)res, ud);                                \
    }

CTL_DELIVER(deliver_conversation, sekha_conversation_cb, sekha_conversation)

/* A create whose messages had content parts: the January controller takes content as a
 * string only and refuses parts with its plain-text 422 (a serde message about "invalid
 * type"), which alone does not tell the caller what to change. */
static void deliver_created_parts(sekha__fn cb, sekha_request *req, const sekha_error *err,
                                  void *res, void *ud)
{
    sekha_request *r = sekha__req(req);
    if (err && r && err == r->err)
        sekha__error_plain_text_only(r->err, r->what);
    ((sekha_conversation_cb)cb)(req, err, (const sekha_conversation *)res, ud);
}
CTL_DELIVER(deliver_search_results, sekha_search_results_cb, sekha_search_results)
CTL_DELIVER(deliver_stored_messages, sekha_stored_messages_cb, sekha_stored_messages)
CTL_DELIVER(deliver_count, sekha_count_cb, sekha_count_result)
CTL_DELIVER(deliver_summary, sekha_summary_cb, sekha_summary)
CTL_DELIVER(deliver_prune, sekha_prune_suggestions_cb, sekha_prune_suggestions)
CTL_DELIVER(deliver_labels, sekha_label_suggestions_cb, sekha_label_suggestions)
CTL_DELIVER(deliver_metrics, sekha_metrics_cb, sekha_metrics)

static void deliver_done(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res,
                         void *ud)
{
    (void)res;
    ((sekha_done_cb)cb)(req, err, ud);
}

const sekha__call_spec ctl_conversation_call = {decode_conversation, ctl_result_release,
                                                deliver_conversation};
const sekha__call_spec ctl_create_parts_call = {decode_conversation, ctl_result_release,
                                                deliver_created_parts};
const sekha__call_spec ctl_search_results_call = {decode_search_results, ctl_result_release,
                                                  deliver_search_results};
const sekha__call_spec ctl_fts_call = {decode_fts, ctl_result_release, deliver_stored_messages};
const sekha__call_spec ctl_context_call = {decode_context, ctl_result_release,
                                           deliver_stored_messages};
const sekha__call_spec ctl_count_call = {decode_count, ctl_result_release, deliver_count};
const sekha__call_spec ctl_summary_call = {decode_summary, ctl_result_release, deliver_summary};
const sekha__call_spec ctl_prune_call = {decode_prune, ctl_result_release, deliver_prune};
const sekha__call_spec ctl_labels_call = {decode_labels, ctl_result_release, deliver_labels};
const sekha__call_spec ctl_metrics_call = {decode_metrics, ctl_result_release, deliver_metrics};
/* Empty-bodied answers: nothing to decode (whatever body a server adds is ignored). */
const sekha__call_spec ctl_done_call = {NULL, NULL, deliver_done};
