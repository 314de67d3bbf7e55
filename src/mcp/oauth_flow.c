/* MCP authorization: the flow that obtains a token, one ordinary request at a time on the
 * session's loop.
 *
 *   protected resource metadata (RFC 9728: the challenge's resource_metadata, then the
 *   path-aware well-known URL, then the root one; none: the 2025-03-26 rules, with the
 *   server's origin as authorization server)
 *   -> authorization server metadata (RFC 8414 then OpenID Connect, path-aware; 2025-03-26:
 *   default /authorize, /token, /register endpoints when there is none)
 *   -> client identity (configured, Client ID Metadata Document, dynamic registration)
 *   -> a refresh token when there is one, else the grant: authorization code with PKCE
 *   (the application's authorize handler does the interactive step), client credentials,
 *   or token exchange at the identity provider followed by the JWT bearer grant
 *   -> the token endpoint, with client authentication by what the server supports. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mcp/oauth.h"

#define GT_TOKEN_EXCHANGE "urn:ietf:params:oauth:grant-type:token-exchange"
#define GT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define TT_ID_TOKEN "urn:ietf:params:oauth:token-type:id_token"
#define TT_ID_JAG "urn:ietf:params:oauth:token-type:id-jag"
#define ASSERTION_JWT "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/* ---- lifetime ---- */

oauth_flow *oauth_flow_new(sekha_mcp_auth *a, mcp_session *s, oauth_challenge *ch, int stepup)
{
    oauth_flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->a = a;
    f->s = s;
    f->ch = *ch;
    memset(ch, 0, sizeof *ch);
    f->stepup = stepup;
    mcp_session_ref(s);
    a->flow = f;
    return f;
}

int oauth_flow_wait(oauth_flow *f, mcp_call *call)
{
    waiter *w = malloc(sizeof *w);
    if (!w)
        return -1;
    mcp_call_ref(call);
    w->call = call;
    w->next = f->waiters;
    f->waiters = w;
    return 0;
}

void oauth_clear_urls(oauth_flow *f)
{
    for (int i = 0; i < f->nurls; i++)
        free(f->urls[i]);
    f->nurls = f->iurl = 0;
}

static void release(oauth_flow *f)
{
    oauth_challenge_clear(&f->ch);
    oauth_clear_urls(f);
    free(f->scope);
    free(f->state);
    sekha__secret_free(f->verifier);
    sekha__secret_free(f->jag);
    sekha__secret_free(f->auth_header);
    free(f);
}

void oauth_flow_end(oauth_flow *f, sekha_error *err)
{
    if (f->a->flow == f)
        f->a->flow = NULL;
    if (f->az) /* the application still answers it, which then only releases it */
        f->az->f = NULL;
    /* Oldest first, as they were sent. */
    waiter *rev = NULL;
    while (f->waiters) {
        waiter *w = f->waiters;
        f->waiters = w->next;
        w->next = rev;
        rev = w;
    }
    while (rev) {
        waiter *w = rev;
        rev = w->next;
        mcp_call *call = w->call;
        if (call->state == MCP_SENT && !call->s->freed) {
            if (err) {
                sekha_error *e = sekha_error_copy(err);
                mcp_call_end(call, e ? e : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
            } else {
                call->s->ops->send_call(call->s, call);
            }
        }
        mcp_call_unref(call);
        free(w);
    }
    sekha_error_free(err);
    f->ended = 1;
    mcp_session *s = f->s;
    sekha_request *r = f->req;
    if (r)
        sekha_request_cancel(r); /* its callback frees the flow, maybe right here */
    else
        release(f);
    mcp_session_unref(s);
}

/* Every done callback of the flow starts here: 0 when the flow ended meanwhile (its
 * request was cancelled) and is now gone. */
int oauth_enter(oauth_flow *f)
{
    f->req = NULL;
    if (f->ended) {
        release(f);
        return 0;
    }
    return 1;
}

void oauth_fail(oauth_flow *f, sekha_code code, sekha_layer layer, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    oauth_flow_end(f, sekha__error_new(code, layer, "MCP authorization: %s", msg));
}

void oauth_fail_nomem(oauth_flow *f, const char *what)
{
    oauth_fail(f, SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "%s: out of memory", what);
}

/* A request failed at step what: transport errors keep their code, answers become
 * SEKHA_E_AUTH with the server's OAuth error when it gave one. */
void oauth_fail_request(oauth_flow *f, const char *what, const sekha_error *err,
                         const sekha_response *resp)
{
    if (!err) {
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_SERVICE, "%s: the answer (HTTP %d) is not the JSON "
             "object expected", what, sekha_response_status(resp));
        return;
    }
    if (err->layer != SEKHA_LAYER_HTTP) {
        oauth_fail(f, err->code, err->layer, "%s: %s", what, sekha_error_message(err));
        return;
    }
    size_t len = 0;
    const char *body = resp ? sekha_response_body(resp, &len) : NULL;
    cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "error_description");
    sekha_error *out = sekha__error_new(
        SEKHA_E_AUTH, SEKHA_LAYER_HTTP, "MCP authorization: %s: HTTP %d%s%.100s%s%.300s", what,
        err->http_status, cJSON_IsString(e) ? " " : "", cJSON_IsString(e) ? e->valuestring : "",
        cJSON_IsString(d) ? ": " : "", cJSON_IsString(d) ? d->valuestring : "");
    if (out != &sekha__nomem_error)
        out->http_status = err->http_status;
    cJSON_Delete(j);
    oauth_flow_end(f, out);
}

