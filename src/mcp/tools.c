/* The Sekha memory tools over the controller's HTTP tool endpoints (wire contract 1.3):
 * POST <MCP base>/mcp/tools/<tool> with the MCP key, answers wrapped in
 * {success, data, error}. The decoder unwraps the envelope; the controller's 400 for a
 * malformed Authorization header is an auth failure, not a bad request, so it is remapped
 * before the caller sees it (in deliver for async calls, after the sync call returns). */
#include <stdlib.h>
#include <string.h>

#include "core/jwrite.h"
#include "mcp/mcp_internal.h"
#include "mcp/tools.h"

#define AUTH_FORMAT_MESSAGE "Invalid authorization format"

static void *decode_envelope(const sekha_response *resp, void *dctx, sekha_error **err)
{
    (void)dctx;
    cJSON *root = sekha__json_parse(resp, "MCP tool", err);
    if (!root)
        return NULL;
    const cJSON *success = cJSON_GetObjectItemCaseSensitive(root, "success");
    if (!cJSON_IsBool(success)) {
        cJSON_Delete(root);
        *err = sekha__json_bad("MCP tool", "success", "a boolean");
        return NULL;
    }
    if (!cJSON_IsTrue(success)) {
        sekha_error *e = sekha__error_new(SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE, NULL);
        if (e != &sekha__nomem_error) {
            size_t len = 0;
            const char *body = sekha_response_body(resp, &len);
            sekha__error_parse_body(e, body, len); /* takes "error" as the message */
            if (!sekha__json_str(root, "error")) {
                free(e->service_message); /* the raw envelope is no message */
                e->service_message = NULL;
                e->detail = strdup("the tool reported a failure without a message");
            }
        }
        cJSON_Delete(root);
        *err = e;
        return NULL;
    }
    cJSON *data = cJSON_DetachItemFromObjectCaseSensitive(root, "data");
    cJSON_Delete(root);
    sekha_mcp_data *d = mcp_data_new(data);
    if (!d)
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
    return d;
}

/* The controller answers a header that does not start with "Bearer " with 400; it is the
 * key that is wrong, so callers get SEKHA_E_AUTH like for the 401s. */
static void remap_auth(sekha_error *e, const char *what)
{
    if (e && e != &sekha__nomem_error && e->layer == SEKHA_LAYER_HTTP && e->http_status == 400 &&
        e->service_message && strcmp(e->service_message, AUTH_FORMAT_MESSAGE) == 0) {
        e->code = SEKHA_E_AUTH;
        sekha__error_compose(e, what);
    }
}

static void deliver_data(sekha__fn cb, sekha_request *req, const sekha_error *err, void *res,
                         void *ud)
{
    if (err && err == sekha__req(req)->err)
        remap_auth(sekha__req(req)->err, sekha__req(req)->what);
    ((sekha_mcp_data_cb)cb)(req, err, res, ud);
}

static void free_data(void *d)
{
    sekha_mcp_data_free(d);
}

const sekha__call_spec mcp_envelope_call = {decode_envelope, free_data, deliver_data};

static void what_for(char *buf, size_t n, const char *tool)
{
    snprintf(buf, n, "mcp POST /mcp/tools/%s", tool);
}

static sekha_request *fail(sekha_client *c, sekha_error *e, sekha_mcp_data_cb cb, void *ud)
{
    return sekha__call_fail(c, NULL, &mcp_envelope_call, e, (sekha__fn)cb, ud);
}

static sekha_error *invalid(const char *why)
{
    return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "%s", why);
}

/* Writes tree (taken) into b: SEKHA_OK, SEKHA_E_NOMEM, or SEKHA_E_INVALID_ARG with why
 * naming the field that is not UTF-8. */
static sekha_code write_body(sekha_buf *b, cJSON *tree, char *why, size_t why_len)
{
    int rc = tree ? sekha__jw_tree(b, tree, why, why_len) : SEKHA_JW_NOMEM;
    cJSON_Delete(tree);
    return rc == 0 ? SEKHA_OK : rc == SEKHA_JW_NOMEM ? SEKHA_E_NOMEM : SEKHA_E_INVALID_ARG;
}

/* A caller's JSON text must be one JSON value in UTF-8 before cJSON reads it (cJSON takes
 * "{} junk" and copies bytes that are not UTF-8). */
static sekha_code check_text(const char *text, const char *name, char *why, size_t why_len)
{
    int rc = sekha__jw_check_text(text, name, why, why_len);
    return rc == 0 ? SEKHA_OK : rc == SEKHA_JW_NOMEM ? SEKHA_E_NOMEM : SEKHA_E_INVALID_ARG;
}

