/* Controller routes #10-#19: semantic and full-text search, embedding rebuild, context
 * assembly, summaries, pruning, label suggestions, health and metrics. The POST routes here
 * only read or compute (or, for prune execution and rebuild, repeat harmlessly), so they are
 * marked SEKHA_HTTP_IDEMPOTENT and the core may re-send them after a lost connection. */
#include "controller/ctl.h"
#include "core/jwrite.h"

#include <string.h>

/* Writes ,"key":v unless v < 0 (not set: left to the controller). */
static int put_count(sekha_buf *b, const char *key, int64_t v)
{
    return v < 0 || (sekha__buf_puts(b, ",\"") == 0 && sekha__buf_puts(b, key) == 0 &&
                     sekha__buf_puts(b, "\":") == 0 && sekha__jw_long(b, (long)v) == 0);
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
sekha_code ctl_query_body(sekha_buf *b, const char *query, int64_t limit, int64_t offset,
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

static const sekha_param query_keys[] = {SEKHA_PARAM_LIMIT, SEKHA_PARAM_OFFSET,
                                         SEKHA_PARAM_FILTERS_JSON, 0};
static const sekha_param fts_keys[] = {SEKHA_PARAM_LIMIT, 0};

static sekha_request *search(sekha_client *c, const char *query, const sekha_params *p, int fts,
                             sekha__fn cb, void *ud)
{
    const sekha__call_spec *cs = fts ? &ctl_fts_call : &ctl_search_results_call;
    const char *fn = fts ? "sekha_controller_full_text_search" : "sekha_controller_query";
    if (!c)
        return NULL;
    int64_t limit = -1, offset = -1; /* not set: not sent */
    const char *filters_json = NULL;
    if (p) { /* NULL parameters, the usual case, cost nothing here */
        sekha_error *e = sekha__params_check(p, fn, fts ? fts_keys : query_keys);
        if (e)
            return ctl_fail(c, cs, cb, ud, e);
        sekha__params_int(p, SEKHA_PARAM_LIMIT, &limit);
        sekha__params_int(p, SEKHA_PARAM_OFFSET, &offset);
        filters_json = sekha__params_text(p, SEKHA_PARAM_FILTERS_JSON);
    }
    if (!ctl_not_blank(query))
        return ctl_reject(c, cs, cb, ud, "%s: query must not be empty or blank", fn);
    /* The controller reads both as u32. */
    if (limit > 4294967295LL || offset > 4294967295LL)
        return ctl_reject(c, cs, cb, ud, "%s: limit and offset must be at most 4294967295, "
                          "got %lld and %lld", fn, (long long)limit, (long long)offset);
    sekha_buf *body = sekha__client_scratch(c);
    char why[200];
    sekha_code rc = ctl_query_body(body, query, limit, offset, filters_json, why, sizeof why);
    if (rc == SEKHA_E_INVALID_ARG)
        return ctl_reject(c, cs, cb, ud, "%s: %s", fn, why);
    if (rc != SEKHA_OK)
        return ctl_nomem(c, cs, cb, ud);
    ctl_send_args s = {.method = "POST",
                       .path = fts ? "/api/v1/search/fts" : "/api/v1/query",
                       .flags = SEKHA_HTTP_IDEMPOTENT,
                       .what = fts ? "controller POST /api/v1/search/fts"
                                   : "controller POST /api/v1/query",
                       .text = body,
                       .fn = fn};
    return ctl_send(c, &s, cs, cb, ud);
}

sekha_request *sekha_controller_query(sekha_client *client, const char *query,
                                      const sekha_params *params, sekha_search_results_cb cb,
                                      void *userdata)
{
    return search(client, query, params, 0, (sekha__fn)cb, userdata);
}

SEKHA__SYNC_CB(query_sync_cb, sekha_search_results, sekha_search_results_copy)

sekha_code sekha_controller_query_sync(sekha_client *client, const char *query,
                                       const sekha_params *params, sekha_search_results **out,
                                       sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        client, sekha_controller_query(client, query, params, query_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_search_results_free, err);
}

sekha_request *sekha_controller_full_text_search(sekha_client *client, const char *query,
                                                 const sekha_params *params,
                                                 sekha_stored_messages_cb cb, void *userdata)
{
    return search(client, query, params, 1, (sekha__fn)cb, userdata);
}

SEKHA__SYNC_CB(messages_sync_cb, sekha_stored_messages, sekha_stored_messages_copy)

sekha_code sekha_controller_full_text_search_sync(sekha_client *client, const char *query,
                                                  const sekha_params *params,
                                                  sekha_stored_messages **out,
                                                  sekha_error **err)
{
    SEKHA__SYNC_RETURN(client,
                       sekha_controller_full_text_search(client, query, params, messages_sync_cb,
                                                         SEKHA__SYNC_SLOT),
                       out, sekha_stored_messages_free, err);
}

/* ---- #13 context assembly ---- */

static const sekha_param context_keys[] = {SEKHA_PARAM_PREFERRED_LABELS, SEKHA_PARAM_BUDGET,
                                           SEKHA_PARAM_EXCLUDED_FOLDERS, 0};

sekha_request *sekha_controller_assemble_context(sekha_client *client, const char *query,
                                                 const sekha_params *params,
                                                 sekha_stored_messages_cb cb, void *userdata)
{
    const sekha__call_spec *cs = &ctl_context_call;
    sekha__fn f = (sekha__fn)cb;
    static const char fn[] = "sekha_controller_assemble_context";
    if (!client)
        return NULL;
    sekha_error *e = sekha__params_check(params, fn, context_keys);
    if (e)
        return ctl_fail(client, cs, f, userdata, e);
    if (!ctl_not_blank(query))
        return ctl_reject(client, cs, f, userdata, "%s: query must not be empty or blank", fn);
    int64_t budget = 4000; /* the SDKs' value: the route requires one */
    sekha__params_int(params, SEKHA_PARAM_BUDGET, &budget);
    if (!ctl_fits_u32(budget))
        return ctl_reject(client, cs, f, userdata, "%s: budget must be 1..4294967295, got %lld",
                          fn, (long long)budget);
    /* preferred_labels is required by the route too; the SDKs send [] for "none". */
    cJSON *body = cJSON_CreateObject();
    cJSON *preferred = ctl_string_array(sekha__params_list(params, SEKHA_PARAM_PREFERRED_LABELS));
    cJSON *excluded = ctl_string_array(sekha__params_list(params, SEKHA_PARAM_EXCLUDED_FOLDERS));
    int ok = body && preferred && excluded && cJSON_AddStringToObject(body, "query", query);
    if (ok) {
        cJSON_AddItemToObject(body, "preferred_labels", preferred);
        cJSON_AddItemToObject(body, "excluded_folders", excluded);
        preferred = excluded = NULL;
        ok = cJSON_AddNumberToObject(body, "context_budget", (double)budget) != NULL;
    }
    cJSON_Delete(preferred);
    cJSON_Delete(excluded);
    return send_post(client, fn, "/api/v1/context/assemble",
                     "controller POST /api/v1/context/assemble", body, ok, cs, f, userdata);
}

sekha_code sekha_controller_assemble_context_sync(sekha_client *client, const char *query,
                                                  const sekha_params *params,
                                                  sekha_stored_messages **out,
                                                  sekha_error **err)
{
    SEKHA__SYNC_RETURN(client,
                       sekha_controller_assemble_context(client, query, params, messages_sync_cb,
                                                         SEKHA__SYNC_SLOT),
                       out, sekha_stored_messages_free, err);
}

/* ---- #14 summaries and #17 label suggestions: one conversation id ---- */

static const sekha_param summary_keys[] = {SEKHA_PARAM_LEVEL, 0};

static sekha_request *about(sekha_client *c, const char *id, const sekha_params *p, int labels,
                            sekha__fn cb, void *ud)
{
    const sekha__call_spec *cs = labels ? &ctl_labels_call : &ctl_summary_call;
    const char *fn = labels ? "sekha_controller_suggest_labels" : "sekha_controller_summarize";
    if (!c)
        return NULL;
    sekha_error *e = labels ? NULL : sekha__params_check(p, fn, summary_keys);
    if (e)
        return ctl_fail(c, cs, cb, ud, e);
    const char *level = labels ? NULL : sekha__params_text(p, SEKHA_PARAM_LEVEL);
    if (!level)
        level = "daily";
    if (!sekha__is_uuid(id))
        return ctl_reject(c, cs, cb, ud, "%s: conversation_id must be a UUID, got \"%.40s\"", fn,
                          id ? id : "(null)");
    if (!labels && strcmp(level, "daily") != 0 && strcmp(level, "weekly") != 0 &&
        strcmp(level, "monthly") != 0)
        return ctl_reject(c, cs, cb, ud, "%s: level must be daily, weekly or monthly, got "
                          "\"%.40s\"", fn, level);
    cJSON *body = cJSON_CreateObject();
    int ok = body && cJSON_AddStringToObject(body, "conversation_id", id) &&
             (labels || cJSON_AddStringToObject(body, "level", level));
    return send_post(c, fn, labels ? "/api/v1/labels/suggest" : "/api/v1/summarize",
                     labels ? "controller POST /api/v1/labels/suggest"
                            : "controller POST /api/v1/summarize",
                     body, ok, cs, cb, ud);
}

sekha_request *sekha_controller_summarize(sekha_client *client, const char *conversation_id,
                                          const sekha_params *params, sekha_summary_cb cb,
                                          void *userdata)
{
    return about(client, conversation_id, params, 0, (sekha__fn)cb, userdata);
}

SEKHA__SYNC_CB(summary_sync_cb, sekha_summary, sekha_summary_copy)

sekha_code sekha_controller_summarize_sync(sekha_client *client, const char *conversation_id,
                                           const sekha_params *params, sekha_summary **out,
                                           sekha_error **err)
{
    SEKHA__SYNC_RETURN(client,
                       sekha_controller_summarize(client, conversation_id, params, summary_sync_cb,
                                                  SEKHA__SYNC_SLOT),
                       out, sekha_summary_free, err);
}

sekha_request *sekha_controller_suggest_labels(sekha_client *client,
                                               const char *conversation_id,
                                               sekha_label_suggestions_cb cb, void *userdata)
{
    return about(client, conversation_id, NULL, 1, (sekha__fn)cb, userdata);
}

SEKHA__SYNC_CB(labels_sync_cb, sekha_label_suggestions, sekha_label_suggestions_copy)

sekha_code sekha_controller_suggest_labels_sync(sekha_client *client,
                                                const char *conversation_id,
                                                sekha_label_suggestions **out,
                                                sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        client,
        sekha_controller_suggest_labels(client, conversation_id, labels_sync_cb, SEKHA__SYNC_SLOT),
        out, sekha_label_suggestions_free, err);
}

/* ---- #15/#16 pruning ---- */

static const sekha_param prune_keys[] = {SEKHA_PARAM_THRESHOLD_DAYS, 0};

sekha_request *sekha_controller_prune_dry_run(sekha_client *client, const sekha_params *params,
                                              sekha_prune_suggestions_cb cb, void *userdata)
{
    const sekha__call_spec *cs = &ctl_prune_call;
    sekha__fn f = (sekha__fn)cb;
    static const char fn[] = "sekha_controller_prune_dry_run";
    if (!client)
        return NULL;
    sekha_error *e = sekha__params_check(params, fn, prune_keys);
    if (e)
        return ctl_fail(client, cs, f, userdata, e);
    int64_t days = 90; /* the SDKs' value: the route requires one */
    sekha__params_int(params, SEKHA_PARAM_THRESHOLD_DAYS, &days);
    cJSON *body = cJSON_CreateObject();
    int ok = body && cJSON_AddNumberToObject(body, "threshold_days", (double)days);
    return send_post(client, fn, "/api/v1/prune/dry-run", "controller POST /api/v1/prune/dry-run",
                     body, ok, cs, f, userdata);
}

SEKHA__SYNC_CB(prune_sync_cb, sekha_prune_suggestions, sekha_prune_suggestions_copy)

sekha_code sekha_controller_prune_dry_run_sync(sekha_client *client, const sekha_params *params,
                                               sekha_prune_suggestions **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        client, sekha_controller_prune_dry_run(client, params, prune_sync_cb, SEKHA__SYNC_SLOT),
        out, sekha_prune_suggestions_free, err);
}