/* The answer as a JSON object, or NULL when the request failed or the body is not one. */
cJSON *oauth_json_answer(const sekha_error *err, const sekha_response *resp)
{
    if (err || !resp)
        return NULL;
    size_t len = 0;
    const char *body = sekha_response_body(resp, &len);
    cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

const char *oauth_jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int oauth_jlist_has(const cJSON *o, const char *k, const char *word)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(o, k))
        if (cJSON_IsString(v) && strcmp(v->valuestring, word) == 0)
            return 1;
    return 0;
}

/* Frees a buffer that may have held a secret. */
void oauth_wipe(sekha_buf *b)
{
    if (b->data)
        sodium_memzero(b->data, b->cap);
    sekha__buf_free(b);
}

int oauth_dup(char **slot, const char *v)
{
    char *c = v ? strdup(v) : NULL;
    if (v && !c)
        return -1;
    free(*slot);
    *slot = c;
    return 0;
}

/* Starts one request of the flow; the body (wiped afterwards: it may hold secrets) is
 * JSON when json, else a form. */
void oauth_request(oauth_flow *f, const char *method, const char *url, sekha_buf *body,
                    int json, const char *what, sekha_response_cb done)
{
    int post = strcmp(method, "POST") == 0;
    sekha__spec spec = {
        .service = SEKHA_SERVICE_MCP,
        .method = method,
        .url = url,
        .content_type = post ? (json ? "application/json" : "application/x-www-form-urlencoded")
                             : NULL,
        .accept = "application/json",
        .body = body ? body->data : NULL,
        .body_len = body ? body->len : 0,
        .flags = SEKHA_HTTP_NO_AUTH | (post ? SEKHA_HTTP_NO_RETRY | SEKHA__HTTP_SECRET_BODIES : 0),
        .what = what,
        .auth_line = f->auth_header,
    };
    sekha_request *r = mcp_start_http(f->s, &spec, NULL, done, f);
    if (body)
        oauth_wipe(body);
    if (!r) {
        oauth_fail(f, SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "%s: could not start the request", what);
        return;
    }
    mcp_track_session_req(r, f->s);
    f->req = r;
}

/* ---- client identity ---- */

static const char *registration_method(const sekha_mcp_auth *a)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(a->as_meta,
                                                      "token_endpoint_auth_methods_supported");
    if (!m || oauth_jlist_has(a->as_meta, "token_endpoint_auth_methods_supported", "none"))
        return "none";
    if (oauth_jlist_has(a->as_meta, "token_endpoint_auth_methods_supported", "client_secret_basic"))
        return "client_secret_basic";
    if (oauth_jlist_has(a->as_meta, "token_endpoint_auth_methods_supported", "client_secret_post"))
        return "client_secret_post";
    return "none";
}

