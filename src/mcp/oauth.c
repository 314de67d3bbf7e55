/* MCP authorization: the auth object (configuration, tokens, persistence) and its hooks in
 * the HTTP transports: the Bearer line every request carries, and the challenge handling
 * that turns a 401 or a 403 insufficient_scope into a flow and re-sends the call. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "mcp/oauth.h"

int oauth_secret_set(char **slot, const char *v)
{
    char *copy = v ? sekha__secret_dup(v, strlen(v)) : NULL;
    if (v && !copy)
        return -1;
    sekha__secret_free(*slot);
    *slot = copy;
    return 0;
}

static int text_set(char **slot, const char *v)
{
    char *copy = v ? strdup(v) : NULL;
    if (v && !copy)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

static int http_url(const char *u)
{
    return u && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) &&
           strlen(u) < 4096 && !strpbrk(u, " \t\r\n");
}

sekha_mcp_auth *sekha_mcp_auth_new(void)
{
    if (sekha_global_init() != 0)
        return NULL;
    sekha_mcp_auth *a = calloc(1, sizeof *a);
    if (a)
        a->grant = SEKHA_MCP_GRANT_AUTHORIZATION_CODE;
    return a;
}

void sekha_mcp_auth_free(sekha_mcp_auth *a)
{
    if (!a)
        return;
    if (a->flow)
        oauth_flow_end(a->flow, sekha__error_new(SEKHA_E_CLOSED, SEKHA_LAYER_LOCAL,
                                                  "the MCP auth object was freed"));
    free(a->redirect_uri);
    free(a->client_name);
    free(a->cimd_url);
    free(a->client_id);
    free(a->token_method);
    sekha__secret_free(a->client_secret);
    sekha__secret_free(a->private_key);
    free(a->idp_token_endpoint);
    free(a->idp_client_id);
    sekha__secret_free(a->id_token);
    sekha__secret_free(a->access_line);
    sekha__secret_free(a->refresh_token);
    for (size_t i = 0; i < a->nretired; i++)
        sekha__secret_free(a->retired[i]);
    free(a->retired);
    free(a->token_scope);
    free(a->issuer);
    free(a->resource);
    free(a->prm_url);
    cJSON_Delete(a->as_meta);
    cJSON_Delete(a->prm_scopes);
    free(a);
}

sekha_code sekha_mcp_auth_set_redirect_uri(sekha_mcp_auth *a, const char *uri)
{
    if (!a || !http_url(uri))
        return SEKHA_E_INVALID_ARG;
    return text_set(&a->redirect_uri, uri) ? SEKHA_E_NOMEM : SEKHA_OK;
}

sekha_code sekha_mcp_auth_set_client(sekha_mcp_auth *a, const char *client_id,
                                     const char *client_secret)
{
    if (!a || !client_id || !*client_id || !sekha__utf8_valid(client_id, strlen(client_id)))
        return SEKHA_E_INVALID_ARG;
    if (text_set(&a->client_id, client_id) || oauth_secret_set(&a->client_secret, client_secret))
        return SEKHA_E_NOMEM;
    free(a->token_method);
    a->token_method = NULL;
    a->preregistered = 1;
    return SEKHA_OK;
}

sekha_code sekha_mcp_auth_set_client_metadata_url(sekha_mcp_auth *a, const char *url)
{
    /* CIMD client ids are https URLs with a path; loopback http is for tests. */
    if (!a || !http_url(url) || !*oauth_path(url) ||
        (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://127.0.0.1", 16) != 0 &&
         strncmp(url, "http://localhost", 16) != 0))
        return SEKHA_E_INVALID_ARG;
    return text_set(&a->cimd_url, url) ? SEKHA_E_NOMEM : SEKHA_OK;
}

sekha_code sekha_mcp_auth_set_client_name(sekha_mcp_auth *a, const char *name)
{
    if (!a || !name || !*name || !sekha__utf8_valid(name, strlen(name)))
        return SEKHA_E_INVALID_ARG;
    return text_set(&a->client_name, name) ? SEKHA_E_NOMEM : SEKHA_OK;
}

sekha_code sekha_mcp_auth_set_grant(sekha_mcp_auth *a, int grant)
{
    if (!a || grant < SEKHA_MCP_GRANT_AUTHORIZATION_CODE || grant > SEKHA_MCP_GRANT_CROSS_APP)
        return SEKHA_E_INVALID_ARG;
    a->grant = grant;
    return SEKHA_OK;
}

