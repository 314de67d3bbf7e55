/* MCP authorization internals: the auth object (oauth.c), the flow that obtains a token
 * (oauth_flow.c: discovery, client identity, grants, token endpoint) and the helpers both
 * use (oauth_util.c: forms, challenges, PKCE, URLs, ES256 JWTs).
 *
 * One flow runs per auth object at a time. Calls that meet a 401 (or a 403
 * insufficient_scope) while it runs wait on it; when it ends they are re-sent with the
 * new token, or fail with its error. Every secret (tokens, client secret, private key,
 * ID token, code, PKCE verifier) lives in guarded memory (sekha__secret_*). */
#ifndef SEKHA_MCP_OAUTH_H
#define SEKHA_MCP_OAUTH_H

#include "mcp/mcp_internal.h"
#include "sekha/mcp_auth.h"

#define OAUTH_MAX_STEPUPS 2 /* re-authorizations per call after 403 insufficient_scope */

typedef struct oauth_flow oauth_flow;

/* What a challenge said (WWW-Authenticate), kept by the flow. */
typedef struct oauth_challenge {
    char *resource_metadata, *scope, *error;
} oauth_challenge;

struct sekha_mcp_auth {
    /* configuration */
    char *redirect_uri, *client_name, *cimd_url;
    char *client_id;
    char *client_secret;        /* guarded */
    char *token_method;         /* token_endpoint_auth_method the registration gave */
    int preregistered;          /* client_id came from the application */
    int grant;
    char *private_key;          /* guarded PEM */
    char *idp_token_endpoint, *idp_client_id;
    char *id_token;             /* guarded */
    sekha_mcp_authorize_cb authorize_cb;
    void *authorize_ud;
    sekha_mcp_auth_save_cb save_cb;
    void *save_ud;
    /* tokens */
    char *access_line;          /* guarded "Authorization: Bearer <token>" */
    char *refresh_token;        /* guarded */
    char *token_scope;
    int64_t expires_at;         /* unix seconds, 0 = unknown */
    unsigned gen;               /* bumped with every new access token */
    char **retired;             /* earlier access lines: requests in flight may still link
                                   them, so they go with the auth object */
    size_t nretired;
    /* discovery, kept for later flows */
    char *issuer, *resource;
    cJSON *as_meta;             /* authorization server metadata (or the defaults) */
    cJSON *prm_scopes;          /* the protected resource's scopes_supported */
    char *prm_url;              /* where it was found */
    oauth_flow *flow;           /* the flow running now */
};

/* ---- oauth.c ---- */

/* Stores a token response's fields (access_token required); 0 or -1 with *why. */
int oauth_store_tokens(sekha_mcp_auth *a, const cJSON *tok, const char *asked_scope, char *why,
                       size_t why_len);
/* Calls the save handler with the current state. */
void oauth_save(sekha_mcp_auth *a);
/* The session's current "Authorization: Bearer" line, NULL when there is none. */
const char *oauth_line(const mcp_session *s);
/* A call's POST failed with err: when it is a challenge the auth object can answer (a 401,
 * a 403 insufficient_scope within the step-up limit) the call is taken: re-sent once a
 * token is there, or ended with the flow's error. Returns 1 when taken. */
int oauth_challenged(mcp_session *s, mcp_call *call, const sekha_error *err,
                     const sekha_response *resp);
/* Replaces *slot with a guarded copy of v (NULL clears); -1 without memory. */
int oauth_secret_set(char **slot, const char *v);

/* ---- oauth_flow.c ---- */

/* Creates the auth object's flow for session s (the challenge's strings are taken;
 * stepup: a 403 insufficient_scope); nothing is sent until oauth_flow_run(). NULL without
 * memory. */
oauth_flow *oauth_flow_new(sekha_mcp_auth *a, mcp_session *s, oauth_challenge *ch, int stepup);
void oauth_flow_run(oauth_flow *f); /* oauth_discovery.c */
/* Adds a call to the flow's waiters (takes a reference). 0, or -1 without memory. */
int oauth_flow_wait(oauth_flow *f, mcp_call *call);
/* Ends a flow: with err NULL its waiters are re-sent (a token was obtained), else they
 * fail with err (taken). Frees the flow. */
void oauth_flow_end(oauth_flow *f, sekha_error *err);

/* The flow's state (oauth_flow.c, oauth_discovery.c). */
typedef struct waiter {
    mcp_call *call;
    struct waiter *next;
} waiter;