sekha_request *sekha_controller_prune_execute(sekha_client *client,
                                              const char *const *conversation_ids,
                                              sekha_done_cb cb, void *userdata)
{
    const sekha__call_spec *cs = &ctl_done_call;
    sekha__fn f = (sekha__fn)cb;
    static const char fn[] = "sekha_controller_prune_execute";
    if (!conversation_ids || !conversation_ids[0])
        return ctl_reject(client, cs, f, userdata, "%s: conversation_ids must not be empty", fn);
    for (size_t i = 0; conversation_ids[i]; i++)
        if (!sekha__is_uuid(conversation_ids[i]))
            return ctl_reject(client, cs, f, userdata, "%s: conversation_ids[%zu] must be a "
                              "UUID, got \"%.40s\"", fn, i, conversation_ids[i]);
    cJSON *ids = ctl_string_array(conversation_ids);
    cJSON *body = ids ? cJSON_CreateObject() : NULL;
    int ok = body != NULL;
    if (ok)
        cJSON_AddItemToObject(body, "conversation_ids", ids);
    else
        cJSON_Delete(ids);
    return send_post(client, fn, "/api/v1/prune/execute", "controller POST /api/v1/prune/execute",
                     body, ok, cs, f, userdata);
}

sekha_code sekha_controller_prune_execute_sync(sekha_client *client,
                                               const char *const *conversation_ids,
                                               sekha_error **err)
{
    SEKHA__SYNC_RETURN(client,
                       sekha_controller_prune_execute(client, conversation_ids, ctl_done_sync_cb,
                                                      SEKHA__SYNC_SLOT),
                       NULL, NULL, err);
}

