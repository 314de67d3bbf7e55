/* MCP authorization against real HTTP: the devserver's MCP endpoint, whose MCP key is the
 * access token the scripted authorization server hands out, so a call only succeeds once
 * the flow obtained it and sent it as a Bearer token. Fault rules play the protected
 * resource metadata, the authorization server metadata, registration and the token
 * endpoint; the authorize handler plays the browser. Also: the helpers (challenges,
 * resources, queries, ES256 assertions) and that no secret reaches a log, trace or
 * cassette. The conformance suite (tests/conformance.sh) covers every grant end to end. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <cjson/cJSON.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "testutil.h"
#include "mcp/oauth.h"

/* The devserver's MCP key, handed out as the access token. */
#define TOKEN "sk-oauth-SECRET-access-token-0123456789"
#define CODE "code-SECRET-authorization"
#define CLIENT_SECRET "csecret-SECRET-registered"
#define REFRESH "rt-SECRET-refresh-token"
#define REDIRECT "http://127.0.0.1:9/callback"

static ds_proc ds;

static void setup(void)
{
    const char *const args[] = {"--mcp-api-key", TOKEN, NULL};
    start_devserver(&ds, args);
}
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(mcp_auth, .init = setup, .fini = teardown, .timeout = 60);


/* Answers method path with status and body (JSON), every time. */
static void serve(const char *method, const char *path, int status, const char *body)
{
    cJSON *rule = cJSON_CreateObject(), *steps = cJSON_AddArrayToObject(rule, "steps");
    cJSON *step = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "path", path);
    cJSON_AddStringToObject(rule, "method", method);
    cJSON_AddBoolToObject(rule, "repeat", 1);
    cJSON_AddNumberToObject(step, "status", status);
    cJSON_AddStringToObject(step, "content_type", "application/json");
    cJSON_AddStringToObject(step, "body", body);
    cJSON_AddItemToArray(steps, step);
    char *text = cJSON_PrintUnformatted(rule);
    cr_assert_eq(ds_proc_fault(&ds, NULL, text), 0, "rule refused: %s", text);
    free(text);
    cJSON_Delete(rule);
}

/* Protected resource metadata naming resource (NULL = the endpoint itself) and scopes
 * (JSON array text, NULL = none). */
static void serve_prm(const char *resource, const char *scopes)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"resource\":\"%s\",\"authorization_servers\":[\"%s\"]%s%s}",
             resource ? resource : ds.mcp_jsonrpc_url, ds.controller_url,
             scopes ? ",\"scopes_supported\":" : "", scopes ? scopes : "");
    serve("GET", "/.well-known/oauth-protected-resource/mcp", 200, body);
}

/* An authorization server on the devserver's port: metadata, registration, token. */
static void serve_as(const char *as_scopes)
{
    char body[2048];
    const char *c = ds.controller_url;
    snprintf(body, sizeof body,
             "{\"issuer\":\"%s\",\"authorization_endpoint\":\"%s/oauth/authorize\","
             "\"token_endpoint\":\"%s/oauth/token\",\"registration_endpoint\":\"%s/oauth/register\","
             "\"code_challenge_methods_supported\":[\"S256\"],"
             "\"token_endpoint_auth_methods_supported\":[\"client_secret_post\"]%s%s}",
             c, c, c, c, as_scopes ? ",\"scopes_supported\":" : "", as_scopes ? as_scopes : "");
    serve("GET", "/.well-known/oauth-authorization-server", 200, body);
    serve("POST", "/oauth/register", 201,
          "{\"client_id\":\"cid-1\",\"client_secret\":\"" CLIENT_SECRET "\","
          "\"token_endpoint_auth_method\":\"client_secret_post\"}");
    serve("POST", "/oauth/token", 200,
          "{\"access_token\":\"" TOKEN "\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
          "\"refresh_token\":\"" REFRESH "\",\"scope\":\"mcp:tools\"}");
}

typedef enum { GOOD_STATE, WRONG_STATE, REFUSE, ERROR_REDIRECT } az_mode;

typedef struct az_rec {
    az_mode mode;
    int calls;
    char url[2048];
    sekha_code rc;
} az_rec;

