/* sekha-devserver controller routes: the router for the 19 REST routes plus the
 * conversation routes (#1-#9), /health and /metrics. The search, context and maintenance
 * routes live in controller_search.c. Status codes, empty bodies and error texts follow the
 * real controller, including its quirks (docs/devserver.md lists the differences). */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int is_get(const ds_request *rq)
{
    /* axum's get() also answers HEAD; the plumbing drops the body. */
    return strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
}

static int method_is(const ds_request *rq, const char *m) { return strcmp(rq->method, m) == 0; }

static int not_allowed(ds_response *rs)
{
    ds_respond_empty(rs, 405);
    return 1;
}

static void respond_db_error(ds_response *rs, const char *err)
{
    char msg[512];
    snprintf(msg, sizeof msg, "Database error: %s", err ? err : "query failed");
    ds_respond_error(rs, 500, msg);
}

/* ---- #1 POST /api/v1/conversations */
static int create_conversation(ds_store *st, const ds_config *cfg, const ds_request *rq,
                               ds_response *rs)
{
    const ctl_field fields[] = {
        {"label", CT_STR, CR_REQUIRED},
        {"folder", CT_STR, CR_REQUIRED},
        {"messages", ctl_msg_type(cfg), CR_REQUIRED},
    };
    json_t *body = ctl_body(rq, rs, fields, sizeof fields / sizeof fields[0]);
    if (!body)
        return 1;
    size_t n = 0;
    ds_new_msg *msgs = ctl_msgs(json_object_get(body, "messages"), &n);
    ds_conv c;
    char *err = NULL;
    if (ds_store_create(st, ctl_str(body, "label"), ctl_str(body, "folder"), 5, msgs, n, &c,
                        &err) != DS_OK) {
        ds_respond_error(rs, 500, err ? err : "Database error");
    } else {
        ds_respond_json(rs, 201,
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "id", c.id,
                                  "conversation_id", c.id, "label", c.label, "folder", c.folder,
                                  "status", c.status, "message_count", (json_int_t)n,
                                  "created_at", c.created_at));
        ds_conv_clear(&c);
    }
    free(err);
    ctl_msgs_free(msgs, n);
    json_decref(body);
    return 1;
}

/* ---- #2 GET /api/v1/conversations/{id} */
static int get_conversation(ds_store *st, const char *id, ds_response *rs)
{
    ds_conv c;
    int rc = ds_store_get(st, id, &c);
    if (rc == DS_NOTFOUND) {
        ds_respond_error(rs, 404, "Conversation not found");
    } else if (rc != DS_OK) {
        respond_db_error(rs, NULL);
    } else {
        ds_respond_json(rs, 200,
                        json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "id", c.id, "label",
                                  c.label, "folder", c.folder, "status", c.status,
                                  "message_count", (json_int_t)c.message_count, "created_at",
                                  c.created_at));
        ds_conv_clear(&c);
    }
    return 1;
}

/* Query-string values parse the way serde_urlencoded does for u32 and bool; failures are
 * axum's plain-text 400 "Failed to deserialize query string". */
static int query_u32(const ds_request *rq, const char *name, long long def, long long *out,
                     ds_response *rs)
{
    const char *v = ds_query_arg(rq, name);
    *out = def;
    if (!v)
        return 0;
    const char *p = v[0] == '+' ? v + 1 : v;
    char *end = NULL;
    unsigned long long x = *p >= '0' && *p <= '9' ? strtoull(p, &end, 10) : 0;
    if (!end || *end || x > 4294967295ULL) {
        char msg[256];
        snprintf(msg, sizeof msg, "Failed to deserialize query string: %s: %s", name,
                 end && !*end ? "number too large to fit in target type"
                              : "invalid digit found in string");
        ds_respond_text(rs, 400, msg);
        return -1;
    }
    *out = (long long)x;
    return 0;
}

static int query_bool(const ds_request *rq, const char *name, int *out, ds_response *rs)
{
    const char *v = ds_query_arg(rq, name);
    *out = -1;
    if (!v)
        return 0;
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        *out = v[0] == 't';
        return 0;
    }
    char msg[256];
    snprintf(msg, sizeof msg,
             "Failed to deserialize query string: %s: provided string was not `true` or `false`",
             name);
    ds_respond_text(rs, 400, msg);
    return -1;
}