sekha_code sekha_mcp_auth_set_private_key(sekha_mcp_auth *a, const char *pem, const char *alg)
{
    if (!a || !pem || !alg || strcmp(alg, "ES256") != 0 || !oauth_key_usable(pem))
        return SEKHA_E_INVALID_ARG;
    return oauth_secret_set(&a->private_key, pem) ? SEKHA_E_NOMEM : SEKHA_OK;
}

sekha_code sekha_mcp_auth_set_identity(sekha_mcp_auth *a, const char *idp_token_endpoint,
                                       const char *idp_client_id, const char *id_token)
{
    if (!a || !http_url(idp_token_endpoint) || !id_token || !*id_token ||
        strpbrk(id_token, " \r\n"))
        return SEKHA_E_INVALID_ARG;
    if (text_set(&a->idp_token_endpoint, idp_token_endpoint) ||
        text_set(&a->idp_client_id, idp_client_id) || oauth_secret_set(&a->id_token, id_token))
        return SEKHA_E_NOMEM;
    a->grant = SEKHA_MCP_GRANT_CROSS_APP;
    return SEKHA_OK;
}

sekha_code sekha_mcp_auth_set_authorize_handler(sekha_mcp_auth *a, sekha_mcp_authorize_cb cb,
                                                void *userdata)
{
    if (!a)
        return SEKHA_E_INVALID_ARG;
    a->authorize_cb = cb;
    a->authorize_ud = userdata;
    return SEKHA_OK;
}

sekha_code sekha_mcp_auth_set_save_handler(sekha_mcp_auth *a, sekha_mcp_auth_save_cb cb,
                                           void *userdata)
{
    if (!a)
        return SEKHA_E_INVALID_ARG;
    a->save_cb = cb;
    a->save_ud = userdata;
    return SEKHA_OK;
}

/* ---- tokens and their persistence ---- */

#define BEARER_PREFIX_LEN (sizeof "Authorization: Bearer " - 1)

static int set_access_token(sekha_mcp_auth *a, const char *token)
{
    char *line = token ? oauth_bearer_line(token) : NULL;
    if (token && !line)
        return -1;
    if (a->access_line) {
        char **r = realloc(a->retired, (a->nretired + 1) * sizeof *r);
        if (!r) {
            sekha__secret_free(line);
            return -1;
        }
        a->retired = r;
        a->retired[a->nretired++] = a->access_line;
    }
    a->access_line = line;
    a->gen++;
    return 0;
}

/* A token the server may put in a header line: visible ASCII only. */
static int token_ok(const char *t)
{
    if (!t || !*t || strlen(t) > 16384)
        return 0;
    for (; *t; t++)
        if ((unsigned char)*t < 0x21 || (unsigned char)*t > 0x7e)
            return 0;
    return 1;
}

int oauth_store_tokens(sekha_mcp_auth *a, const cJSON *tok, const char *asked_scope, char *why,
                       size_t why_len)
{
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(tok, "access_token");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(tok, "token_type");
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(tok, "refresh_token");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(tok, "expires_in");
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(tok, "scope");
    if (!cJSON_IsString(at) || !token_ok(at->valuestring)) {
        snprintf(why, why_len, "the answer has no usable access_token");
        return -1;
    }
    if (cJSON_IsString(type) && strcasecmp(type->valuestring, "bearer") != 0) {
        snprintf(why, why_len, "token_type \"%.40s\" is not Bearer", type->valuestring);
        return -1;
    }
    if (set_access_token(a, at->valuestring) != 0 ||
        (cJSON_IsString(rt) && token_ok(rt->valuestring) &&
         oauth_secret_set(&a->refresh_token, rt->valuestring) != 0) ||
        text_set(&a->token_scope, cJSON_IsString(scope) ? scope->valuestring : asked_scope) != 0) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    a->expires_at = cJSON_IsNumber(exp) && exp->valuedouble > 0
                        ? (int64_t)time(NULL) + (int64_t)exp->valuedouble : 0;
    oauth_save(a);
    return 0;
}

/* Wipes every string of a JSON tree that held secrets before it is freed. */
static void wipe_json(cJSON *j)
{
    for (cJSON *c = j; c; c = c->next) {
        if (c->valuestring)
            sodium_memzero(c->valuestring, strlen(c->valuestring));
        wipe_json(c->child);
    }
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
}