static void register_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                          void *ud)
{
    (void)req;
    oauth_flow *f = ud;
    if (!oauth_enter(f))
        return;
    sekha_mcp_auth *a = f->a;
    cJSON *j = oauth_json_answer(err, resp);
    const char *id = oauth_jstr(j, "client_id");
    if (!id || !*id) {
        cJSON_Delete(j);
        oauth_fail_request(f, "client registration", err, resp);
        return;
    }
    const char *method = oauth_jstr(j, "token_endpoint_auth_method");
    int rc = oauth_dup(&a->client_id, id) | oauth_secret_set(&a->client_secret, oauth_jstr(j, "client_secret")) |
             oauth_dup(&a->token_method, method);
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(j, "client_secret");
    if (cJSON_IsString(sec))
        sodium_memzero(sec->valuestring, strlen(sec->valuestring));
    cJSON_Delete(j);
    if (rc != 0) {
        oauth_fail_nomem(f, "client registration");
        return;
    }
    a->preregistered = 0;
    oauth_save(a);
    oauth_grant_begin(f);
}

/* 1 when the client has an identity now, 0 when a registration was started, -1 when the
 * flow failed. */
static int identify(oauth_flow *f)
{
    sekha_mcp_auth *a = f->a;
    if (a->client_id)
        return 1;
    if (a->grant != SEKHA_MCP_GRANT_AUTHORIZATION_CODE) {
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_LOCAL, "client identity: this grant needs a client "
             "id (sekha_mcp_auth_set_client)");
        return -1;
    }
    const cJSON *cimd = cJSON_GetObjectItemCaseSensitive(a->as_meta,
                                                         "client_id_metadata_document_supported");
    if (a->cimd_url && cJSON_IsTrue(cimd)) {
        if (oauth_dup(&a->client_id, a->cimd_url) || oauth_dup(&a->token_method, "none")) {
            oauth_fail_nomem(f, "client identity");
            return -1;
        }
        a->preregistered = 0;
        return 1;
    }
    const char *reg = oauth_jstr(a->as_meta, "registration_endpoint");
    if (!reg) {
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_SERVICE, "client identity: no client id is set, and "
             "the authorization server offers neither dynamic registration nor Client ID "
             "Metadata Documents");
        return -1;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON *uris = cJSON_AddArrayToObject(body, "redirect_uris");
    if (a->redirect_uri)
        cJSON_AddItemToArray(uris, cJSON_CreateString(a->redirect_uri));
    cJSON_AddStringToObject(body, "client_name", a->client_name ? a->client_name : "libsekha");
    cJSON *gt = cJSON_AddArrayToObject(body, "grant_types");
    cJSON_AddItemToArray(gt, cJSON_CreateString("authorization_code"));
    cJSON_AddItemToArray(gt, cJSON_CreateString("refresh_token"));
    cJSON *rt = cJSON_AddArrayToObject(body, "response_types");
    cJSON_AddItemToArray(rt, cJSON_CreateString("code"));
    cJSON_AddStringToObject(body, "token_endpoint_auth_method", registration_method(a));
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    sekha_buf b = {0};
    if (!text || sekha__buf_puts(&b, text) != 0) {
        free(text);
        oauth_wipe(&b);
        oauth_fail_nomem(f, "client registration");
        return -1;
    }
    free(text);
    oauth_request(f, "POST", reg, &b, 1, "MCP auth: client registration", register_done);
    return 0;
}

/* ---- the token endpoint ---- */

static const char *token_method(const sekha_mcp_auth *a)
{
    static const char *const k = "token_endpoint_auth_methods_supported";
    int listed = cJSON_GetObjectItemCaseSensitive(a->as_meta, k) != NULL;
    if (a->token_method)
        return a->token_method;
    if (a->private_key && (!listed || oauth_jlist_has(a->as_meta, k, "private_key_jwt")))
        return "private_key_jwt";
    if (a->client_secret) {
        if (!listed || oauth_jlist_has(a->as_meta, k, "client_secret_basic"))
            return "client_secret_basic";
        if (oauth_jlist_has(a->as_meta, k, "client_secret_post"))
            return "client_secret_post";
        return "client_secret_basic";
    }
    return "none";
}

static const char *audience(const sekha_mcp_auth *a)
{
    const char *iss = oauth_jstr(a->as_meta, "issuer");
    return iss ? iss : a->issuer;
}