/* ---- #3 GET /api/v1/conversations
 * The real controller's filters never match: it builds "label = 'x'" and then applies it as
 * "label CONTAINS that string", and it has no pinned/archived columns, so any filter gives an
 * empty list. With --upstream the devserver does the same; in its own mode it filters
 * correctly (label/folder exact, pinned = importance >= 10, archived = status "archived") so
 * clients can test the intended use. */
static int list_conversations(ds_store *st, const ds_config *cfg, const ds_request *rq,
                              ds_response *rs)
{
    long long page, page_size;
    ds_list_filter f = {ds_query_arg(rq, "label"), ds_query_arg(rq, "folder"), -1, -1};
    if (query_u32(rq, "page", 1, &page, rs) || query_u32(rq, "page_size", 50, &page_size, rs) ||
        query_bool(rq, "pinned", &f.pinned, rs) || query_bool(rq, "archived", &f.archived, rs))
        return 1;
    if (page < 1) {
        /* The real offset (page-1)*page_size underflows u32 for page 0. */
        ds_respond_text(rs, 400, "Failed to deserialize query string: page: must be at least 1");
        return 1;
    }
    ds_conv *convs = NULL;
    size_t n = 0;
    long long total = 0;
    if (cfg->upstream != DS_UP_NONE && (f.label || f.folder || f.pinned >= 0 || f.archived >= 0)) {
        ds_respond_json(rs, 200, json_pack("{s:[], s:i, s:I, s:I}", "results", "total", 0,
                                           "page", (json_int_t)page, "page_size",
                                           (json_int_t)page_size));
        return 1;
    }
    /* Both factors are u32, so the product can pass LLONG_MAX; any offset that large is
     * past the end anyway. */
    long long offset = page_size && page - 1 > LLONG_MAX / page_size ? LLONG_MAX
                                                                      : (page - 1) * page_size;
    if (ds_store_list(st, &f, page_size, offset, &convs, &n, &total) != DS_OK) {
        /* The real handler turns a DB error into an empty list, never an error status. */
        convs = NULL;
        n = 0;
        total = 0;
    }
    json_t *results = json_array();
    for (size_t i = 0; i < n; i++) {
        const ds_conv *c = &convs[i];
        json_array_append_new(
            results,
            json_pack("{s:s, s:s, s:o, s:s, s:{s:s, s:s, s:i}, s:s, s:s, s:s}",
                      "conversation_id", c->id, "message_id",
                      "00000000-0000-0000-0000-000000000000", "score", ctl_f32(1.0), "content",
                      c->label, "metadata", "folder", c->folder, "status", c->status,
                      "importance_score", c->importance, "label", c->label, "folder", c->folder,
                      "timestamp", c->updated_at));
    }
    ds_convs_free(convs, n);
    ds_respond_json(rs, 200,
                    json_pack("{s:o, s:I, s:I, s:I}", "results", results, "total",
                              (json_int_t)(total > 4294967295LL ? 4294967295LL : total),
                              "page", (json_int_t)page, "page_size", (json_int_t)page_size));
    return 1;
}

