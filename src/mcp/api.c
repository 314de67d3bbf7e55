/* The public MCP session API on top of the session core: configuration, accessors, the
 * JSON-RPC calls (initialize, ping, tools/list, tools/call, any other request,
 * notifications) and their sync forms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jwrite.h"
#include "mcp/mcp_internal.h"

static sekha_code settable(const mcp_session *s)
{
    return mcp_usable(s) && s->state == MCP_NEW && !s->loop ? SEKHA_OK : SEKHA_E_INVALID_ARG;
}

/* 1 when s is absent or UTF-8: a caller's string that goes out as a JSON string. */
static int utf8_or_null(const char *s)
{
    return !s || sekha__utf8_valid(s, strlen(s));
}

sekha_code sekha_mcp_session_set_client_info(sekha_mcp_session *s, const char *name,
                                             const char *version)
{
    if (settable(s) != SEKHA_OK || !name || !*name || !version || !*version ||
        !utf8_or_null(name) || !utf8_or_null(version))
        return SEKHA_E_INVALID_ARG;
    return mcp_dup_into(&s->client_name, name) || mcp_dup_into(&s->client_version, version)
               ? SEKHA_E_NOMEM : SEKHA_OK;
}

sekha_code sekha_mcp_session_set_protocol_version(sekha_mcp_session *s, const char *version)
{
    if (settable(s) != SEKHA_OK || !version)
        return SEKHA_E_INVALID_ARG;
    if (!mcp_version_supported(version))
        return SEKHA_E_INVALID_ARG;
    return mcp_dup_into(&s->want_version, version) ? SEKHA_E_NOMEM : SEKHA_OK;
}

sekha_code sekha_mcp_session_set_capabilities(sekha_mcp_session *s, const char *caps)
{
    char why[160];
    cJSON *v = caps && sekha__jw_check_text(caps, "capabilities", why, sizeof why) == 0
                   ? cJSON_Parse(caps)
                   : NULL;
    int ok = cJSON_IsObject(v);
    cJSON_Delete(v);
    if (settable(s) != SEKHA_OK || !ok)
        return SEKHA_E_INVALID_ARG;
    return mcp_dup_into(&s->capabilities, caps) ? SEKHA_E_NOMEM : SEKHA_OK;
}

sekha_code sekha_mcp_session_set_reinitialize(sekha_mcp_session *s, int on)
{
    if (!mcp_usable(s))
        return SEKHA_E_INVALID_ARG;
    s->reinit = on != 0;
    return SEKHA_OK;
}

sekha_code sekha_mcp_session_set_listen(sekha_mcp_session *s, int on)
{
    if (settable(s) != SEKHA_OK || s->ops != &mcp_http_ops)
        return SEKHA_E_INVALID_ARG;
    s->listen = on != 0;
    return SEKHA_OK;
}

sekha_code sekha_mcp_session_set_send_key(sekha_mcp_session *s, int mode)
{
    if (settable(s) != SEKHA_OK || mode < -1 || mode > 1)
        return SEKHA_E_INVALID_ARG;
    s->send_key = mode;
    mcp_update_key_flag(s);
    return SEKHA_OK;
}

sekha_code sekha_mcp_session_set_notification_handler(sekha_mcp_session *s,
                                                      sekha_mcp_notification_cb cb, void *ud)
{
    if (!mcp_usable(s))
        return SEKHA_E_INVALID_ARG;
    s->on_note = cb;
    s->note_ud = ud;
    return SEKHA_OK;
}

sekha_code sekha_mcp_session_set_request_handler(sekha_mcp_session *s,
                                                 sekha_mcp_request_handler handler, void *ud)
{
    if (!mcp_usable(s))
        return SEKHA_E_INVALID_ARG;
    s->on_request = handler;
    s->request_ud = ud;
    return SEKHA_OK;
}

const char *sekha_mcp_session_protocol_version(const sekha_mcp_session *s) { return s ? s->version : NULL; }
const char *sekha_mcp_session_id(const sekha_mcp_session *s) { return s ? s->session_id : NULL; }
const char *sekha_mcp_session_server_name(const sekha_mcp_session *s) { return s ? s->server_name : NULL; }
const char *sekha_mcp_session_server_version(const sekha_mcp_session *s) { return s ? s->server_version : NULL; }
const char *sekha_mcp_session_server_capabilities(const sekha_mcp_session *s) { return s ? s->server_caps : NULL; }
const char *sekha_mcp_session_instructions(const sekha_mcp_session *s) { return s ? s->instructions : NULL; }

/* The error about a caller's string sent as a JSON string: NULL when it is UTF-8. */
static sekha_error *check_utf8(const char *s, const char *name)
{
    if (utf8_or_null(s))
        return NULL;
    char why[160];
    sekha__jw_why_utf8(why, sizeof why, name, s);
    return mcp_local_error(SEKHA_E_INVALID_ARG, why);
}

/* A caller's params (NULL: none) as an object. *e gets the error when json is not one
 * JSON object in UTF-8 (cJSON_Parse alone would take "{} junk" and bytes that are not
 * UTF-8, and send them on). */
