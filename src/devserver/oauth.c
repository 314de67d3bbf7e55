/* sekha-devserver --mcp-oauth: the MCP endpoint (/mcp and the /mcp/tools routes) as an OAuth 2.1
 * protected resource with its own authorization server on the same port, so a client's
 * whole authorization-code flow runs locally without a browser or a real identity provider:
 *
 *   401 + WWW-Authenticate: Bearer resource_metadata="<base>/.well-known/oauth-protected-
 *       resource/mcp"                                  (MCP authorization spec)
 *   GET  /.well-known/oauth-protected-resource[/mcp]  protected resource metadata (RFC 9728)
 *   GET  /.well-known/oauth-authorization-server      AS metadata, S256 only (RFC 8414)
 *   POST /register                                    dynamic client registration (RFC 7591)
 *   GET  /authorize                                   approves at once: 302 to the
 *                                                     redirect_uri with code and state
 *   POST /token                                       authorization_code (PKCE checked),
 *                                                     refresh_token (rotated)
 *
 * Redirect URIs must be loopback (http://127.0.0.1 or http://localhost); their port may
 * differ from the registered one (RFC 8252 7.3). With --faults, POST
 * /_devserver/oauth/expire makes every access token expire now, so a test can exercise
 * refresh without waiting, and GET /_devserver/oauth reports counts of what was issued. */
#include "ds.h"

#include <sodium.h>

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_CLIENTS 64
#define MAX_CODES 64
#define MAX_TOKENS 256
#define CODE_TTL_S 120
#define REFRESH_TTL_S 86400
#define SECRET_HEX 64 /* 32 random bytes */

typedef struct oclient {
    char id[SECRET_HEX + 1];
    char secret[SECRET_HEX + 1]; /* "" for a public client ("none") */
    int basic;                   /* client_secret_basic (else post) */
    json_t *redirect_uris;
} oclient;

typedef struct ocode {
    char code[SECRET_HEX + 1];
    char client_id[SECRET_HEX + 1];
    char *redirect_uri;
    char challenge[64];
    char *scope;
    time_t expires;
    int live;
} ocode;

typedef struct otoken {
    char value[SECRET_HEX + 1];
    char client_id[SECRET_HEX + 1];
    char *scope;
    time_t expires;
    int refresh;
    int live;
} otoken;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static oclient g_clients[MAX_CLIENTS];
static size_t g_nclients;
static ocode g_codes[MAX_CODES];
static size_t g_next_code;
static otoken g_tokens[MAX_TOKENS];
static size_t g_next_token;
static long g_issued_access, g_issued_refresh, g_refused;

/* RFC 7636: BASE64URL(SHA256(verifier)) without padding (43 characters). */
static void s256(const char *verifier, char out[44])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)verifier, strlen(verifier));
    sodium_bin2base64(out, 44, d, sizeof d, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* ---------------------------------------------------------------- helpers */

static void random_hex(char out[SECRET_HEX + 1])
{
    unsigned char b[SECRET_HEX / 2];
    randombytes_buf(b, sizeof b);
    sodium_bin2hex(out, SECRET_HEX + 1, b, sizeof b);
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* The decoded value of name in an application/x-www-form-urlencoded body (malloc'd), NULL
 * when absent or badly encoded. */
static char *form_get(const char *body, const char *name)
{
    size_t nlen = strlen(name);
    for (const char *p = body; *p;) {
        size_t len = strcspn(p, "&");
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            const char *v = p + nlen + 1, *end = p + len;
            char *out = malloc((size_t)(end - v) + 1), *o = out;
            if (!out)
                return NULL;
            for (; v < end; v++) {
                if (*v == '+') {
                    *o++ = ' ';
                } else if (*v == '%') {
                    int hi = end - v >= 3 ? hexval((unsigned char)v[1]) : -1;
                    int lo = end - v >= 3 ? hexval((unsigned char)v[2]) : -1;
                    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) { /* no NUL inside */
                        free(out);
                        return NULL;
                    }
                    *o++ = (char)(hi * 16 + lo);
                    v += 2;
                } else {
                    *o++ = *v;
                }
            }
            *o = '\0';
            return out;
        }
        p += len + (p[len] == '&');
    }
    return NULL;
}

/* Appends text percent-encoded (unreserved characters kept) to buf. */
static void pct_append(char *buf, size_t cap, const char *text)
{
    size_t n = strlen(buf);
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 4 < cap; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
            buf[n++] = (char)*p;
        else
            n += (size_t)snprintf(buf + n, cap - n, "%%%02X", *p);
    }
    buf[n] = '\0';
}