/* Sends the body a body function wrote (rc SEKHA_OK), or ends the call here with its
 * error, named after the tool; b is freed either way. Read-only tools are safe to
 * re-send. */
static sekha_request *post_body(sekha_client *c, const char *tool, sekha_code rc, sekha_buf *b,
                                const char *why, int read_only, sekha_mcp_data_cb cb, void *ud)
{
    sekha_request *r;
    if (rc == SEKHA_E_NOMEM) {
        r = fail(c, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL), cb, ud);
    } else if (rc != SEKHA_OK) {
        r = fail(c, sekha__error_new(rc, SEKHA_LAYER_LOCAL, "%s: %s", tool, why), cb, ud);
    } else {
        char path[64], what[96];
        snprintf(path, sizeof path, "/mcp/tools/%s", tool);
        what_for(what, sizeof what, tool);
        sekha__spec spec = {
            .service = SEKHA_SERVICE_MCP,
            .method = "POST",
            .path = path,
            .content_type = "application/json",
            .accept = "application/json",
            .body = b->data,
            .body_len = b->len,
            .flags = read_only ? SEKHA_HTTP_IDEMPOTENT : 0,
            .what = what,
        };
        r = sekha__call(c, &spec, &mcp_envelope_call, NULL, NULL, (sekha__fn)cb, ud);
    }
    sekha__buf_free(b);
    return r;
}

/* Sends tree (taken) to the tool, every string in it checked for UTF-8 first. */
static sekha_request *post_tool(sekha_client *c, const char *tool, cJSON *tree, int read_only,
                                sekha_mcp_data_cb cb, void *ud)
{
    if (!c) {
        cJSON_Delete(tree);
        return NULL;
    }
    char why[320];
    sekha_buf b = {0};
    sekha_code rc = write_body(&b, tree, why, sizeof why);
    return post_body(c, tool, rc, &b, why, read_only, cb, ud);
}

static int add_str(cJSON *o, const char *key, const char *v)
{
    return !v || cJSON_AddStringToObject(o, key, v) != NULL;
}

/* Integers go out as JSON integers: the controller rejects 7.0 where an i32 is expected. */
static int add_int(cJSON *o, const char *key, long v)
{
    return cJSON_AddNumberToObject(o, key, (double)v) != NULL;
}

/* ---- the seven tools ---- */

sekha_request *sekha_mcp_memory_stats(sekha_client *c, const char *folder, const char *label,
                                      sekha_mcp_data_cb cb, void *ud)
{
    cJSON *b = cJSON_CreateObject();
    if (b && (!add_str(b, "folder", folder) || !add_str(b, "label", label))) {
        cJSON_Delete(b);
        b = NULL;
    }
    return post_tool(c, "memory_stats", b, 1, cb, ud);
}

sekha_code mcp_search_body(sekha_buf *b, const char *query, const char *filters_json,
                           unsigned limit, char *why, size_t why_len)
{
    cJSON *filters = NULL;
    if (filters_json) {
        sekha_code rc = check_text(filters_json, "filters_json", why, why_len);
        if (rc != SEKHA_OK)
            return rc;
        if (!cJSON_IsObject(filters = cJSON_Parse(filters_json))) {
            cJSON_Delete(filters);
            snprintf(why, why_len, "filters must be a JSON object (a Chroma where clause)");
            return SEKHA_E_INVALID_ARG;
        }
    }
    cJSON *t = cJSON_CreateObject();
    int ok = t && add_str(t, "query", query) && (!limit || add_int(t, "limit", (long)limit));
    if (ok && filters) {
        ok = cJSON_AddItemToObject(t, "filters", filters);
        filters = ok ? NULL : filters;
    }
    cJSON_Delete(filters);
    if (!ok) {
        cJSON_Delete(t);
        return SEKHA_E_NOMEM;
    }
    return write_body(b, t, why, why_len);
}

sekha_request *sekha_mcp_memory_search(sekha_client *c, const char *query, const char *filters_json,
                                       unsigned limit, sekha_mcp_data_cb cb, void *ud)
{
    if (!c)
        return NULL;
    if (!query || !*query)
        return fail(c, invalid("query must be a non-empty string"), cb, ud);
    char why[320];
    sekha_buf b = {0};
    sekha_code rc = mcp_search_body(&b, query, filters_json, limit, why, sizeof why);
    return post_body(c, "memory_search", rc, &b, why, 1, cb, ud);
}

/* A non-empty array of {role, content} objects (content: text, or an array of parts). */
static int messages_ok(const cJSON *m)
{
    if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) == 0)
        return 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, m) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "role")) ||
            !(cJSON_IsString(content) || cJSON_IsArray(content)))
            return 0;
    }
    return 1;
}

