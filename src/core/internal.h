/* libsekha core internals, shared by the core's files and the service sub-clients.
 * Nothing here knows Sekha paths or JSON shapes. */
#ifndef SEKHA_CORE_INTERNAL_H
#define SEKHA_CORE_INTERNAL_H

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>

#include "sekha/sekha.h"
#include "core/buf.h"
#include "core/ref.h"
#include "core/ratelimit.h"
#include "core/sse.h"
#include "core/timers.h"

#define SEKHA__ERRBUF 256

/* ---- secrets (secret.c) ---- */

/* A NUL-terminated string in libsodium-guarded memory (guard pages, mlock'd, wiped on
 * free). */
char *sekha__secret_dup(const char *s, size_t len);
/* len + 1 zeroed bytes of guarded memory. */
char *sekha__secret_alloc(size_t len);
void sekha__secret_free(char *s);

/* ---- options (options.c) ---- */

struct sekha_options {
    char *url[SEKHA_SERVICE_COUNT];          /* NULL = default (MCP: controller's) */
    char *key[SEKHA_SERVICE_COUNT];          /* guarded; NULL = none (MCP: controller's) */
    long call_timeout_ms;       /* total per call, 0 = none */
    long attempt_timeout_ms;    /* per attempt (non-streaming) */
    long connect_timeout_ms;
    long stream_idle_timeout_ms;
    int max_retries;
    long backoff_base_ms;
    long backoff_cap_ms;
    long retry_budget_ms;
    long max_retry_after_ms;
    long rate_requests[SEKHA_SERVICE_COUNT];
    long rate_window_ms[SEKHA_SERVICE_COUNT];
    char *user_agent;
    int no_user_agent;          /* sekha_options_set_user_agent(o, NULL): send none */
    int tls_insecure;
    char *ca_file;
    size_t max_response_bytes;
    size_t max_event_bytes;
    sekha_log_level log_level;
    sekha_log_fn log_fn;
    void *log_ud;
    sekha_trace_fn trace_fn;
    void *trace_ud;
    int traceparent_mode;       /* sekha_options_set_traceparent (a sekha_traceparent_mode) */
    char *record_path;          /* NULL = no cassette */
    char last_error[SEKHA__ERRBUF];
};

/* The effective key of a service after the MCP fallback, NULL when none. */
const char *sekha__options_key(const sekha_options *o, sekha_service svc);

/* ---- URLs and header values (url.c) ---- */

/* Checks a base URL; on failure writes the reason to why and returns -1. */
int sekha__url_check_base(const char *url, char *why, size_t why_len);
/* Percent-encodes everything but RFC 3986 unreserved characters. */
int sekha__url_encode(sekha_buf *out, const char *s);
/* Appends "name=value" (encoded) to a query being built, with '?' or '&'. */
int sekha__url_query_add(sekha_buf *url, const char *name, const char *value);
/* 1 when the string may be sent as (part of) a header value: no CR, LF or NUL. */
int sekha__header_value_ok(const char *s);
/* 1 when s[0..n) is valid UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
int sekha__utf8_valid(const char *s, size_t n);
/* The length of the valid multi-byte sequence at p (lead byte >= 0x80), 0 when invalid. */
size_t sekha__utf8_seq(const unsigned char *p, const unsigned char *end);
/* 1 when s is a canonical UUID (8-4-4-4-12 hex digits). */
int sekha__is_uuid(const char *s);

/* A JSON number as a long: fallback when it is not finite or does not fit (a plain cast
 * of such a double is undefined behaviour). Truncates toward zero. */
static inline long sekha__to_long(double v, long fallback)
{
    /* -2^63 and 2^63 are exact doubles, so the comparisons keep the cast defined */
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
        return fallback;
    long long w = (long long)v;
    return (sizeof(long) < sizeof(long long) && (w > LONG_MAX || w < LONG_MIN)) ? fallback : (long)w;
}

/* ---- errors (error.c) ---- */

struct sekha_error {
    sekha_code code;
    sekha_layer layer;
    char *message;
    int curl_code;
    int http_status;
    long retry_after_ms;
    char *detail;             /* what libsekha saw (local or transport), NULL when none */
    char *service_message;    /* only what a server said */
    long service_code;
    char *body;
    size_t body_len;
    int attempts;
};

/* A new error with a printf-style detail; never NULL (falls back to a static
 * out-of-memory error that sekha_error_free ignores). */
