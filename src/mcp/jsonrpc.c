/* JSON-RPC 2.0 messages of an MCP session: building requests and notifications, and
 * handling whatever the server sends, on any transport and at any time: responses go to
 * their call, progress notifications to the call's progress callback, other notifications
 * to the session's handler, ping to the session itself (an empty result, as the spec
 * requires of every receiver) and other requests to the user's handler (or a -32601
 * answer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jwrite.h"
#include "mcp/mcp_internal.h"

#define RPC_METHOD_NOT_FOUND -32601

char *mcp_wire(long id, const char *method, cJSON *params)
{
    cJSON *m = cJSON_CreateObject();
    int ok = m && cJSON_AddStringToObject(m, "jsonrpc", "2.0") &&
             (id < 0 || cJSON_AddNumberToObject(m, "id", (double)id)) &&
             cJSON_AddStringToObject(m, "method", method);
    if (ok && params) {
        ok = cJSON_AddItemToObject(m, "params", params);
        params = ok ? NULL : params;
    }
    cJSON_Delete(params);
    char *text = ok ? cJSON_PrintUnformatted(m) : NULL;
    cJSON_Delete(m);
    return text;
}

sekha_error *mcp_rpc_error(const cJSON *error)
{
    const char *msg = sekha__json_str(error, "message");
    sekha_error *e = sekha__error_new(SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE,
                                      msg ? NULL : "the server answered with a JSON-RPC error");
    if (e == &sekha__nomem_error)
        return e;
    if (msg)
        sekha__error_set_service_message(e, msg, strlen(msg));
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    if (cJSON_IsNumber(code))
        e->service_code = sekha__to_long(code->valuedouble, 0);
    char *text = cJSON_PrintUnformatted(error);
    if (text) {
        e->body = text;
        e->body_len = strlen(text);
    }
    return e;
}

static mcp_call *find_call(mcp_session *s, double id)
{
    for (mcp_call *c = s->calls; c; c = c->next)
        if (c->state == MCP_SENT && c->kind != MCP_CALL_CLOSE && (double)c->id == id)
            return c;
    return NULL;
}

static void on_response(mcp_session *s, cJSON *msg)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
    mcp_call *call = cJSON_IsNumber(id) ? find_call(s, id->valuedouble) : NULL;
    if (!call) {
        /* Late (after a cancel), duplicated by a replay, or not ours: nothing waits for it. */
        sekha__log(s->c, SEKHA_LOG_DEBUG, "MCP: dropped a response nobody waits for");
        return;
    }
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(msg, "error");
    if (error) {
        mcp_call_end(call, mcp_rpc_error(error));
        return;
    }
    cJSON *result = cJSON_DetachItemFromObjectCaseSensitive(msg, "result");
    if (call->kind == MCP_CALL_INIT) {
        mcp_init_answered(call, result);
        return;
    }
    cJSON_Delete(call->result);
    call->result = result;
    mcp_call_end(call, NULL);
}

static void on_notification(mcp_session *s, const char *method, const cJSON *params)
{
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(params, "progressToken");
    mcp_call *call = strcmp(method, "notifications/progress") == 0 && cJSON_IsNumber(token)
                         ? find_call(s, token->valuedouble) : NULL;
    if (call && call->progress) {
        double total = sekha__json_num(params, "total", -1);
        mcp_call_ref(call);
        SEKHA__USER_CB(s->c, call->progress(call->req, sekha__json_num(params, "progress", 0),
                                            total, sekha__json_str(params, "message"),
                                            call->progress_ud));
        mcp_call_unref(call);
        return;
    }
    if (s->on_note && !s->freed) {
        char *text = params ? cJSON_PrintUnformatted(params) : NULL;
        SEKHA__USER_CB(s->c, s->on_note(s, method, text, s->note_ud));
        cJSON_free(text);
    }
}

/* ---- requests from the server ---- */

static void incoming_free(sekha_mcp_server_request *rq)
{
    cJSON_Delete(rq->id);
    cJSON_Delete(rq->params_json);
    free(rq->method);
    cJSON_free(rq->params);
    free(rq);
}

