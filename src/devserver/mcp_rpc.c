/* sekha-devserver: real Model Context Protocol at /mcp on the controller port, so generic MCP
 * hosts can use a local Sekha memory. Streamable HTTP with JSON answers only (no standalone
 * GET stream: GET is 405), sessions through Mcp-Session-Id, DELETE ends a session. The
 * seven tools are the /mcp/tools/<tool> endpoints themselves: tools/call replays its arguments
 * through ds_mcp_tools_handle on the same connection, so auth, validation and the store
 * logic stay in one place, and the tool's envelope becomes a CallToolResult.
 *
 * Errors follow the spec: unknown session 404, missing session 400, wrong Accept 406,
 * non-JSON 415, unparsable body 400 with JSON-RPC -32700, unknown method -32601, unknown
 * tool -32602; a tool that fails (success:false, 404, 500, 422) is a result with isError.
 *
 * With --faults the endpoint also keeps what a test cannot see from the client side: the
 * JSON-RPC responses clients POST (answers to server requests that fault rules sent on an
 * SSE answer) and every Last-Event-ID header, reported by GET /_devserver/mcp as
 * {"responses": [...], "last_event_ids": [...]} (the most recent SEEN_MAX of each). */
#include "ds.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define MAX_SESSIONS 256
#define SESSION_ID_LEN 32
#define SEEN_MAX 16

static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

typedef struct tool_def {
    const char *name;
    const char *description;
    const char *schema; /* JSON Schema of the arguments (the endpoint's body) */
} tool_def;

static const tool_def tools[] = {
    {"memory_store", "Store a conversation (label, folder, messages) in Sekha memory.",
     "{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\"},\"folder\":{\"type\":"
     "\"string\"},\"messages\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\""
     ":{\"role\":{\"type\":\"string\"},\"content\":{\"type\":\"string\"}},\"required\":[\"role\","
     "\"content\"]}},\"importance_score\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10}},"
     "\"required\":[\"label\",\"folder\",\"messages\"]}"},
    {"memory_search", "Semantic search over stored messages.",
     "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"},\"filters\":{\"type\":"
     "\"object\"},\"limit\":{\"type\":\"integer\",\"minimum\":1},\"offset\":{\"type\":\"integer\""
     ",\"minimum\":0}},\"required\":[\"query\"]}"},
    {"memory_update", "Change a conversation's label, folder, status or importance.",
     "{\"type\":\"object\",\"properties\":{\"conversation_id\":{\"type\":\"string\",\"format\":"
     "\"uuid\"},\"label\":{\"type\":\"string\"},\"folder\":{\"type\":\"string\"},\"status\":{"
     "\"type\":\"string\",\"enum\":[\"active\",\"archived\",\"pinned\"]},\"importance_score\":{"
     "\"type\":\"integer\",\"minimum\":1,\"maximum\":10}},\"required\":[\"conversation_id\"]}"},
    {"memory_prune", "Suggest old, unimportant conversations to archive.",
     "{\"type\":\"object\",\"properties\":{\"threshold_days\":{\"type\":\"integer\",\"minimum\":1"
     "},\"importance_threshold\":{\"type\":\"number\"}}}"},
    {"memory_get_context", "Read one conversation's metadata.",
     "{\"type\":\"object\",\"properties\":{\"conversation_id\":{\"type\":\"string\",\"format\":"
     "\"uuid\"}},\"required\":[\"conversation_id\"]}"},
    {"memory_export", "Export a conversation with all its messages.",
     "{\"type\":\"object\",\"properties\":{\"conversation_id\":{\"type\":\"string\",\"format\":"
     "\"uuid\"},\"format\":{\"type\":\"string\",\"enum\":[\"json\",\"markdown\"]},"
     "\"include_metadata\":{\"type\":\"boolean\"}},\"required\":[\"conversation_id\"]}"},
    {"memory_stats", "Conversation count and average importance, for a folder or a label.",
     "{\"type\":\"object\",\"properties\":{\"folder\":{\"type\":\"string\"},\"label\":{\"type\":"
     "\"string\"}}}"},
};
#define NTOOLS (sizeof tools / sizeof tools[0])

/* ---- sessions: a small table shared by every connection thread ---- */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_sessions[MAX_SESSIONS][SESSION_ID_LEN + 1];
static size_t g_next_slot; /* oldest entry: overwritten first when the table is full */