sekha_code mcp_store_body(sekha_buf *b, const char *label, const char *folder,
                          const char *messages_json, int importance, char *why, size_t why_len)
{
    if (messages_json) {
        sekha_code rc = check_text(messages_json, "messages_json", why, why_len);
        if (rc != SEKHA_OK)
            return rc;
    }
    cJSON *msgs = messages_json ? cJSON_Parse(messages_json) : NULL;
    if (!messages_ok(msgs)) {
        cJSON_Delete(msgs);
        snprintf(why, why_len, "messages must be a non-empty JSON array of {\"role\",\"content\"}");
        return SEKHA_E_INVALID_ARG;
    }
    cJSON *t = cJSON_CreateObject();
    int ok = t && add_str(t, "label", label) && add_str(t, "folder", folder) &&
             cJSON_AddItemToObject(t, "messages", msgs);
    if (!ok)
        cJSON_Delete(msgs); /* not attached */
    if (ok && importance != -1)
        ok = add_int(t, "importance_score", importance);
    if (!ok) {
        cJSON_Delete(t);
        return SEKHA_E_NOMEM;
    }
    return write_body(b, t, why, why_len);
}

sekha_request *sekha_mcp_memory_store(sekha_client *c, const char *label, const char *folder,
                                      const char *messages_json, int importance,
                                      sekha_mcp_data_cb cb, void *ud)
{
    if (!c)
        return NULL;
    if (!label || !*label || !folder || !*folder)
        return fail(c, invalid("label and folder must be non-empty strings"), cb, ud);
    if (importance != -1 && (importance < 1 || importance > 10))
        return fail(c, invalid("importance must be 1-10 (or -1 for the default)"), cb, ud);
    char why[320];
    sekha_buf b = {0};
    sekha_code rc = mcp_store_body(&b, label, folder, messages_json, importance, why, sizeof why);
    return post_body(c, "memory_store", rc, &b, why, 0, cb, ud);
}

sekha_request *sekha_mcp_memory_update(sekha_client *c, const char *conversation_id,
                                       const char *label, const char *folder, const char *status,
                                       int importance, sekha_mcp_data_cb cb, void *ud)
{
    if (!c)
        return NULL;
    if (!sekha__is_uuid(conversation_id))
        return fail(c, invalid("conversation_id must be a UUID"), cb, ud);
    if (importance != -1 && (importance < 1 || importance > 10))
        return fail(c, invalid("importance must be 1-10 (or -1 to leave it)"), cb, ud);
    cJSON *b = cJSON_CreateObject();
    int ok = b && add_str(b, "conversation_id", conversation_id) && add_str(b, "label", label) &&
             add_str(b, "folder", folder) && add_str(b, "status", status) &&
             (importance == -1 || add_int(b, "importance_score", importance));
    if (!ok) {
        cJSON_Delete(b);
        b = NULL;
    }
    return post_tool(c, "memory_update", b, 0, cb, ud);
}

sekha_request *sekha_mcp_memory_prune(sekha_client *c, long threshold_days,
                                      double importance_threshold, sekha_mcp_data_cb cb, void *ud)
{
    cJSON *b = cJSON_CreateObject();
    int ok = b && (threshold_days < 0 || add_int(b, "threshold_days", threshold_days)) &&
             (importance_threshold < 0 ||
              cJSON_AddNumberToObject(b, "importance_threshold", importance_threshold));
    if (!ok) {
        cJSON_Delete(b);
        b = NULL;
    }
    return post_tool(c, "memory_prune", b, 0, cb, ud);
}