static void token_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                       void *ud)
{
    (void)req;
    oauth_flow *f = ud;
    if (!oauth_enter(f))
        return;
    sekha_mcp_auth *a = f->a;
    sekha__secret_free(f->auth_header);
    f->auth_header = NULL;
    cJSON *j = oauth_json_answer(err, resp);
    char why[160] = "";
    int ok = j && oauth_store_tokens(a, j, f->scope, why, sizeof why) == 0;
    if (j)
        for (const char *k = "access_token"; k; k = strcmp(k, "access_token") == 0 ? "refresh_token" : NULL) {
            cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
            if (cJSON_IsString(v))
                sodium_memzero(v->valuestring, strlen(v->valuestring));
        }
    cJSON_Delete(j);
    if (ok) {
        oauth_flow_end(f, NULL);
        return;
    }
    if (f->refreshing && (!err || err->layer == SEKHA_LAYER_HTTP)) {
        /* A refresh token the server no longer takes: forget it, run the grant. */
        f->refreshing = 0;
        oauth_secret_set(&a->refresh_token, NULL);
        oauth_save(a);
        oauth_grant_begin(f);
        return;
    }
    if (*why) {
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_SERVICE, "token endpoint: %s", why);
        return;
    }
    oauth_fail_request(f, "token endpoint", err, resp);
}

/* Sends form (grant parameters) to the token endpoint with resource and client
 * authentication added. */
static void token_request(oauth_flow *f, sekha_buf *form)
{
    sekha_mcp_auth *a = f->a;
    const char *method = token_method(a);
    int rc = 0;
    if (a->resource && !f->legacy)
        rc |= oauth_form_add(form, "resource", a->resource);
    if (strcmp(method, "client_secret_basic") == 0 && a->client_secret) {
        if (!(f->auth_header = oauth_basic_line(a->client_id, a->client_secret)))
            rc = -1;
    } else if (strcmp(method, "private_key_jwt") == 0 && a->private_key) {
        char why[160];
        char *jwt = oauth_client_assertion(a->private_key, a->client_id, audience(a), why,
                                           sizeof why);
        if (!jwt) {
            oauth_wipe(form);
            oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_LOCAL, "token endpoint: %s", why);
            return;
        }
        rc |= oauth_form_add(form, "client_id", a->client_id) |
              oauth_form_add(form, "client_assertion_type", ASSERTION_JWT) |
              oauth_form_add(form, "client_assertion", jwt);
        free(jwt);
    } else {
        rc |= oauth_form_add(form, "client_id", a->client_id);
        if (strcmp(method, "client_secret_post") == 0)
            rc |= oauth_form_add(form, "client_secret", a->client_secret);
    }
    if (rc != 0) {
        oauth_wipe(form);
        oauth_fail_nomem(f, "token endpoint");
        return;
    }
    oauth_request(f, "POST", oauth_jstr(a->as_meta, "token_endpoint"), form, 0, "MCP auth: token endpoint",
            token_done);
}

/* ---- cross-app access: token exchange at the identity provider ---- */

static void idp_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                     void *ud)
{
    (void)req;
    oauth_flow *f = ud;
    if (!oauth_enter(f))
        return;
    cJSON *j = oauth_json_answer(err, resp);
    const char *jag = oauth_jstr(j, "access_token"), *type = oauth_jstr(j, "issued_token_type");
    if (!jag || (type && strcmp(type, TT_ID_JAG) != 0)) {
        cJSON_Delete(j);
        oauth_fail_request(f, "token exchange at the identity provider", err, resp);
        return;
    }
    int rc = oauth_secret_set(&f->jag, jag);
    sodium_memzero((char *)jag, strlen(jag));
    cJSON_Delete(j);
    sekha_buf form = {0};
    rc |= oauth_form_add(&form, "grant_type", GT_JWT_BEARER) |
          oauth_form_add(&form, "assertion", f->jag) | oauth_form_add(&form, "scope", f->scope);
    if (rc != 0) {
        oauth_wipe(&form);
        oauth_fail_nomem(f, "token exchange");
        return;
    }
    token_request(f, &form);
}

