/* libFuzzer target: MCP's decoders. The input is split on the first NUL into a JSON-RPC
 * message (or batch) fed to a live session's receive path, and a body decoded as a
 * tools/list result, a tools/call result and a JSON-RPC error object. Nothing is sent:
 * replies a server->client request would trigger stay queued and end when the client is
 * freed. Any crash, leak or hang is a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void note(sekha_mcp_session *s, const char *method, const char *params, void *ud)
{
    (void)s;
    (void)ud;
    if (!method) /* params may be NULL (absent); the method never is */
        abort();
    if (params)
        (void)strlen(params);
}

static void decode_result(const char *text, size_t len)
{
    cJSON *v = cJSON_ParseWithLength(text, len);
    if (!v)
        return;
    sekha_error *err = NULL;
    sekha_mcp_tools *tools = mcp_tools_new(cJSON_Duplicate(v, 1), &err);
    if (tools)
        sekha_mcp_tools_free(tools);
    sekha_error_free(err);
    err = NULL;
    sekha_mcp_tool_result *tr = mcp_tool_result_new(cJSON_Duplicate(v, 1), &err);
    if (tr)
        sekha_mcp_tool_result_free(tr);
    sekha_error_free(err);
    sekha_error_free(mcp_rpc_error(v));
    cJSON_Delete(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sekha_client *c;
    if (!c)
        c = sekha_client_new(NULL, NULL);
    const uint8_t *nul = memchr(data, 0, size);
    size_t first = nul ? (size_t)(nul - data) : size;
    sekha_mcp_session *pub = sekha_mcp_session_new_http(c, "http://127.0.0.1:9/mcp", NULL);
    if (pub) {
        sekha_mcp_session_set_notification_handler(pub, note, NULL);
        mcp_receive(pub, (const char *)data, first);
        sekha_mcp_session_free(pub);
    }
    if (nul)
        decode_result((const char *)nul + 1, size - first - 1);
    /* drop whatever replies were queued, so memory stays flat across runs */
    sekha_client_free(c);
    c = NULL;
    return 0;
}
