/* The public MCP session API on top of the session core: configuration, accessors, the
 * JSON-RPC calls (initialize, ping, tools/list, tools/call, any other request,
 * notifications) and their sync forms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jwrite.h"
#include "mcp/mcp_internal.h"
#include "shared/shared.h"

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

sekha_code sekha_params_set_on_progress(sekha_params *p, sekha_mcp_progress_cb fn, void *ud)
{
    return sekha__params_set_fn(p, SEKHA_PARAM_ON_PROGRESS, (sekha__fn)fn, ud);
}

sekha_request *sekha_mcp_session_initialize(sekha_mcp_session *s, sekha_mcp_data_cb cb, void *ud)
{
    return mcp_start_call(s, MCP_CALL_INIT, "initialize", NULL, NULL, NULL, (sekha__fn)cb, ud);
}

sekha_request *sekha_mcp_session_ping(sekha_mcp_session *s, sekha_mcp_data_cb cb, void *ud)
{
    return mcp_start_call(s, MCP_CALL_DATA, "ping", NULL, NULL, NULL, (sekha__fn)cb, ud);
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
    return mcp_start_call(s, MCP_CALL_DATA, method, params, NULL, NULL, (sekha__fn)cb, ud);
}

sekha_request *sekha_mcp_session_list_tools(sekha_mcp_session *s, const sekha_params *p,
                                            sekha_mcp_tools_cb cb, void *ud)
{
    sekha_error *e = sekha__params_check(p, "sekha_mcp_session_list_tools",
                                         (const sekha_param[]){SEKHA_PARAM_CURSOR, 0});
    if (e)
        return refuse(s, MCP_CALL_TOOLS, e, NULL, (sekha__fn)cb, ud);
    const char *cursor = sekha__params_text(p, SEKHA_PARAM_CURSOR);
    cJSON *params = NULL;
    if (cursor) {
        params = cJSON_CreateObject();
        if (params && !cJSON_AddStringToObject(params, "cursor", cursor)) {
            cJSON_Delete(params);
            params = NULL;
        }
    }
    return mcp_start_call(s, MCP_CALL_TOOLS, "tools/list", params, NULL, NULL, (sekha__fn)cb,
                          ud);
}

sekha_request *sekha_mcp_session_call_tool(sekha_mcp_session *s, const char *name,
                                           const char *arguments_json, const sekha_params *p,
                                           sekha_mcp_tool_result_cb cb, void *ud)
{
    if (!mcp_usable(s))
        return NULL;
    sekha_error *e = sekha__params_check(p, "sekha_mcp_session_call_tool",
                                         (const sekha_param[]){SEKHA_PARAM_ON_PROGRESS, 0});
    cJSON *args = e ? NULL : params_object(arguments_json, "arguments_json", &e);
    if (!e && (!name || !*name))
        e = mcp_local_error(SEKHA_E_INVALID_ARG, "name must be non-empty");
    if (!e)
        e = check_utf8(name, "name");
    if (e)
        return refuse(s, MCP_CALL_TOOL, e, args, (sekha__fn)cb, ud);
    void *progress_ud = NULL;
    sekha_mcp_progress_cb progress =
        (sekha_mcp_progress_cb)sekha__params_fn(p, SEKHA_PARAM_ON_PROGRESS, &progress_ud);
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
    return mcp_start_call(s, MCP_CALL_TOOL, "tools/call", params, progress, progress_ud,
                          (sekha__fn)cb, ud);
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

/* ---- sync forms ----
 * The core's one sync wrapper: a session's sync call is its async call run on the
 * client's private loop, so the session's first call decides the loop for good (async
 * and sync calls cannot be mixed on one session: mcp_start_call says so). */

SEKHA__SYNC_CB(data_sync_cb, sekha_mcp_data, sekha_mcp_data_copy)
SEKHA__SYNC_CB(tools_sync_cb, sekha_mcp_tools, sekha_mcp_tools_copy)
SEKHA__SYNC_CB(tool_result_sync_cb, sekha_mcp_tool_result, sekha_mcp_tool_result_copy)

static void done_sync_cb(sekha_request *r, const sekha_error *e, void *s)
{
    (void)r;
    sekha__sync_finish(s, e, NULL);
}

/* A session that cannot be used (NULL, freed, or its client freed) fails before any
 * loop is touched: there may be no client left to run one. */
static sekha_code unusable(const mcp_session *s, void *out, sekha_error **err)
{
    if (out)
        *(void **)out = NULL;
    if (err && s && !s->freed && !s->c)
        *err = mcp_local_error(SEKHA_E_INVALID_ARG, "the client of this MCP session was freed");
    else if (err)
        *err = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, NULL);
    return SEKHA_E_INVALID_ARG;
}


sekha_code sekha_mcp_session_initialize_sync(sekha_mcp_session *s, sekha_mcp_data **out,
                                             sekha_error **err)
{
    if (!mcp_usable(s))
        return unusable(s, out, err);
    SEKHA__SYNC_RETURN(s->c, sekha_mcp_session_initialize(s, data_sync_cb, SEKHA__SYNC_SLOT), out,
                       sekha_mcp_data_free, err);
}

sekha_code sekha_mcp_session_ping_sync(sekha_mcp_session *s, sekha_error **err)
{
    if (!mcp_usable(s))
        return unusable(s, NULL, err);
    SEKHA__SYNC_RETURN(s->c, sekha_mcp_session_ping(s, data_sync_cb, SEKHA__SYNC_SLOT), NULL,
                       sekha_mcp_data_free, err);
}

sekha_code sekha_mcp_session_request_sync(sekha_mcp_session *s, const char *method,
                                          const char *params_json, sekha_mcp_data **out,
                                          sekha_error **err)
{
    if (!mcp_usable(s))
        return unusable(s, out, err);
    SEKHA__SYNC_RETURN(
        s->c, sekha_mcp_session_request(s, method, params_json, data_sync_cb, SEKHA__SYNC_SLOT),
        out, sekha_mcp_data_free, err);
}

sekha_code sekha_mcp_session_list_tools_sync(sekha_mcp_session *s, const sekha_params *params,
                                             sekha_mcp_tools **out, sekha_error **err)
{
    if (!mcp_usable(s))
        return unusable(s, out, err);
    SEKHA__SYNC_RETURN(s->c,
                       sekha_mcp_session_list_tools(s, params, tools_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_mcp_tools_free, err);
}

sekha_code sekha_mcp_session_call_tool_sync(sekha_mcp_session *s, const char *name,
                                            const char *arguments_json, const sekha_params *params,
                                            sekha_mcp_tool_result **out, sekha_error **err)
{
    if (!mcp_usable(s))
        return unusable(s, out, err);
    SEKHA__SYNC_RETURN(s->c,
                       sekha_mcp_session_call_tool(s, name, arguments_json, params,
                                                   tool_result_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_mcp_tool_result_free, err);
}

sekha_code sekha_mcp_session_close_sync(sekha_mcp_session *s, sekha_error **err)
{
    if (!mcp_usable(s))
        return unusable(s, NULL, err);
    sekha__sync sy;
    sekha_code begun = sekha__sync_begin(s->c, &sy);
    sekha_request *req = begun ? NULL : sekha_mcp_session_close(s, done_sync_cb, &sy);
    sekha_code rc = sekha__sync_end(s->c, &sy, req, begun, NULL, NULL, err);
    if (mcp_usable(s))
        mcp_drain_sync(s);
    return rc;
}
