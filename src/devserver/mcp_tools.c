/* sekha-devserver MCP-tool HTTP endpoints (POST /mcp/tools/<tool>, contract section 1.3):
 * the McpAuth Bearer check first, then the body, then the {success, data, error} envelope.
 * Failures are bare 404/500 statuses with empty bodies; timestamps use chrono's to_string()
 * form with a space. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MCP_KEY "dev_default_key_change_me_1234567890"

static void respond_ok(ds_response *rs, json_t *data)
{
    ds_respond_json(rs, 200, json_pack("{s:b, s:o, s:n}", "success", 1, "data", data, "error"));
}

static void respond_fail(ds_response *rs, const char *error)
{
    ds_respond_json(rs, 200, json_pack("{s:b, s:n, s:s}", "success", 0, "data", "error", error));
}

/* Compares every byte so the time taken does not reveal how much of the key matched. */
static int key_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0 && lb > 0;
}

/* McpAuth: 401 missing, 400 not "Bearer " (case-sensitive, one space), 401 wrong or short. */
int ds_mcp_authorized(const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    if (cfg && cfg->mcp_oauth)
        return ds_oauth_authorized(cfg, rq, rs);
    const char *h = ds_header(rq, "Authorization");
    if (!h) {
        ds_respond_json(rs, 401, json_pack("{s:s}", "error", "Missing authorization header"));
        return 0;
    }
    if (strncmp(h, "Bearer ", 7) != 0) {
        ds_respond_json(rs, 400, json_pack("{s:s}", "error", "Invalid authorization format"));
        return 0;
    }
    const char *key = cfg && cfg->mcp_api_key ? cfg->mcp_api_key : DEFAULT_MCP_KEY;
    const char *token = h + 7;
    if (strlen(token) < 32 || !key_equal(token, key)) {
        ds_respond_json(rs, 401, json_pack("{s:s}", "error", "Invalid API key"));
        return 0;
    }
    return 1;
}

static json_t *spaced(const char *ts)
{
    char out[DS_TS_LEN];
    ds_naive_spaced(ts, out);
    return json_string(out);
}

static int memory_store(ds_store *st, const ds_config *cfg, const ds_request *rq,
                        ds_response *rs)
{
    const ctl_field fields[] = {
        {"label", CT_STR, CR_REQUIRED},
        {"folder", CT_STR, CR_REQUIRED},
        {"messages", ctl_msg_type(cfg), CR_REQUIRED},
        {"importance_score", CT_I32, CR_OPTION},
    };
    json_t *body = ctl_body(rq, rs, fields, sizeof fields / sizeof fields[0]);
    if (!body)
        return 1;
    size_t n = 0;
    ds_new_msg *msgs = ctl_msgs(json_object_get(body, "messages"), &n);
    ds_conv c;
    char *err = NULL;
    int importance = (int)ctl_int(body, "importance_score", 5);
    if (ds_store_create(st, ctl_str(body, "label"), ctl_str(body, "folder"), importance, msgs,
                        n, &c, &err) != DS_OK) {
        ds_respond_empty(rs, 500);
    } else {
        respond_ok(rs, json_pack("{s:s, s:s, s:s, s:s}", "conversation_id", c.id, "id", c.id,
                                 "label", c.label, "folder", c.folder));
        ds_conv_clear(&c);
    }
    free(err);
    ctl_msgs_free(msgs, n);
    json_decref(body);
    return 1;
}

