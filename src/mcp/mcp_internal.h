/* MCP sub-client internals: the session core (session.c, jsonrpc.c), the three transports
 * (http.c, sse.c, stdio.c) and the result objects (results.c).
 *
 * Ownership in one paragraph: a session is reference-counted: the user's handle holds one
 * reference, every live call and every request the session starts on its own behalf (the
 * standalone stream, one-way POSTs, DELETE) holds one, and so does every server request
 * awaiting the user's answer. A call (one JSON-RPC request) is a virtual sekha_request the
 * user holds, plus the HTTP requests the transport runs for it; each of those holds a
 * reference to the call. So callbacks that arrive after a cancel, a close or a free always
 * find their objects, and memory goes when the last callback has run. */
#ifndef SEKHA_MCP_INTERNAL_H
#define SEKHA_MCP_INTERNAL_H

#include <cjson/cJSON.h>
#include <sys/types.h>

#include "core/call.h"
#include "core/internal.h"

#define MCP_DEFAULT_VERSION "2025-11-25"
#define MCP_DEFAULT_RETRY_MS 1000 /* the server's retry: is at most SEKHA_SSE_MAX_RETRY_MS */
#define MCP_MAX_EVENT_ID 4096    /* bytes of an event id we can send back as Last-Event-ID */
#define MCP_MAX_RESUMES 5        /* resume attempts in a row that bring no new event */

/* The {success,data,error} envelope decoder of the tool endpoints (tools.c); visible to
 * the fuzz targets. */
extern const sekha__call_spec mcp_envelope_call;

/* ---- results.c ---- */

/* The value at a dotted path ("a.0.b"); NULL when absent. */
const cJSON *mcp_path(const cJSON *root, const char *path);
/* Takes json; NULL on no memory (json is then freed). */
sekha_mcp_data *mcp_data_new(cJSON *json);
/* Decoders of a JSON-RPC result (taken); NULL with *err when the shape is wrong. */
sekha_mcp_tools *mcp_tools_new(cJSON *result, sekha_error **err);
sekha_mcp_tool_result *mcp_tool_result_new(cJSON *result, sekha_error **err);

/* ---- timers on the session's loop (session.c) ----
 * Retry delays, resume delays and grace periods run on the core's timer heap of the loop
 * the session is bound to (sekha__timer_start), so a session owns no timer fd. The
 * session also lists its armed timers, so that losing the loop (the client is freed) or
 * the session disarms them all at once. */

typedef struct mcp_timer {
    sekha_timer node;       /* on the loop's heap while armed */
    int armed;
    struct sekha_mcp_session *s;
    void (*fn)(struct mcp_timer *t);
    struct mcp_timer *next; /* the session's armed timers */
} mcp_timer;

/* ---- sessions and calls ---- */

typedef struct sekha_mcp_session mcp_session;

typedef enum mcp_state {
    MCP_NEW = 0,        /* not initialized (or the server forgot the session) */
    MCP_INITIALIZING,
    MCP_READY,
    MCP_CLOSING,
    MCP_CLOSED
} mcp_state;

typedef enum mcp_kind {
    MCP_CALL_INIT = 0,
    MCP_CALL_DATA,      /* ping and raw requests: the result as sekha_mcp_data */
    MCP_CALL_TOOLS,     /* tools/list */
    MCP_CALL_TOOL,      /* tools/call */
    MCP_CALL_CLOSE      /* no JSON-RPC request: the graceful close */
} mcp_kind;

typedef enum mcp_call_state {
    MCP_QUEUED = 0,     /* waits for initialization */
    MCP_SENT,           /* handed to the transport, no response yet */
    MCP_ANSWERED,       /* initialize answered, notifications/initialized on its way */
    MCP_ENDED           /* final outcome decided (request_end or cancel) */
} mcp_call_state;

/* Where a call's SSE stream stands, for resumption with Last-Event-ID. */
typedef struct mcp_stream {
    char *last_id;      /* NULL until the server gave an event id */
    long retry_ms;      /* -1 until the server gave retry: */
    int idle_resumes;   /* resumes in a row without a new event id */
} mcp_stream;

typedef struct mcp_call {
    mcp_session *s;
    sekha_request *req;     /* the virtual request the user holds */
    int refs;
    mcp_kind kind;
    mcp_call_state state;
    int internal;           /* an initialize the session started on its own */
    int resent;             /* already re-sent once after the session was renewed */
    int posted;             /* legacy SSE: the POST went out */
    int legacy_tried;       /* initialize: the legacy HTTP+SSE transport was tried */
    long id;                /* JSON-RPC id (also the progress token) */
    unsigned gen;           /* session generation it was sent in */
    int sent_with_session;  /* carried an Mcp-Session-Id */
    char *method;           /* what to send, until it is serialized at first sending */
    cJSON *params;
    char *wire;             /* the serialized request, kept for re-sending */
    cJSON *result;          /* the response's result once answered */
    sekha_mcp_progress_cb progress;
    void *progress_ud;      /* the progress callback's own userdata */
    sekha__fn cb;           /* the user's typed callback */
    void *ud;
    /* transport state */
    sekha_request *http;    /* the POST or resume GET in flight */
    mcp_stream stream;
    mcp_timer timer;
    char **held;            /* initialize events held until the POST's headers are read */
    size_t nheld;
    /* OAuth (oauth.c): the token generation the call was last sent with, and the retries
     * it had: one after a 401, a few step-ups after 403 insufficient_scope */
    unsigned auth_gen;
    int auth_retried, auth_stepups;
    struct mcp_call *next;
} mcp_call;

