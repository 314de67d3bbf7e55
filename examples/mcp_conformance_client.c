/* An MCP client for the official conformance suite (@modelcontextprotocol/conformance,
 * client mode), written with libsekha's sync session API.
 *
 * The runner starts a scenario server and runs this program with the server URL as the
 * last argument and the scenario's name in MCP_CONFORMANCE_SCENARIO. Every scenario gets
 * the same lifecycle: initialize, tools/list, the scenario's tool call, close. Exit status
 * 0 means every step succeeded.
 *
 * The auth scenarios protect the server with OAuth: the scenario's context (JSON in
 * MCP_CONFORMANCE_CONTEXT) gives pre-registered credentials, a private key or an identity
 * provider's ID token; the interactive step "opens" the authorization URL with libcurl and
 * hands the redirect it answers with back to libsekha, as a browser would.
 *
 * Usage: mcp_conformance_client [ARGS...] URL */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sekha/sekha.h>

/* Where the scenario's authorization server sends the browser back: nothing listens
 * there, the driver reads the redirect instead of following it. */
#define REDIRECT_URI "http://127.0.0.1:3000/callback"
#define CIMD_URL "https://conformance-test.local/client-metadata.json"

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* Plays the browser: GET the authorization URL, take the redirect it answers with. */
static void on_authorize(sekha_mcp_authorization *az, const char *url, void *ud)
{
    (void)ud;
    CURL *e = curl_easy_init();
    char *location = NULL;
    long status = 0;
    if (e) {
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
        if (curl_easy_perform(e) == CURLE_OK) {
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &location);
        }
    }
    fprintf(stderr, "authorization: HTTP %ld\n", status);
    if (location)
        sekha_mcp_authorization_complete(az, location);
    else
        sekha_mcp_authorization_fail(az, "the authorization endpoint did not redirect");
    if (e)
        curl_easy_cleanup(e);
}