static cJSON *id_body(const char *conversation_id)
{
    cJSON *b = cJSON_CreateObject();
    if (b && !add_str(b, "conversation_id", conversation_id)) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

sekha_request *sekha_mcp_memory_get_context(sekha_client *c, const char *conversation_id,
                                            sekha_mcp_data_cb cb, void *ud)
{
    if (c && !sekha__is_uuid(conversation_id))
        return fail(c, invalid("conversation_id must be a UUID"), cb, ud);
    return post_tool(c, "memory_get_context", id_body(conversation_id), 1, cb, ud);
}

sekha_request *sekha_mcp_memory_export(sekha_client *c, const char *conversation_id,
                                       const char *format, int include_metadata,
                                       sekha_mcp_data_cb cb, void *ud)
{
    if (c && !sekha__is_uuid(conversation_id))
        return fail(c, invalid("conversation_id must be a UUID"), cb, ud);
    cJSON *b = id_body(conversation_id);
    if (b && (!add_str(b, "format", format) ||
              (include_metadata != -1 &&
               !cJSON_AddBoolToObject(b, "include_metadata", include_metadata != 0)))) {
        cJSON_Delete(b);
        b = NULL;
    }
    return post_tool(c, "memory_export", b, 1, cb, ud);
}

/* ---- sync forms ---- */

typedef struct tool_args {
    const char *tool;
    const char *s1, *s2, *s3, *s4;
    long n1;
    double d1;
    unsigned u1;
} tool_args;

static sekha_request *start_tool(sekha_client *c, void *arg, sekha__fn cb, void *ud)
{
    const tool_args *a = arg;
    sekha_mcp_data_cb f = (sekha_mcp_data_cb)cb;
    const char *t = a->tool;
    if (strcmp(t, "memory_stats") == 0)
        return sekha_mcp_memory_stats(c, a->s1, a->s2, f, ud);
    if (strcmp(t, "memory_search") == 0)
        return sekha_mcp_memory_search(c, a->s1, a->s2, a->u1, f, ud);
    if (strcmp(t, "memory_store") == 0)
        return sekha_mcp_memory_store(c, a->s1, a->s2, a->s3, (int)a->n1, f, ud);
    if (strcmp(t, "memory_update") == 0)
        return sekha_mcp_memory_update(c, a->s1, a->s2, a->s3, a->s4, (int)a->n1, f, ud);
    if (strcmp(t, "memory_prune") == 0)
        return sekha_mcp_memory_prune(c, a->n1, a->d1, f, ud);
    if (strcmp(t, "memory_get_context") == 0)
        return sekha_mcp_memory_get_context(c, a->s1, f, ud);
    return sekha_mcp_memory_export(c, a->s1, a->s2, (int)a->n1, f, ud);
}

static sekha_code run_sync(sekha_client *c, const tool_args *a, sekha_mcp_data **out,
                           sekha_error **err)
{
    sekha_error *e = NULL;
    sekha_code rc = sekha__call_sync(c, start_tool, (void *)a, (void **)out, &e);
    if (e) {
        char what[96];
        what_for(what, sizeof what, a->tool);
        remap_auth(e, what);
        rc = e->code;
    }
    if (err)
        *err = e;
    else
        sekha_error_free(e);
    return rc;
}

sekha_code sekha_mcp_memory_stats_sync(sekha_client *c, const char *folder, const char *label,
                                       sekha_mcp_data **out, sekha_error **err)
{
    tool_args a = {.tool = "memory_stats", .s1 = folder, .s2 = label};
    return run_sync(c, &a, out, err);
}

sekha_code sekha_mcp_memory_search_sync(sekha_client *c, const char *query,
                                        const char *filters_json, unsigned limit,
                                        sekha_mcp_data **out, sekha_error **err)
{
    tool_args a = {.tool = "memory_search", .s1 = query, .s2 = filters_json, .u1 = limit};
    return run_sync(c, &a, out, err);
}

sekha_code sekha_mcp_memory_store_sync(sekha_client *c, const char *label, const char *folder,
                                       const char *messages_json, int importance,
                                       sekha_mcp_data **out, sekha_error **err)
{
    tool_args a = {.tool = "memory_store", .s1 = label, .s2 = folder, .s3 = messages_json,
                   .n1 = importance};
    return run_sync(c, &a, out, err);
}

sekha_code sekha_mcp_memory_update_sync(sekha_client *c, const char *conversation_id,
                                        const char *label, const char *folder, const char *status,
                                        int importance, sekha_mcp_data **out, sekha_error **err)
{
    tool_args a = {.tool = "memory_update", .s1 = conversation_id, .s2 = label, .s3 = folder,
                   .s4 = status, .n1 = importance};
    return run_sync(c, &a, out, err);
}

sekha_code sekha_mcp_memory_prune_sync(sekha_client *c, long threshold_days,
                                       double importance_threshold, sekha_mcp_data **out,
                                       sekha_error **err)
{
    tool_args a = {.tool = "memory_prune", .n1 = threshold_days, .d1 = importance_threshold};
    return run_sync(c, &a, out, err);
}

sekha_code sekha_mcp_memory_get_context_sync(sekha_client *c, const char *conversation_id,
                                             sekha_mcp_data **out, sekha_error **err)
{
    tool_args a = {.tool = "memory_get_context", .s1 = conversation_id};
    return run_sync(c, &a, out, err);
}

sekha_code sekha_mcp_memory_export_sync(sekha_client *c, const char *conversation_id,
                                        const char *format, int include_metadata,
                                        sekha_mcp_data **out, sekha_error **err)
{
    tool_args a = {.tool = "memory_export", .s1 = conversation_id, .s2 = format,
                   .n1 = include_metadata};
    return run_sync(c, &a, out, err);
}