void oauth_save(sekha_mcp_auth *a)
{
    if (!a->save_cb)
        return;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return;
    add_str(o, "client_id", a->preregistered ? NULL : a->client_id);
    add_str(o, "client_secret", a->preregistered ? NULL : a->client_secret);
    add_str(o, "token_endpoint_auth_method", a->preregistered ? NULL : a->token_method);
    add_str(o, "access_token", a->access_line ? a->access_line + BEARER_PREFIX_LEN : NULL);
    add_str(o, "refresh_token", a->refresh_token);
    if (a->expires_at)
        cJSON_AddNumberToObject(o, "expires_at", (double)a->expires_at);
    add_str(o, "scope", a->token_scope);
    add_str(o, "issuer", a->issuer);
    add_str(o, "resource", a->resource);
    char *text = cJSON_PrintUnformatted(o);
    wipe_json(o);
    cJSON_Delete(o);
    if (!text)
        return;
    char *guarded = sekha__secret_dup(text, strlen(text));
    sodium_memzero(text, strlen(text));
    free(text);
    if (guarded)
        a->save_cb(guarded, a->save_ud);
    sekha__secret_free(guarded);
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

sekha_code sekha_mcp_auth_set_state(sekha_mcp_auth *a, const char *state_json)
{
    if (!a || !state_json || !sekha__utf8_valid(state_json, strlen(state_json)))
        return SEKHA_E_INVALID_ARG;
    cJSON *o = cJSON_Parse(state_json);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return SEKHA_E_INVALID_ARG;
    }
    const char *at = str_of(o, "access_token"), *rt = str_of(o, "refresh_token");
    const char *cid = str_of(o, "client_id");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(o, "expires_at");
    sekha_code rc = SEKHA_OK;
    if ((at && !token_ok(at)) || (rt && !token_ok(rt)))
        rc = SEKHA_E_INVALID_ARG;
    else if ((cid && !a->preregistered &&
              (text_set(&a->client_id, cid) ||
               oauth_secret_set(&a->client_secret, str_of(o, "client_secret")) ||
               text_set(&a->token_method, str_of(o, "token_endpoint_auth_method")))) ||
             set_access_token(a, at) || oauth_secret_set(&a->refresh_token, rt) ||
             text_set(&a->token_scope, str_of(o, "scope")) ||
             text_set(&a->issuer, str_of(o, "issuer")) ||
             text_set(&a->resource, str_of(o, "resource")))
        rc = SEKHA_E_NOMEM;
    if (rc == SEKHA_OK)
        a->expires_at = cJSON_IsNumber(exp) ? (int64_t)exp->valuedouble : 0;
    wipe_json(o);
    cJSON_Delete(o);
    return rc;
}

/* ---- the session's side ---- */

sekha_code sekha_mcp_session_set_auth(sekha_mcp_session *s, sekha_mcp_auth *a)
{
    if (!mcp_usable(s) || s->state != MCP_NEW || s->loop || s->ops == &mcp_stdio_ops)
        return SEKHA_E_INVALID_ARG;
    s->auth = a;
    return SEKHA_OK;
}

const char *oauth_line(const mcp_session *s)
{
    return s->auth ? s->auth->access_line : NULL;
}

int oauth_challenged(mcp_session *s, mcp_call *call, const sekha_error *err,
                     const sekha_response *resp)
{
    sekha_mcp_auth *a = s->auth;
    if (!a || !err || err->layer != SEKHA_LAYER_HTTP || !resp ||
        (err->http_status != 401 && err->http_status != 403))
        return 0;
    oauth_challenge ch = {0};
    oauth_challenge_parse(sekha_response_header(resp, "www-authenticate"), &ch);
    int stepup = err->http_status == 403 && ch.error && strcmp(ch.error, "insufficient_scope") == 0;
    int taken = 0;
    if (err->http_status == 401 && call->auth_gen != a->gen && a->access_line && !a->flow) {
        /* Sent with an older token than the one there is now: just send it again. */
        oauth_challenge_clear(&ch);
        s->ops->send_call(s, call);
        return 1;
    }
    if (err->http_status == 401 ? !call->auth_retried++
                                : stepup && call->auth_stepups++ < OAUTH_MAX_STEPUPS) {
        int fresh = !a->flow;
        oauth_flow *f = fresh ? oauth_flow_new(a, s, &ch, stepup) : a->flow;
        taken = f && oauth_flow_wait(f, call) == 0;
        if (fresh && f)
            oauth_flow_run(f);
    }
    oauth_challenge_clear(&ch);
    return taken;
}
