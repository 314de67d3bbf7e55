/* Controller routes #10-#19: semantic and full-text search, embedding rebuild, context
 * assembly, summaries, pruning, label suggestions, health and metrics. The POST routes here
 * only read or compute (or, for prune execution and rebuild, repeat harmlessly), so they are
 * marked SEKHA_HTTP_IDEMPOTENT and the core may re-send them after a lost connection. */
#include "controller/ctl.h"
#include "core/jwrite.h"

#include <string.h>

/* Writes ,"key":v unless v is 0 (the default, left to the controller). */
static int put_count(sekha_buf *b, const char *key, long v)
{
    return v == 0 || (sekha__buf_puts(b, ",\"") == 0 && sekha__buf_puts(b, key) == 0 &&
                      sekha__buf_puts(b, "\":") == 0 && sekha__jw_long(b, v) == 0);
}

static sekha_request *send_post(sekha_client *c, const char *fn, const char *path,
                                const char *what, cJSON *body, int ok,
                                const sekha__call_spec *cs, sekha__fn cb, void *ud)
{
    if (!ok) {
        cJSON_Delete(body);
        return ctl_nomem(c, cs, cb, ud);
    }
    ctl_send_args s = {"POST", path, body, SEKHA_HTTP_IDEMPOTENT, what, NULL, NULL, fn};
    return ctl_send(c, &s, cs, cb, ud);
}

/* ---- #10 semantic query and #11 full-text search ---- */

/* Written directly, not through a cJSON tree: this is the hot path of memory lookups. */
sekha_code ctl_query_body(sekha_buf *b, const char *query, long limit, long offset,
                          const char *filters_json, char *why, size_t why_len)
{
    if (filters_json) {
        int rc = sekha__jw_check_text(filters_json, "filters_json", why, why_len);
        if (rc != 0)
            return rc == SEKHA_JW_NOMEM ? SEKHA_E_NOMEM : SEKHA_E_INVALID_ARG;
    }
    int rc = sekha__buf_puts(b, "{\"query\":") == 0 ? sekha__jw_string(b, query) : SEKHA_JW_NOMEM;
    if (rc == SEKHA_JW_NOT_UTF8) {
        sekha__jw_why_utf8(why, why_len, "query", query);
        return SEKHA_E_INVALID_ARG;
    }
    int ok = rc == 0 && put_count(b, "limit", limit) && put_count(b, "offset", offset) &&
             (!filters_json || (sekha__buf_puts(b, ",\"filters\":") == 0 &&
                                sekha__buf_puts(b, filters_json) == 0)) &&
             sekha__buf_puts(b, "}") == 0;
    return ok ? SEKHA_OK : SEKHA_E_NOMEM;
}

typedef struct search_args {
    const char *query;
    long limit, offset;
    const char *filters_json;
    int fts;
} search_args;

static sekha_request *start_search(sekha_client *c, void *p, sekha__fn cb, void *ud)
{
    const search_args *a = p;
    const sekha__call_spec *cs = a->fts ? &ctl_fts_call : &ctl_search_results_call;
    const char *fn = a->fts ? "sekha_controller_full_text_search" : "sekha_controller_query";
    if (!ctl_not_blank(a->query))
        return ctl_reject(c, cs, cb, ud, "%s: query must not be empty or blank", fn);
    if (!ctl_check_u32(a->limit) || !ctl_check_u32(a->offset))
        return ctl_reject(c, cs, cb, ud, "%s: limit and offset must be 0 (default) or "
                          "1..4294967295, got %ld and %ld", fn, a->limit, a->offset);
    if (!c)
        return NULL;
    sekha_buf *body = sekha__client_scratch(c);
    char why[200];
    sekha_code rc = ctl_query_body(body, a->query, a->limit, a->offset, a->filters_json, why,
                                   sizeof why);
    if (rc == SEKHA_E_INVALID_ARG)
        return ctl_reject(c, cs, cb, ud, "%s: %s", fn, why);
    if (rc != SEKHA_OK)
        return ctl_nomem(c, cs, cb, ud);
    ctl_send_args s = {.method = "POST",
                       .path = a->fts ? "/api/v1/search/fts" : "/api/v1/query",
                       .flags = SEKHA_HTTP_IDEMPOTENT,
                       .what = a->fts ? "controller POST /api/v1/search/fts"
                                      : "controller POST /api/v1/query",
                       .text = body,
                       .fn = fn};
    return ctl_send(c, &s, cs, cb, ud);
}