static int memory_search(ds_store *st, const ds_config *cfg, const ds_request *rq,
                         ds_response *rs)
{
    (void)cfg;
    static const ctl_field fields[] = {
        {"query", CT_STR, CR_REQUIRED},
        {"filters", CT_ANY, CR_OPTION},
        {"limit", CT_U32, CR_OPTION},
        {"offset", CT_U32, CR_OPTION},
    };
    json_t *body = ctl_body(rq, rs, fields, sizeof fields / sizeof fields[0]);
    if (!body)
        return 1;
    long long limit = ctl_int(body, "limit", 10);
    const char *query = ctl_str(body, "query");
    ds_msg *hits = NULL;
    size_t n = 0;
    char *err = NULL;
    if (ctl_semantic(st, query, (size_t)limit, json_object_get(body, "filters"), &hits, &n,
                     &err) != DS_OK) {
        ds_respond_empty(rs, 500);
    } else {
        json_t *results = json_array();
        for (size_t i = 0; i < n; i++) {
            const ds_msg *m = &hits[i];
            json_array_append_new(
                results, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o}", "conversation_id",
                                   m->conversation_id, "message_id", m->id, "score",
                                   ctl_f32(m->score), "content", m->content, "label", m->label,
                                   "folder", m->folder, "timestamp", spaced(m->timestamp),
                                   "metadata", ctl_chroma_meta(m)));
        }
        respond_ok(rs, json_pack("{s:s, s:I, s:I, s:o}", "query", query, "total_results",
                                 (json_int_t)n, "limit", (json_int_t)limit, "results", results));
    }
    free(err);
    ds_msgs_free(hits, n);
    json_decref(body);
    return 1;
}

/* The real tool saves label and folder only (as one "label/folder" entry), yet lists status
 * and importance_score as updated and checks neither; --upstream does the same. The
 * devserver's own mode applies every field it reports. */
static int upstream_update(ds_store *st, json_t *body, ds_response *rs)
{
    char id[DS_UUID_LEN + 1];
    ctl_uuid(body, "conversation_id", id);
    const char *label = ctl_str(body, "label");
    const char *folder = ctl_str(body, "folder");
    ds_conv c;
    int rc = ds_store_get(st, id, &c);
    if (rc == DS_OK && (label || folder))
        rc = ds_store_update(st, id, label ? label : c.label, folder ? folder : c.folder, NULL,
                             DS_KEEP);
    if (rc != DS_OK) {
        ds_respond_empty(rs, rc == DS_NOTFOUND ? 404 : 500);
        return 1;
    }
    ds_conv_clear(&c);
    json_t *updated = json_array();
    if (label || folder)
        json_array_append_new(updated, json_string("label/folder"));
    if (ctl_str(body, "status"))
        json_array_append_new(updated, json_string("status"));
    if (json_is_integer(json_object_get(body, "importance_score")))
        json_array_append_new(updated, json_string("importance_score"));
    respond_ok(rs, json_pack("{s:s, s:o, s:s}", "conversation_id", id, "updated_fields", updated,
                             "message", "Conversation updated successfully"));
    return 1;
}

static int memory_update(ds_store *st, const ds_config *cfg, const ds_request *rq,
                         ds_response *rs)
{
    static const ctl_field fields[] = {
        {"conversation_id", CT_UUID, CR_REQUIRED},
        {"label", CT_STR, CR_OPTION},
        {"folder", CT_STR, CR_OPTION},
        {"status", CT_STR, CR_OPTION},
        {"importance_score", CT_I32, CR_OPTION},
    };
    json_t *body = ctl_body(rq, rs, fields, sizeof fields / sizeof fields[0]);
    if (!body)
        return 1;
    if (cfg->upstream != DS_UP_NONE) {
        upstream_update(st, body, rs);
        json_decref(body);
        return 1;
    }
    char id[DS_UUID_LEN + 1];
    ctl_uuid(body, "conversation_id", id);
    const char *label = ctl_str(body, "label");
    const char *folder = ctl_str(body, "folder");
    const char *status = ctl_str(body, "status");
    const json_t *imp = json_object_get(body, "importance_score");
    int importance = json_is_integer(imp) ? (int)json_integer_value(imp) : DS_KEEP;
    if (status && strcmp(status, "active") != 0 && strcmp(status, "archived") != 0 &&
        strcmp(status, "pinned") != 0) {
        respond_fail(rs, "Invalid status: must be active, archived, or pinned");
        json_decref(body);
        return 1;
    }
    json_t *updated = json_array();
    if (label)
        json_array_append_new(updated, json_string("label"));
    if (folder)
        json_array_append_new(updated, json_string("folder"));
    if (status)
        json_array_append_new(updated, json_string("status"));
    if (json_is_integer(imp))
        json_array_append_new(updated, json_string("importance_score"));
    /* "pinned" is the SDK's word for importance 10; the stored status stays as it was. */
    if (status && strcmp(status, "pinned") == 0) {
        status = NULL;
        if (importance == DS_KEEP)
            importance = 10;
    }
    int rc = ds_store_update(st, id, label, folder, status, importance);
    if (rc == DS_NOTFOUND) {
        ds_respond_empty(rs, 404);
        json_decref(updated);
    } else if (rc != DS_OK) {
        ds_respond_empty(rs, 500);
        json_decref(updated);
    } else {
        respond_ok(rs, json_pack("{s:s, s:o, s:s}", "conversation_id", id, "updated_fields",
                                 updated, "message", "Conversation updated successfully"));
    }
    json_decref(body);
    return 1;
}