/* Told the outcome of a one-way message (err NULL = delivered). */
typedef void (*mcp_sent_fn)(mcp_session *s, void *ctx, const sekha_error *err);

typedef struct mcp_transport_ops {
    const char *name;
    /* Sends call->wire (the session is ready, or the call is the initialize). */
    void (*send_call)(mcp_session *s, mcp_call *call);
    /* Sends a notification or a response (json taken); done (may be NULL) hears how it
     * went, possibly before this returns. */
    void (*send_oneway)(mcp_session *s, char *json, mcp_sent_fn done, void *ctx);
    /* The call ended: stop whatever the transport still runs for it. */
    void (*forget_call)(mcp_session *s, mcp_call *call);
    /* Initialization completed. */
    void (*ready)(mcp_session *s);
    /* The server forgot the session: drop transport session state before renewing it. */
    void (*reset)(mcp_session *s);
    /* Graceful end; ends closer when done. */
    void (*close)(mcp_session *s, mcp_call *closer);
    /* Abrupt end (sekha_mcp_session_free): stop everything, send nothing. */
    void (*abort)(mcp_session *s);
    /* The session is bound to its loop: register fd watches. Returns 0 or -1. */
    int (*bind)(mcp_session *s);
    /* Releases the transport state (last reference gone). */
    void (*destroy)(mcp_session *s);
} mcp_transport_ops;

struct sekha_mcp_server_request {
    mcp_session *s;
    cJSON *id;
    char *method;
    char *params;           /* JSON text or NULL */
    cJSON *params_json;
    sekha_mcp_server_request *next;
};

struct sekha_mcp_session {
    sekha_client *c;        /* NULL once the client was freed (the session is then inert) */
    sekha_loop *loop;       /* bound by the first call */
    sekha__closer closer;   /* tells the session when the client goes */
    int refs;
    int live;               /* requests of this session not yet finished */
    int freed;              /* the user let go of the handle */
    const mcp_transport_ops *ops;
    void *t;                /* transport state */
    char *url;              /* HTTP transports: the endpoint (or the SSE URL) */
    unsigned http_flags;    /* SEKHA_HTTP_NO_AUTH or 0 */
    mcp_state state;
    sekha_error *broken;    /* set when the transport can never work again (stdio) */
    long next_id;
    unsigned generation;    /* bumped by every completed initialization */
    mcp_call *calls;        /* every call not yet ended */
    mcp_call *init_call;
    /* configuration */
    char *client_name, *client_version, *want_version, *capabilities;
    int reinit, listen, send_key;
    sekha_mcp_notification_cb on_note;
    void *note_ud;
    sekha_mcp_request_handler on_request;
    void *request_ud;
    /* learned from initialize */
    char *version, *session_id, *server_name, *server_version, *server_caps, *instructions;
    /* server requests awaiting the user's answer */
    sekha_mcp_server_request *incoming;
    mcp_timer *timers;      /* armed timers (on the loop's heap) */
    struct sekha_mcp_auth *auth; /* OAuth, not owned (sekha_mcp_session_set_auth) */
};

/* ---- session.c: lifetime, loop, timers, transports' entry points ---- */

mcp_session *mcp_session_alloc(sekha_client *c, const mcp_transport_ops *ops, const char *url,
                               sekha_error **err);
void mcp_session_ref(mcp_session *s);
void mcp_session_unref(mcp_session *s);
void mcp_call_ref(mcp_call *call);
void mcp_call_unref(mcp_call *call);
/* Makes request r hold a reference on the call (or the session) until it is gone, and
 * counts it as one of the session's live requests. */
void mcp_track_call_req(sekha_request *r, mcp_call *call);
void mcp_track_session_req(sekha_request *r, mcp_session *s);

/* Starts an HTTP request on the session's loop (spec.parent may be NULL). */
sekha_request *mcp_start_http(mcp_session *s, const sekha__spec *spec, sekha_event_cb on_event,
                              sekha_response_cb done, void *ud);

/* Arms (or moves) t to fire t->fn at due (sekha__now_ms() clock) on the session's loop;
 * the session is bound to its loop whenever a timer is armed. */
void mcp_timer_arm(mcp_session *s, mcp_timer *t, int64_t due);
void mcp_timer_disarm(mcp_session *s, mcp_timer *t);

/* Ends a call with err (taken; NULL = success with call->result). Idempotent. */
void mcp_call_end(mcp_call *call, sekha_error *err);
/* The server forgot the session while call was out (err taken): renew or fail. */
void mcp_session_gone(mcp_session *s, mcp_call *call, sekha_error *err);
/* The transport lost every call it had sent (err taken): they fail, the session is to be
 * initialized anew. */
