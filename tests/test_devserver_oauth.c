/* sekha-devserver --mcp-oauth at the HTTP level (plain libcurl, no libsekha): the 401
 * challenge, protected resource and authorization server metadata, dynamic client
 * registration, the auto-approving /authorize, /token with PKCE (the RFC 7636 appendix B
 * vector) and refresh-token rotation, and what each endpoint refuses. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "devserver.h"

TestSuite(devserver_oauth, .timeout = 60);

/* RFC 7636 appendix B. */
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

typedef struct reply {
    long status;
    char body[8192];
    size_t len;
    char location[2048];
    char www_auth[2048];
} reply;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    reply *r = ud;
    size_t k = sz * n;
    size_t room = sizeof r->body - 1 - r->len;
    memcpy(r->body + r->len, p, k < room ? k : room);
    r->len += k < room ? k : room;
    r->body[r->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    reply *r = ud;
    size_t k = sz * n;
    char line[2048];
    snprintf(line, sizeof line, "%.*s", (int)(k < sizeof line - 1 ? k : sizeof line - 1), p);
    line[strcspn(line, "\r\n")] = '\0';
    if (strncasecmp(line, "Location: ", 10) == 0)
        snprintf(r->location, sizeof r->location, "%s", line + 10);
    if (strncasecmp(line, "WWW-Authenticate: ", 18) == 0)
        snprintf(r->www_auth, sizeof r->www_auth, "%s", line + 18);
    return k;
}

/* One request; body NULL = GET. ctype NULL = JSON. auth: an Authorization header value. */
static void http(const char *method, const char *url, const char *body, const char *ctype,
                 const char *auth, reply *r)
{
    memset(r, 0, sizeof *r);
    CURL *h = curl_easy_init();
    cr_assert_not_null(h);
    struct curl_slist *hs = NULL;
    char line[1200];
    if (body) {
        snprintf(line, sizeof line, "Content-Type: %s", ctype ? ctype : "application/json");
        hs = curl_slist_append(hs, line);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
    if (auth) {
        snprintf(line, sizeof line, "Authorization: %s", auth);
        hs = curl_slist_append(hs, line);
    }
    hs = curl_slist_append(hs, "Accept: application/json, text/event-stream");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    cr_assert_eq(curl_easy_perform(h), CURLE_OK, "%s %s", method, url);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
}

static ds_proc ds;

static void start(void)
{
    const char *args[] = {"--mcp-oauth", NULL};
    cr_assert_eq(ds_proc_start(&ds, args), 0, "devserver did not start");
}

static void stop(void)
{
    ds_proc_stop(&ds);
}

static char *json_text(const reply *r, const char *key)
{
    cJSON *v = cJSON_Parse(r->body);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, key);
    char *out = cJSON_IsString(s) ? strdup(s->valuestring) : NULL;
    cJSON_Delete(v);
    return out;
}

static char *reg(const char *redirect, const char *method)
{
    char body[512], url[256];
    snprintf(body, sizeof body,
             "{\"redirect_uris\":[\"%s\"],\"client_name\":\"test\"%s%s%s}", redirect,
             method ? ",\"token_endpoint_auth_method\":\"" : "", method ? method : "",
             method ? "\"" : "");
    snprintf(url, sizeof url, "%s/register", ds.controller_url);
    reply r;
    http("POST", url, body, NULL, NULL, &r);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *id = json_text(&r, "client_id");
    cr_assert_not_null(id);
    return id;
}

/* The code of an approved authorization, its state checked. */
static char *authorize(const char *client, const char *redirect, const char *state)
{
    char url[1024];
    snprintf(url, sizeof url,
             "%s/authorize?response_type=code&client_id=%s&redirect_uri=%s&state=%s"
             "&code_challenge=" CHALLENGE "&code_challenge_method=S256&scope=mcp"
             "&resource=%s/mcp",
             ds.controller_url, client, redirect, state, ds.controller_url);
    reply r;
    http("GET", url, NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, 302, "%s", r.body);
    cr_assert_eq(strncmp(r.location, redirect, strlen(redirect)), 0, "%s", r.location);
    char want_state[128];
    snprintf(want_state, sizeof want_state, "&state=%s", state);
    cr_assert_not_null(strstr(r.location, want_state), "%s", r.location);
    const char *c = strstr(r.location, "?code=");
    cr_assert_not_null(c, "%s", r.location);
    return strndup(c + 6, strcspn(c + 6, "&"));
}

