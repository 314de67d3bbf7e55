/* The completion workflows: recall (context assembly or semantic search), place what fits
 * the budget into the prompt, then complete, whole or streamed. */
#include "shared/shared.h"
#include "workflows/wf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET 4000
#define DEFAULT_LIMIT 5
#define LABEL_FETCH_FACTOR 4   /* results fetched per wanted one when filtering by label */
#define MAX_QUERY_LIMIT 4294967295.0

/* Which workflow: recall by context assembly or by search, whole or streamed. */
typedef struct chat_kind {
    int memory, stream;
    const char *call;          /* the public name, for parameter errors */
    const sekha_param *keys;   /* the keys it reads */
} chat_kind;

typedef struct chat_wf {
    wf base;
    int memory, stream;
    char *prompt;
    char **labels;             /* memory workflows: the label filter, NULL = any label */
    size_t budget;
    int64_t limit;
    sekha_params *bridge;      /* the completion stage's keys, NULL = its defaults */
    sekha_answer *answer;
} chat_wf;

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* A deep copy of a NULL-terminated list; *oom is set when it could not be made. */
static char **copy_strv(const char *const *v, int *oom)
{
    if (!v)
        return NULL;
    size_t n = 0;
    while (v[n])
        n++;
    char **d = calloc(n + 1, sizeof *d);
    for (size_t i = 0; d && i < n; i++)
        if (!(d[i] = strdup(v[i]))) {
            free_strv(d);
            d = NULL;
        }
    *oom |= !d;
    return d;
}

/* An answer is due even on failure: it says how far the workflow got. */
static void chat_deliver(wf *w, sekha_request *req, const sekha_error *err)
{
    ((sekha_answer_cb)w->cb)(req, err, ((chat_wf *)w)->answer, w->ud);
}

static void chat_destroy(wf *w)
{
    chat_wf *cw = (chat_wf *)w;
    free(cw->prompt);
    free_strv(cw->labels);
    sekha_params_free(cw->bridge);
    sekha_answer_free(cw->answer);
}

static const wf_ops context_ops = {"workflow complete_with_context", chat_deliver, chat_destroy};
static const wf_ops stream_context_ops = {"workflow stream_with_context", chat_deliver,
                                          chat_destroy};
static const wf_ops memory_ops = {"workflow complete_with_memory", chat_deliver, chat_destroy};
static const wf_ops stream_memory_ops = {"workflow stream_with_memory", chat_deliver,
                                         chat_destroy};

/* ---- the completion stage ---- */

static void on_completion(sekha_request *req, const sekha_error *err, const sekha_completion *c,
                          void *ud)
{
    chat_wf *cw = ud;
    wf *w = &cw->base;
    /* Kept on failure too: a stream's partial text belongs in the answer. */
    sekha_completion *copy = c && w->req ? sekha_completion_copy(c) : NULL;
    if (copy) {
        sekha_completion_free(cw->answer->completion);
        cw->answer->completion = copy;
    }
    if (wf_child_done(w, req, err)) {
        if (c && !copy)
            wf_fail(w, SEKHA_E_NOMEM, "keeping the completion");
        else
            wf_end(w, NULL);
    }
    wf_unref(w);
}

/* Sends the prompt built by the recall stage (prompt_err: why it could not be built). */
static void complete_stage(chat_wf *cw, sekha_error *prompt_err)
{
    wf *w = &cw->base;
    sekha_answer *a = cw->answer;
    if (prompt_err) {
        sekha__error_compose(prompt_err, w->ops->what);
        wf_end(w, prompt_err);
    } else {
        /* The chunk callback, if any, goes straight to the stream with its own userdata. */
        if (cw->stream)
            WF_CHILD(w, sekha_bridge_stream_complete(w->client, a->prompt, cw->bridge,
                                                     on_completion, cw));
        else
            WF_CHILD(w, sekha_bridge_complete(w->client, a->prompt, cw->bridge, on_completion,
                                              cw));
    }
}

static sekha_error *nomem(void)
{
    return sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "packing the memories");
}

/* ---- recall with context assembly ---- */

/* Turns keep the roles a chat can replay; see workflows.h for why others become system. */
static const char *turn_role(const char *role)
{
    if (role && strcmp(role, "user") == 0)
        return "user";
    if (role && strcmp(role, "assistant") == 0)
        return "assistant";
    return "system";
}