static void exchange_begin(oauth_flow *f)
{
    sekha_mcp_auth *a = f->a;
    if (!a->idp_token_endpoint || !a->id_token) {
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_LOCAL, "cross-app access needs an identity "
             "(sekha_mcp_auth_set_identity)");
        return;
    }
    sekha_buf form = {0};
    int rc = oauth_form_add(&form, "grant_type", GT_TOKEN_EXCHANGE) |
             oauth_form_add(&form, "requested_token_type", TT_ID_JAG) |
             oauth_form_add(&form, "subject_token", a->id_token) |
             oauth_form_add(&form, "subject_token_type", TT_ID_TOKEN) |
             oauth_form_add(&form, "audience", audience(a)) |
             oauth_form_add(&form, "resource", a->resource) |
             oauth_form_add(&form, "scope", f->scope) |
             oauth_form_add(&form, "client_id", a->idp_client_id);
    if (rc != 0) {
        oauth_wipe(&form);
        oauth_fail_nomem(f, "token exchange");
        return;
    }
    oauth_request(f, "POST", a->idp_token_endpoint, &form, 0, "MCP auth: token exchange", idp_done);
}

/* ---- the authorization code grant ---- */

static void authorize_begin(oauth_flow *f)
{
    sekha_mcp_auth *a = f->a;
    const char *endpoint = oauth_jstr(a->as_meta, "authorization_endpoint");
    if (!a->authorize_cb || !a->redirect_uri || !endpoint) {
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_LOCAL, "authorization: %s",
             !endpoint ? "the authorization server has no authorization endpoint"
             : !a->redirect_uri ? "no redirect URI is set (sekha_mcp_auth_set_redirect_uri)"
                                : "no authorize handler is set "
                                  "(sekha_mcp_auth_set_authorize_handler)");
        return;
    }
    sekha__secret_free(f->verifier);
    free(f->state);
    f->verifier = oauth_random(32, 1);
    f->state = oauth_random(16, 0);
    char *challenge = f->verifier ? oauth_s256(f->verifier) : NULL;
    sekha_buf q = {0};
    int rc = !challenge || !f->state ||
             oauth_form_add(&q, "response_type", "code") |
                 oauth_form_add(&q, "client_id", a->client_id) |
                 oauth_form_add(&q, "redirect_uri", a->redirect_uri) |
                 oauth_form_add(&q, "code_challenge", challenge) |
                 oauth_form_add(&q, "code_challenge_method", "S256") |
                 oauth_form_add(&q, "state", f->state) |
                 oauth_form_add(&q, "scope", f->scope) |
                 oauth_form_add(&q, "resource", f->legacy ? NULL : a->resource);
    free(challenge);
    sekha_buf url = {0};
    sekha_mcp_authorization *az = calloc(1, sizeof *az);
    if (rc || !az ||
        sekha__buf_printf(&url, "%s%c%s", endpoint, strchr(endpoint, '?') ? '&' : '?', q.data)) {
        free(az);
        sekha__buf_free(&q);
        sekha__buf_free(&url);
        oauth_fail_nomem(f, "authorization");
        return;
    }
    sekha__buf_free(&q);
    az->f = f;
    f->az = az;
    /* The handler may complete or fail the step (and so end the flow) before it returns. */
    a->authorize_cb(az, url.data, a->authorize_ud);
    sekha__buf_free(&url);
}

static void code_token(oauth_flow *f, const char *code)
{
    sekha_buf form = {0};
    int rc = oauth_form_add(&form, "grant_type", "authorization_code") |
             oauth_form_add(&form, "code", code) |
             oauth_form_add(&form, "redirect_uri", f->a->redirect_uri) |
             oauth_form_add(&form, "code_verifier", f->verifier);
    if (rc != 0) {
        oauth_wipe(&form);
        oauth_fail_nomem(f, "token endpoint");
        return;
    }
    token_request(f, &form);
}