static void send_answer(mcp_session *s, const cJSON *id, cJSON *result, long code, const char *msg)
{
    cJSON *m = cJSON_CreateObject();
    cJSON *idc = cJSON_Duplicate(id, 1);
    int ok = m && idc && cJSON_AddStringToObject(m, "jsonrpc", "2.0") &&
             cJSON_AddItemToObject(m, "id", idc);
    if (!ok)
        cJSON_Delete(idc);
    if (ok && result) {
        ok = cJSON_AddItemToObject(m, "result", result);
        result = ok ? NULL : result;
    } else if (ok) {
        cJSON *err = cJSON_AddObjectToObject(m, "error");
        ok = err && cJSON_AddNumberToObject(err, "code", (double)code) &&
             cJSON_AddStringToObject(err, "message", msg);
    }
    cJSON_Delete(result);
    char *json = ok ? cJSON_PrintUnformatted(m) : NULL;
    cJSON_Delete(m);
    if (json)
        mcp_send_oneway(s, json, NULL, NULL);
}

static void on_request(mcp_session *s, const cJSON *id, const char *method, const cJSON *params)
{
    if (strcmp(method, "ping") == 0) {
        cJSON *empty = cJSON_CreateObject();
        if (empty)
            send_answer(s, id, empty, 0, NULL);
        else
            send_answer(s, id, NULL, -32603, "out of memory");
        return;
    }
    if (!s->on_request || s->freed) {
        send_answer(s, id, NULL, RPC_METHOD_NOT_FOUND, "Method not found");
        return;
    }
    sekha_mcp_server_request *rq = calloc(1, sizeof *rq);
    if (!rq || !(rq->id = cJSON_Duplicate(id, 1)) || !(rq->method = strdup(method)) ||
        (params && (!(rq->params_json = cJSON_Duplicate(params, 1)) ||
                    !(rq->params = cJSON_PrintUnformatted(params))))) {
        if (rq)
            incoming_free(rq);
        send_answer(s, id, NULL, -32603, "out of memory");
        return;
    }
    rq->s = s;
    rq->next = s->incoming;
    s->incoming = rq;
    mcp_session_ref(s);
    SEKHA__USER_CB(s->c, s->on_request(s, rq, s->request_ud));
}

static void incoming_unlink(sekha_mcp_server_request *rq)
{
    for (sekha_mcp_server_request **p = &rq->s->incoming; *p; p = &(*p)->next)
        if (*p == rq) {
            *p = rq->next;
            return;
        }
}

/* Sends the answer unless the session is already gone, then frees rq. */
static sekha_code answer(sekha_mcp_server_request *rq, cJSON *result, long code, const char *msg)
{
    if (!rq) {
        cJSON_Delete(result);
        return SEKHA_E_INVALID_ARG;
    }
    mcp_session *s = rq->s;
    sekha_code rc = SEKHA_OK;
    if (s->freed || s->state >= MCP_CLOSING || !s->loop) {
        cJSON_Delete(result);
        rc = SEKHA_E_INVALID_ARG;
    } else {
        send_answer(s, rq->id, result, code, msg);
    }
    incoming_unlink(rq);
    incoming_free(rq);
    mcp_session_unref(s);
    return rc;
}

void mcp_incoming_drop(mcp_session *s)
{
    while (s->incoming) {
        sekha_mcp_server_request *rq = s->incoming;
        s->incoming = rq->next;
        incoming_free(rq);
        mcp_session_unref(s); /* the caller holds one more, so s survives */
    }
}

const char *sekha_mcp_server_request_method(const sekha_mcp_server_request *rq)
{
    return rq ? rq->method : NULL;
}

const char *sekha_mcp_server_request_params(const sekha_mcp_server_request *rq)
{
    return rq ? rq->params : NULL;
}