void mcp_transport_lost(mcp_session *s, sekha_error *err);
/* Sends a message to the server without expecting an answer (json taken). */
void mcp_send_oneway(mcp_session *s, char *json, mcp_sent_fn done, void *ctx);

/* Internal helpers of session.c used by api.c. */
int mcp_dup_into(char **slot, const char *v);
void mcp_update_key_flag(mcp_session *s);
int mcp_version_supported(const char *v);
sekha_error *mcp_local_error(sekha_code code, const char *why);
/* Whether the user may still use the session: not freed, and its client still exists. */
int mcp_usable(const mcp_session *s);
/* Creates and submits a JSON-RPC call (params taken); NULL only without memory. */
sekha_request *mcp_start_call(mcp_session *s, mcp_kind kind, const char *method, cJSON *params,
                              sekha_mcp_progress_cb progress, void *progress_ud, sekha__fn cb,
                              void *ud);
/* A call that fails before anything is sent; its callback still comes from the loop. */
sekha_request *mcp_call_fail(mcp_session *s, mcp_kind kind, sekha_error *err, sekha__fn cb,
                             void *ud);
/* Drives a sync session's loop until its own requests are gone. */
void mcp_drain_sync(mcp_session *s);

/* ---- jsonrpc.c: messages ---- */

/* Handles one message text from the server: a response, a notification, a request or a
 * batch of them. Bad JSON is logged and dropped. */
/* Handles one JSON-RPC message or batch; 0 when the text was dropped (not UTF-8 JSON). */
int mcp_receive(mcp_session *s, const char *text, size_t len);
/* A serialized JSON-RPC request or notification (id < 0 = notification); params taken. */
char *mcp_wire(long id, const char *method, cJSON *params);
/* Handles an answered initialize (called by mcp_receive). */
void mcp_init_answered(mcp_call *call, cJSON *result);
/* Frees every server request still waiting for the user (sekha_mcp_session_free; the
 * caller holds a session reference). */
void mcp_incoming_drop(mcp_session *s);
/* An error for a JSON-RPC error object (service layer, code and message kept). */
sekha_error *mcp_rpc_error(const cJSON *error);

/* Transports. */
extern const mcp_transport_ops mcp_http_ops;
extern const mcp_transport_ops mcp_sse_ops;
extern const mcp_transport_ops mcp_stdio_ops;

/* Transport discovery (sse.c): a Streamable HTTP session whose initialize got `first`
 * switches to the legacy HTTP+SSE transport, keeping its own state until the URL answers
 * with an endpoint event (then it is dropped) or does not (then the session goes back and
 * the calls fail with `first`, copied, saying what was tried). 0, or -1 without memory. */
int mcp_sse_probe(mcp_session *s, const sekha_error *first);

/* Shared by the HTTP transports (http.c): the stream bookkeeping of an SSE event (returns
 * 1 when it carried data to dispatch), and the headers a request of this session sends. */
int mcp_stream_note(mcp_stream *st, const sekha_sse_event *ev);
void mcp_stream_clear(mcp_stream *st);
typedef struct mcp_headers {
    const char *lines[4];
    char sid[512];
    char version[64];
    char last_id[sizeof "Last-Event-ID: " + MCP_MAX_EVENT_ID];
} mcp_headers;
/* 0, or -1 when last_event_id does not pass mcp_event_id_error (callers check first). */
int mcp_headers_build(const mcp_session *s, const char *last_event_id, mcp_headers *h);
/* NULL when id can go back to the server as Last-Event-ID, else the error saying why not. */
sekha_error *mcp_event_id_error(const char *id);
/* A request of an HTTP transport: GET is an SSE stream, POST carries one JSON-RPC message
 * (JSON or, with stream, an SSE answer), DELETE ends the session. */
typedef struct mcp_http_req {
    const char *method;
    const char *url;            /* NULL = the session's endpoint */
    const char *body;
    int session_headers;        /* send Mcp-Session-Id and MCP-Protocol-Version */
    const char *last_event_id;
    int stream;
    sekha_request *parent;
    const char *what;
} mcp_http_req;
sekha_request *mcp_http_start(mcp_session *s, const mcp_http_req *q, sekha_event_cb on_event,
                              sekha_response_cb done, void *ud);
/* The same on behalf of a call: the request holds the call and becomes call->http; without
 * memory the call ends. */
void mcp_http_start_for(mcp_call *call, const mcp_http_req *q, sekha_event_cb on_event,
                        sekha_response_cb done);
/* POSTs a message (json taken) to url, with the session's headers when with_session. */
void mcp_http_post_oneway(mcp_session *s, const char *url, int with_session, char *json,
                          mcp_sent_fn done, void *ctx);
/* A session of one of the HTTP transports; url NULL = <MCP base URL>/mcp. */
mcp_session *mcp_http_session_new(sekha_client *c, const mcp_transport_ops *ops, const char *url,
                                  sekha_error **err);

#endif