struct sekha_mcp_authorization {
    oauth_flow *f; /* NULL once the flow ended */
};

struct oauth_flow {
    sekha_mcp_auth *a;
    mcp_session *s;
    oauth_challenge ch;
    int stepup;
    waiter *waiters;
    char *urls[4];          /* discovery candidates, tried in order */
    int nurls, iurl;
    int legacy;             /* no protected resource metadata: the 2025-03-26 rules */
    int refresh_tried;
    int refreshing;
    char *scope;            /* what the grant asks for; NULL = omitted */
    char *verifier;         /* guarded PKCE verifier */
    char *state;
    char *jag;              /* guarded identity assertion from the identity provider */
    char *auth_header;      /* guarded client authentication line of the request out */
    sekha_mcp_authorization *az;
    sekha_request *req;     /* the flow's request in flight, NULL when none */
    int ended;              /* waiters answered; freed once req has called back */
};

/* Shared by the flow's files (oauth_flow.c). */
void oauth_fail(oauth_flow *f, sekha_code code, sekha_layer layer, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Step what ran out of memory: SEKHA_E_NOMEM, "<what>: out of memory". Ends the flow. */
void oauth_fail_nomem(oauth_flow *f, const char *what);
/* A request of step what failed: transport errors keep their code, answers become
 * SEKHA_E_AUTH with the server's OAuth error when it gave one. Ends the flow. */
void oauth_fail_request(oauth_flow *f, const char *what, const sekha_error *err,
                        const sekha_response *resp);
/* The answer as a JSON object, or NULL when the request failed or the body is not one. */
cJSON *oauth_json_answer(const sekha_error *err, const sekha_response *resp);
const char *oauth_jstr(const cJSON *o, const char *k);
int oauth_jlist_has(const cJSON *o, const char *k, const char *word);
/* Frees a buffer that may have held a secret, wiping it first. */
void oauth_wipe(sekha_buf *b);
int oauth_dup(char **slot, const char *v);
/* Starts the flow's one request (body taken and wiped: JSON when json, else a form);
 * done must begin with oauth_enter(). */
void oauth_request(oauth_flow *f, const char *method, const char *url, sekha_buf *body,
                   int json, const char *what, sekha_response_cb done);
/* 0 when the flow ended while its request was out (it is then freed). */
int oauth_enter(oauth_flow *f);
void oauth_clear_urls(oauth_flow *f);
/* Discovery is done: client identity, scope, then the grant. */
void oauth_grant_begin(oauth_flow *f);

/* ---- oauth_util.c ---- */

void oauth_challenge_parse(const char *header, oauth_challenge *ch);
void oauth_challenge_clear(oauth_challenge *ch);
/* Appends "&name=value" (no '&' when b is empty) form-encoded; -1 without memory. */
int oauth_form_add(sekha_buf *b, const char *name, const char *value);
/* A random base64url string of n random bytes (guarded when secret); NULL without memory. */
char *oauth_random(size_t n, int secret);
/* The S256 challenge of a verifier (malloc'd). */
char *oauth_s256(const char *verifier);
/* The value of query parameter name in url, decoded (malloc'd); NULL when absent. With
 * secret the copy is guarded. */
char *oauth_query_param(const char *url, const char *name, int secret);
/* "scheme://host[:port]" of url (malloc'd), and the path ("" for none or "/"). */
char *oauth_origin(const char *url);
const char *oauth_path(const char *url);
/* Whether resource (from protected resource metadata) covers the server URL: same
 * origin, and its path a prefix of the server's at a segment boundary. */
int oauth_resource_matches(const char *resource, const char *server_url);
/* A guarded "Authorization: Basic ..." line for client_secret_basic; NULL without memory. */
char *oauth_basic_line(const char *id, const char *secret);
/* A guarded "Authorization: Bearer <token>" line; NULL without memory. */
char *oauth_bearer_line(const char *token);
/* An ES256 client assertion (RFC 7523) signed with pem, iss = sub = client_id, aud =
 * audience; malloc'd, NULL with *why. */
char *oauth_client_assertion(const char *pem, const char *client_id, const char *audience,
                             char *why, size_t why_len);
/* Whether pem holds a usable P-256 private key. */
int oauth_key_usable(const char *pem);
/* Splits a space-separated list; returns whether word is in it. */
int oauth_scope_has(const char *list, const char *word);

#endif