static void on_authorize(sekha_mcp_authorization *az, const char *url, void *ud)
{
    az_rec *r = ud;
    r->calls++;
    snprintf(r->url, sizeof r->url, "%s", url);
    char *state = oauth_query_param(url, "state", 0);
    char redirect[1024];
    switch (r->mode) {
    case GOOD_STATE:
    case WRONG_STATE:
        snprintf(redirect, sizeof redirect, REDIRECT "?code=" CODE "&state=%s",
                 r->mode == GOOD_STATE && state ? state : "forged");
        r->rc = sekha_mcp_authorization_complete(az, redirect);
        break;
    case ERROR_REDIRECT:
        snprintf(redirect, sizeof redirect, REDIRECT "?error=access_denied&state=%s",
                 state ? state : "");
        r->rc = sekha_mcp_authorization_complete(az, redirect);
        break;
    case REFUSE:
        r->rc = sekha_mcp_authorization_fail(az, "the user closed the window");
        break;
    }
    free(state);
}

typedef struct saved {
    int calls;
    char json[4096];
} saved;

static void on_save(const char *state_json, void *ud)
{
    saved *s = ud;
    s->calls++;
    snprintf(s->json, sizeof s->json, "%s", state_json);
}

typedef struct log_capture {
    char text[65536];
    size_t len;
} log_capture;

static void capture_log(sekha_log_level level, const char *line, void *ud)
{
    (void)level;
    log_capture *lc = ud;
    size_t n = strlen(line);
    if (lc->len + n + 2 < sizeof lc->text) {
        memcpy(lc->text + lc->len, line, n);
        lc->len += n;
        lc->text[lc->len++] = '\n';
        lc->text[lc->len] = '\0';
    }
}

static log_capture logs;
static char traces[65536];

static void on_trace(const sekha_trace_event *ev, void *ud)
{
    (void)ud;
    const char *j = sekha_trace_event_json(ev);
    if (j && strlen(traces) + strlen(j) + 2 < sizeof traces) {
        strcat(traces, j);
        strcat(traces, "\n");
    }
}