static void new_session_id(char out[SESSION_ID_LEN + 1])
{
    unsigned char raw[SESSION_ID_LEN / 2];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        /* No entropy source: ids only need to be unique within this process. */
        static unsigned long counter;
        unsigned long n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        unsigned long t = (unsigned long)time(NULL);
        memcpy(raw, &n, sizeof n < sizeof raw ? sizeof n : sizeof raw);
        memcpy(raw + sizeof raw / 2, &t, sizeof t < sizeof raw / 2 ? sizeof t : sizeof raw / 2);
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static void session_add(const char *id)
{
    pthread_mutex_lock(&g_lock);
    snprintf(g_sessions[g_next_slot], sizeof g_sessions[0], "%s", id);
    g_next_slot = (g_next_slot + 1) % MAX_SESSIONS;
    pthread_mutex_unlock(&g_lock);
}

/* Returns 1 when id is a live session; with drop set, ends it. */
static int session_find(const char *id, int drop)
{
    int found = 0;
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < MAX_SESSIONS && !found; i++) {
        if (g_sessions[i][0] && strcmp(g_sessions[i], id) == 0) {
            found = 1;
            if (drop)
                g_sessions[i][0] = '\0';
        }
    }
    pthread_mutex_unlock(&g_lock);
    return found;
}

/* ---- what clients sent, for tests (--faults only) ---- */

static pthread_mutex_t g_seen_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *g_seen_responses, *g_seen_ids;

static void seen_add(json_t **list, json_t *v)
{
    pthread_mutex_lock(&g_seen_lock);
    if (!*list)
        *list = json_array();
    if (json_array_size(*list) == SEEN_MAX)
        json_array_remove(*list, 0);
    json_array_append_new(*list, v);
    pthread_mutex_unlock(&g_seen_lock);
}

static void seen_report(ds_response *rs)
{
    pthread_mutex_lock(&g_seen_lock);
    json_t *o = json_pack("{s:O?, s:O?}", "responses", g_seen_responses, "last_event_ids",
                          g_seen_ids);
    pthread_mutex_unlock(&g_seen_lock);
    ds_respond_json(rs, 200, o);
}

/* ---- answers ---- */

static void rpc_error(ds_response *rs, int status, json_t *id, int code, const char *msg)
{
    ds_respond_json(rs, status, json_pack("{s:s, s:O?, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id,
                                          "error", "code", code, "message", msg));
}

static void rpc_result(ds_response *rs, json_t *id, json_t *result)
{
    ds_respond_json(rs, 200, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result",
                                       result));
}

static int supported(const char *v)
{
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (v && strcmp(v, versions[i]) == 0)
            return 1;
    return 0;
}

static int accepts_both(const char *accept)
{
    return accept && strstr(accept, "application/json") && strstr(accept, "text/event-stream");
}

static void initialize(json_t *id, json_t *params, ds_response *rs)
{
    const char *want = json_string_value(json_object_get(params, "protocolVersion"));
    char sid[SESSION_ID_LEN + 1];
    new_session_id(sid);
    session_add(sid);
    json_t *result = json_pack("{s:s, s:{s:{s:b}}, s:{s:s, s:s}, s:s}", "protocolVersion",
                               supported(want) ? want : versions[0], "capabilities", "tools",
                               "listChanged", 0, "serverInfo", "name", "sekha-devserver",
                               "version", "1.0.0", "instructions",
                               "Sekha memory: store conversations, search them, read stats.");
    rpc_result(rs, id, result);
    snprintf(rs->header_name, sizeof rs->header_name, "Mcp-Session-Id");
    snprintf(rs->header_value, sizeof rs->header_value, "%s", sid);
}

static void list_tools(json_t *id, ds_response *rs)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < NTOOLS; i++) {
        json_t *schema = json_loads(tools[i].schema, 0, NULL);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "name", tools[i].name,
                                             "description", tools[i].description,
                                             "inputSchema", schema ? schema : json_object()));
    }
    rpc_result(rs, id, json_pack("{s:o}", "tools", arr));
}

static json_t *tool_failure(const char *text)
{
    return json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text", text, "isError", 1);
}

/* Turns the tool endpoint's answer into a CallToolResult. */
static json_t *tool_result(const ds_response *tr)
{
    char *text = tr->body ? strndup(tr->body, tr->body_len) : NULL;
    json_t *result;
    if (tr->status == 200) {
        json_t *env = text ? json_loads(text, 0, NULL) : NULL;
        json_t *data = json_object_get(env, "data");
        if (json_is_true(json_object_get(env, "success"))) {
            char *dump = json_dumps(data ? data : json_null(), JSON_COMPACT);
            result = json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text",
                               dump ? dump : "null", "isError", 0);
            if (json_is_object(data))
                json_object_set(result, "structuredContent", data);
            free(dump);
        } else {
            const char *msg = json_string_value(json_object_get(env, "error"));
            result = tool_failure(msg ? msg : "the tool failed");
        }
        json_decref(env);
    } else if (tr->status == 404) {
        result = tool_failure("Conversation not found");
    } else if (text && *text) {
        result = tool_failure(text); /* 400/415/422 rejections are plain text */
    } else {
        result = tool_failure("internal error");
    }
    free(text);
    return result;
}