/* The conversation label context assembly cites in metadata.citation.label (malloc'd). */
static char *citation_label(const sekha_stored_message *m)
{
    cJSON *meta = cJSON_Parse(sekha_stored_message_metadata_json(m));
    const cJSON *cite = cJSON_GetObjectItemCaseSensitive(meta, "citation");
    const char *label = sekha__json_str(cite, "label");
    char *copy = strdup(label ? label : "");
    cJSON_Delete(meta);
    return copy;
}

static void on_context(sekha_request *req, const sekha_error *err,
                       const sekha_stored_messages *l, void *ud)
{
    chat_wf *cw = ud;
    if (wf_child_done(&cw->base, req, err)) {
        sekha_answer *a = cw->answer;
        a->context = sekha_stored_messages_copy(l);
        wf_packer p;
        wf_packer_init(&p, a, cw->budget);
        int oom = 0;
        for (size_t i = 0; i < sekha_stored_messages_count(l) && !oom; i++) {
            const sekha_stored_message *m = sekha_stored_messages_at(l, i);
            char *label = citation_label(m);
            oom = !label || wf_packer_offer(&p, i, turn_role(sekha_stored_message_role(m)), label,
                                            sekha_stored_message_content(m), 0,
                                            sekha_stored_message_timestamp(m), 0) != 0;
            free(label);
        }
        complete_stage(cw, oom ? nomem() : wf_prompt_context(a, cw->prompt));
    }
    wf_unref(&cw->base);
}

/* ---- recall with semantic search ---- */

static int label_wanted(char **labels, const char *label)
{
    if (!labels)
        return 1;
    for (size_t i = 0; labels[i]; i++)
        if (label && strcmp(labels[i], label) == 0)
            return 1;
    return 0;
}

static void on_results(sekha_request *req, const sekha_error *err,
                       const sekha_search_results *r, void *ud)
{
    chat_wf *cw = ud;
    if (wf_child_done(&cw->base, req, err)) {
        sekha_answer *a = cw->answer;
        a->results = sekha_search_results_copy(r);
        wf_packer p;
        wf_packer_init(&p, a, cw->budget);
        int oom = 0;
        int64_t taken = 0;
        for (size_t i = 0; i < sekha_search_results_count(r) && taken < cw->limit && !oom; i++) {
            const sekha_search_result *it = sekha_search_results_at(r, i);
            const char *label = sekha_search_result_label(it);
            if (!label_wanted(cw->labels, label))
                continue;
            taken++;
            double score = sekha_search_result_score(it);
            size_t overhead = wf_memory_overhead(a->nmem + 1, label ? label : "", score);
            oom = wf_packer_offer(&p, i, "system", label, sekha_search_result_content(it), score,
                                  NULL, overhead) != 0;
        }
        complete_stage(cw, oom ? nomem() : wf_prompt_memory(a, cw->prompt));
    }
    wf_unref(&cw->base);
}

/* ---- starting ---- */

/* The bridge's own message check, run before anything is sent rather than after recall. */
static int sendable(const char *text)
{
    sekha_messages *probe = sekha_messages_new();
    int ok = !probe || sekha_messages_add(probe, "user", text) != SEKHA_E_INVALID_ARG;
    sekha_messages_free(probe);
    return ok;
}

static const wf_ops *ops_of(const chat_kind *k)
{
    if (k->memory)
        return k->stream ? &stream_memory_ops : &memory_ops;
    return k->stream ? &stream_context_ops : &context_ops;
}

/* The keys each stage reads; the rest are the workflow's own. */
static const sekha_param complete_keys[] = {SEKHA_PARAM_MODEL, SEKHA_PARAM_TEMPERATURE,
                                            SEKHA_PARAM_MAX_TOKENS, 0};
static const sekha_param stream_keys[] = {SEKHA_PARAM_MODEL, SEKHA_PARAM_TEMPERATURE,
                                          SEKHA_PARAM_MAX_TOKENS, SEKHA_PARAM_ON_CHUNK, 0};
static const sekha_param assemble_keys[] = {SEKHA_PARAM_PREFERRED_LABELS, SEKHA_PARAM_BUDGET,
                                            SEKHA_PARAM_EXCLUDED_FOLDERS, 0};