static sekha_client *new_client(const char *cassette)
{
    sekha_options *o = test_options(&ds);
    memset(&logs, 0, sizeof logs);
    traces[0] = '\0';
    cr_assert_eq(sekha_options_set_log(o, SEKHA_LOG_DEBUG, capture_log, &logs), SEKHA_OK);
    cr_assert_eq(sekha_options_set_trace(o, on_trace, NULL), SEKHA_OK);
    cr_assert_eq(sekha_options_set_rate_limit(o, SEKHA_SERVICE_MCP, 0, 1000), SEKHA_OK);
    if (cassette)
        cr_assert_eq(sekha_options_set_record(o, cassette), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

static sekha_mcp_auth *new_auth(az_rec *az, saved *sv)
{
    sekha_mcp_auth *a = sekha_mcp_auth_new();
    cr_assert_not_null(a);
    cr_assert_eq(sekha_mcp_auth_set_redirect_uri(a, REDIRECT), SEKHA_OK);
    cr_assert_eq(sekha_mcp_auth_set_authorize_handler(a, on_authorize, az), SEKHA_OK);
    if (sv)
        cr_assert_eq(sekha_mcp_auth_set_save_handler(a, on_save, sv), SEKHA_OK);
    return a;
}

/* tools/list on a new session with a; returns its code, message in msg. */
static sekha_code list_tools(sekha_client *c, sekha_mcp_auth *a, char *msg, size_t msg_len)
{
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_http(c, ds.mcp_jsonrpc_url, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_mcp_session_set_auth(s, a), SEKHA_OK);
    sekha_mcp_tools *tools = NULL;
    sekha_code rc = sekha_mcp_session_list_tools_sync(s, NULL, &tools, &err);
    snprintf(msg, msg_len, "%s", err ? sekha_error_message(err) : "");
    if (rc == SEKHA_OK)
        cr_assert_gt(sekha_mcp_tools_count(tools), 0);
    sekha_mcp_tools_free(tools);
    sekha_error_free(err);
    sekha_mcp_session_free(s);
    return rc;
}

/* A client that records to a new file made from the template (it becomes its path). */
static sekha_client *recording_client(char *path_template)
{
    int fd = mkstemp(path_template);
    cr_assert_geq(fd, 0);
    close(fd);
    return new_client(path_template);
}

static int has_param(const char *url, const char *name, const char *want)
{
    char *v = oauth_query_param(url, name, 0);
    int ok = v && (!want || strcmp(v, want) == 0);
    free(v);
    return ok;
}

Test(mcp_auth, authorization_code_flow_with_registration_pkce_and_resource)
{
    serve_prm(NULL, "[\"mcp:tools\"]");
    serve_as("[\"mcp:tools\",\"offline_access\"]");
    char cassette[] = "/tmp/sekha-oauth-cassette-XXXXXX";
    sekha_client *c = recording_client(cassette);
    az_rec az = {.mode = GOOD_STATE};
    saved sv = {0};
    sekha_mcp_auth *a = new_auth(&az, &sv);
    char msg[512];
    cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_OK, "%s", msg);
    cr_assert_eq(az.calls, 1);
    cr_assert_eq(az.rc, SEKHA_OK);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/oauth/authorize?", ds.controller_url);
    cr_assert_eq(strncmp(az.url, prefix, strlen(prefix)), 0, "%s", az.url);
    cr_assert(has_param(az.url, "response_type", "code"), "%s", az.url);
    cr_assert(has_param(az.url, "client_id", "cid-1"), "%s", az.url);
    cr_assert(has_param(az.url, "redirect_uri", REDIRECT), "%s", az.url);
    cr_assert(has_param(az.url, "code_challenge_method", "S256"), "%s", az.url);
    cr_assert(has_param(az.url, "code_challenge", NULL), "%s", az.url);
    cr_assert(has_param(az.url, "resource", ds.mcp_jsonrpc_url), "%s", az.url);
    cr_assert(has_param(az.url, "scope", "mcp:tools offline_access"), "%s", az.url);
    char *state = oauth_query_param(az.url, "state", 0);
    cr_assert(state && strlen(state) >= 16, "a state of 128 random bits: %s", az.url);
    free(state);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/oauth/register"), 1);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/oauth/token"), 1);
    /* The state was saved, secrets and all, for the application to keep. */
    cr_assert_geq(sv.calls, 1);
    cr_assert_not_null(strstr(sv.json, REFRESH), "%s", sv.json);
    cr_assert_not_null(strstr(sv.json, "\"client_id\":\"cid-1\""), "%s", sv.json);
    /* A second session with the same auth object needs no new flow. */
    cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_OK, "%s", msg);
    cr_assert_eq(az.calls, 1);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/oauth/token"), 1);
    sekha_mcp_auth_free(a);
    sekha_client_free(c);
    /* No token, secret or code in the log, the trace events or the cassette. */
    cr_assert_null(strstr(logs.text, "SECRET"), "a secret leaked into the log:\n%s", logs.text);
    cr_assert_null(strstr(traces, "SECRET"), "a secret leaked into a trace event:\n%s", traces);
    FILE *f = fopen(cassette, "r");
    cr_assert_not_null(f);
    static char rec[1 << 18];
    size_t n = fread(rec, 1, sizeof rec - 1, f);
    rec[n] = '\0';
    fclose(f);
    unlink(cassette);
    cr_assert_gt(n, 0);
    cr_assert_null(strstr(rec, "SECRET"), "a secret leaked into the cassette:\n%s", rec);
}

Test(mcp_auth, a_forged_state_fails_the_call_and_no_token_is_asked_for)
{
    serve_prm(NULL, NULL);
    serve_as(NULL);
    sekha_client *c = new_client(NULL);
    az_rec az = {.mode = WRONG_STATE};
    sekha_mcp_auth *a = new_auth(&az, NULL);
    char msg[512];
    cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_E_AUTH, "%s", msg);
    cr_assert_eq(az.rc, SEKHA_E_AUTH);
    cr_assert_not_null(strstr(msg, "state"), "%s", msg);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/oauth/token"), 0);
    /* No scope anywhere: none is asked for. */
    cr_assert_not(has_param(az.url, "scope", NULL), "%s", az.url);
    sekha_mcp_auth_free(a);
    sekha_client_free(c);
}