/* ---- #12 rebuild, #18 health, #19 metrics: no arguments ---- */

/* what: the static label errors carry. */
static sekha_request *plain(sekha_client *c, const char *method, const char *path,
                            const char *what, const char *accept, unsigned flags,
                            const sekha__call_spec *cs, sekha__fn cb, void *ud)
{
    ctl_send_args s = {method, path, NULL, flags, what, accept, NULL, NULL};
    return ctl_send(c, &s, cs, cb, ud);
}

sekha_request *sekha_controller_rebuild_embeddings(sekha_client *client, sekha_done_cb cb,
                                                   void *userdata)
{
    return plain(client, "POST", "/api/v1/rebuild-embeddings",
                 "controller POST /api/v1/rebuild-embeddings", NULL, SEKHA_HTTP_IDEMPOTENT,
                 &ctl_done_call, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_rebuild_embeddings_sync(sekha_client *client, sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        client, sekha_controller_rebuild_embeddings(client, ctl_done_sync_cb, SEKHA__SYNC_SLOT),
        NULL, NULL, err);
}

sekha_request *sekha_controller_health(sekha_client *client, sekha_health_cb cb, void *userdata)
{
    /* A probe reports the state at the time of asking: a 503 is an answer, never retried. */
    return plain(client, "GET", "/health", "controller GET /health", NULL,
                 SEKHA_HTTP_NO_RETRY, &sekha__health_controller_call, (sekha__fn)cb, userdata);
}

SEKHA__SYNC_CB(health_sync_cb, sekha_health, sekha_health_copy)

sekha_code sekha_controller_health_sync(sekha_client *client, sekha_health **out,
                                        sekha_error **err)
{
    SEKHA__SYNC_RETURN(client, sekha_controller_health(client, health_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_health_free, err);
}

sekha_request *sekha_controller_metrics(sekha_client *client, sekha_metrics_cb cb,
                                        void *userdata)
{
    return plain(client, "GET", "/metrics", "controller GET /metrics",
                 "text/plain, application/json;q=0.9", 0, &ctl_metrics_call, (sekha__fn)cb,
                 userdata);
}

SEKHA__SYNC_CB(metrics_sync_cb, sekha_metrics, sekha_metrics_copy)

sekha_code sekha_controller_metrics_sync(sekha_client *client, sekha_metrics **out,
                                         sekha_error **err)
{
    SEKHA__SYNC_RETURN(client, sekha_controller_metrics(client, metrics_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_metrics_free, err);
}