sekha_request *sekha_controller_query(sekha_client *client, const char *query, long limit,
                                      long offset, const char *filters_json,
                                      sekha_search_results_cb cb, void *userdata)
{
    search_args a = {query, limit, offset, filters_json, 0};
    return start_search(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_query_sync(sekha_client *client, const char *query, long limit,
                                       long offset, const char *filters_json,
                                       sekha_search_results **out, sekha_error **err)
{
    search_args a = {query, limit, offset, filters_json, 0};
    return ctl_sync(client, start_search, &a, out, err);
}

sekha_request *sekha_controller_full_text_search(sekha_client *client, const char *query,
                                                 long limit, sekha_message_list_cb cb,
                                                 void *userdata)
{
    search_args a = {query, limit, 0, NULL, 1};
    return start_search(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_full_text_search_sync(sekha_client *client, const char *query,
                                                  long limit, sekha_message_list **out,
                                                  sekha_error **err)
{
    search_args a = {query, limit, 0, NULL, 1};
    return ctl_sync(client, start_search, &a, out, err);
}

/* ---- #13 context assembly ---- */

typedef struct context_args {
    const char *query;
    const char *const *preferred, *const *excluded;
    long budget;
} context_args;

static sekha_request *start_context(sekha_client *c, void *p, sekha__fn cb, void *ud)
{
    const context_args *a = p;
    const sekha__call_spec *cs = &ctl_context_call;
    static const char fn[] = "sekha_controller_assemble_context";
    if (!ctl_not_blank(a->query))
        return ctl_reject(c, cs, cb, ud, "%s: query must not be empty or blank", fn);
    if (!ctl_check_u32(a->budget))
        return ctl_reject(c, cs, cb, ud, "%s: context_budget must be 0 (default 4000) or "
                          "1..4294967295, got %ld", fn, a->budget);
    /* preferred_labels and context_budget are required by the route; the SDKs send [] and
     * 4000 for "none". */
    cJSON *body = cJSON_CreateObject();
    cJSON *preferred = ctl_string_array(a->preferred);
    cJSON *excluded = ctl_string_array(a->excluded);
    int ok = body && preferred && excluded && cJSON_AddStringToObject(body, "query", a->query);
    if (ok) {
        cJSON_AddItemToObject(body, "preferred_labels", preferred);
        cJSON_AddItemToObject(body, "excluded_folders", excluded);
        preferred = excluded = NULL;
        ok = cJSON_AddNumberToObject(body, "context_budget",
                                     (double)(a->budget ? a->budget : 4000)) != NULL;
    }
    cJSON_Delete(preferred);
    cJSON_Delete(excluded);
    return send_post(c, fn, "/api/v1/context/assemble",
                     "controller POST /api/v1/context/assemble", body, ok, cs, cb, ud);
}

sekha_request *sekha_controller_assemble_context(sekha_client *client, const char *query,
                                                 const char *const *preferred_labels,
                                                 long context_budget,
                                                 const char *const *excluded_folders,
                                                 sekha_message_list_cb cb, void *userdata)
{
    context_args a = {query, preferred_labels, excluded_folders, context_budget};
    return start_context(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_assemble_context_sync(sekha_client *client, const char *query,
                                                  const char *const *preferred_labels,
                                                  long context_budget,
                                                  const char *const *excluded_folders,
                                                  sekha_message_list **out, sekha_error **err)
{
    context_args a = {query, preferred_labels, excluded_folders, context_budget};
    return ctl_sync(client, start_context, &a, out, err);
}

/* ---- #14 summaries and #17 label suggestions: one conversation id ---- */

typedef struct about_args {
    const char *id;
    const char *level; /* summaries only */
    int labels;        /* suggest_labels instead of summarize */
} about_args;

static sekha_request *start_about(sekha_client *c, void *p, sekha__fn cb, void *ud)
{
    const about_args *a = p;
    const sekha__call_spec *cs = a->labels ? &ctl_labels_call : &ctl_summary_call;
    const char *fn = a->labels ? "sekha_controller_suggest_labels" : "sekha_controller_summarize";
    const char *level = a->level ? a->level : "daily";
    if (!sekha__is_uuid(a->id))
        return ctl_reject(c, cs, cb, ud, "%s: conversation_id must be a UUID, got \"%.40s\"", fn,
                          a->id ? a->id : "(null)");
    if (!a->labels && strcmp(level, "daily") != 0 && strcmp(level, "weekly") != 0 &&
        strcmp(level, "monthly") != 0)
        return ctl_reject(c, cs, cb, ud, "%s: level must be daily, weekly or monthly, got "
                          "\"%.40s\"", fn, level);
    cJSON *body = cJSON_CreateObject();
    int ok = body && cJSON_AddStringToObject(body, "conversation_id", a->id) &&
             (a->labels || cJSON_AddStringToObject(body, "level", level));
    return send_post(c, fn, a->labels ? "/api/v1/labels/suggest" : "/api/v1/summarize",
                     a->labels ? "controller POST /api/v1/labels/suggest"
                               : "controller POST /api/v1/summarize",
                     body, ok, cs, cb, ud);
}

sekha_request *sekha_controller_summarize(sekha_client *client, const char *conversation_id,
                                          const char *level, sekha_summary_cb cb,
                                          void *userdata)
{
    about_args a = {conversation_id, level, 0};
    return start_about(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_summarize_sync(sekha_client *client, const char *conversation_id,
                                           const char *level, sekha_summary **out,
                                           sekha_error **err)
{
    about_args a = {conversation_id, level, 0};
    return ctl_sync(client, start_about, &a, out, err);
}

sekha_request *sekha_controller_suggest_labels(sekha_client *client,
                                               const char *conversation_id,
                                               sekha_label_suggestions_cb cb, void *userdata)
{
    about_args a = {conversation_id, NULL, 1};
    return start_about(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_suggest_labels_sync(sekha_client *client,
                                                const char *conversation_id,
                                                sekha_label_suggestions **out,
                                                sekha_error **err)
{
    about_args a = {conversation_id, NULL, 1};
    return ctl_sync(client, start_about, &a, out, err);
}

/* ---- #15/#16 pruning ---- */

typedef struct prune_args {
    long days;
    const char *const *ids; /* execute when not NULL */
} prune_args;

static sekha_request *start_prune(sekha_client *c, void *p, sekha__fn cb, void *ud)
{
    const prune_args *a = p;
    const sekha__call_spec *cs = a->ids ? &ctl_done_call : &ctl_prune_call;
    cJSON *body = NULL;
    int ok;
    if (a->ids) {
        static const char fn[] = "sekha_controller_prune_execute";
        if (!a->ids[0])
            return ctl_reject(c, cs, cb, ud, "%s: conversation_ids must not be empty", fn);
        for (size_t i = 0; a->ids[i]; i++)
            if (!sekha__is_uuid(a->ids[i]))
                return ctl_reject(c, cs, cb, ud, "%s: conversation_ids[%zu] must be a UUID, "
                                  "got \"%.40s\"", fn, i, a->ids[i]);
        cJSON *ids = ctl_string_array(a->ids);
        ok = ids && (body = cJSON_CreateObject()) != NULL;
        if (ok)
            cJSON_AddItemToObject(body, "conversation_ids", ids);
        else
            cJSON_Delete(ids);
    } else {
        if (a->days < 0)
            return ctl_reject(c, cs, cb, ud, "sekha_controller_prune_dry_run: threshold_days "
                              "must be >= 0, got %ld", a->days);
        body = cJSON_CreateObject();
        ok = body && cJSON_AddNumberToObject(body, "threshold_days", (double)a->days);
    }
    return send_post(c,
                     a->ids ? "sekha_controller_prune_execute" : "sekha_controller_prune_dry_run",
                     a->ids ? "/api/v1/prune/execute" : "/api/v1/prune/dry-run",
                     a->ids ? "controller POST /api/v1/prune/execute"
                            : "controller POST /api/v1/prune/dry-run",
                     body, ok, cs, cb, ud);
}

sekha_request *sekha_controller_prune_dry_run(sekha_client *client, long threshold_days,
                                              sekha_prune_suggestions_cb cb, void *userdata)
{
    prune_args a = {threshold_days, NULL};
    return start_prune(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_prune_dry_run_sync(sekha_client *client, long threshold_days,
                                               sekha_prune_suggestions **out, sekha_error **err)
{
    prune_args a = {threshold_days, NULL};
    return ctl_sync(client, start_prune, &a, out, err);
}

/* A NULL list still means "execute" (and is rejected as empty), never a dry run. */
static const char *const no_ids[] = {NULL};

sekha_request *sekha_controller_prune_execute(sekha_client *client,
                                              const char *const *conversation_ids,
                                              sekha_done_cb cb, void *userdata)
{
    prune_args a = {0, conversation_ids ? conversation_ids : no_ids};
    return start_prune(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_prune_execute_sync(sekha_client *client,
                                               const char *const *conversation_ids,
                                               sekha_error **err)
{
    prune_args a = {0, conversation_ids ? conversation_ids : no_ids};
    return ctl_sync(client, start_prune, &a, NULL, err);
}

/* ---- #12 rebuild, #18 health, #19 metrics: no arguments ---- */

typedef struct plain_args {
    const char *method, *path, *what, *accept;
    unsigned flags;
    const sekha__call_spec *cs;
} plain_args;

static const plain_args rebuild_args = {"POST", "/api/v1/rebuild-embeddings",
                                        "controller POST /api/v1/rebuild-embeddings", NULL,
                                        SEKHA_HTTP_IDEMPOTENT, &ctl_done_call};
/* A probe reports the state at the time of asking: a 503 is an answer, never retried. */
static const plain_args health_args = {"GET", "/health", "controller GET /health", NULL,
                                       SEKHA_HTTP_NO_RETRY, &sekha__health_controller_call};
static const plain_args metrics_args = {"GET", "/metrics", "controller GET /metrics",
                                        "text/plain, application/json;q=0.9", 0,
                                        &ctl_metrics_call};

static sekha_request *start_plain(sekha_client *c, void *p, sekha__fn cb, void *ud)
{
    const plain_args *a = p;
    ctl_send_args s = {a->method, a->path, NULL, a->flags, a->what, a->accept, NULL, NULL};
    return ctl_send(c, &s, a->cs, cb, ud);
}

sekha_request *sekha_controller_rebuild_embeddings(sekha_client *client,
                                                   sekha_done_cb cb, void *userdata)
{
    return start_plain(client, (void *)&rebuild_args, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_rebuild_embeddings_sync(sekha_client *client, sekha_error **err)
{
    return ctl_sync(client, start_plain, (void *)&rebuild_args, NULL, err);
}

sekha_request *sekha_controller_health(sekha_client *client, sekha_health_cb cb, void *userdata)
{
    return start_plain(client, (void *)&health_args, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_health_sync(sekha_client *client, sekha_health **out,
                                        sekha_error **err)
{
    return ctl_sync(client, start_plain, (void *)&health_args, out, err);
}

sekha_request *sekha_controller_metrics(sekha_client *client, sekha_metrics_cb cb,
                                        void *userdata)
{
    return start_plain(client, (void *)&metrics_args, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_metrics_sync(sekha_client *client, sekha_metrics **out,
                                         sekha_error **err)
{
    return ctl_sync(client, start_plain, (void *)&metrics_args, out, err);
}