Test(mcp_auth, a_refused_or_denied_authorization_says_so)
{
    serve_prm(NULL, NULL);
    serve_as(NULL);
    sekha_client *c = new_client(NULL);
    az_rec az = {.mode = REFUSE};
    sekha_mcp_auth *a = new_auth(&az, NULL);
    char msg[512];
    cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_E_AUTH, "%s", msg);
    cr_assert_not_null(strstr(msg, "the user closed the window"), "%s", msg);
    az.mode = ERROR_REDIRECT;
    cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_E_AUTH, "%s", msg);
    cr_assert_not_null(strstr(msg, "access_denied"), "%s", msg);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/oauth/token"), 0);
    sekha_mcp_auth_free(a);
    sekha_client_free(c);
}

Test(mcp_auth, a_resource_that_is_not_this_server_is_refused)
{
    serve_prm("https://evil.example.com/mcp", NULL);
    serve_as(NULL);
    sekha_client *c = new_client(NULL);
    az_rec az = {.mode = GOOD_STATE};
    sekha_mcp_auth *a = new_auth(&az, NULL);
    char msg[512];
    cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_E_AUTH, "%s", msg);
    cr_assert_not_null(strstr(msg, "does not match"), "%s", msg);
    cr_assert_eq(az.calls, 0, "never authorize for a foreign resource");
    sekha_mcp_auth_free(a);
    sekha_client_free(c);
}

Test(mcp_auth, a_token_endpoint_error_names_the_step_and_the_oauth_error)
{
    serve_prm(NULL, NULL);
    serve("POST", "/oauth/token", 400,
          "{\"error\":\"invalid_grant\",\"error_description\":\"the code was used\"}");
    serve_as(NULL); /* its token rule comes after the one above, which wins */
    sekha_client *c = new_client(NULL);
    az_rec az = {.mode = GOOD_STATE};
    sekha_mcp_auth *a = new_auth(&az, NULL);
    char msg[512];
    cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_E_AUTH, "%s", msg);
    cr_assert_not_null(strstr(msg, "token endpoint: HTTP 400 invalid_grant: the code was used"),
                       "%s", msg);
    sekha_mcp_auth_free(a);
    sekha_client_free(c);
}

Test(mcp_auth, a_saved_refresh_token_is_used_before_asking_the_user)
{
    serve_prm(NULL, NULL);
    serve_as(NULL);
    sekha_client *c = new_client(NULL);
    az_rec az = {.mode = REFUSE};
    sekha_mcp_auth *a = new_auth(&az, NULL);
    cr_assert_eq(sekha_mcp_auth_set_state(a, "{\"client_id\":\"cid-1\",\"access_token\":\"stale\","
                                             "\"refresh_token\":\"" REFRESH "\"}"), SEKHA_OK);
    char msg[512];
    cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_OK, "%s", msg);
    cr_assert_eq(az.calls, 0, "the refresh token was enough");
    cr_assert_eq(ds_proc_count(&ds, NULL, "/oauth/token"), 1);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/oauth/register"), 0);
    sekha_mcp_auth_free(a);
    sekha_client_free(c);
}

Test(mcp_auth, without_any_metadata_the_2025_03_26_default_endpoints_are_used)
{
    serve("POST", "/register", 201, "{\"client_id\":\"cid-legacy\"}");
    serve("POST", "/token", 200, "{\"access_token\":\"" TOKEN "\",\"token_type\":\"bearer\"}");
    sekha_client *c = new_client(NULL);
    az_rec az = {.mode = GOOD_STATE};
    sekha_mcp_auth *a = new_auth(&az, NULL);
    char msg[512];
    cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_OK, "%s", msg);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/authorize?", ds.controller_url);
    cr_assert_eq(strncmp(az.url, prefix, strlen(prefix)), 0, "%s", az.url);
    cr_assert(has_param(az.url, "client_id", "cid-legacy"), "%s", az.url);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/.well-known/oauth-protected-resource/mcp"), 1);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/.well-known/oauth-protected-resource"), 1);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/.well-known/oauth-authorization-server"), 1);
    sekha_mcp_auth_free(a);
    sekha_client_free(c);
}

