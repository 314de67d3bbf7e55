/* The completion workflows: recall (context assembly or semantic search), place what fits
 * the budget into the prompt, then complete, whole or streamed. */
#include "core/jwrite.h"
#include "workflows/wf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET 4000
#define DEFAULT_LIMIT 5
#define LABEL_FETCH_FACTOR 4   /* results fetched per wanted one when filtering by label */
#define MAX_QUERY_LIMIT 4294967295.0

typedef struct chat_args {
    const char *prompt, *query;
    long budget, limit;
    const char *const *labels;
    const char *const *excluded;
    const char *model;
    double temperature;
    long max_tokens;
    int memory, stream;
    sekha_chunk_cb on_chunk;
    void *chunk_ud;
} chat_args;

typedef struct chat_wf {
    wf base;
    int memory, stream;
    char *prompt, *model;
    char **labels;         /* memory workflows: the label filter, NULL = any label */
    double temperature;
    long max_tokens, budget, limit;
    sekha_chunk_cb on_chunk;
    void *chunk_ud;
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

static void chat_deliver(wf *w, sekha_request *req, const sekha_error *err)
{
    ((sekha_answer_cb)w->cb)(req, err, ((chat_wf *)w)->answer, w->ud);
}

static void *chat_take(wf *w, const sekha_error *err)
{
    (void)err; /* an answer is due even on failure: it says how far the workflow got */
    chat_wf *cw = (chat_wf *)w;
    sekha_answer *a = cw->answer;
    cw->answer = NULL;
    return a;
}

static void chat_destroy(wf *w)
{
    chat_wf *cw = (chat_wf *)w;
    free(cw->prompt);
    free(cw->model);
    free_strv(cw->labels);
    sekha_answer_free(cw->answer);
}

static const wf_ops context_ops = {"workflow complete_with_context", chat_deliver, chat_take,
                                   chat_destroy};
static const wf_ops stream_context_ops = {"workflow stream_with_context", chat_deliver,
                                          chat_take, chat_destroy};
static const wf_ops memory_ops = {"workflow complete_with_memory", chat_deliver, chat_take,
                                  chat_destroy};
static const wf_ops stream_memory_ops = {"workflow stream_with_memory", chat_deliver, chat_take,
                                         chat_destroy};

/* ---- the completion stage ---- */

static int relay_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    chat_wf *cw = ud;
    return cw->on_chunk ? cw->on_chunk(req, ch, cw->chunk_ud) : SEKHA_EVENT_CONTINUE;
}

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
        /* The child call's parameters, from the workflow's arguments (checked at start). */
        sekha_params *p = sekha_params_new();
        if (!p) {
            wf_fail(w, SEKHA_E_NOMEM, "the completion's parameters");
            return;
        }
        if (cw->model)
            sekha_params_set_text(p, SEKHA_PARAM_MODEL, cw->model);
        if (!isnan(cw->temperature))
            sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, cw->temperature);
        if (cw->max_tokens > 0)
            sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, cw->max_tokens);
        if (cw->stream) {
            sekha_params_set_on_chunk(p, relay_chunk, cw);
            WF_CHILD(w, sekha_bridge_stream_complete(w->client, a->prompt, p, on_completion, cw));
        } else {
            WF_CHILD(w, sekha_bridge_complete(w->client, a->prompt, p, on_completion, cw));
        }
        sekha_params_free(p); /* read by the call */
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
        wf_packer_init(&p, a, (size_t)cw->budget);
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
        wf_packer_init(&p, a, (size_t)cw->budget);
        int oom = 0;
        long taken = 0;
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

/* Why the arguments cannot be used (why holds the text when it is formatted), or NULL.
 * Everything is checked before the first stage, so a bad argument sends nothing. */
static const char *check_args(const chat_args *a, char *why, size_t why_len)
{
    if (!a->prompt || !*a->prompt)
        return "prompt must be a non-empty string";
    if (a->budget < 0)
        return "the budget must be 0 (the default) or positive";
    if (a->limit < 0)
        return "limit must be 0 (the default) or positive";
    if (!isnan(a->temperature) && !(isfinite(a->temperature) && a->temperature >= 0))
        return "temperature must be SEKHA_TEMPERATURE_UNSET or a finite value >= 0";
    if (a->max_tokens < 0)
        return "max_tokens must be SEKHA_MAX_TOKENS_UNSET or >= 1";
    if (!sendable(a->prompt))
        return "prompt must be valid UTF-8";
    static const char *const names[] = {"query", "model"};
    const char *const strs[] = {a->query, a->model};
    for (int i = 0; i < 2; i++)
        if (strs[i] && !sekha__utf8_valid(strs[i], strlen(strs[i]))) {
            sekha__jw_why_utf8(why, why_len, names[i], strs[i]);
            return why;
        }
    return NULL;
}

