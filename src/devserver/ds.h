/* sekha-devserver internals: the contract between the HTTP plumbing (main.c, http.c,
 * faults.c, bridge.c) and the controller side (store.c, controller.c, mcp_tools.c,
 * embed.c). The devserver never includes or links libsekha: it is an independent
 * implementation of the wire contract (JSON through jansson, its own SSE writer), so a bug
 * in the client's encoder cannot hide on both ends. */
#ifndef SEKHA_DEVSERVER_DS_H
#define SEKHA_DEVSERVER_DS_H

#include <stddef.h>
#include <jansson.h>

struct MHD_Connection;

/* Which deployed stack the server imitates (--upstream). DS_UP_NONE is the devserver's own,
 * kinder behaviour (the demo's); the others reproduce what the real services at those
 * versions do, quirks included, so a test passing against them means something. */
typedef enum {
    DS_UP_NONE = 0,
    DS_UP_2026_01,  /* controller 9e9dca0 (January 2026) + the non-streaming bridge */
    DS_UP_2026_02   /* February controller: no /mcp/tools routes, no limiter, content parts */
} ds_upstream;

/* Server-wide settings parsed from the command line. */
typedef struct ds_config {
    int port;                 /* controller port (0 = any free port) */
    int bridge_port;          /* bridge port (0 = any free port) */
    const char *db_path;      /* SQLite file, NULL = in-memory */
    int faults;               /* fault injection enabled (--faults) */
    long rate_limit;          /* controller requests per minute, 0 = off (--rate-limit) */
    const char *api_key;      /* REST Bearer key required when set (--api-key) */
    const char *mcp_api_key;  /* MCP tool key (--mcp-api-key), default dev_default_key_change_me_1234567890 */
    int no_stream;            /* bridge ignores stream:true like today's bridge (--no-stream) */
    char *tls_cert_pem;       /* both listeners speak HTTPS when set (--tls-cert/--tls-key) */
    char *tls_key_pem;
    const char *replay_path;  /* answer from this cassette only (--replay), NULL = off */
    ds_upstream upstream;     /* --upstream 2026-01|2026-02, DS_UP_NONE by default */
    int mcp_oauth;            /* the MCP endpoint takes OAuth access tokens (--mcp-oauth) */
    long mcp_oauth_ttl;       /* their lifetime in seconds (--mcp-oauth-ttl, default 300) */
    int keepalive_timeout;    /* close connections idle this many seconds, 0 = never */
    int keepalive_announce;   /* "Keep-Alive: timeout=N" on every answer, 0 = no header */
    long keepalive_drop_ms;   /* reset a request on a connection idle this long, 0 = never */
} ds_config;

/* One parsed request, as handed to route handlers. */
typedef struct ds_request {
    const char *method;            /* "GET", "POST", ... */
    const char *path;              /* URL path without query string */
    const char *body;              /* NUL-terminated copy of the body ("" when none) */
    size_t body_len;
    struct MHD_Connection *conn;   /* for ds_query_arg / ds_header */
} ds_request;

/* Query-string argument (already percent-decoded), NULL when absent. */
const char *ds_query_arg(const ds_request *rq, const char *name);

/* Request header value (case-insensitive name), NULL when absent. */
const char *ds_header(const ds_request *rq, const char *name);

/* A buffered response a handler fills in. Handlers set exactly one of the forms below. */
typedef struct ds_response {
    int status;
    char *body;                /* malloc'd, owned by the response; NULL = empty body */
    size_t body_len;
    const char *content_type;  /* static string or NULL for none */
    char retry_after[64];      /* Retry-After header value, "" for none */
    char header_name[32];      /* one extra response header (e.g. Mcp-Session-Id), "" for none */
    char header_value[1024];  /* room for a Location with code and state */
} ds_response;

/* Serialises v compactly as the body (application/json) and releases v. */
void ds_respond_json(ds_response *rs, int status, json_t *v);
/* Plain-text body (text/plain; charset=utf-8), copied. */
void ds_respond_text(ds_response *rs, int status, const char *text);
/* Empty body, no Content-Type (the controller's 200/202/404/500 empty answers). */
void ds_respond_empty(ds_response *rs, int status);
/* The controller's ErrorResponse {"error": msg, "code": status}. */
void ds_respond_error(ds_response *rs, int status, const char *msg);

/* ---- controller side (store.c, controller.c, mcp_tools.c, embed.c) ---- */

typedef struct ds_store ds_store;

/* Opens (creating the schema when new) the SQLite store; path NULL = in-memory.
 * On failure returns NULL and *err (malloc'd) says why. Thread-safe use is the store's
 * job: handlers may be called from several threads at once. */
ds_store *ds_store_open(const char *path, char **err);
void ds_store_close(ds_store *st);

/* Handles the 19 controller REST routes. Returns 1 when the path is a controller route
 * (rs filled in, including 404/405/415/422 rejections), 0 when it is not. */
int ds_controller_handle(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs);

/* Handles POST /mcp/tools/<tool> (the controller's MCP-tool HTTP endpoints).
 * Returns 1 when the path starts with /mcp/tools/, else 0. */
int ds_mcp_tools_handle(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs);

/* The McpAuth Bearer check of the tool endpoints (401 missing, 400 not "Bearer ", 401 wrong
 * or short key). Returns 1 when authorized, else 0 with rs set. */
int ds_mcp_authorized(const ds_config *cfg, const ds_request *rq, ds_response *rs);

/* Real MCP (Streamable HTTP, JSON-RPC 2.0) at exactly /mcp, serving the seven memory tools
 * through ds_mcp_tools_handle (mcp_rpc.c). Returns 1 when the path is /mcp (or, with
 * --faults, /_devserver/mcp: what clients sent), else 0. */
int ds_mcp_rpc_handle(ds_store *st, const ds_config *cfg, const ds_request *rq, ds_response *rs);

/* --mcp-oauth (oauth.c): the authorization server and protected resource metadata routes
 * (1 when the path is one of them, rs filled in), the Bearer access-token check of the MCP
 * endpoint (1 when authorized, else 0 with a 401 and WWW-Authenticate in rs), and the
 * release of what was issued at exit. */
int ds_oauth_handle(const ds_config *cfg, const ds_request *rq, ds_response *rs);
int ds_oauth_authorized(const ds_config *cfg, const ds_request *rq, ds_response *rs);
void ds_oauth_shutdown(void);

/* Deterministic local embedding (feature-hashed character n-grams, L2-normalised), shared
 * by semantic search, context assembly and the bridge's embed endpoints. */
#define DS_EMBED_DIM 256
void ds_embed(const char *text, size_t len, float out[DS_EMBED_DIM]);

#endif