/* A P-256 private key in PEM (PKCS#8), malloc'd. */
static char *new_p256_pem(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    cr_assert_not_null(k);
    BIO *bio = BIO_new(BIO_s_mem());
    cr_assert_eq(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
    char *pem = NULL;
    long len = BIO_get_mem_data(bio, &pem);
    char *copy = strndup(pem, (size_t)len);
    BIO_free(bio);
    EVP_PKEY_free(k);
    return copy;
}

Test(mcp_auth, client_credentials_need_no_user_with_a_secret_or_a_private_key)
{
    serve_prm(NULL, "[\"mcp:tools\"]");
    serve_as("[\"mcp:tools\",\"offline_access\"]");
    char cassette[] = "/tmp/sekha-oauth-cc-XXXXXX";
    sekha_client *c = recording_client(cassette);
    az_rec az = {.mode = REFUSE};
    char *pem = new_p256_pem();
    for (int with_key = 0; with_key < 2; with_key++) {
        sekha_mcp_auth *a = new_auth(&az, NULL);
        cr_assert_eq(sekha_mcp_auth_set_grant(a, SEKHA_MCP_GRANT_CLIENT_CREDENTIALS), SEKHA_OK);
        cr_assert_eq(sekha_mcp_auth_set_client(a, "cc-client", with_key ? NULL : CLIENT_SECRET),
                     SEKHA_OK);
        if (with_key)
            cr_assert_eq(sekha_mcp_auth_set_private_key(a, pem, "ES256"), SEKHA_OK);
        char msg[512];
        cr_assert_eq(list_tools(c, a, msg, sizeof msg), SEKHA_OK, "%s", msg);
        sekha_mcp_auth_free(a);
    }
    cr_assert_eq(az.calls, 0, "no interactive step");
    cr_assert_eq(ds_proc_count(&ds, NULL, "/oauth/register"), 0, "configured clients register not");
    cr_assert_eq(ds_proc_count(&ds, NULL, "/oauth/token"), 2);
    free(pem);
    sekha_client_free(c);
    FILE *f = fopen(cassette, "r");
    cr_assert_not_null(f);
    static char rec[1 << 18];
    size_t n = fread(rec, 1, sizeof rec - 1, f);
    rec[n] = '\0';
    fclose(f);
    unlink(cassette);
    cr_assert_null(strstr(rec, "SECRET"), "a secret leaked into the cassette:\n%s", rec);
    cr_assert_null(strstr(rec, "client_assertion"), "the assertion is recorded:\n%s", rec);
    cr_assert_null(strstr(logs.text, "SECRET"), "a secret leaked into the log:\n%s", logs.text);
}

/* ---- the async loop: the interactive step answered later, or never ---- */

typedef struct held {
    sekha_mcp_authorization *az;
    char state[128];
    int finals;
    sekha_code code;
} held;

static void hold_authorize(sekha_mcp_authorization *az, const char *url, void *ud)
{
    held *h = ud;
    h->az = az;
    char *state = oauth_query_param(url, "state", 0);
    snprintf(h->state, sizeof h->state, "%s", state ? state : "");
    free(state);
}

static void tools_done(sekha_request *req, const sekha_error *err, const sekha_mcp_tools *tools,
                       void *ud)
{
    (void)req;
    (void)tools;
    held *h = ud;
    h->finals++;
    h->code = sekha_error_code(err);
}

static sekha_mcp_session *held_session(sekha_client *c, sekha_mcp_auth *a, held *h)
{
    cr_assert_eq(sekha_mcp_auth_set_redirect_uri(a, REDIRECT), SEKHA_OK);
    cr_assert_eq(sekha_mcp_auth_set_authorize_handler(a, hold_authorize, h), SEKHA_OK);
    sekha_mcp_session *s = sekha_mcp_session_new_http(c, ds.mcp_jsonrpc_url, NULL);
    cr_assert_not_null(s);
    cr_assert_eq(sekha_mcp_session_set_auth(s, a), SEKHA_OK);
    cr_assert_not_null(sekha_mcp_session_list_tools(s, NULL, tools_done, h));
    for (int i = 0; i < 1000 && !h->az && !h->finals; i++)
        sekha_client_poll(c, 10);
    cr_assert_not_null(h->az, "the authorize handler was called");
    return s;
}

Test(mcp_auth, the_step_completed_later_from_outside_the_loop_goes_on)
{
    serve_prm(NULL, NULL);
    serve_as(NULL);
    sekha_client *c = new_client(NULL);
    sekha_mcp_auth *a = sekha_mcp_auth_new();
    held h = {0};
    sekha_mcp_session *s = held_session(c, a, &h);
    char redirect[512];
    snprintf(redirect, sizeof redirect, REDIRECT "?state=%s&code=" CODE, h.state);
    cr_assert_eq(sekha_mcp_authorization_complete(h.az, redirect), SEKHA_OK);
    for (int i = 0; i < 1000 && !h.finals; i++)
        sekha_client_poll(c, 10);
    cr_assert_eq(h.finals, 1);
    cr_assert_eq(h.code, SEKHA_OK);
    sekha_mcp_session_free(s);
    sekha_mcp_auth_free(a);
    sekha_client_free(c);
}

Test(mcp_auth, freeing_everything_while_the_user_holds_the_step_is_clean)
{
    serve_prm(NULL, NULL);
    serve_as(NULL);
    sekha_client *c = new_client(NULL);
    sekha_mcp_auth *a = sekha_mcp_auth_new();
    held h = {0};
    sekha_mcp_session *s = held_session(c, a, &h);
    sekha_mcp_session_free(s);
    for (int i = 0; i < 100 && !h.finals; i++)
        sekha_client_poll(c, 10);
    cr_assert_eq(h.finals, 1, "the call ended with its session");
    sekha_mcp_auth_free(a);
    /* The application's late answer only releases the step. */
    cr_assert_eq(sekha_mcp_authorization_fail(h.az, "too late"), SEKHA_E_CLOSED);
    sekha_client_free(c);
}

Test(mcp_auth, configuration_is_checked)
{
    sekha_mcp_auth *a = sekha_mcp_auth_new();
    cr_assert_eq(sekha_mcp_auth_set_redirect_uri(a, "ftp://x/cb"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_auth_set_redirect_uri(a, "http://127.0.0.1/c b"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_auth_set_client(a, "", NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_auth_set_client_metadata_url(a, "http://example.com/c.json"),
                 SEKHA_E_INVALID_ARG, "CIMD ids are https");
    cr_assert_eq(sekha_mcp_auth_set_client_metadata_url(a, "https://example.com"),
                 SEKHA_E_INVALID_ARG, "and have a path");
    cr_assert_eq(sekha_mcp_auth_set_private_key(a, "not a key", "ES256"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_auth_set_grant(a, 7), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_auth_set_state(a, "[1]"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_auth_set_state(a, "{\"access_token\":\"a b\"}"), SEKHA_E_INVALID_ARG,
                 "a token that cannot go in a header line");
    cr_assert_eq(sekha_mcp_auth_set_state(a, "{\"access_token\":\"t\"}"), SEKHA_OK);
    sekha_mcp_auth_free(a);
    sekha_mcp_auth_free(NULL);
    sekha_client *c = new_client(NULL);
    const char *argv[] = {"true", NULL};
    sekha_mcp_session *s = sekha_mcp_session_new_stdio(c, argv, NULL);
    a = sekha_mcp_auth_new();
    cr_assert_eq(sekha_mcp_session_set_auth(s, a), SEKHA_E_INVALID_ARG, "stdio has no HTTP");
    sekha_mcp_session_free(s);
    sekha_mcp_auth_free(a);
    sekha_client_free(c);
}

/* ---- helpers ---- */

Test(mcp_auth, challenges_are_parsed_with_quotes_and_other_schemes)
{
    oauth_challenge ch = {0};
    oauth_challenge_parse("Basic realm=\"x\", Bearer error=\"insufficient_scope\", "
                          "scope=\"a b\", resource_metadata=\"http://h/.well-known/x\"", &ch);
    cr_assert_str_eq(ch.error, "insufficient_scope");
    cr_assert_str_eq(ch.scope, "a b");
    cr_assert_str_eq(ch.resource_metadata, "http://h/.well-known/x");
    oauth_challenge_clear(&ch);
    oauth_challenge_parse("Bearer realm=\"r\\\"q\", scope=mcp:basic", &ch);
    cr_assert_str_eq(ch.scope, "mcp:basic");
    cr_assert_null(ch.error);
    oauth_challenge_clear(&ch);
    oauth_challenge_parse("Bearer scope=\"unterminated", &ch);
    cr_assert_str_eq(ch.scope, "unterminated");
    oauth_challenge_clear(&ch);
    oauth_challenge_parse(NULL, &ch);
    oauth_challenge_parse("Negotiate abc", &ch);
    cr_assert_null(ch.scope);
}

Test(mcp_auth, resources_match_by_origin_and_path_prefix)
{
    cr_assert(oauth_resource_matches("http://h:1/mcp", "http://h:1/mcp"));
    cr_assert(oauth_resource_matches("http://h:1", "http://h:1/mcp"));
    cr_assert(oauth_resource_matches("http://h:1/", "http://h:1/mcp"));
    cr_assert(oauth_resource_matches("http://h:1/api", "http://h:1/api/mcp"));
    cr_assert_not(oauth_resource_matches("http://h:1/mcp", "http://h:1/mcp2"));
    cr_assert_not(oauth_resource_matches("http://h:2/mcp", "http://h:1/mcp"));
    cr_assert_not(oauth_resource_matches("https://evil.example.com/mcp", "http://h:1/mcp"));
    cr_assert_not(oauth_resource_matches("http://h:1/mcp/deeper", "http://h:1/mcp"));
}

Test(mcp_auth, query_parameters_are_decoded)
{
    char *v = oauth_query_param("http://x/cb?a=1&code=ab%2Bc%20d+e&state=s#frag", "code", 1);
    cr_assert_str_eq(v, "ab+c d e");
    sekha__secret_free(v);
    v = oauth_query_param("http://x/cb?state=s#code=no", "code", 0);
    cr_assert_null(v);
    v = oauth_query_param("http://x/cb?xcode=1&code=%4", "code", 0);
    cr_assert_str_eq(v, "%4", "a broken escape stays as it is");
    free(v);
}

Test(mcp_auth, pkce_s256_is_the_rfc_7636_example)
{
    char *c = oauth_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    cr_assert_str_eq(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    free(c);
}

Test(mcp_auth, client_assertions_are_es256_jwts_the_public_key_verifies)
{
    char *pem_text = new_p256_pem();
    BIO *bio = BIO_new_mem_buf(pem_text, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    cr_assert_not_null(k);
    char why[160];
    char *jwt = oauth_client_assertion(pem_text, "client-1", "http://as.example", why, sizeof why);
    cr_assert_not_null(jwt, "%s", why);
    char *dot1 = strchr(jwt, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    cr_assert(dot1 && dot2);
    /* the claims */
    unsigned char claims[1024];
    size_t clen = 0;
    cr_assert_eq(sodium_base642bin(claims, sizeof claims - 1, dot1 + 1, (size_t)(dot2 - dot1 - 1),
                                   NULL, &clen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
    claims[clen] = '\0';
    cr_assert_not_null(strstr((char *)claims, "\"iss\":\"client-1\""), "%s", claims);
    cr_assert_not_null(strstr((char *)claims, "\"sub\":\"client-1\""), "%s", claims);
    cr_assert_not_null(strstr((char *)claims, "\"aud\":\"http://as.example\""), "%s", claims);
    /* the signature: r||s, verified as DER with the public key */
    unsigned char sig[64];
    size_t slen = 0;
    cr_assert_eq(sodium_base642bin(sig, sizeof sig, dot2 + 1, strlen(dot2 + 1), NULL, &slen, NULL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
    cr_assert_eq(slen, 64);
    ECDSA_SIG *es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
    unsigned char *der = NULL;
    int dlen = i2d_ECDSA_SIG(es, &der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    cr_assert_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k), 1);
    cr_assert_eq(EVP_DigestVerify(md, der, (size_t)dlen, (const unsigned char *)jwt,
                                  (size_t)(dot2 - jwt)), 1, "the signature verifies");
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    free(jwt);
    cr_assert_null(oauth_client_assertion("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                                          "c", "a", why, sizeof why));
    cr_assert_not_null(strstr(why, "P-256"), "%s", why);
    free(pem_text);
    BIO_free(bio);
    EVP_PKEY_free(k);
}