static const char *ctx_str(const cJSON *ctx, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctx, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The OAuth configuration an auth scenario calls for. */
static sekha_mcp_auth *auth_for(const char *scenario)
{
    sekha_mcp_auth *a = sekha_mcp_auth_new();
    if (!a)
        return NULL;
    sekha_mcp_auth_set_client_name(a, "libsekha-conformance-client");
    sekha_mcp_auth_set_redirect_uri(a, REDIRECT_URI);
    sekha_mcp_auth_set_client_metadata_url(a, CIMD_URL);
    sekha_mcp_auth_set_authorize_handler(a, on_authorize, NULL);
    const char *text = getenv("MCP_CONFORMANCE_CONTEXT");
    cJSON *ctx = text ? cJSON_Parse(text) : NULL;
    const char *id = ctx_str(ctx, "client_id"), *secret = ctx_str(ctx, "client_secret");
    const char *key = ctx_str(ctx, "private_key_pem"), *alg = ctx_str(ctx, "signing_algorithm");
    const char *id_token = ctx_str(ctx, "idp_id_token");
    if (id)
        sekha_mcp_auth_set_client(a, id, secret);
    if (strncmp(scenario, "auth/client-credentials", 23) == 0)
        sekha_mcp_auth_set_grant(a, SEKHA_MCP_GRANT_CLIENT_CREDENTIALS);
    if (key && sekha_mcp_auth_set_private_key(a, key, alg ? alg : "ES256") != SEKHA_OK)
        fprintf(stderr, "the scenario's private key was refused\n");
    if (id_token &&
        sekha_mcp_auth_set_identity(a, ctx_str(ctx, "idp_token_endpoint"),
                                    ctx_str(ctx, "idp_client_id"), id_token) != SEKHA_OK)
        fprintf(stderr, "the scenario's identity was refused\n");
    cJSON_Delete(ctx);
    return a;
}

/* Answers the server's elicitation/create with the schema's defaults (SEP-1034). */
static void on_server_request(sekha_mcp_session *s, sekha_mcp_server_request *rq, void *ud)
{
    (void)s;
    (void)ud;
    const char *method = sekha_mcp_server_request_method(rq);
    fprintf(stderr, "server request: %s\n", method);
    if (strcmp(method, "elicitation/create") == 0)
        sekha_mcp_elicitation_accept_defaults(rq);
    else
        sekha_mcp_server_request_fail(rq, -32601, "Method not found");
}

static void on_notification(sekha_mcp_session *s, const char *method, const char *params,
                            void *ud)
{
    (void)s;
    (void)ud;
    fprintf(stderr, "notification: %s %s\n", method, params ? params : "");
}

static int failed(const char *step, sekha_error *err)
{
    fprintf(stderr, "%s failed: %s\n", step, sekha_error_message(err));
    sekha_error_free(err);
    return 1;
}

/* Calls a tool the scenario expects; a tool-level error counts as a failure too. */
static int call(sekha_mcp_session *s, const char *name, const char *args)
{
    sekha_mcp_tool_result *r = NULL;
    sekha_error *err = NULL;
    if (sekha_mcp_session_call_tool_sync(s, name, args, NULL, &r, &err) != SEKHA_OK)
        return failed(name, err);
    int bad = sekha_mcp_tool_result_is_error(r);
    printf("%s -> %s\n", name, sekha_mcp_tool_result_json(r));
    sekha_mcp_tool_result_free(r);
    return bad;
}

static int run(sekha_mcp_session *s, const char *scenario)
{
    sekha_error *err = NULL;
    sekha_mcp_data *init = NULL;
    if (sekha_mcp_session_initialize_sync(s, &init, &err) != SEKHA_OK)
        return failed("initialize", err);
    printf("initialized: %s %s, protocol %s\n", sekha_mcp_session_server_name(s),
           sekha_mcp_session_server_version(s), sekha_mcp_session_protocol_version(s));
    sekha_mcp_data_free(init);
    sekha_mcp_tools *tools = NULL;
    if (sekha_mcp_session_list_tools_sync(s, NULL, &tools, &err) != SEKHA_OK)
        return failed("tools/list", err);
    for (size_t i = 0; i < sekha_mcp_tools_count(tools); i++)
        printf("tool: %s\n", sekha_mcp_tools_name(tools, i));
    sekha_mcp_tools_free(tools);
    int rc = 0;
    if (strcmp(scenario, "tools_call") == 0)
        rc = call(s, "add_numbers", "{\"a\":5,\"b\":3}");
    else if (strcmp(scenario, "sse-retry") == 0)
        rc = call(s, "test_reconnection", NULL);
    else if (strcmp(scenario, "elicitation-sep1034-client-defaults") == 0)
        rc = call(s, "test_client_elicitation_defaults", NULL);
    else if (strncmp(scenario, "auth/", 5) == 0)
        rc = call(s, "test-tool", "{}");
    if (sekha_mcp_session_close_sync(s, &err) != SEKHA_OK)
        rc |= failed("close", err);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s [ARGS...] URL (scenario in MCP_CONFORMANCE_SCENARIO)\n",
                argv[0]);
        return 2;
    }
    const char *url = argv[argc - 1];
    const char *scenario = getenv("MCP_CONFORMANCE_SCENARIO");
    if (!scenario)
        scenario = "initialize";
    sekha_error *err = NULL;
    sekha_options *opts = sekha_options_new();
    sekha_client *c = opts ? sekha_client_new(opts, &err) : NULL;
    if (!c)
        return failed("client", err);
    sekha_mcp_session *s = sekha_mcp_session_new_http(c, url, &err);
    if (!s) {
        sekha_client_free(c);
        sekha_options_free(opts);
        return failed("session", err);
    }
    sekha_mcp_session_set_client_info(s, "libsekha-conformance-client", sekha_version());
    sekha_mcp_session_set_notification_handler(s, on_notification, NULL);
    sekha_mcp_auth *auth = NULL;
    if (strncmp(scenario, "auth/", 5) == 0) {
        auth = auth_for(scenario);
        if (!auth || sekha_mcp_session_set_auth(s, auth) != SEKHA_OK) {
            fprintf(stderr, "cannot set up OAuth\n");
            return 1;
        }
    }
    if (strncmp(scenario, "elicitation", 11) == 0) {
        /* The server asks outside the call's stream, on the standalone GET stream. */
        sekha_mcp_session_set_capabilities(s, "{\"elicitation\":{}}");
        sekha_mcp_session_set_request_handler(s, on_server_request, NULL);
        sekha_mcp_session_set_listen(s, 1);
    }
    int rc = run(s, scenario);
    sekha_mcp_session_free(s);
    sekha_mcp_auth_free(auth); /* after the session it serves */
    sekha_client_free(c);
    sekha_options_free(opts);
    printf("%s: %s\n", scenario, rc ? "FAILED" : "ok");
    return rc;
}