static int memory_prune(ds_store *st, const ds_config *cfg, const ds_request *rq,
                        ds_response *rs)
{
    static const ctl_field fields[] = {
        {"threshold_days", CT_I64, CR_DEFAULT},
        {"importance_threshold", CT_F32, CR_DEFAULT},
    };
    json_t *body = ctl_body(rq, rs, fields, 2);
    if (!body)
        return 1;
    long long days = ctl_int(body, "threshold_days", 30);
    double threshold = ctl_num(body, "importance_threshold", 5.0);
    long long savings = 0;
    json_t *s = ctl_prune_suggestions(st, days, 1, &savings);
    /* The real tool builds its LLM client from the Ollama URL, so the preview of the first
     * candidate fails and the whole call is a bare 500; only "nothing to prune" succeeds. */
    if (!s || (cfg->upstream != DS_UP_NONE && json_array_size(s) > 0)) {
        json_decref(s);
        ds_respond_empty(rs, 500);
    } else
        respond_ok(rs, json_pack("{s:I, s:o, s:I, s:I, s:o}", "threshold_days", (json_int_t)days,
                                 "importance_threshold", ctl_f32(threshold), "total_suggestions",
                                 (json_int_t)json_array_size(s), "estimated_token_savings",
                                 (json_int_t)savings, "suggestions", s));
    json_decref(body);
    return 1;
}

static json_t *conversation_json(const ds_conv *c, int with_id_key)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:o, s:o}",
                          with_id_key ? "id" : "conversation_id", c->id, "label", c->label,
                          "folder", c->folder, "status", c->status, "importance_score",
                          c->importance, "word_count", (json_int_t)c->word_count,
                          "session_count", (json_int_t)c->session_count, "created_at",
                          spaced(c->created_at), "updated_at", spaced(c->updated_at));
    return o;
}

/* Reads the conversation named by the body's conversation_id; 0 when found, else the bare
 * 404/500 is already set. */
static int load_conversation(ds_store *st, const json_t *body, ds_conv *c, ds_response *rs)
{
    char id[DS_UUID_LEN + 1];
    ctl_uuid(body, "conversation_id", id);
    int rc = ds_store_get(st, id, c);
    if (rc == DS_OK)
        return 0;
    ds_respond_empty(rs, rc == DS_NOTFOUND ? 404 : 500);
    return -1;
}

static int memory_get_context(ds_store *st, const ds_config *cfg, const ds_request *rq,
                              ds_response *rs)
{
    (void)cfg;
    static const ctl_field fields[] = {{"conversation_id", CT_UUID, CR_REQUIRED}};
    json_t *body = ctl_body(rq, rs, fields, 1);
    if (!body)
        return 1;
    ds_conv c;
    if (load_conversation(st, body, &c, rs) == 0) {
        respond_ok(rs, conversation_json(&c, 0));
        ds_conv_clear(&c);
    }
    json_decref(body);
    return 1;
}