/* "http[s]://host:port" of this server as the client addressed it; -1 when the Host header
 * is missing or could forge something. */
static int base_url(const ds_config *cfg, const ds_request *rq, char *out, size_t cap)
{
    const char *host = ds_header(rq, "Host");
    if (!host || !*host || strlen(host) > 200)
        return -1;
    for (const char *p = host; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
            return -1;
    snprintf(out, cap, "%s://%s", cfg->tls_cert_pem ? "https" : "http", host);
    return 0;
}

/* A loopback redirect URI (RFC 8252): http://127.0.0.1 or http://localhost, any port. */
static int loopback_uri(const char *uri)
{
    const char *rest = NULL;
    if (strncmp(uri, "http://127.0.0.1", 16) == 0)
        rest = uri + 16;
    else if (strncasecmp(uri, "http://localhost", 16) == 0)
        rest = uri + 16;
    if (!rest)
        return 0;
    if (*rest == ':') {
        rest++;
        if (!isdigit((unsigned char)*rest))
            return 0;
        while (isdigit((unsigned char)*rest))
            rest++;
    }
    if (*rest != '\0' && *rest != '/')
        return 0;
    for (const char *p = rest; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == '#' || (unsigned char)*p >= 0x7f)
            return 0;
    return 1;
}

/* Equal but for the port (loopback redirect URIs may use any port). */
static int same_but_port(const char *a, const char *b)
{
    size_t ha = strcspn(a + 7, ":/"), hb = strcspn(b + 7, ":/");
    if (ha != hb || strncasecmp(a, b, 7 + ha) != 0)
        return 0;
    a += 7 + ha;
    b += 7 + hb;
    if (*a == ':')
        a += 1 + strspn(a + 1, "0123456789");
    if (*b == ':')
        b += 1 + strspn(b + 1, "0123456789");
    return strcmp(a, b) == 0;
}

static void oauth_error(ds_response *rs, int status, const char *error, const char *why)
{
    ds_respond_json(rs, status, json_pack("{s:s,s:s}", "error", error, "error_description", why));
    snprintf(rs->header_name, sizeof rs->header_name, "Cache-Control");
    snprintf(rs->header_value, sizeof rs->header_value, "no-store");
}

/* Callers hold g_lock. */
static oclient *client_find(const char *id)
{
    for (size_t i = 0; id && i < g_nclients; i++)
        if (strcmp(g_clients[i].id, id) == 0)
            return &g_clients[i];
    return NULL;
}

static int uri_registered(const oclient *c, const char *uri)
{
    size_t i;
    json_t *v;
    json_array_foreach(c->redirect_uris, i, v) {
        if (json_is_string(v) && same_but_port(json_string_value(v), uri))
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- metadata */

static void resource_metadata(const char *base, ds_response *rs)
{
    char resource[300];
    snprintf(resource, sizeof resource, "%s/mcp", base);
    ds_respond_json(rs, 200, json_pack("{s:s,s:[s],s:[s,s],s:[s],s:s}", "resource", resource,
                                       "authorization_servers", base, "scopes_supported", "mcp",
                                       "offline_access", "bearer_methods_supported", "header",
                                       "resource_name", "sekha-devserver MCP"));
}

static void as_metadata(const char *base, ds_response *rs)
{
    char authz[300], token[300], reg[300];
    snprintf(authz, sizeof authz, "%s/authorize", base);
    snprintf(token, sizeof token, "%s/token", base);
    snprintf(reg, sizeof reg, "%s/register", base);
    ds_respond_json(rs, 200,
                    json_pack("{s:s,s:s,s:s,s:s,s:[s],s:[s,s],s:[s],s:[s,s,s],s:[s,s]}",
                              "issuer", base, "authorization_endpoint", authz, "token_endpoint",
                              token, "registration_endpoint", reg, "response_types_supported",
                              "code", "grant_types_supported", "authorization_code",
                              "refresh_token", "code_challenge_methods_supported", "S256",
                              "token_endpoint_auth_methods_supported", "none",
                              "client_secret_post", "client_secret_basic", "scopes_supported",
                              "mcp", "offline_access"));
}

/* ---------------------------------------------------------------- /register */

static void do_register(const ds_request *rq, ds_response *rs)
{
    json_error_t jerr;
    json_t *in = json_loadb(rq->body, rq->body_len, 0, &jerr);
    json_t *uris = json_object_get(in, "redirect_uris");
    if (!json_is_object(in) || !json_is_array(uris) || json_array_size(uris) == 0) {
        json_decref(in);
        oauth_error(rs, 400, "invalid_client_metadata", "redirect_uris (a non-empty array) is required");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(uris, i, v) {
        if (!json_is_string(v) || !loopback_uri(json_string_value(v))) {
            json_decref(in);
            oauth_error(rs, 400, "invalid_redirect_uri",
                        "redirect URIs must be http://127.0.0.1[:port]/... or http://localhost[:port]/...");
            return;
        }
    }
    const char *method = json_string_value(json_object_get(in, "token_endpoint_auth_method"));
    if (!method)
        method = "client_secret_basic"; /* RFC 7591's default */
    if (strcmp(method, "none") && strcmp(method, "client_secret_post") &&
        strcmp(method, "client_secret_basic")) {
        json_decref(in);
        oauth_error(rs, 400, "invalid_client_metadata", "unsupported token_endpoint_auth_method");
        return;
    }
    pthread_mutex_lock(&g_lock);
    if (g_nclients == MAX_CLIENTS) {
        pthread_mutex_unlock(&g_lock);
        json_decref(in);
        oauth_error(rs, 400, "invalid_client_metadata", "too many registered clients");
        return;
    }
    oclient *c = &g_clients[g_nclients++];
    random_hex(c->id);
    c->secret[0] = '\0';
    if (strcmp(method, "none") != 0)
        random_hex(c->secret);
    c->basic = strcmp(method, "client_secret_basic") == 0;
    c->redirect_uris = json_deep_copy(uris);
    json_t *out = json_pack("{s:s,s:I,s:O,s:s,s:[s,s],s:[s]}", "client_id", c->id,
                            "client_id_issued_at", (json_int_t)time(NULL), "redirect_uris", uris,
                            "token_endpoint_auth_method", method, "grant_types",
                            "authorization_code", "refresh_token", "response_types", "code");
    if (out && c->secret[0]) {
        json_object_set_new(out, "client_secret", json_string(c->secret));
        json_object_set_new(out, "client_secret_expires_at", json_integer(0));
    }
    pthread_mutex_unlock(&g_lock);
    const char *name = json_string_value(json_object_get(in, "client_name"));
    if (out && name)
        json_object_set_new(out, "client_name", json_string(name));
    json_decref(in);
    ds_respond_json(rs, 201, out);
    snprintf(rs->header_name, sizeof rs->header_name, "Cache-Control");
    snprintf(rs->header_value, sizeof rs->header_value, "no-store");
}

/* ---------------------------------------------------------------- /authorize */

/* After the redirect URI is known good, errors go back to it (RFC 6749 4.1.2.1). */
static void redirect_to(ds_response *rs, const char *uri, const char *k1, const char *v1,
                        const char *state)
{
    char loc[sizeof rs->header_value];
    snprintf(loc, sizeof loc, "%s%c%s=", uri, strchr(uri, '?') ? '&' : '?', k1);
    pct_append(loc, sizeof loc, v1);
    if (state) {
        strncat(loc, "&state=", sizeof loc - strlen(loc) - 1);
        pct_append(loc, sizeof loc, state);
    }
    ds_respond_empty(rs, 302);
    snprintf(rs->header_name, sizeof rs->header_name, "Location");
    snprintf(rs->header_value, sizeof rs->header_value, "%s", loc);
}

static void do_authorize(const char *base, const ds_request *rq, ds_response *rs)
{
    const char *client_id = ds_query_arg(rq, "client_id");
    const char *uri = ds_query_arg(rq, "redirect_uri");
    const char *state = ds_query_arg(rq, "state");
    const char *type = ds_query_arg(rq, "response_type");
    const char *challenge = ds_query_arg(rq, "code_challenge");
    const char *method = ds_query_arg(rq, "code_challenge_method");
    const char *scope = ds_query_arg(rq, "scope");
    const char *resource = ds_query_arg(rq, "resource");
    if (!uri || !loopback_uri(uri) || strlen(uri) > 512) {
        ds_respond_text(rs, 400, "authorize: redirect_uri must be a loopback http URI "
                                 "(http://127.0.0.1[:port]/... or http://localhost[:port]/...)");
        return;
    }
    pthread_mutex_lock(&g_lock);
    oclient *c = client_find(client_id);
    int known = c && uri_registered(c, uri);
    pthread_mutex_unlock(&g_lock);
    if (!known) {
        ds_respond_text(rs, 400, "authorize: unknown client_id, or a redirect_uri it did not register");
        return;
    }
    char want[300];
    snprintf(want, sizeof want, "%s/mcp", base);
    if (!type || strcmp(type, "code") != 0)
        redirect_to(rs, uri, "error", "unsupported_response_type", state);
    else if (!challenge || strlen(challenge) != 43 || !method || strcmp(method, "S256") != 0)
        redirect_to(rs, uri, "error", "invalid_request", state); /* PKCE S256 is required */
    else if (resource && strcmp(resource, want) != 0 && strcmp(resource, base) != 0)
        redirect_to(rs, uri, "error", "invalid_target", state);
    else {
        pthread_mutex_lock(&g_lock);
        ocode *k = &g_codes[g_next_code++ % MAX_CODES];
        free(k->redirect_uri);
        free(k->scope);
        random_hex(k->code);
        snprintf(k->client_id, sizeof k->client_id, "%s", client_id);
        snprintf(k->challenge, sizeof k->challenge, "%s", challenge);
        k->redirect_uri = strdup(uri);
        k->scope = scope ? strdup(scope) : NULL;
        k->expires = time(NULL) + CODE_TTL_S;
        k->live = k->redirect_uri != NULL;
        char code[SECRET_HEX + 1];
        memcpy(code, k->code, sizeof code);
        pthread_mutex_unlock(&g_lock);
        redirect_to(rs, uri, "code", code, state);
    }
}

/* ---------------------------------------------------------------- /token */

static size_t b64_decode(const char *in, unsigned char *out, size_t cap)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (; *in && *in != '='; in++) {
        const char *p = strchr(b64, *in);
        if (!p)
            return 0;
        acc = acc << 6 | (uint32_t)(p - b64);
        if ((bits += 6) >= 8) {
            bits -= 8;
            if (n + 1 >= cap)
                return 0;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    out[n] = '\0';
    return n;
}

/* Authenticates the client the way it registered; 1 when it may use the token endpoint. */
static int client_ok(const oclient *c, const ds_request *rq, const char *form_id,
                     const char *form_secret)
{
    if (!c->secret[0])
        return 1;
    if (c->basic) {
        const char *h = ds_header(rq, "Authorization");
        unsigned char dec[300];
        if (!h || strncasecmp(h, "Basic ", 6) != 0 || !b64_decode(h + 6, dec, sizeof dec))
            return 0;
        char *colon = strchr((char *)dec, ':');
        if (!colon)
            return 0;
        *colon = '\0';
        /* RFC 6749 2.3.1: both parts are form-encoded; ours never need encoding. */
        return strcmp((char *)dec, c->id) == 0 && strcmp(colon + 1, c->secret) == 0;
    }
    return form_id && form_secret && strcmp(form_secret, c->secret) == 0;
}

/* Issues an access token and a refresh token for client (g_lock held). */
static json_t *issue(const ds_config *cfg, const char *client_id, const char *scope)
{
    otoken *a = &g_tokens[g_next_token++ % MAX_TOKENS];
    otoken *r = &g_tokens[g_next_token++ % MAX_TOKENS];
    free(a->scope);
    free(r->scope);
    random_hex(a->value);
    random_hex(r->value);
    snprintf(a->client_id, sizeof a->client_id, "%s", client_id);
    snprintf(r->client_id, sizeof r->client_id, "%s", client_id);
    a->scope = scope ? strdup(scope) : NULL;
    r->scope = scope ? strdup(scope) : NULL;
    a->expires = time(NULL) + cfg->mcp_oauth_ttl;
    r->expires = time(NULL) + REFRESH_TTL_S;
    a->refresh = 0;
    r->refresh = 1;
    a->live = r->live = 1;
    g_issued_access++;
    g_issued_refresh++;
    json_t *out = json_pack("{s:s,s:s,s:I,s:s}", "access_token", a->value, "token_type", "Bearer",
                            "expires_in", (json_int_t)cfg->mcp_oauth_ttl, "refresh_token",
                            r->value);
    if (out && scope)
        json_object_set_new(out, "scope", json_string(scope));
    return out;
}

static void do_token(const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    const char *ctype = ds_header(rq, "Content-Type");
    if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0) {
        oauth_error(rs, 400, "invalid_request",
                    "the token request must be application/x-www-form-urlencoded");
        return;
    }
    char *grant = form_get(rq->body, "grant_type");
    char *client_id = form_get(rq->body, "client_id");
    char *secret = form_get(rq->body, "client_secret");
    char *code = form_get(rq->body, "code");
    char *uri = form_get(rq->body, "redirect_uri");
    char *verifier = form_get(rq->body, "code_verifier");
    char *refresh = form_get(rq->body, "refresh_token");
    pthread_mutex_lock(&g_lock);
    json_t *out = NULL;
    const char *err = NULL, *why = NULL;
    int status = 400;
    /* With client_secret_basic the id comes in the Authorization header. */
    oclient *c = client_find(client_id);
    if (!c && !client_id) {
        const char *h = ds_header(rq, "Authorization");
        unsigned char dec[300];
        if (h && strncasecmp(h, "Basic ", 6) == 0 && b64_decode(h + 6, dec, sizeof dec)) {
            char *colon = strchr((char *)dec, ':');
            if (colon) {
                *colon = '\0';
                c = client_find((char *)dec);
            }
        }
    }
    if (!grant) {
        err = "invalid_request", why = "grant_type is required";
    } else if (!c || !client_ok(c, rq, client_id, secret)) {
        err = "invalid_client", why = "unknown client or wrong client credentials", status = 401;
    } else if (strcmp(grant, "authorization_code") == 0) {
        ocode *k = NULL;
        for (size_t i = 0; code && i < MAX_CODES; i++)
            if (g_codes[i].live && strcmp(g_codes[i].code, code) == 0)
                k = &g_codes[i];
        char got[44];
        if (!k || k->expires < time(NULL) || strcmp(k->client_id, c->id) != 0) {
            err = "invalid_grant", why = "unknown, used or expired authorization code";
        } else if (!uri || strcmp(uri, k->redirect_uri) != 0) {
            err = "invalid_grant", why = "redirect_uri differs from the authorization request";
        } else if (!verifier || strlen(verifier) < 43 || strlen(verifier) > 128 ||
                   strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-._~") != strlen(verifier)) {
            err = "invalid_grant", why = "code_verifier missing or malformed (RFC 7636)";
        } else if (s256(verifier, got), strcmp(got, k->challenge) != 0) {
            err = "invalid_grant", why = "PKCE verification failed";
        } else {
            out = issue(cfg, c->id, k->scope);
        }
        if (k)
            k->live = 0; /* a code is good for one try */
    } else if (strcmp(grant, "refresh_token") == 0) {
        otoken *t = NULL;
        for (size_t i = 0; refresh && i < MAX_TOKENS; i++)
            if (g_tokens[i].live && g_tokens[i].refresh && strcmp(g_tokens[i].value, refresh) == 0)
                t = &g_tokens[i];
        if (!t || t->expires < time(NULL) || strcmp(t->client_id, c->id) != 0) {
            err = "invalid_grant", why = "unknown, used or expired refresh token";
        } else {
            t->live = 0; /* rotated */
            char *scope = t->scope ? strdup(t->scope) : NULL;
            out = issue(cfg, c->id, scope);
            free(scope);
        }
    } else {
        err = "unsupported_grant_type", why = "grant_type must be authorization_code or refresh_token";
    }
    if (err)
        g_refused++;
    pthread_mutex_unlock(&g_lock);
    if (err) {
        oauth_error(rs, status, err, why);
    } else {
        ds_respond_json(rs, 200, out);
        snprintf(rs->header_name, sizeof rs->header_name, "Cache-Control");
        snprintf(rs->header_value, sizeof rs->header_value, "no-store");
    }
    free(grant);
    free(client_id);
    free(secret);
    free(code);
    free(uri);
    free(verifier);
    free(refresh);
}

/* ---------------------------------------------------------------- entry points */

int ds_oauth_authorized(const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    const char *h = ds_header(rq, "Authorization");
    const char *problem = "an access token is required";
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        int ok = 0;
        time_t now = time(NULL);
        pthread_mutex_lock(&g_lock);
        for (size_t i = 0; i < MAX_TOKENS && !ok; i++)
            ok = g_tokens[i].live && !g_tokens[i].refresh && g_tokens[i].expires > now &&
                 strcmp(g_tokens[i].value, h + 7) == 0;
        pthread_mutex_unlock(&g_lock);
        if (ok)
            return 1;
        problem = "the access token is unknown or expired";
    }
    char base[256];
    if (base_url(cfg, rq, base, sizeof base) != 0) {
        ds_respond_text(rs, 400, "bad Host header");
        return 0;
    }
    ds_respond_json(rs, 401, json_pack("{s:s,s:s}", "error", h ? "invalid_token" : "unauthorized",
                                       "error_description", problem));
    snprintf(rs->header_name, sizeof rs->header_name, "WWW-Authenticate");
    snprintf(rs->header_value, sizeof rs->header_value,
             "Bearer %sresource_metadata=\"%s/.well-known/oauth-protected-resource/mcp\", "
             "scope=\"mcp\"", h ? "error=\"invalid_token\", " : "", base);
    return 0;
}

int ds_oauth_handle(const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    const char *path = rq->path;
    int get = strcmp(rq->method, "GET") == 0, post = strcmp(rq->method, "POST") == 0;
    if (cfg->faults && strcmp(path, "/_devserver/oauth/expire") == 0 && post) {
        pthread_mutex_lock(&g_lock);
        for (size_t i = 0; i < MAX_TOKENS; i++)
            if (!g_tokens[i].refresh)
                g_tokens[i].expires = 0;
        pthread_mutex_unlock(&g_lock);
        ds_respond_empty(rs, 204);
        return 1;
    }
    if (cfg->faults && strcmp(path, "/_devserver/oauth") == 0 && get) {
        pthread_mutex_lock(&g_lock);
        json_t *v = json_pack("{s:I,s:I,s:I,s:I}", "clients", (json_int_t)g_nclients,
                              "access_tokens", (json_int_t)g_issued_access, "refresh_tokens",
                              (json_int_t)g_issued_refresh, "refused", (json_int_t)g_refused);
        pthread_mutex_unlock(&g_lock);
        ds_respond_json(rs, 200, v);
        return 1;
    }
    int prm = strcmp(path, "/.well-known/oauth-protected-resource") == 0 ||
              strcmp(path, "/.well-known/oauth-protected-resource/mcp") == 0;
    int asm_ = strcmp(path, "/.well-known/oauth-authorization-server") == 0;
    int reg = strcmp(path, "/register") == 0, authz = strcmp(path, "/authorize") == 0,
        tok = strcmp(path, "/token") == 0;
    if (!prm && !asm_ && !reg && !authz && !tok)
        return 0;
    char base[256];
    if (base_url(cfg, rq, base, sizeof base) != 0) {
        ds_respond_text(rs, 400, "bad Host header");
        return 1;
    }
    if ((prm || asm_ || authz) && !get) {
        ds_respond_empty(rs, 405);
    } else if ((reg || tok) && !post) {
        ds_respond_empty(rs, 405);
    } else if (prm) {
        resource_metadata(base, rs);
    } else if (asm_) {
        as_metadata(base, rs);
    } else if (reg) {
        do_register(rq, rs);
    } else if (authz) {
        do_authorize(base, rq, rs);
    } else {
        do_token(cfg, rq, rs);
    }
    return 1;
}

void ds_oauth_shutdown(void)
{
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < g_nclients; i++)
        json_decref(g_clients[i].redirect_uris);
    g_nclients = 0;
    for (size_t i = 0; i < MAX_CODES; i++) {
        free(g_codes[i].redirect_uri);
        free(g_codes[i].scope);
        g_codes[i] = (ocode){0};
    }
    for (size_t i = 0; i < MAX_TOKENS; i++) {
        free(g_tokens[i].scope);
        g_tokens[i] = (otoken){0};
    }
    pthread_mutex_unlock(&g_lock);
}
