/* MCP authorization: discovery. Protected resource metadata (RFC 9728): the challenge's
 * resource_metadata, then the path-aware well-known URL, then the root one; none means a
 * 2025-03-26 server, its own authorization server at its origin. Then authorization server
 * metadata (RFC 8414, then OpenID Connect discovery, path-aware for an issuer with a path),
 * or for a 2025-03-26 server without any the default /authorize, /token and /register. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/oauth.h"

static void prm_next(oauth_flow *f);
static void asm_next(oauth_flow *f);

static int add_url(oauth_flow *f, const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *u = malloc(n);
    if (!u)
        return -1;
    snprintf(u, n, "%s%s%s", a, b, c);
    f->urls[f->nurls++] = u;
    return 0;
}

/* Strips one trailing '/' from a path: "/" and "" are no path. */
static size_t path_len(const char *p)
{
    size_t n = strcspn(p, "?#");
    while (n > 0 && p[n - 1] == '/')
        n--;
    return n;
}

void oauth_flow_run(oauth_flow *f)
{
    sekha_mcp_auth *a = f->a;
    int new_prm = f->ch.resource_metadata &&
                  (!a->prm_url || strcmp(a->prm_url, f->ch.resource_metadata) != 0);
    if (a->as_meta && !new_prm) {
        oauth_grant_begin(f);
        return;
    }
    char *origin = oauth_origin(f->s->url);
    const char *path = oauth_path(f->s->url);
    char p[1024];
    snprintf(p, sizeof p, "%.*s", (int)path_len(path), path);
    int rc = origin ? 0 : -1;
    if (f->ch.resource_metadata && strncmp(f->ch.resource_metadata, "http", 4) == 0)
        rc |= add_url(f, f->ch.resource_metadata, "", "");
    if (origin && *p)
        rc |= add_url(f, origin, "/.well-known/oauth-protected-resource", p);
    if (origin)
        rc |= add_url(f, origin, "/.well-known/oauth-protected-resource", "");
    free(origin);
    if (rc != 0) {
        oauth_fail_nomem(f, "protected resource metadata");
        return;
    }
    prm_next(f);
}

static void prm_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                     void *ud)
{
    (void)req;
    oauth_flow *f = ud;
    if (!oauth_enter(f))
        return;
    sekha_mcp_auth *a = f->a;
    if (err && (err->code == SEKHA_E_CANCELLED || err->code == SEKHA_E_CLOSED)) {
        oauth_fail(f, err->code, err->layer, "protected resource metadata: %s", sekha_error_message(err));
        return;
    }
    cJSON *j = oauth_json_answer(err, resp);
    const cJSON *as = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "authorization_servers"), 0);
    if (!cJSON_IsString(as) || strncmp(as->valuestring, "http", 4) != 0) {
        cJSON_Delete(j);
        prm_next(f);
        return;
    }
    const char *resource = oauth_jstr(j, "resource");
    if (resource && !oauth_resource_matches(resource, f->s->url)) {
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_SERVICE,
             "protected resource metadata: its resource %.300s does not match the server URL "
             "%.300s, refusing to authorize", resource, f->s->url);
        cJSON_Delete(j);
        return;
    }
    cJSON *scopes = cJSON_DetachItemFromObjectCaseSensitive(j, "scopes_supported");
    cJSON_Delete(a->prm_scopes);
    a->prm_scopes = scopes;
    cJSON_Delete(a->as_meta);
    a->as_meta = NULL;
    int rc = oauth_dup(&a->resource, resource ? resource : f->s->url) |
             oauth_dup(&a->issuer, as->valuestring) |
             oauth_dup(&a->prm_url, f->urls[f->iurl - 1]);
    cJSON_Delete(j);
    if (rc != 0) {
        oauth_fail_nomem(f, "protected resource metadata");
        return;
    }
    f->legacy = 0;
    oauth_clear_urls(f);
    asm_next(f);
}