/* The parameters of the recall stage (the call copies what it needs); NULL when out of
 * memory. A setter refusing a value is remembered, and the call reports it. */
static sekha_params *recall_params(const chat_args *a, long limit)
{
    sekha_params *p = sekha_params_new();
    int nomem = !p;
    if (p && a->memory)
        nomem |= sekha_params_set_int(p, SEKHA_PARAM_LIMIT, limit) == SEKHA_E_NOMEM;
    if (p && !a->memory && a->labels)
        nomem |= sekha_params_set_list(p, SEKHA_PARAM_PREFERRED_LABELS, a->labels) ==
                 SEKHA_E_NOMEM;
    if (p && !a->memory && a->budget > 0) /* 0: the controller call's default */
        nomem |= sekha_params_set_int(p, SEKHA_PARAM_BUDGET, a->budget) == SEKHA_E_NOMEM;
    if (p && !a->memory && a->excluded)
        nomem |= sekha_params_set_list(p, SEKHA_PARAM_EXCLUDED_FOLDERS, a->excluded) ==
                 SEKHA_E_NOMEM;
    if (nomem) {
        sekha_params_free(p);
        return NULL;
    }
    return p;
}

static const wf_ops *ops_of(const chat_args *a)
{
    if (a->memory)
        return a->stream ? &stream_memory_ops : &memory_ops;
    return a->stream ? &stream_context_ops : &context_ops;
}

static sekha_request *chat_start(sekha_client *c, const void *args, sekha__fn cb, void *ud,
                                 wf_slot *slot)
{
    const chat_args *a = args;
    if (!c)
        return NULL;
    chat_wf *cw = calloc(1, sizeof *cw);
    if (!cw)
        return NULL;
    int oom = 0;
    cw->memory = a->memory;
    cw->stream = a->stream;
    cw->temperature = a->temperature;
    cw->max_tokens = a->max_tokens;
    cw->budget = a->budget ? a->budget : DEFAULT_BUDGET;
    cw->limit = a->limit ? a->limit : DEFAULT_LIMIT;
    cw->on_chunk = a->on_chunk;
    cw->chunk_ud = slot ? a->chunk_ud : ud;
    cw->prompt = a->prompt ? strdup(a->prompt) : NULL;
    cw->model = a->model ? strdup(a->model) : NULL;
    oom |= (a->prompt && !cw->prompt) || (a->model && !cw->model);
    cw->labels = a->memory ? copy_strv(a->labels, &oom) : NULL;
    cw->answer = calloc(1, sizeof *cw->answer);
    oom |= !cw->answer;
    wf *w = &cw->base;
    sekha_request *req = wf_begin(w, ops_of(a), c, cb, ud, slot);
    if (!req || !wf_running(w))
        return req;
    char why[160];
    const char *bad = check_args(a, why, sizeof why);
    const char *query = a->query ? a->query : a->prompt;
    if (oom) {
        wf_fail(w, SEKHA_E_NOMEM, "copying the arguments");
    } else if (bad) {
        wf_fail(w, SEKHA_E_INVALID_ARG, bad);
    } else {
        double fetch = (double)cw->limit * (cw->labels ? LABEL_FETCH_FACTOR : 1);
        sekha_params *rp = recall_params(a, fetch > MAX_QUERY_LIMIT ? (long)MAX_QUERY_LIMIT
                                                                    : (long)fetch);
        if (!rp)
            wf_fail(w, SEKHA_E_NOMEM, "copying the arguments");
        else if (a->memory)
            WF_CHILD(w, sekha_controller_query(c, query, rp, on_results, cw));
        else
            WF_CHILD(w, sekha_controller_assemble_context(c, query, rp, on_context, cw));
        sekha_params_free(rp);
    }
    return req;
}

static sekha_request *chat_async(sekha_client *c, chat_args a, sekha_answer_cb cb, void *ud)
{
    return chat_start(c, &a, (sekha__fn)cb, ud, NULL);
}