static void token(const char *form, reply *r)
{
    char url[256];
    snprintf(url, sizeof url, "%s/token", ds.controller_url);
    http("POST", url, form, "application/x-www-form-urlencoded", NULL, r);
}

static long mcp_ping(const char *access, reply *r)
{
    char auth[256] = "";
    if (access)
        snprintf(auth, sizeof auth, "Bearer %s", access);
    http("POST", ds.mcp_jsonrpc_url,
         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
         "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
         NULL, access ? auth : NULL, r);
    return r->status;
}

Test(devserver_oauth, challenge_and_metadata, .init = start, .fini = stop)
{
    reply r;
    cr_assert_eq(mcp_ping(NULL, &r), 401);
    char want[512];
    snprintf(want, sizeof want,
             "Bearer resource_metadata=\"%s/.well-known/oauth-protected-resource/mcp\"",
             ds.controller_url);
    cr_assert_eq(strncmp(r.www_auth, want, strlen(want)), 0, "%s", r.www_auth);
    /* the MCP key no longer opens the endpoint */
    cr_assert_eq(mcp_ping(ds.mcp_api_key, &r), 401);
    cr_assert_not_null(strstr(r.www_auth, "error=\"invalid_token\""), "%s", r.www_auth);

    char url[256];
    snprintf(url, sizeof url, "%s/.well-known/oauth-protected-resource/mcp", ds.controller_url);
    http("GET", url, NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    char *res = json_text(&r, "resource");
    cr_assert_str_eq(res, ds.mcp_jsonrpc_url);
    free(res);
    cr_assert_not_null(strstr(r.body, "\"authorization_servers\":[\""), "%s", r.body);

    snprintf(url, sizeof url, "%s/.well-known/oauth-authorization-server", ds.controller_url);
    http("GET", url, NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    char *issuer = json_text(&r, "issuer");
    cr_assert_str_eq(issuer, ds.controller_url);
    free(issuer);
    cr_assert_not_null(strstr(r.body, "\"code_challenge_methods_supported\":[\"S256\"]"), "%s",
                       r.body);
    cr_assert_not_null(strstr(r.body, "/register\""), "%s", r.body);
}

Test(devserver_oauth, code_flow_with_pkce_then_refresh, .init = start, .fini = stop)
{
    const char *redirect = "http://127.0.0.1:4242/callback";
    char *client = reg(redirect, "none");
    char *code = authorize(client, redirect, "st-1");
    char form[1024];
    reply r;

    /* a wrong verifier burns the code */
    snprintf(form, sizeof form,
             "grant_type=authorization_code&code=%s&client_id=%s&redirect_uri=%s"
             "&code_verifier=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", code, client,
             "http%3A%2F%2F127.0.0.1%3A4242%2Fcallback");
    token(form, &r);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert_not_null(strstr(r.body, "invalid_grant"), "%s", r.body);
    free(code);

    code = authorize(client, redirect, "st-2");
    snprintf(form, sizeof form,
             "grant_type=authorization_code&code=%s&client_id=%s&redirect_uri=%s"
             "&code_verifier=" VERIFIER, code, client, "http%3A%2F%2F127.0.0.1%3A4242%2Fcallback");
    token(form, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *access = json_text(&r, "access_token");
    char *refresh = json_text(&r, "refresh_token");
    cr_assert_not_null(access);
    cr_assert_not_null(refresh);
    cr_assert_not_null(strstr(r.body, "\"token_type\":\"Bearer\""), "%s", r.body);
    /* the code is good once */
    token(form, &r);
    cr_assert_eq(r.status, 400, "%s", r.body);

    cr_assert_eq(mcp_ping(access, &r), 200, "%s", r.body);
    cr_assert_not_null(strstr(r.body, "protocolVersion"), "%s", r.body);

    /* expired (the control route) -> 401; refresh -> a new pair, the old refresh token dies */
    char url[256];
    snprintf(url, sizeof url, "%s/_devserver/oauth/expire", ds.controller_url);
    http("POST", url, "", "text/plain", NULL, &r);
    cr_assert_eq(r.status, 204);
    cr_assert_eq(mcp_ping(access, &r), 401);
    snprintf(form, sizeof form, "grant_type=refresh_token&refresh_token=%s&client_id=%s", refresh,
             client);
    token(form, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *access2 = json_text(&r, "access_token");
    cr_assert_not_null(access2);
    cr_assert_str_neq(access2, access);
    cr_assert_eq(mcp_ping(access2, &r), 200, "%s", r.body);
    token(form, &r);
    cr_assert_eq(r.status, 400, "a refresh token is rotated: %s", r.body);
    free(access);
    free(access2);
    free(refresh);
    free(code);
    free(client);
}

Test(devserver_oauth, loopback_redirects_only_and_any_port, .init = start, .fini = stop)
{
    char url[1024], body[256];
    reply r;
    snprintf(url, sizeof url, "%s/register", ds.controller_url);
    snprintf(body, sizeof body, "{\"redirect_uris\":[\"https://evil.example/cb\"]}");
    http("POST", url, body, NULL, NULL, &r);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert_not_null(strstr(r.body, "invalid_redirect_uri"), "%s", r.body);
    snprintf(body, sizeof body, "{\"redirect_uris\":[\"http://127.0.0.1.evil.example/cb\"]}");
    http("POST", url, body, NULL, NULL, &r);
    cr_assert_eq(r.status, 400, "%s", r.body);

    char *client = reg("http://localhost:1000/callback", "none");
    /* RFC 8252: the port of a loopback redirect may change */
    char *code = authorize(client, "http://localhost:2000/callback", "x");
    free(code);
    /* another path, or another host, is refused without a redirect */
    snprintf(url, sizeof url,
             "%s/authorize?response_type=code&client_id=%s&redirect_uri=http://evil.example/cb"
             "&code_challenge=" CHALLENGE "&code_challenge_method=S256&state=s",
             ds.controller_url, client);
    http("GET", url, NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, 400);
    cr_assert_eq(r.location[0], '\0');
    snprintf(url, sizeof url,
             "%s/authorize?response_type=code&client_id=%s&redirect_uri=http://localhost:1000/other"
             "&code_challenge=" CHALLENGE "&code_challenge_method=S256&state=s",
             ds.controller_url, client);
    http("GET", url, NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, 400);
    /* no PKCE: the error goes back to the client with the state */
    snprintf(url, sizeof url,
             "%s/authorize?response_type=code&client_id=%s&redirect_uri=http://localhost:1000/callback"
             "&state=s9", ds.controller_url, client);
    http("GET", url, NULL, NULL, NULL, &r);
    cr_assert_eq(r.status, 302);
    cr_assert_str_eq(r.location, "http://localhost:1000/callback?error=invalid_request&state=s9");
    free(client);
}

Test(devserver_oauth, confidential_client_authenticates, .init = start, .fini = stop)
{
    const char *redirect = "http://127.0.0.1:5555/cb";
    char url[256];
    snprintf(url, sizeof url, "%s/register", ds.controller_url);
    reply r;
    http("POST", url, "{\"redirect_uris\":[\"http://127.0.0.1:5555/cb\"],"
                      "\"token_endpoint_auth_method\":\"client_secret_post\"}", NULL, NULL, &r);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *client = json_text(&r, "client_id");
    char *secret = json_text(&r, "client_secret");
    cr_assert_not_null(secret);
    char *code = authorize(client, redirect, "q");
    char form[1024];
    snprintf(form, sizeof form,
             "grant_type=authorization_code&code=%s&client_id=%s&redirect_uri=%s"
             "&code_verifier=" VERIFIER, code, client, "http%3A%2F%2F127.0.0.1%3A5555%2Fcb");
    token(form, &r);
    cr_assert_eq(r.status, 401, "no secret: %s", r.body);
    cr_assert_not_null(strstr(r.body, "invalid_client"), "%s", r.body);
    free(code);
    code = authorize(client, redirect, "q");
    snprintf(form, sizeof form,
             "grant_type=authorization_code&code=%s&client_id=%s&client_secret=%s&redirect_uri=%s"
             "&code_verifier=" VERIFIER, code, client, secret, "http%3A%2F%2F127.0.0.1%3A5555%2Fcb");
    token(form, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    free(code);
    free(client);
    free(secret);
}