/* The search stage's parameters: the number of results to fetch (the workflow's limit,
 * times LABEL_FETCH_FACTOR when filtering by label, within the controller's range). */
static sekha_params *search_params(const chat_wf *cw)
{
    double fetch = (double)cw->limit * (cw->labels ? LABEL_FETCH_FACTOR : 1);
    sekha_params *p = sekha_params_new();
    if (p && sekha_params_set_int(p, SEKHA_PARAM_LIMIT,
                                  fetch > MAX_QUERY_LIMIT ? (int64_t)MAX_QUERY_LIMIT
                                                          : (int64_t)fetch) != SEKHA_OK) {
        sekha_params_free(p);
        p = NULL;
    }
    return p;
}

/* Starts the recall stage, then (from its callback) the completion; every argument is
 * checked first, so a bad one sends nothing. */
static sekha_request *chat_start(sekha_client *c, const char *prompt, const sekha_params *params,
                                 const chat_kind *k, sekha_answer_cb cb, void *ud)
{
    if (!c)
        return NULL;
    chat_wf *cw = calloc(1, sizeof *cw);
    if (!cw)
        return NULL;
    cw->memory = k->memory;
    cw->stream = k->stream;
    cw->prompt = prompt ? strdup(prompt) : NULL;
    cw->answer = calloc(1, sizeof *cw->answer);
    if (cw->answer)
        sekha__ref_init(&cw->answer->ref);
    int oom = (prompt && !cw->prompt) || !cw->answer;
    wf *w = &cw->base;
    sekha_request *req = wf_begin(w, ops_of(k), c, (sekha__fn)cb, ud);
    if (!req || !wf_running(w) || !wf_params_ok(w, params, k->call, k->keys))
        return req;
    int64_t budget = DEFAULT_BUDGET, limit = DEFAULT_LIMIT;
    sekha__params_int(params, SEKHA_PARAM_BUDGET, &budget);
    sekha__params_int(params, SEKHA_PARAM_LIMIT, &limit);
    cw->budget = (uint64_t)budget > SIZE_MAX ? SIZE_MAX : (size_t)budget;
    cw->limit = limit;
    if (k->memory)
        cw->labels = copy_strv(sekha__params_list(params, SEKHA_PARAM_LABELS), &oom);
    cw->bridge = wf_params_pick(params, k->stream ? stream_keys : complete_keys, &oom);
    const char *query = sekha__params_text(params, k->memory ? SEKHA_PARAM_SEARCH_QUERY
                                                             : SEKHA_PARAM_CONTEXT_QUERY);
    if (!query)
        query = prompt;
    sekha_error *bad = NULL;
    if (oom) {
        wf_fail(w, SEKHA_E_NOMEM, "copying the arguments");
    } else if (!prompt || !*prompt) {
        wf_fail(w, SEKHA_E_INVALID_ARG, "prompt must be a non-empty string");
    } else if (!sendable(prompt)) {
        wf_fail(w, SEKHA_E_INVALID_ARG, "prompt must be valid UTF-8");
    } else if ((bad = sekha__params_check_temperature(params, k->call))) {
        wf_end(w, bad); /* the message already names the call */
    } else {
        /* The recall call checks the query (non-blank) and its own keys. */
        sekha_params *rp = k->memory ? search_params(cw)
                                     : wf_params_pick(params, assemble_keys, &oom);
        if (oom || (k->memory && !rp))
            wf_fail(w, SEKHA_E_NOMEM, "copying the arguments");
        else if (k->memory)
            WF_CHILD(w, sekha_controller_query(c, query, rp, on_results, cw));
        else
            WF_CHILD(w, sekha_controller_assemble_context(c, query, rp, on_context, cw));
        sekha_params_free(rp); /* read by the call */
    }
    return req;
}

/* ---- the public forms ---- */

static const chat_kind complete_context = {
    0, 0, "sekha_workflow_complete_with_context",
    (const sekha_param[]){SEKHA_PARAM_CONTEXT_QUERY, SEKHA_PARAM_BUDGET,
                          SEKHA_PARAM_PREFERRED_LABELS, SEKHA_PARAM_EXCLUDED_FOLDERS,
                          SEKHA_PARAM_MODEL, SEKHA_PARAM_TEMPERATURE, SEKHA_PARAM_MAX_TOKENS, 0}};