static sekha_code chat_sync(sekha_client *c, chat_args a, sekha_answer **out, sekha_error **err)
{
    return wf_sync(c, chat_start, &a, (void **)out, (void (*)(void *))sekha_answer_free, err);
}

/* ---- the public forms ---- */

sekha_request *sekha_workflow_complete_with_context(
    sekha_client *client, const char *prompt, const char *context_query, long context_budget,
    const char *const *preferred_labels, const char *const *excluded_folders,
    const char *model, double temperature, long max_tokens, sekha_answer_cb cb, void *userdata)
{
    chat_args a = {prompt, context_query, context_budget, 0, preferred_labels, excluded_folders,
                   model, temperature, max_tokens, 0, 0, NULL, NULL};
    return chat_async(client, a, cb, userdata);
}

sekha_code sekha_workflow_complete_with_context_sync(
    sekha_client *client, const char *prompt, const char *context_query, long context_budget,
    const char *const *preferred_labels, const char *const *excluded_folders,
    const char *model, double temperature, long max_tokens, sekha_answer **out,
    sekha_error **err)
{
    chat_args a = {prompt, context_query, context_budget, 0, preferred_labels, excluded_folders,
                   model, temperature, max_tokens, 0, 0, NULL, NULL};
    return chat_sync(client, a, out, err);
}

sekha_request *sekha_workflow_stream_with_context(
    sekha_client *client, const char *prompt, const char *context_query, long context_budget,
    const char *const *preferred_labels, const char *const *excluded_folders,
    const char *model, double temperature, long max_tokens, sekha_chunk_cb on_chunk,
    sekha_answer_cb cb, void *userdata)
{
    chat_args a = {prompt, context_query, context_budget, 0, preferred_labels, excluded_folders,
                   model, temperature, max_tokens, 0, 1, on_chunk, NULL};
    return chat_async(client, a, cb, userdata);
}

sekha_code sekha_workflow_stream_with_context_sync(
    sekha_client *client, const char *prompt, const char *context_query, long context_budget,
    const char *const *preferred_labels, const char *const *excluded_folders,
    const char *model, double temperature, long max_tokens, sekha_chunk_cb on_chunk,
    void *userdata, sekha_answer **out, sekha_error **err)
{
    chat_args a = {prompt, context_query, context_budget, 0, preferred_labels, excluded_folders,
                   model, temperature, max_tokens, 0, 1, on_chunk, userdata};
    return chat_sync(client, a, out, err);
}

sekha_request *sekha_workflow_complete_with_memory(
    sekha_client *client, const char *prompt, const char *search_query, long limit,
    const char *const *labels, long budget, const char *model, double temperature,
    long max_tokens, sekha_answer_cb cb, void *userdata)
{
    chat_args a = {prompt, search_query, budget, limit, labels, NULL,
                   model, temperature, max_tokens, 1, 0, NULL, NULL};
    return chat_async(client, a, cb, userdata);
}

sekha_code sekha_workflow_complete_with_memory_sync(
    sekha_client *client, const char *prompt, const char *search_query, long limit,
    const char *const *labels, long budget, const char *model, double temperature,
    long max_tokens, sekha_answer **out, sekha_error **err)
{
    chat_args a = {prompt, search_query, budget, limit, labels, NULL,
                   model, temperature, max_tokens, 1, 0, NULL, NULL};
    return chat_sync(client, a, out, err);
}

sekha_request *sekha_workflow_stream_with_memory(
    sekha_client *client, const char *prompt, const char *search_query, long limit,
    const char *const *labels, long budget, const char *model, double temperature,
    long max_tokens, sekha_chunk_cb on_chunk, sekha_answer_cb cb, void *userdata)
{
    chat_args a = {prompt, search_query, budget, limit, labels, NULL,
                   model, temperature, max_tokens, 1, 1, on_chunk, NULL};
    return chat_async(client, a, cb, userdata);
}

sekha_code sekha_workflow_stream_with_memory_sync(
    sekha_client *client, const char *prompt, const char *search_query, long limit,
    const char *const *labels, long budget, const char *model, double temperature,
    long max_tokens, sekha_chunk_cb on_chunk, void *userdata, sekha_answer **out,
    sekha_error **err)
{
    chat_args a = {prompt, search_query, budget, limit, labels, NULL,
                   model, temperature, max_tokens, 1, 1, on_chunk, userdata};
    return chat_sync(client, a, out, err);
}