sekha_error *sekha__error_new(sekha_code code, sekha_layer layer, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* An HTTP-layer error from a complete response: code mapped from the status, the service
 * message parsed from the body. */
sekha_error *sekha__error_http(int status, long retry_after_ms, const char *body, size_t len,
                               const char *what);
/* A transport error from a CURLcode and curl's error buffer. */
sekha_error *sekha__error_curl(int curl_code, const char *errbuf, const char *what);
/* Parses a service error body into message and code (any of the known shapes). */
void sekha__error_parse_body(sekha_error *e, const char *body, size_t len);
/* Sets the service's own words (a message the server sent outside an error body, e.g. a
 * JSON-RPC error.message), sanitised, and recomposes the message without a label. */
void sekha__error_set_service_message(sekha_error *e, const char *text, size_t len);
/* The sekha_code for an HTTP status >= 400. */
sekha_code sekha__code_for_status(int status);
/* Rebuilds e->message from its parts (after fields change). */
void sekha__error_compose(sekha_error *e, const char *what);
extern sekha_error sekha__nomem_error;

/* ---- responses ---- */

/* A request's own response (lent to its final callback) lives inside the request, which
 * is recycled, so it cannot be shared by reference: sekha_response_copy() copies it once
 * into an owned response, and owned ones (copies, sync results) are shared by count. */
struct sekha_response {
    int status;
    sekha_buf body;
    sekha_buf headers; /* raw header lines of the final response */
    int indexed;       /* headers rewritten into name/value pairs (request.c) */
    int owned;         /* a heap response freed by its last sekha_response_free */
    sekha__ref ref;    /* owners of an owned response */
};

void sekha__response_clear(sekha_response *r);
void sekha__response_free_fields(sekha_response *r);
/* An owned response holding the body and headers moved out of lent (which is left empty,
 * status kept): for a final callback that is the response's last reader, as a sync call's
 * is. NULL when out of memory (lent is then unchanged). */
sekha_response *sekha__response_take(sekha_response *lent);

/* ---- the loop (loop.c) ---- */

/* A file descriptor the loop watches for a non-HTTP transport (e.g. a child's pipes). */
typedef void (*sekha__fd_fn)(void *ud, int fd, int events);
typedef struct sekha__watch {
    int fd;
    int events;            /* SEKHA_WATCH_* bits */
    sekha__fd_fn fn;
    void *ud;
} sekha__watch;

typedef struct sekha_loop {
    sekha_client *client;
    CURLM *multi;
    int epfd;               /* built-in poller (mode A and sync loops) */
    int external;           /* mode B: the user's loop drives this one */
    sekha_watch_fn watch;
    sekha_timer_fn timer;
    void *hook_ud;
    int64_t curl_deadline;  /* -1 = curl wants no timeout */
    int64_t hook_deadline;  /* what the timer hook was last told, -2 = nothing yet */
    sekha_timer_heap timers;
    int in_curl;            /* depth of libcurl calls on this loop's stack */
    int dispatching;        /* inside dispatch: the mode-B timer hook is refreshed at the end */
    size_t requests;        /* requests attached to this loop */
    sekha__watch **watches; /* extra fds (not libcurl's) */
    size_t nwatches, watches_cap;
    uint8_t *fds;           /* per libcurl socket: its epoll registration (loop.c) */
    size_t fds_cap;
} sekha_loop;

int sekha__loop_init(sekha_loop *l, sekha_client *c);
void sekha__loop_cleanup(sekha_loop *l);
/* Waits up to timeout_ms for events on a loop with a built-in poller and handles them. */
int sekha__loop_poll(sekha_loop *l, int timeout_ms);
/* Handles due timers and completed transfers, then refreshes the mode-B timer hook. */
void sekha__loop_dispatch(sekha_loop *l);
/* Handles readiness of one socket (or the wake fd) without dispatching. */
void sekha__loop_socket_ready(sekha_loop *l, int fd, int events);
/* Watches w->fd for events (SEKHA_WATCH_* bits) and calls fn from the loop when ready;
 * calling it again changes the events. The watch lives in the caller's memory. Returns 0
 * or -1. In mode B the fd goes to the user's watch hook like libcurl's sockets. */
int sekha__loop_watch(sekha_loop *l, sekha__watch *w);
void sekha__loop_unwatch(sekha_loop *l, sekha__watch *w);
/* libcurl's socket open and close callbacks, set on every easy handle (clientp = the
 * client): they tell the loops which sockets libcurl will close through them. */
curl_socket_t sekha__loop_open_socket(void *client, curlsocktype purpose,
                                      struct curl_sockaddr *address);
int sekha__loop_close_socket(void *client, curl_socket_t fd);
/* Arms a request timer on the loop. */
void sekha__loop_arm(sekha_loop *l, sekha_timer *t, int64_t deadline);
void sekha__loop_disarm(sekha_loop *l, sekha_timer *t);
/* A timer that belongs to no request (a sub-client's retry delays and grace periods), on
 * the same heap as the requests' timers: fire(t) runs from the loop's dispatch once
 * deadline (sekha__now_ms() clock) has passed, on every kind of loop (mode A, mode B,
 * sync). Starting an armed timer moves it. t lives in the caller's memory (initialised
 * with sekha__timer_init) and must be stopped before that memory goes; stopping an idle
 * timer does nothing. */
void sekha__timer_start(sekha_loop *l, sekha_timer *t, int64_t deadline,
                        void (*fire)(sekha_timer *t));
void sekha__timer_stop(sekha_loop *l, sekha_timer *t);

/* ---- requests (request.c) ---- */

typedef enum sekha_req_state {
    SEKHA_REQ_QUEUED = 0,   /* waiting for its first turn of the loop */
    SEKHA_REQ_RATE_WAIT,    /* holds a token reservation, waiting for it */
    SEKHA_REQ_RUNNING,      /* an attempt is in libcurl */
    SEKHA_REQ_BACKOFF,      /* waiting before the next attempt */
    SEKHA_REQ_EXTERNAL,     /* a virtual request: its owner ends it (sekha__request_end) */
    SEKHA_REQ_FINISHING,    /* final callback due on the next loop turn */
    SEKHA_REQ_DONE
} sekha_req_state;

/* What a sub-client asks the core to send. Strings are copied by sekha__start(). */
typedef struct sekha__spec {
    sekha_service service;
    const char *method;
    const char *path;           /* appended to the service base URL; already encoded */
    const char *url;            /* absolute URL instead of service + path (optional) */
    const char *content_type;   /* NULL = none */
    const char *accept;         /* NULL = none */
    const void *body;
    size_t body_len;
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
    unsigned flags;             /* SEKHA_HTTP_* */
    sekha_request *parent;      /* for composed requests: run on the parent's loop */
    const char *what;           /* short label for messages, e.g. "controller GET /health" */
    /* Tells a deterministic failure from a transient one (optional): called with an HTTP
     * error answer (status >= 400) before any retry; a code other than SEKHA_OK makes the
     * answer final, with that code, instead of retrying what would fail again. */
    sekha_code (*refine)(int status, const char *body, size_t len);
    /* A complete "Authorization: ..." line in guarded memory that replaces the service's
     * key (MCP OAuth tokens, client authentication); it must outlive the request. Linked,
     * never copied, so the credential stays out of the recycled header buffer. */
    const char *auth_line;
} sekha__spec;

/* Internal request flag: both bodies carry credentials (OAuth token and registration
 * exchanges), so the cassette records them as "[REDACTED]". */
#define SEKHA__HTTP_SECRET_BODIES 0x10000u

struct sekha_request {
    uint64_t id;
    uint32_t slot;            /* this structure's handle slot, kept across recycling */
    sekha_request *handle;    /* what users and sub-clients hold (handle.c) */
    sekha_client *client;
    sekha_loop *loop;
    sekha_req_state state;
    sekha_timer timer;
    /* what to send */
    sekha_service service;
    const char *url;          /* url_buf's text */
    CURLU *curlu;             /* its parsed form, NULL when libcurl gets the string */
    int curlu_slot;           /* the client's cache entry holding curlu, -1 for none */
    const char *method;       /* static canonical spelling */
    const char *what;         /* label for messages: what_buf's text or a static string */
    /* The buffers below keep their memory when the request is recycled (see spare), so a
     * steady stream of requests allocates nothing for them. */
    sekha_buf url_buf;
    sekha_buf what_buf;
    sekha_buf body;
    sekha_buf header_lines;   /* this request's own header lines, each NUL-terminated */
    size_t n_header_lines;
    struct curl_slist *own_headers; /* nodes over header_lines, chained to the service's */
    struct curl_slist header_nodes[4];
    struct curl_slist auth_node;    /* sekha__spec.auth_line, when given */
    struct curl_slist *header_heap; /* nodes when there are more lines than header_nodes */
    unsigned flags;
    int idempotent;
    int64_t deadline_ms;      /* the call timeout's end, 0 = none (children share it) */
    sekha_code (*refine)(int status, const char *body, size_t len);
    /* callbacks */
    sekha_event_cb on_event;
    void *event_ud;           /* on_event's own userdata */
    sekha_response_cb done;
    void *ud;
    /* attempt state */
    CURL *easy;
    int attempts;
    int64_t first_attempt_ms;
    int64_t last_activity_ms;
    int status_checked;       /* status and content type read for this attempt */
    int is_sse;
    int events_delivered;
    int paused;
    int resume_due;           /* resume() asked for stashed events to be delivered */
    int stopped;              /* the event callback ended the stream early */
    int held;                 /* transfer ended while paused: outcome waits for resume */
    int held_rc;
    int held_sent;
    int closing;              /* the client is being freed */
    /* connection reuse by writes (keepalive.c): times libcurl was about to send this
     * attempt, a re-send was stopped, the Keep-Alive timeout the answer announced */
    int ka_sends;
    int ka_blocked;
    int ka_announced;
    sekha_sse_parser *sse;
    sekha_response resp;
    sekha_error *err;         /* the final error, NULL on success */
    char errbuf[CURL_ERROR_SIZE];
    /* client bookkeeping */
    sekha_request *prev, *next;
    void *sub;                /* owned by the sub-client that made the request */
    void (*sub_free)(void *sub);
    /* told when a virtual request is cancelled or its client closes, before its final
     * callback; may cancel children, must not finish the request itself */
    void (*on_cancel)(sekha_request *r);
    /* with this set, a cancel leaves the virtual request pending (its error recorded,
     * on_cancel told) until its owner calls sekha__request_end, so a composed request can
     * wait for its children before its own final callback (client free does not wait) */
    int owner_finishes;
    /* trace context (trace.c): "00-<trace id>-<span id>-<flags>", made when the client
     * sends traceparent or traces ("" otherwise); the parent's id, 0 for none; the trace
     * and recording state, allocated only when a trace callback or a cassette is on */
    char traceparent[56];
    uint64_t parent_id;
    struct sekha__trace_req *tr;
    /* a virtual request's own timer fired (armed by its owner on r->timer with
     * sekha__loop_arm, e.g. a workflow's deadline); may end the request */
    void (*on_timer)(sekha_request *r);
};

/* ---- handles (handle.c) ----
 * Users and sub-clients never hold a request's address: they hold a handle, which names a
 * slot and a generation, so a handle kept past its request's final callback is detectably
 * stale instead of naming the next request recycled into the same memory. Everything the
 * core hands out (sekha__start* results, the req argument of callbacks) is a handle, and
 * every core function taking a request from outside the core takes a handle. */

/* The request a handle names, NULL when the handle is NULL, stale or not a handle. */
sekha_request *sekha__req(const sekha_request *handle);
/* A slot for a new request structure (kept while the structure lives); 0 or -1. */
int sekha__handle_slot_new(uint32_t *index);
void sekha__handle_slot_free(uint32_t index);
/* Makes r the live request of its slot and returns its handle; unbind makes every
 * handle issued so far stale. */
sekha_request *sekha__handle_bind(sekha_request *r);
void sekha__handle_unbind(sekha_request *r);

/* Starts a request: it is queued and sent from the loop. Never calls done from inside.
 * Returns NULL only when out of memory (done is then never called). */
sekha_request *sekha__start(sekha_client *c, const sekha__spec *spec, sekha_event_cb on_event,
                            sekha_response_cb done, void *ud);
/* The same with on_event given its own userdata (sekha__start passes ud to both). */
sekha_request *sekha__start_ev(sekha_client *c, const sekha__spec *spec, sekha_event_cb on_event,
                               void *event_ud, sekha_response_cb done, void *ud);
/* A request that sends nothing and ends with err (taken) on the next loop turn: used for
 * arguments rejected before sending, so the one-final-callback rule holds. */
sekha_request *sekha__start_failed(sekha_client *c, sekha_request *parent, sekha_error *err,
                                   sekha_response_cb done, void *ud);
/* A virtual request: it sends nothing itself, counts as pending, can be cancelled, and is
 * ended by its owner with sekha__request_end (a composed workflow, a stdio transport).
 * Children started with spec.parent = it run on its loop. */
sekha_request *sekha__start_virtual(sekha_client *c, sekha_request *parent, const char *what,
                                    sekha_response_cb done, void *ud);
/* Runs `call` with every request it starts made a child of parent (so it runs on the
 * parent's loop, e.g. inside a sync call). For composing public sub-client calls. */
#define SEKHA__AS_CHILD(c, parent, call)            \
    do {                                              \
        sekha_request *saved_parent_ = (c)->start_parent; \
        (c)->start_parent = (parent);                 \
        call;                                         \
        (c)->start_parent = saved_parent_;            \
    } while (0)
/* Ends a virtual request with err (taken; NULL = success) and resp (NULL or a response the
 * request takes over) on the next loop turn. */
void sekha__request_end(sekha_request *r, sekha_error *err, sekha_response *resp);
/* libcurl's write and header callbacks for every request handle. */
size_t sekha__request_write_cb(char *ptr, size_t size, size_t nmemb, void *ud);
size_t sekha__request_header_cb(char *buf, size_t size, size_t nitems, void *ud);
/* Timer expiry of a request (called by the loop). */
void sekha__request_on_timer(sekha_request *r);
/* A transfer of this loop finished in libcurl. */
void sekha__request_on_done(sekha_request *r, CURLcode rc);
/* Ends a request right now with the final callback (from the loop or client free). */
void sekha__request_finish(sekha_request *r);
/* Marks the request for ending with err (taken) on the next loop turn. */
void sekha__request_fail_later(sekha_request *r, sekha_error *err);

/* ---- the client (client.c) ---- */

/* A parsed URL kept by the client for CURLOPT_CURLU (curlu.c). */
#define SEKHA__URL_SLOTS 16
typedef struct sekha__url_slot {
    uint64_t hash;
    char *url;
    CURLU *h;
    int refs;       /* requests using it: never evicted while > 0 */
    uint64_t stamp; /* last use, for evicting the least recently used */
} sekha__url_slot;

struct sekha_client {
    sekha_options *opts;
    sekha_loop main;
    sekha_loop *sync_loop;      /* created on the first sync call */
    int sync_start;             /* the next sekha__start goes to the sync loop */
    sekha_request *start_parent;/* set by composers around a public call: its requests
                                   become children of this one (same loop) */
    sekha_bucket buckets[SEKHA_SERVICE_COUNT];
    struct curl_slist *svc_headers[SEKHA_SERVICE_COUNT]; /* shared tail: auth, Expect: */
    char *auth_line[SEKHA_SERVICE_COUNT];               /* guarded "Authorization: ..." */
    char *base_url[SEKHA_SERVICE_COUNT];
    int ka_timeout_s[SEKHA_SERVICE_COUNT]; /* Keep-Alive timeout heard, 0 = none (keepalive.c) */
    uint64_t next_id;
    sekha_request *first;       /* every request that has not had its final callback */
    size_t pending;
    int cb_depth;               /* user callbacks on the stack */
    int entry_depth;            /* libsekha entry points (poll, hooks, sync) on the stack */
    int free_requested;         /* sekha_client_free was called inside; finish on the way out */
    int freeing;
    int woken;                  /* the wake fd fired: look at the cross-thread queue */
    struct curl_slist *common_tail; /* User-Agent and "Expect:", shared by every request */
    int wake_fd;                /* eventfd: wakeups and cross-thread cancels */
    pthread_mutex_t xlock;      /* guards the cross-thread cancel queue */
    uint64_t *xcancel;
    size_t xcancel_len, xcancel_cap;
    CURL **pool;                /* idle easy handles, reset, ready for reuse */
    size_t pool_len;
    sekha_request *spare;       /* finished requests kept for reuse (linked by next) */
    size_t spare_len;
    int proxy_env;              /* a proxy variable was set when the client was made */
    sekha_buf scratch;          /* see sekha__client_scratch */
    sekha__url_slot urls[SEKHA__URL_SLOTS];
    uint64_t url_clock;
    struct sekha__closer *closers; /* see sekha__client_add_closer */
    /* tracing and recording (trace.c, record.c) */
    int ids_on;                 /* requests get trace ids (traceparent sent or traced) */
    int send_traceparent;       /* requests carry the traceparent header */
    int tracing;                /* requests get trace state (callback or cassette) */
    int record_fd;              /* the cassette, -1 when none */
    char tp_trace[32];          /* sekha_client_set_trace_parent's trace id... */
    char tp_flags[2];           /* ...and flags */
    int has_tp;
    unsigned char rnd[240];     /* random bytes drawn in batches for the ids */
    size_t rnd_pos;
    sekha_buf trace_buf;        /* an event's JSON, a cassette line */
};

/* Calls a user callback with the depth counted (so sync calls and free know). */
#define SEKHA__USER_CB(c, call) \
    do {                         \
        (c)->cb_depth++;         \
        call;                    \
        (c)->cb_depth--;         \
    } while (0)

void sekha__client_unlink(sekha_client *c, sekha_request *r);
/* Objects the user frees on their own that use the client's loops (MCP sessions): freeing
 * the client calls fn(ud) once every request has had its final callback and before the
 * loops go (the closer is unlinked first), and the object must not touch the client after.
 * Removing a closer that is not linked is a no-op. */
typedef struct sekha__closer {
    void (*fn)(void *ud);
    void *ud;
    struct sekha__closer *prev, *next;
} sekha__closer;
void sekha__client_add_closer(sekha_client *c, sekha__closer *cl);
void sekha__client_remove_closer(sekha_client *c, sekha__closer *cl);
/* The parsed form of url for CURLOPT_CURLU: shared from the client's cache (*slot >= 0)
 * or private (*slot = -1); NULL when libcurl's parser refuses it or memory runs out (the
 * caller then hands libcurl the string). Give it back with sekha__url_release. */
CURLU *sekha__url_acquire(sekha_client *c, const char *url, int *slot);
void sekha__url_release(sekha_client *c, CURLU *h, int slot);
void sekha__url_cache_free(sekha_client *c);
/* Recycling (recycle.c): a zeroed request, a spare with its buffers emptied but kept or
 * a new one (NULL when out of memory); handing a finished request back (its buffers are
 * kept unless the client is closing or has enough spares); freeing the spares (when the
 * client is destroyed). */
sekha_request *sekha__request_take(sekha_client *c);
void sekha__request_recycle(sekha_client *c, sekha_request *r);
void sekha__request_spares_free(sekha_client *c);
/* Brackets a libsekha entry point; leaving the outermost one completes a deferred free. */
void sekha__client_enter(sekha_client *c);
void sekha__client_leave(sekha_client *c);
/* Drains the cross-thread cancel queue (from the loop). */
void sekha__client_drain_cancels(sekha_client *c);
/* An empty buffer the client keeps for building a request body that sekha__start then
 * copies: no allocation per request. Only one user at a time (start the request before
 * asking again). */
sekha_buf *sekha__client_scratch(sekha_client *c);
CURL *sekha__client_easy_get(sekha_client *c);
void sekha__client_easy_put(sekha_client *c, CURL *easy);

/* ---- tracing (trace.c) and recording (record.c) ---- */

/* What the trace events and the cassette need of a request beyond its own fields. */
typedef struct sekha__trace_req {
    int captured;            /* the current attempt ended; its facts are below */
    int emitted;             /* ...and were reported */
    int rc;                  /* the attempt's CURLcode, -1 when the library ended it */
    int status;
    int64_t sent, received, sent_sum, received_sum;
    double dns, connect, tls, ttfb, total; /* ms, -1 unknown */
    int64_t rate_wait, rate_wait_sum;
    int64_t start_us;        /* the request was made (trace clock) */
    int64_t first_event_us;  /* -1 none */
    int64_t headers_us;      /* recording: the response headers arrived, 0 not yet */
    sekha_buf stream;        /* recording: [double t_ms][size_t len][bytes]... */
} sekha__trace_req;

/* Called by sekha_client_new / destroy. */
int sekha__trace_client_init(sekha_client *c, sekha_error **err);
/* Decides, from the mode, the trace callback and a caller's parent, whether requests carry
 * traceparent and get trace ids. */
void sekha__trace_decide(sekha_client *c);
void sekha__trace_client_free(sekha_client *c);
/* A new request's ids (c->ids_on) and trace state (c->tracing); parent may be NULL.
 * Returns -1 when out of memory. */
int sekha__trace_request_init(sekha_client *c, sekha_request *r, const sekha_request *parent);
/* The attempt ended: reads libcurl's facts while r->easy is still there. rc -1: ended by
 * the library (cancel, deadline, STOP, client free). */
void sekha__trace_capture(sekha_request *r, int rc);
/* The attempt is retried after delay_ms: reported (trace, cassette). */
void sekha__trace_retry(sekha_request *r, int64_t delay_ms);
/* The request ends (before its final callback): the last attempt and the END event. */
void sekha__trace_end(sekha_request *r);
/* Streams: the first event was delivered; recording: the response headers are complete,
 * a chunk of raw bytes arrived. */
void sekha__trace_first_event(sekha_request *r);
void sekha__trace_headers_done(sekha_request *r);
void sekha__trace_chunk(sekha_request *r, const char *p, size_t n);
/* Microseconds on the trace clock (monotonic). */
int64_t sekha__trace_now_us(void);
/* Writes the cassette line of r's ended attempt (record.c); error is the message of a
 * failure without a response (NULL otherwise). */
void sekha__record_attempt(sekha_request *r, const char *error);
/* Replaces every API key configured in the client found in b by "[REDACTED]". */
int sekha__redact(const sekha_client *c, sekha_buf *b);
/* The sekha_code of a CURLcode (error.c). */
sekha_code sekha__code_for_curl(int curl_code);

/* ---- sync calls (sync.c) ---- */

/* The one sync wrapper. Every _sync form is the async call run on the private loop:
 *
 *     SEKHA__SYNC_CB(x_sync_cb, T, T_copy)
 *     sekha_code sekha_x_sync(sekha_client *c, ..., T **out, sekha_error **err)
 *     {
 *         SEKHA__SYNC_RETURN(c, sekha_x(c, ..., x_sync_cb, SEKHA__SYNC_SLOT), out, T_free,
 *                            err);
 *     }
 *
 * where x_sync_cb is the typed final callback made by SEKHA__SYNC_CB (it keeps a copy of
 * the result, so the rule "results are lent to callbacks" holds for sync calls too). *out
 * receives the result whenever the final callback had one, on failure as well (a partial
 * stream); the error goes to *err. Inside a callback begin fails with SEKHA_E_IN_CALLBACK
 * and end reports it. A form that must do more around the call uses sekha__sync_begin,
 * the call with &slot, and sekha__sync_end itself. */
typedef struct sekha__sync {
    int begun, done;
    sekha_code code;
    sekha_error *err;
    void *result;
} sekha__sync;

sekha_code sekha__sync_begin(sekha_client *c, sekha__sync *s);
/* Called by a sync callback: records the outcome; owned_result becomes the caller's. */
void sekha__sync_finish(sekha__sync *s, const sekha_error *err, void *owned_result);
sekha_code sekha__sync_end(sekha_client *c, sekha__sync *s, const sekha_request *req,
                           sekha_code begun, void **out, void (*free_result)(void *),
                           sekha_error **err);

/* The body of a _sync form (see above): runs `call`, whose userdata is SEKHA__SYNC_SLOT,
 * on the private loop and returns its outcome. out may be NULL, free_result too when the
 * call has no result. */
#define SEKHA__SYNC_SLOT (&sync_slot_)
#define SEKHA__SYNC_RETURN(c, call, out, free_result, err)                                  \
    sekha__sync sync_slot_;                                                                \
    sekha_code sync_begun_ = sekha__sync_begin((c), &sync_slot_);                          \
    return sekha__sync_end((c), &sync_slot_, sync_begun_ ? NULL : (call), sync_begun_,     \
                           (void **)(out), (void (*)(void *))(free_result), (err))

/* Defines `static void name(sekha_request *, const sekha_error *, const T *, void *)`, a
 * final callback for sekha__sync whose result is kept with copy (the type's _copy). */
#define SEKHA__SYNC_CB(name, T, copy)                                                      \
    static void name(sekha_request *req_, const sekha_error *err_, const T *res_, void *s_) \
    {                                                                                      \
        (void)req_;                                                                        \
        T *kept_ = res_ ? copy(res_) : NULL;                                               \
        sekha__sync_finish(s_, res_ && !kept_ ? &sekha__nomem_error : err_, kept_);        \
    }

/* ---- logging (log.c) ---- */

void sekha__log(const sekha_client *c, sekha_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int sekha__log_on(const sekha_client *c, sekha_log_level level);
/* libcurl's CURLOPT_DEBUGFUNCTION: headers go to the log with Authorization redacted. */
int sekha__log_curl_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud);

#endif