static void call_tool(ds_store *st, const ds_config *cfg, const ds_request *rq, json_t *id,
                      json_t *params, ds_response *rs)
{
    const char *name = json_string_value(json_object_get(params, "name"));
    json_t *args = json_object_get(params, "arguments");
    size_t i = 0;
    while (name && i < NTOOLS && strcmp(tools[i].name, name) != 0)
        i++;
    if (!name || i == NTOOLS) {
        char msg[160];
        snprintf(msg, sizeof msg, "Unknown tool: %.100s", name ? name : "(none)");
        rpc_error(rs, 200, id, -32602, msg);
        return;
    }
    if (args && !json_is_object(args)) {
        rpc_error(rs, 200, id, -32602, "arguments must be an object");
        return;
    }
    char *body = json_dumps(args ? args : json_object(), JSON_COMPACT);
    char path[64];
    snprintf(path, sizeof path, "/mcp/tools/%s", name);
    ds_request sub = {"POST", path, body ? body : "{}", body ? strlen(body) : 2, rq->conn};
    ds_response tr;
    memset(&tr, 0, sizeof tr);
    ds_mcp_tools_handle(st, cfg, &sub, &tr);
    rpc_result(rs, id, tool_result(&tr));
    free(tr.body);
    free(body);
}

static void post(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    if (!accepts_both(ds_header(rq, "Accept"))) {
        rpc_error(rs, 406, NULL, -32000,
                  "Not Acceptable: Accept must list application/json and text/event-stream");
        return;
    }
    const char *ct = ds_header(rq, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        rpc_error(rs, 415, NULL, -32000, "Unsupported Media Type: use application/json");
        return;
    }
    json_t *msg = json_loadb(rq->body, rq->body_len, 0, NULL);
    if (!msg) {
        rpc_error(rs, 400, NULL, -32700, "Parse error");
        return;
    }
    json_t *id = json_object_get(msg, "id");
    const char *method = json_string_value(json_object_get(msg, "method"));
    json_t *params = json_object_get(msg, "params");
    const char *version = json_string_value(json_object_get(msg, "jsonrpc"));
    if (!json_is_object(msg) || !version || strcmp(version, "2.0") != 0) {
        rpc_error(rs, 400, NULL, -32600, "Invalid Request: one JSON-RPC 2.0 object per POST");
        json_decref(msg);
        return;
    }
    const char *sid = ds_header(rq, "Mcp-Session-Id");
    const char *pv = ds_header(rq, "MCP-Protocol-Version");
    if (method && id && strcmp(method, "initialize") == 0) {
        initialize(id, params, rs);
    } else if (!sid) {
        rpc_error(rs, 400, id, -32000, "Bad Request: Mcp-Session-Id header is required");
    } else if (!session_find(sid, 0)) {
        rpc_error(rs, 404, id, -32001, "Session not found");
    } else if (pv && !supported(pv)) {
        rpc_error(rs, 400, id, -32000, "Bad Request: unsupported MCP-Protocol-Version");
    } else if (!method || !id) {
        if (cfg->faults && !method && id)
            seen_add(&g_seen_responses, json_incref(msg));
        ds_respond_empty(rs, 202); /* a notification or a response to us: accepted */
    } else if (strcmp(method, "ping") == 0) {
        rpc_result(rs, id, json_object());
    } else if (strcmp(method, "tools/list") == 0) {
        list_tools(id, rs);
    } else if (strcmp(method, "tools/call") == 0) {
        call_tool(st, cfg, rq, id, params, rs);
    } else {
        rpc_error(rs, 200, id, -32601, "Method not found");
    }
    json_decref(msg);
}

int ds_mcp_rpc_handle(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    if (cfg->faults && strcmp(rq->path, "/_devserver/mcp") == 0) {
        seen_report(rs);
        return 1;
    }
    if (strcmp(rq->path, "/mcp") != 0)
        return 0;
    const char *last_id = ds_header(rq, "Last-Event-ID");
    if (cfg->faults && last_id)
        seen_add(&g_seen_ids, json_string(last_id));
    if (strcmp(rq->method, "POST") != 0 && strcmp(rq->method, "DELETE") != 0) {
        ds_respond_empty(rs, 405); /* no standalone GET stream: allowed by the spec */
        return 1;
    }
    if (!ds_mcp_authorized(cfg, rq, rs))
        return 1;
    if (strcmp(rq->method, "POST") == 0) {
        post(st, cfg, rq, rs);
        return 1;
    }
    const char *sid = ds_header(rq, "Mcp-Session-Id");
    if (!sid)
        rpc_error(rs, 400, NULL, -32000, "Bad Request: Mcp-Session-Id header is required");
    else if (!session_find(sid, 1))
        rpc_error(rs, 404, NULL, -32001, "Session not found");
    else
        ds_respond_empty(rs, 200);
    return 1;
}