sekha_code sekha_mcp_authorization_complete(sekha_mcp_authorization *az, const char *redirect_url)
{
    if (!az || !redirect_url)
        return SEKHA_E_INVALID_ARG;
    oauth_flow *f = az->f;
    free(az);
    if (!f)
        return SEKHA_E_CLOSED;
    f->az = NULL;
    char *error = oauth_query_param(redirect_url, "error", 0);
    char *state = oauth_query_param(redirect_url, "state", 0);
    char *code = oauth_query_param(redirect_url, "code", 1);
    sekha_code rc = SEKHA_E_AUTH;
    if (error)
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_SERVICE, "authorization: the server answered error=%.100s",
             error);
    else if (!state || !f->state || strcmp(state, f->state) != 0)
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_SERVICE, "authorization: the redirect's state does "
             "not match the request's (a forged or stale redirect)");
    else if (!code || !*code)
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_SERVICE, "authorization: the redirect carries no code");
    else {
        rc = SEKHA_OK;
        code_token(f, code);
    }
    free(error);
    free(state);
    sekha__secret_free(code);
    return rc;
}

sekha_code sekha_mcp_authorization_fail(sekha_mcp_authorization *az, const char *message)
{
    if (!az)
        return SEKHA_E_INVALID_ARG;
    oauth_flow *f = az->f;
    free(az);
    if (!f)
        return SEKHA_E_CLOSED;
    f->az = NULL;
    oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_LOCAL, "authorization: %.300s",
         message ? message : "authorization failed");
    return SEKHA_OK;
}

/* ---- choosing the grant ---- */

/* Scope: the challenge's, else the resource's scopes_supported, else none (2025-11-25);
 * a step-up keeps what the token had; offline_access when the server offers it. */
static int choose_scope(oauth_flow *f)
{
    sekha_mcp_auth *a = f->a;
    sekha_buf b = {0};
    int rc = 0;
    if (f->stepup && a->token_scope && *a->token_scope)
        rc |= sekha__buf_puts(&b, a->token_scope);
    if (f->ch.scope && *f->ch.scope) {
        const char *p = f->ch.scope;
        while (*p) {
            p += strspn(p, " ");
            size_t n = strcspn(p, " ");
            char word[256];
            if (n > 0 && n < sizeof word) {
                memcpy(word, p, n);
                word[n] = '\0';
                if (!oauth_scope_has(b.data, word))
                    rc |= sekha__buf_printf(&b, "%s%s", b.len ? " " : "", word);
            }
            p += n;
        }
    } else if (!b.len) {
        const cJSON *v;
        cJSON_ArrayForEach(v, a->prm_scopes)
            if (cJSON_IsString(v) && !strpbrk(v->valuestring, " "))
                rc |= sekha__buf_printf(&b, "%s%s", b.len ? " " : "", v->valuestring);
    }
    if (b.len && a->grant == SEKHA_MCP_GRANT_AUTHORIZATION_CODE &&
        oauth_jlist_has(a->as_meta, "scopes_supported", "offline_access") &&
        !oauth_scope_has(b.data, "offline_access"))
        rc |= sekha__buf_puts(&b, " offline_access");
    free(f->scope);
    f->scope = b.data;
    return rc;
}

void oauth_grant_begin(oauth_flow *f)
{
    sekha_mcp_auth *a = f->a;
    if (identify(f) <= 0)
        return;
    if (choose_scope(f) != 0) {
        oauth_fail_nomem(f, "scope");
        return;
    }
    if (a->refresh_token && !f->stepup && !f->refresh_tried) {
        f->refresh_tried = 1;
        f->refreshing = 1;
        sekha_buf form = {0};
        if (oauth_form_add(&form, "grant_type", "refresh_token") != 0 ||
            oauth_form_add(&form, "refresh_token", a->refresh_token) != 0) {
            oauth_wipe(&form);
            oauth_fail_nomem(f, "token refresh");
            return;
        }
        token_request(f, &form);
        return;
    }
    f->refreshing = 0;
    if (a->grant == SEKHA_MCP_GRANT_CROSS_APP) {
        exchange_begin(f);
    } else if (a->grant == SEKHA_MCP_GRANT_CLIENT_CREDENTIALS) {
        sekha_buf form = {0};
        if (oauth_form_add(&form, "grant_type", "client_credentials") != 0 ||
            oauth_form_add(&form, "scope", f->scope) != 0) {
            oauth_wipe(&form);
            oauth_fail_nomem(f, "client credentials");
            return;
        }
        token_request(f, &form);
    } else {
        authorize_begin(f);
    }
}