static cJSON *params_object(const char *json, const char *name, sekha_error **e)
{
    *e = NULL;
    if (!json)
        return NULL;
    char why[200];
    int rc = sekha__jw_check_text(json, name, why, sizeof why);
    cJSON *v = rc == 0 ? cJSON_Parse(json) : NULL;
    if (cJSON_IsObject(v))
        return v;
    cJSON_Delete(v);
    if (rc == 0)
        snprintf(why, sizeof why, "%s must be a JSON object", name);
    *e = rc == SEKHA_JW_NOMEM ? sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL)
                              : mcp_local_error(SEKHA_E_INVALID_ARG, why);
    return NULL;
}

/* Ends a call that failed its checks: e goes to the callback (nothing is sent), or is
 * dropped with params when there is no session to report through. */
static sekha_request *refuse(mcp_session *s, mcp_kind kind, sekha_error *e, cJSON *params,
                             sekha__fn cb, void *ud)
{
    cJSON_Delete(params);
    if (mcp_usable(s))
        return mcp_call_fail(s, kind, e, cb, ud);
    sekha_error_free(e);
    return NULL;
}

sekha_request *sekha_mcp_session_initialize(sekha_mcp_session *s, sekha_mcp_data_cb cb, void *ud)
{
    return mcp_start_call(s, MCP_CALL_INIT, "initialize", NULL, NULL, (sekha__fn)cb, ud);
}

sekha_request *sekha_mcp_session_ping(sekha_mcp_session *s, sekha_mcp_data_cb cb, void *ud)
{
    return mcp_start_call(s, MCP_CALL_DATA, "ping", NULL, NULL, (sekha__fn)cb, ud);
}

sekha_request *sekha_mcp_session_request(sekha_mcp_session *s, const char *method,
                                         const char *params_json, sekha_mcp_data_cb cb, void *ud)
{
    sekha_error *e;
    cJSON *params = params_object(params_json, "params_json", &e);
    if (!e && (!method || !*method))
        e = mcp_local_error(SEKHA_E_INVALID_ARG, "method must be non-empty");
    if (!e)
        e = check_utf8(method, "method");
    if (e)
        return refuse(s, MCP_CALL_DATA, e, params, (sekha__fn)cb, ud);
    return mcp_start_call(s, MCP_CALL_DATA, method, params, NULL, (sekha__fn)cb, ud);
}

sekha_request *sekha_mcp_session_list_tools(sekha_mcp_session *s, const char *cursor,
                                            sekha_mcp_tools_cb cb, void *ud)
{
    sekha_error *e = check_utf8(cursor, "cursor");
    if (e)
        return refuse(s, MCP_CALL_TOOLS, e, NULL, (sekha__fn)cb, ud);
    cJSON *params = NULL;
    if (cursor) {
        params = cJSON_CreateObject();
        if (params && !cJSON_AddStringToObject(params, "cursor", cursor)) {
            cJSON_Delete(params);
            params = NULL;
        }
    }
    return mcp_start_call(s, MCP_CALL_TOOLS, "tools/list", params, NULL, (sekha__fn)cb, ud);
}

sekha_request *sekha_mcp_session_call_tool(sekha_mcp_session *s, const char *name,
                                           const char *arguments_json,
                                           sekha_mcp_progress_cb progress,
                                           sekha_mcp_tool_result_cb cb, void *ud)
{
    if (!mcp_usable(s))
        return NULL;
    sekha_error *e;
    cJSON *args = params_object(arguments_json, "arguments_json", &e);
    if (!e && (!name || !*name))
        e = mcp_local_error(SEKHA_E_INVALID_ARG, "name must be non-empty");
    if (!e)
        e = check_utf8(name, "name");
    if (e)
        return refuse(s, MCP_CALL_TOOL, e, args, (sekha__fn)cb, ud);
    if (!args)
        args = cJSON_CreateObject();
    cJSON *params = cJSON_CreateObject();
    if (!args || !params || !cJSON_AddStringToObject(params, "name", name) ||
        !cJSON_AddItemToObject(params, "arguments", args)) {
        if (!cJSON_GetObjectItemCaseSensitive(params, "arguments"))
            cJSON_Delete(args);
        cJSON_Delete(params);
        return mcp_call_fail(s, MCP_CALL_TOOL, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL),
                         (sekha__fn)cb, ud);
    }
    return mcp_start_call(s, MCP_CALL_TOOL, "tools/call", params, progress, (sekha__fn)cb, ud);
}

sekha_code sekha_mcp_session_notify(sekha_mcp_session *s, const char *method,
                                    const char *params_json)
{
    sekha_error *e;
    cJSON *params = params_object(params_json, "params_json", &e);
    if (e || !mcp_usable(s) || !method || !*method || !utf8_or_null(method) ||
        s->state != MCP_READY || !s->loop) {
        sekha_code rc = e && sekha_error_code(e) == SEKHA_E_NOMEM ? SEKHA_E_NOMEM
                                                                 : SEKHA_E_INVALID_ARG;
        sekha_error_free(e);
        cJSON_Delete(params);
        return rc;
    }
    char *json = mcp_wire(-1, method, params);
    if (!json)
        return SEKHA_E_NOMEM;
    mcp_send_oneway(s, json, NULL, NULL);
    return SEKHA_OK;
}