static const chat_kind stream_context = {
    0, 1, "sekha_workflow_stream_with_context",
    (const sekha_param[]){SEKHA_PARAM_CONTEXT_QUERY, SEKHA_PARAM_BUDGET,
                          SEKHA_PARAM_PREFERRED_LABELS, SEKHA_PARAM_EXCLUDED_FOLDERS,
                          SEKHA_PARAM_MODEL, SEKHA_PARAM_TEMPERATURE, SEKHA_PARAM_MAX_TOKENS,
                          SEKHA_PARAM_ON_CHUNK, 0}};
static const chat_kind complete_memory = {
    1, 0, "sekha_workflow_complete_with_memory",
    (const sekha_param[]){SEKHA_PARAM_SEARCH_QUERY, SEKHA_PARAM_LIMIT, SEKHA_PARAM_LABELS,
                          SEKHA_PARAM_BUDGET, SEKHA_PARAM_MODEL, SEKHA_PARAM_TEMPERATURE,
                          SEKHA_PARAM_MAX_TOKENS, 0}};
static const chat_kind stream_memory = {
    1, 1, "sekha_workflow_stream_with_memory",
    (const sekha_param[]){SEKHA_PARAM_SEARCH_QUERY, SEKHA_PARAM_LIMIT, SEKHA_PARAM_LABELS,
                          SEKHA_PARAM_BUDGET, SEKHA_PARAM_MODEL, SEKHA_PARAM_TEMPERATURE,
                          SEKHA_PARAM_MAX_TOKENS, SEKHA_PARAM_ON_CHUNK, 0}};

SEKHA__SYNC_CB(answer_sync_cb, sekha_answer, sekha_answer_copy)

static sekha_code chat_sync(sekha_client *c, const char *prompt, const sekha_params *params,
                            const chat_kind *k, sekha_answer **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(c, chat_start(c, prompt, params, k, answer_sync_cb, SEKHA__SYNC_SLOT), out,
                       sekha_answer_free, err);
}

sekha_request *sekha_workflow_complete_with_context(sekha_client *client, const char *prompt,
                                                    const sekha_params *params,
                                                    sekha_answer_cb cb, void *userdata)
{
    return chat_start(client, prompt, params, &complete_context, cb, userdata);
}

sekha_code sekha_workflow_complete_with_context_sync(sekha_client *client, const char *prompt,
                                                     const sekha_params *params,
                                                     sekha_answer **out, sekha_error **err)
{
    return chat_sync(client, prompt, params, &complete_context, out, err);
}

sekha_request *sekha_workflow_stream_with_context(sekha_client *client, const char *prompt,
                                                  const sekha_params *params,
                                                  sekha_answer_cb cb, void *userdata)
{
    return chat_start(client, prompt, params, &stream_context, cb, userdata);
}

sekha_code sekha_workflow_stream_with_context_sync(sekha_client *client, const char *prompt,
                                                   const sekha_params *params,
                                                   sekha_answer **out, sekha_error **err)
{
    return chat_sync(client, prompt, params, &stream_context, out, err);
}

sekha_request *sekha_workflow_complete_with_memory(sekha_client *client, const char *prompt,
                                                   const sekha_params *params,
                                                   sekha_answer_cb cb, void *userdata)
{
    return chat_start(client, prompt, params, &complete_memory, cb, userdata);
}

sekha_code sekha_workflow_complete_with_memory_sync(sekha_client *client, const char *prompt,
                                                    const sekha_params *params,
                                                    sekha_answer **out, sekha_error **err)
{
    return chat_sync(client, prompt, params, &complete_memory, out, err);
}

sekha_request *sekha_workflow_stream_with_memory(sekha_client *client, const char *prompt,
                                                 const sekha_params *params,
                                                 sekha_answer_cb cb, void *userdata)
{
    return chat_start(client, prompt, params, &stream_memory, cb, userdata);
}

sekha_code sekha_workflow_stream_with_memory_sync(sekha_client *client, const char *prompt,
                                                  const sekha_params *params,
                                                  sekha_answer **out, sekha_error **err)
{
    return chat_sync(client, prompt, params, &stream_memory, out, err);
}