static int memory_export(ds_store *st, const ds_config *cfg, const ds_request *rq,
                         ds_response *rs)
{
    (void)cfg;
    static const ctl_field fields[] = {
        {"conversation_id", CT_UUID, CR_REQUIRED},
        {"format", CT_STR, CR_OPTION},
        {"include_metadata", CT_BOOL, CR_OPTION},
    };
    json_t *body = ctl_body(rq, rs, fields, sizeof fields / sizeof fields[0]);
    if (!body)
        return 1;
    ds_conv c;
    if (load_conversation(st, body, &c, rs) != 0) {
        json_decref(body);
        return 1;
    }
    ds_msg *msgs = NULL;
    size_t n = 0;
    if (ds_store_messages(st, c.id, 0, &msgs, &n) != DS_OK) {
        ds_respond_empty(rs, 500);
    } else {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", msgs[i].id, "role",
                               msgs[i].role, "content", msgs[i].content, "timestamp",
                               spaced(msgs[i].timestamp), "metadata",
                               msgs[i].metadata ? ctl_meta(msgs[i].metadata) : json_null()));
        /* format and include_metadata are only echoed, as in the real tool. */
        const char *format = ctl_str(body, "format");
        const json_t *im = json_object_get(body, "include_metadata");
        respond_ok(rs, json_pack("{s:o, s:o, s:s, s:b}", "conversation", conversation_json(&c, 1),
                                 "messages", arr, "format", format ? format : "json",
                                 "include_metadata", json_is_boolean(im) ? json_is_true(im) : 1));
    }
    ds_msgs_free(msgs, n);
    ds_conv_clear(&c);
    json_decref(body);
    return 1;
}

static int memory_stats(ds_store *st, const ds_config *cfg, const ds_request *rq,
                        ds_response *rs)
{
    (void)cfg;
    static const ctl_field fields[] = {
        {"folder", CT_STR, CR_OPTION},
        {"label", CT_STR, CR_OPTION},
    };
    json_t *body = ctl_body(rq, rs, fields, 2);
    if (!body)
        return 1;
    const char *folder = ctl_str(body, "folder");
    const char *label = ctl_str(body, "label");
    long long count = 0;
    double avg = 0;
    if (folder && label) {
        respond_fail(rs, "Cannot specify both folder and label");
    } else if (ds_store_stats(st, folder, label, &count, &avg) != DS_OK) {
        ds_respond_empty(rs, 500);
    } else {
        json_t *data = json_pack("{s:I, s:f}", "total_conversations", (json_int_t)count,
                                 "average_importance", avg);
        if (label) {
            json_object_set_new(data, "labels", json_pack("[s]", label));
        } else if (folder) {
            json_object_set_new(data, "folders", json_pack("[s]", folder));
        } else {
            char **all = NULL;
            size_t n = 0;
            json_t *arr = json_array();
            if (ds_store_distinct(st, "folder", &all, &n) == DS_OK)
                for (size_t i = 0; i < n; i++)
                    json_array_append_new(arr, json_string(all[i]));
            ds_strv_free(all, n);
            json_object_set_new(data, "folders", arr);
        }
        respond_ok(rs, data);
    }
    json_decref(body);
    return 1;
}

int ds_mcp_tools_handle(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    static const struct {
        const char *name;
        int (*fn)(ds_store *, const ds_config *, const ds_request *, ds_response *);
    } tools[] = {
        {"memory_store", memory_store},
        {"memory_search", memory_search},
        {"memory_update", memory_update},
        {"memory_prune", memory_prune},
        {"memory_get_context", memory_get_context},
        {"memory_export", memory_export},
        {"memory_stats", memory_stats},
    };
    if (strncmp(rq->path, "/mcp/tools/", 11) != 0)
        return 0;
    const char *tool = rq->path + 11;
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        if (strcmp(tool, tools[i].name) != 0)
            continue;
        /* Routing (405) comes before the extractors; auth runs before the body is read. */
        if (strcmp(rq->method, "POST") != 0) {
            ds_respond_empty(rs, 405);
            return 1;
        }
        if (!ds_mcp_authorized(cfg, rq, rs))
            return 1;
        return tools[i].fn(st, cfg, rq, rs);
    }
    ds_respond_empty(rs, 404);
    return 1;
}