/* ---- #4..#7 PUT /api/v1/conversations/{id}/{label|folder|pin|archive} */
static int update_conversation(ds_store *st, const ds_config *cfg, const ds_request *rq,
                               ds_response *rs, const char *id, const char *action)
{
    int rc;
    char not_found[128];
    ctl_not_found(cfg, id, not_found, sizeof not_found);
    if (strcmp(action, "label") == 0) {
        static const ctl_field fields[] = {
            {"label", CT_STR, CR_REQUIRED},
            {"folder", CT_STR, CR_REQUIRED},
        };
        json_t *body = ctl_body(rq, rs, fields, 2);
        if (!body)
            return 1;
        rc = ds_store_update(st, id, ctl_str(body, "label"), ctl_str(body, "folder"), NULL,
                             DS_KEEP);
        json_decref(body);
        /* The real handler maps every repository error, not-found included, to 404. */
        if (rc != DS_OK)
            ds_respond_error(rs, 404, rc == DS_NOTFOUND ? not_found : "Database error");
        else
            ds_respond_empty(rs, 200);
        return 1;
    }
    if (strcmp(action, "folder") == 0) {
        static const ctl_field fields[] = {{"folder", CT_STR, CR_REQUIRED}};
        json_t *body = ctl_body(rq, rs, fields, 1);
        if (!body)
            return 1;
        rc = ds_store_update(st, id, NULL, ctl_str(body, "folder"), NULL, DS_KEEP);
        json_decref(body);
        if (rc == DS_NOTFOUND)
            ds_respond_error(rs, 404, "Conversation not found");
        else if (rc != DS_OK)
            respond_db_error(rs, NULL);
        else
            ds_respond_empty(rs, 200);
        return 1;
    }
    /* pin and archive take no body; not-found surfaces as the repository's 500. */
    if (strcmp(action, "pin") == 0)
        rc = ds_store_update(st, id, NULL, NULL, NULL, 10);
    else
        rc = ds_store_update(st, id, NULL, NULL, "archived", DS_KEEP);
    if (rc == DS_NOTFOUND)
        ds_respond_error(rs, 500, not_found);
    else if (rc != DS_OK)
        respond_db_error(rs, NULL);
    else
        ds_respond_empty(rs, 200);
    return 1;
}

/* ---- #8 DELETE /api/v1/conversations/{id} */
static int delete_conversation(ds_store *st, const char *id, ds_response *rs)
{
    int rc = ds_store_delete(st, id);
    if (rc == DS_NOTFOUND)
        ds_respond_error(rs, 404, "Conversation not found");
    else if (rc != DS_OK)
        respond_db_error(rs, NULL);
    else
        ds_respond_empty(rs, 200);
    return 1;
}

/* ---- #9 GET /api/v1/conversations/count */
static int count_conversations(ds_store *st, const ds_request *rq, ds_response *rs)
{
    const char *label = ds_query_arg(rq, "label");
    const char *folder = ds_query_arg(rq, "folder");
    if (label && folder) {
        /* A 200 with an "error" field and no label/folder keys, exactly as the real one. */
        ds_respond_json(rs, 200, json_pack("{s:i, s:s}", "count", 0, "error",
                                           "Cannot specify both label and folder"));
        return 1;
    }
    long long count = 0;
    if (ds_store_count(st, label, folder, &count) != DS_OK) {
        respond_db_error(rs, NULL);
        return 1;
    }
    ds_respond_json(rs, 200,
                    json_pack("{s:I, s:o, s:o}", "count", (json_int_t)count, "label",
                              label ? json_string(label) : json_null(), "folder",
                              folder ? json_string(folder) : json_null()));
    return 1;
}

/* /api/v1/conversations[...]; rest is what follows "/conversations". */
static int conversations_route(ds_store *st, const ds_config *cfg, const ds_request *rq,
                               ds_response *rs, const char *rest)
{
    if (*rest == '\0') {
        if (method_is(rq, "POST"))
            return create_conversation(st, cfg, rq, rs);
        if (is_get(rq))
            return list_conversations(st, cfg, rq, rs);
        return not_allowed(rs);
    }
    rest++; /* skip '/' */
    /* The static "count" segment wins over "{id}" in axum's router, for every method. */
    if (strcmp(rest, "count") == 0)
        return is_get(rq) ? count_conversations(st, rq, rs) : not_allowed(rs);
    const char *slash = strchr(rest, '/');
    size_t seg_len = slash ? (size_t)(slash - rest) : strlen(rest);
    if (seg_len == 0) {
        ds_respond_empty(rs, 404);
        return 1;
    }
    char id[DS_UUID_LEN + 1];
    if (!slash) {
        int get = is_get(rq), del = method_is(rq, "DELETE");
        if (!get && !del)
            return not_allowed(rs);
        if (ctl_path_uuid(rest, seg_len, id, rs) != 0)
            return 1;
        return get ? get_conversation(st, id, rs) : delete_conversation(st, id, rs);
    }
    const char *action = slash + 1;
    if (strcmp(action, "label") != 0 && strcmp(action, "folder") != 0 &&
        strcmp(action, "pin") != 0 && strcmp(action, "archive") != 0) {
        ds_respond_empty(rs, 404);
        return 1;
    }
    if (!method_is(rq, "PUT"))
        return not_allowed(rs);
    if (ctl_path_uuid(rest, seg_len, id, rs) != 0)
        return 1;
    return update_conversation(st, cfg, rq, rs, id, action);
}