static void prm_next(oauth_flow *f)
{
    if (f->iurl < f->nurls) {
        oauth_request(f, "GET", f->urls[f->iurl++], NULL, 0, "MCP auth: protected resource metadata",
                prm_done);
        return;
    }
    /* None: a 2025-03-26 server, which is its own authorization server. */
    sekha_mcp_auth *a = f->a;
    oauth_clear_urls(f);
    char *origin = oauth_origin(f->s->url);
    if (!origin) {
        oauth_fail_nomem(f, "protected resource metadata");
        return;
    }
    free(a->issuer);
    a->issuer = origin;
    free(a->resource);
    a->resource = NULL;
    free(a->prm_url);
    a->prm_url = NULL;
    cJSON_Delete(a->as_meta);
    a->as_meta = NULL;
    cJSON_Delete(a->prm_scopes);
    a->prm_scopes = NULL;
    f->legacy = 1;
    asm_next(f);
}

/* ---- authorization server metadata ---- */

static void asm_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                     void *ud)
{
    (void)req;
    oauth_flow *f = ud;
    if (!oauth_enter(f))
        return;
    if (err && (err->code == SEKHA_E_CANCELLED || err->code == SEKHA_E_CLOSED)) {
        oauth_fail(f, err->code, err->layer, "authorization server metadata: %s",
             sekha_error_message(err));
        return;
    }
    cJSON *j = oauth_json_answer(err, resp);
    if (!oauth_jstr(j, "token_endpoint")) {
        cJSON_Delete(j);
        asm_next(f);
        return;
    }
    f->a->as_meta = j;
    oauth_clear_urls(f);
    oauth_grant_begin(f);
}

/* The 2025-03-26 defaults: the endpoints at fixed paths of the server's origin. */
static int legacy_defaults(oauth_flow *f)
{
    cJSON *m = cJSON_CreateObject();
    char url[2048];
    const char *names[] = {"authorization_endpoint", "token_endpoint", "registration_endpoint"};
    const char *paths[] = {"/authorize", "/token", "/register"};
    for (int i = 0; m && i < 3; i++) {
        snprintf(url, sizeof url, "%s%s", f->a->issuer, paths[i]);
        if (!cJSON_AddStringToObject(m, names[i], url)) {
            cJSON_Delete(m);
            m = NULL;
        }
    }
    f->a->as_meta = m;
    return m ? 0 : -1;
}

static void asm_next(oauth_flow *f)
{
    sekha_mcp_auth *a = f->a;
    if (f->nurls == 0) {
        char *origin = oauth_origin(a->issuer);
        const char *path = oauth_path(a->issuer);
        char p[1024];
        snprintf(p, sizeof p, "%.*s", (int)path_len(path), path);
        int rc = origin ? 0 : -1;
        if (origin && *p) {
            rc |= add_url(f, origin, "/.well-known/oauth-authorization-server", p);
            rc |= add_url(f, origin, "/.well-known/openid-configuration", p);
            rc |= add_url(f, origin, p, "/.well-known/openid-configuration");
        } else if (origin) {
            rc |= add_url(f, origin, "/.well-known/oauth-authorization-server", "");
            rc |= add_url(f, origin, "/.well-known/openid-configuration", "");
        }
        free(origin);
        if (rc != 0) {
            oauth_fail_nomem(f, "authorization server metadata");
            return;
        }
    }
    if (f->iurl < f->nurls) {
        oauth_request(f, "GET", f->urls[f->iurl++], NULL, 0,
                "MCP auth: authorization server metadata", asm_done);
        return;
    }
    oauth_clear_urls(f);
    if (!f->legacy) {
        oauth_fail(f, SEKHA_E_AUTH, SEKHA_LAYER_SERVICE,
             "authorization server metadata: none found for %.300s (RFC 8414 and OpenID "
             "Connect discovery)", a->issuer);
        return;
    }
    if (legacy_defaults(f) != 0) {
        oauth_fail_nomem(f, "authorization server metadata");
        return;
    }
    oauth_grant_begin(f);
}