/* ---- sync forms ---- */

typedef struct sync_args {
    mcp_session *s;
    int op;
    const char *a, *b;
    sekha_mcp_progress_cb progress;
    mcp_sync_slot *slot;
    mcp_sync_slot storage;
} sync_args;

enum { OP_INIT, OP_PING, OP_REQUEST, OP_LIST, OP_CALL, OP_CLOSE };

/* Hands the sync caller's own userdata to its progress callback. */
static void sync_progress(sekha_request *req, double progress, double total, const char *msg,
                          void *ud)
{
    mcp_sync_slot *slot = ud;
    slot->progress(req, progress, total, msg, slot->progress_ud);
}

static sekha_request *sync_start(sekha_client *c, void *arg)
{
    (void)c;
    sync_args *a = arg;
    sekha__fn m = mcp_sync_marker();
    switch (a->op) {
    case OP_INIT:
        return mcp_start_call(a->s, MCP_CALL_INIT, "initialize", NULL, NULL, m, a->slot);
    case OP_PING:
        return mcp_start_call(a->s, MCP_CALL_DATA, "ping", NULL, NULL, m, a->slot);
    case OP_REQUEST:
        return sekha_mcp_session_request(a->s, a->a, a->b, (sekha_mcp_data_cb)m, a->slot);
    case OP_LIST:
        return sekha_mcp_session_list_tools(a->s, a->a, (sekha_mcp_tools_cb)m, a->slot);
    case OP_CALL:
        return sekha_mcp_session_call_tool(a->s, a->a, a->b, a->progress ? sync_progress : NULL,
                                           (sekha_mcp_tool_result_cb)m, a->slot);
    default:
        return sekha_mcp_session_close(a->s, (sekha_done_cb)m, a->slot);
    }
}

static sekha_code run_sync(sync_args *a, mcp_kind kind, void *progress_ud, void **out,
                           sekha_error **err)
{
    mcp_sync_slot *slot = a->slot = &a->storage;
    slot->progress = a->progress;
    slot->progress_ud = progress_ud;
    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    sekha_code rc = SEKHA_E_INVALID_ARG;
    if (mcp_usable(a->s))
        rc = sekha__sync_call(a->s->c, sync_start, a, &slot->done);
    if (rc != SEKHA_OK) {
        if (err)
            *err = a->s && !a->s->freed && !a->s->c
                       ? mcp_local_error(rc, "the client of this MCP session was freed")
                       : sekha__error_new(rc, SEKHA_LAYER_LOCAL, NULL);
        return rc;
    }
    if (out)
        *out = slot->result;
    else if (slot->result)
        mcp_free_result(kind, slot->result);
    if (err)
        *err = slot->err;
    else
        sekha_error_free(slot->err);
    return slot->code;
}

sekha_code sekha_mcp_session_initialize_sync(sekha_mcp_session *s, sekha_mcp_data **out,
                                             sekha_error **err)
{
    sync_args a = {.s = s, .op = OP_INIT};
    return run_sync(&a, MCP_CALL_INIT, NULL, (void **)out, err);
}

sekha_code sekha_mcp_session_ping_sync(sekha_mcp_session *s, sekha_error **err)
{
    sync_args a = {.s = s, .op = OP_PING};
    return run_sync(&a, MCP_CALL_DATA, NULL, NULL, err);
}

sekha_code sekha_mcp_session_request_sync(sekha_mcp_session *s, const char *method,
                                          const char *params_json, sekha_mcp_data **out,
                                          sekha_error **err)
{
    sync_args a = {.s = s, .op = OP_REQUEST, .a = method, .b = params_json};
    return run_sync(&a, MCP_CALL_DATA, NULL, (void **)out, err);
}

sekha_code sekha_mcp_session_list_tools_sync(sekha_mcp_session *s, const char *cursor,
                                             sekha_mcp_tools **out, sekha_error **err)
{
    sync_args a = {.s = s, .op = OP_LIST, .a = cursor};
    return run_sync(&a, MCP_CALL_TOOLS, NULL, (void **)out, err);
}

sekha_code sekha_mcp_session_call_tool_sync(sekha_mcp_session *s, const char *name,
                                            const char *arguments_json,
                                            sekha_mcp_progress_cb progress, void *ud,
                                            sekha_mcp_tool_result **out, sekha_error **err)
{
    sync_args a = {.s = s, .op = OP_CALL, .a = name, .b = arguments_json, .progress = progress};
    return run_sync(&a, MCP_CALL_TOOL, ud, (void **)out, err);
}

sekha_code sekha_mcp_session_close_sync(sekha_mcp_session *s, sekha_error **err)
{
    sync_args a = {.s = s, .op = OP_CLOSE};
    sekha_code rc = run_sync(&a, MCP_CALL_CLOSE, NULL, NULL, err);
    if (mcp_usable(s))
        mcp_drain_sync(s);
    return rc;
}