/* ---- #18 GET /health (the Jan shape: checks per dependency, 503 empty when unhealthy;
 * the February one always answers 200 with a version and an uptime that stays 0) */
static int health(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    if (!is_get(rq))
        return not_allowed(rs);
    if (cfg->upstream == DS_UP_2026_02) {
        ds_respond_json(rs, 200, json_pack("{s:s, s:s, s:i}", "status", "healthy", "version",
                                           "0.1.0", "uptime_seconds", 0));
        return 1;
    }
    if (ds_store_ping(st) != DS_OK) {
        ds_respond_empty(rs, 503);
        return 1;
    }
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[64];
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof stamp - n, ".%09ld+00:00", ts.tv_nsec);
    ds_respond_json(rs, 200,
                    json_pack("{s:s, s:s, s:{s:{s:s}, s:{s:s}}}", "status", "healthy",
                              "timestamp", stamp, "checks", "database", "status", "ok",
                              "chroma", "status", "ok"));
    return 1;
}

/* ---- #19 GET /metrics: the real one is a placeholder (January: one Prometheus gauge that
 * is always 0; February: a JSON note); the devserver's own mode counts live. */
static int metrics(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    if (!is_get(rq))
        return not_allowed(rs);
    if (cfg->upstream == DS_UP_2026_01) {
        ds_respond_text(rs, 200, "# HELP sekha_conversations_total Total number of conversations\n"
                                 "# TYPE sekha_conversations_total gauge\n"
                                 "sekha_conversations_total 0\n");
        return 1;
    }
    if (cfg->upstream == DS_UP_2026_02) {
        ds_respond_json(rs, 200, json_pack("{s:s}", "metrics", "not_implemented"));
        return 1;
    }
    ds_totals t = {0, 0, 0, 0};
    if (ds_store_totals(st, &t) != DS_OK) {
        ds_respond_empty(rs, 500);
        return 1;
    }
    char text[1024];
    snprintf(text, sizeof text,
             "# HELP sekha_conversations_total Number of stored conversations.\n"
             "# TYPE sekha_conversations_total gauge\n"
             "sekha_conversations_total %lld\n"
             "# HELP sekha_messages_total Number of stored messages.\n"
             "# TYPE sekha_messages_total gauge\n"
             "sekha_messages_total %lld\n"
             "# HELP sekha_conversations_archived Number of archived conversations.\n"
             "# TYPE sekha_conversations_archived gauge\n"
             "sekha_conversations_archived %lld\n"
             "# HELP sekha_conversations_pinned Number of pinned conversations (importance 10).\n"
             "# TYPE sekha_conversations_pinned gauge\n"
             "sekha_conversations_pinned %lld\n",
             t.conversations, t.messages, t.archived, t.pinned);
    ds_respond_text(rs, 200, text);
    return 1;
}

int ds_controller_handle(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    const char *p = rq->path;
    if (strcmp(p, "/health") == 0)
        return health(st, cfg, rq, rs);
    if (strcmp(p, "/metrics") == 0)
        return metrics(st, cfg, rq, rs);
    if (strncmp(p, "/api/v1", 7) != 0 || (p[7] != '/' && p[7] != '\0'))
        return 0;
    const char *sub = p + 7;
    if (strncmp(sub, "/conversations", 14) == 0 && (sub[14] == '\0' || sub[14] == '/'))
        return conversations_route(st, cfg, rq, rs, sub + 14);
    return ctl_search_route(st, cfg, rq, rs, sub);
}