sekha_code sekha_mcp_server_request_reply(sekha_mcp_server_request *rq, const char *result_json)
{
    /* Strict: cJSON alone would take "{} junk" or bytes that are not UTF-8 and send them. */
    char why[160];
    int bad = result_json && sekha__jw_check_text(result_json, "result_json", why, sizeof why) != 0;
    cJSON *result = bad ? NULL : result_json ? cJSON_Parse(result_json) : cJSON_CreateObject();
    if (rq && !cJSON_IsObject(result)) {
        cJSON_Delete(result);
        if (!bad)
            snprintf(why, sizeof why, "result_json is not a JSON object");
        sekha__log(rq->s->c, SEKHA_LOG_WARN, "MCP: %s; the server gets an internal error", why);
        /* the server still gets its one answer, so that it does not wait forever */
        answer(rq, NULL, -32603, "the client produced an invalid result");
        return SEKHA_E_INVALID_ARG;
    }
    return answer(rq, result, 0, NULL);
}

sekha_code sekha_mcp_server_request_fail(sekha_mcp_server_request *rq, long code,
                                         const char *message)
{
    if (!message || sekha__utf8_valid(message, strlen(message)))
        return answer(rq, NULL, code, message ? message : "request failed");
    char *fixed = sekha__utf8_repair(message); /* free text: mend, not refuse */
    sekha_code rc = answer(rq, NULL, code, fixed ? fixed : "request failed");
    free(fixed);
    return rc;
}

sekha_code sekha_mcp_elicitation_accept_defaults(sekha_mcp_server_request *rq)
{
    if (!rq)
        return SEKHA_E_INVALID_ARG;
    const cJSON *props = mcp_path(rq->params_json, "requestedSchema.properties");
    cJSON *content = cJSON_CreateObject();
    cJSON *result = cJSON_CreateObject();
    const cJSON *p;
    int ok = content && result && cJSON_AddStringToObject(result, "action", "accept");
    const cJSON *list = cJSON_IsObject(props) ? props : NULL;
    cJSON_ArrayForEach(p, list) {
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(p, "default");
        if (ok && def)
            ok = cJSON_AddItemToObject(content, p->string, cJSON_Duplicate(def, 1));
    }
    if (ok) {
        ok = cJSON_AddItemToObject(result, "content", content);
        content = ok ? NULL : content;
    }
    cJSON_Delete(content);
    if (!ok) {
        cJSON_Delete(result);
        return answer(rq, NULL, -32603, "out of memory");
    }
    return answer(rq, result, 0, NULL);
}

/* ---- dispatch ---- */

static void handle(mcp_session *s, cJSON *msg)
{
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
    if (!cJSON_IsObject(msg)) {
        sekha__log(s->c, SEKHA_LOG_WARN, "MCP: dropped a message that is not a JSON object");
    } else if (cJSON_IsString(method) && id && !cJSON_IsNull(id)) {
        on_request(s, id, method->valuestring, params);
    } else if (cJSON_IsString(method)) {
        on_notification(s, method->valuestring, params);
    } else if (cJSON_GetObjectItemCaseSensitive(msg, "result") ||
               cJSON_GetObjectItemCaseSensitive(msg, "error")) {
        on_response(s, msg);
    } else {
        sekha__log(s->c, SEKHA_LOG_WARN, "MCP: dropped a message that is neither a request, "
                                         "a notification nor a response");
    }
}

int mcp_receive(mcp_session *s, const char *text, size_t len)
{
    /* JSON text is UTF-8 (RFC 8259); cJSON does not check, and results reach callers. */
    cJSON *root = sekha__utf8_valid(text, len) ? cJSON_ParseWithLength(text, len) : NULL;
    if (!root) {
        sekha__log(s->c, SEKHA_LOG_WARN, "MCP: dropped %zu bytes that are not UTF-8 JSON", len);
        return 0;
    }
    mcp_session_ref(s); /* handlers may free the session */
    if (cJSON_IsArray(root)) {
        cJSON *m;
        cJSON_ArrayForEach(m, root)
            handle(s, m);
    } else {
        handle(s, root);
    }
    cJSON_Delete(root);
    mcp_session_unref(s);
    return 1;
}
