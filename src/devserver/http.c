/* HTTP plumbing of sekha-devserver: libmicrohttpd listeners, request collection, routing
 * (fault layer -> rate limit / api key -> controller side or bridge), the /_devserver/...
 * control routes and the raw-socket tricks behind the close faults.
 *
 * MHD runs one thread per connection, so a handler that sleeps, stalls or streams forever
 * only holds its own connection; every such wait goes through ds_wait so shutdown stays
 * prompt. */
#include "faults.h"
#include "replay.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#define BODY_LIMIT (16u * 1024u * 1024u)
/* Redirect loops carry a hop counter so they loop without consuming rule steps; the cap only
 * protects clients that follow redirects without any limit. */
#define REDIRECT_MARK "_ds_redirect"
#define REDIRECT_CAP 1000

static const ds_config *g_cfg;
static ds_store *g_store;
static int g_verbose;
/* Stable addresses to hand MHD as the per-listener closure. */
static const int g_kinds[2] = { DS_SRV_CONTROLLER, DS_SRV_BRIDGE };
/* "timeout=N" for the Keep-Alive header, "" when none is announced. */
static char g_keepalive[32];
/* Connections each listener accepted (GET /_devserver/connections). */
static pthread_mutex_t g_conn_lock = PTHREAD_MUTEX_INITIALIZER;
static long g_conns[2];

void ds_http_init(const ds_config *cfg, ds_store *st, int verbose)
{
    g_cfg = cfg;
    g_store = st;
    g_verbose = verbose;
    g_keepalive[0] = '\0';
    if (cfg->keepalive_announce > 0)
        snprintf(g_keepalive, sizeof g_keepalive, "timeout=%d", cfg->keepalive_announce);
}

/* ---------------------------------------------------------------- ds.h helpers */

const char *ds_query_arg(const ds_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *ds_header(const ds_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

static void set_body(ds_response *rs, int status, char *body, size_t len, const char *ctype)
{
    free(rs->body);
    rs->status = status;
    rs->body = body;
    rs->body_len = body ? len : 0;
    rs->content_type = ctype;
}

void ds_respond_text(ds_response *rs, int status, const char *text)
{
    char *copy = strdup(text ? text : "");
    set_body(rs, status, copy, copy ? strlen(copy) : 0, "text/plain; charset=utf-8");
}

void ds_respond_json(ds_response *rs, int status, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text) {
        ds_respond_text(rs, 500, "devserver: could not serialise the answer");
        return;
    }
    set_body(rs, status, text, strlen(text), "application/json");
}

void ds_respond_empty(ds_response *rs, int status)
{
    set_body(rs, status, NULL, 0, NULL);
}

void ds_respond_error(ds_response *rs, int status, const char *msg)
{
    json_t *v = json_pack("{s:s,s:i}", "error", msg ? msg : "", "code", status);
    if (!v)   /* msg was not valid UTF-8 */
        v = json_pack("{s:s,s:i}", "error", "error", "code", status);
    ds_respond_json(rs, status, v);
}

/* ---------------------------------------------------------------- raw socket faults */

static int conn_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

/* MHD sockets are non-blocking; the few bytes written here normally fit the send buffer
 * at once, the poll only covers a full buffer. */
static void raw_write(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd pf = { .fd = fd, .events = POLLOUT, .revents = 0 };
            if (poll(&pf, 1, 1000) <= 0)
                return;
            continue;
        }
        return;
    }
}

/* Queued bytes still go out before the FIN. The fd itself stays MHD's to close, which it does
 * once the access handler returns MHD_NO. */
static enum MHD_Result close_after(int fd, const char *bytes)
{
    if (fd >= 0) {
        if (bytes)
            raw_write(fd, bytes, strlen(bytes));
        (void)shutdown(fd, SHUT_RDWR);
    }
    return MHD_NO;
}

/* Sends RST instead of FIN: with SO_LINGER 0, disconnecting the socket (connect to
 * AF_UNSPEC) aborts the TCP connection while the descriptor stays valid, so MHD's own
 * close later is not a double close. */
static enum MHD_Result reset_after(int fd)
{
    if (fd >= 0) {
        struct linger l = { .l_onoff = 1, .l_linger = 0 };
        (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        struct sockaddr sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_family = AF_UNSPEC;
        (void)connect(fd, &sa, sizeof sa);
    }
    return MHD_NO;
}

/* ---------------------------------------------------------------- sending */

static enum MHD_Result send_response(struct MHD_Connection *c, ds_response *rs,
                                     const char *location)
{
    struct MHD_Response *r;
    if (rs->body && rs->body_len > 0) {
        r = MHD_create_response_from_buffer(rs->body_len, rs->body, MHD_RESPMEM_MUST_FREE);
        if (!r)
            free(rs->body);
    } else {
        free(rs->body);
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    rs->body = NULL;
    if (!r)
        return MHD_NO;
    if (rs->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type);
    if (rs->retry_after[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, rs->retry_after);
    if (location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
    if (rs->header_name[0])
        MHD_add_response_header(r, rs->header_name, rs->header_value);
    if (g_keepalive[0])
        MHD_add_response_header(r, "Keep-Alive", g_keepalive);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)(rs->status ? rs->status : 500), r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_stream(struct MHD_Connection *c, ds_stream *s)
{
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
                                                               ds_stream_read, s,
                                                               ds_stream_release);
    if (!r) {
        ds_stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (g_keepalive[0])
        MHD_add_response_header(r, "Keep-Alive", g_keepalive);
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

/* ---------------------------------------------------------------- controller gate */

typedef struct window {
    struct window *next;
    long long start_ms;
    long count;
    char ip[];
} window;

static pthread_mutex_t g_rl_lock = PTHREAD_MUTEX_INITIALIZER;
static window *g_windows;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

/* Like the real limiter: fixed 60 s windows keyed by the first X-Forwarded-For entry, and
 * everyone without that header shares the 127.0.0.1 window. */
static int rate_ok(const ds_request *rq)
{
    char ip[64] = "127.0.0.1";
    const char *xff = ds_header(rq, "X-Forwarded-For");
    if (xff) {
        while (*xff == ' ' || *xff == '\t')
            xff++;
        size_t n = strcspn(xff, ", \t");
        if (n > 0 && n < sizeof ip) {
            memcpy(ip, xff, n);
            ip[n] = '\0';
        }
    }
    long long now = mono_ms();
    int ok = 1;
    pthread_mutex_lock(&g_rl_lock);
    window *w = g_windows;
    while (w && strcmp(w->ip, ip))
        w = w->next;
    if (!w && (w = malloc(sizeof *w + strlen(ip) + 1)) != NULL) {
        strcpy(w->ip, ip);
        w->start_ms = now;
        w->count = 0;
        w->next = g_windows;
        g_windows = w;
    }
    if (w) {
        if (now - w->start_ms >= 60000) {
            w->start_ms = now;
            w->count = 0;
        }
        ok = ++w->count <= g_cfg->rate_limit;
    }
    pthread_mutex_unlock(&g_rl_lock);
    return ok;
}

void ds_http_shutdown(void)
{
    pthread_mutex_lock(&g_rl_lock);
    while (g_windows) {
        window *next = g_windows->next;
        free(g_windows);
        g_windows = next;
    }
    pthread_mutex_unlock(&g_rl_lock);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void controller_route(const ds_request *rq, ds_response *rs)
{
    if (g_cfg->rate_limit > 0 && !rate_ok(rq)) {
        ds_respond_text(rs, 429, "Rate limit exceeded. Please try again later.");
        return;
    }
    if (g_cfg->mcp_oauth && ds_oauth_handle(g_cfg, rq, rs))
        return;
    int is_mcp = !strcmp(rq->path, "/mcp") || starts_with(rq->path, "/mcp/");
    if (g_cfg->api_key && !is_mcp) {
        const char *auth = ds_header(rq, "Authorization");
        if (!auth) {
            ds_respond_error(rs, 401, "Missing authorization header");
            return;
        }
        if (!starts_with(auth, "Bearer ") || strcmp(auth + 7, g_cfg->api_key)) {
            ds_respond_error(rs, 401, "Invalid API key");
            return;
        }
    }
    if (ds_mcp_rpc_handle(g_store, g_cfg, rq, rs))
        return;
    /* The February controller mounts no /mcp/tools routes: they fall to the bare 404. */
    if (g_cfg->upstream != DS_UP_2026_02 && ds_mcp_tools_handle(g_store, g_cfg, rq, rs))
        return;
    if (ds_controller_handle(g_store, g_cfg, rq, rs))
        return;
    /* axum's fallback: a bare 404 without a body. */
    ds_respond_empty(rs, 404);
}

/* ---------------------------------------------------------------- /_devserver routes */

typedef struct echo_ctx {
    json_t *obj;
    int lower;
} echo_ctx;

static enum MHD_Result echo_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    echo_ctx *e = cls;
    (void)kind;
    char name[256];
    snprintf(name, sizeof name, "%s", key);
    if (e->lower)
        for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    json_t *v = value ? json_string(value) : json_null();
    if (!v)
        v = json_string("(not UTF-8)");
    json_t *old = json_object_get(e->obj, name);
    if (old && e->lower && json_is_string(old) && json_is_string(v)) {
        /* Repeated headers fold into one comma-separated value, as HTTP allows. */
        json_t *both = json_sprintf("%s, %s", json_string_value(old), json_string_value(v));
        json_decref(v);
        v = both;
    }
    json_object_set_new(e->obj, name, v);
    return MHD_YES;
}

static void echo(const ds_request *rq, ds_response *rs)
{
    json_t *headers = json_object(), *query = json_object();
    echo_ctx eh = { headers, 1 }, eq = { query, 0 };
    MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, echo_value, &eh);
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, echo_value, &eq);
    json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:I}", "method", rq->method, "path", rq->path,
                          "query", query, "headers", headers, "body_len",
                          (json_int_t)rq->body_len);
    json_t *body = json_stringn(rq->body, rq->body_len);
    if (body) {
        json_object_set_new(o, "body", body);
    } else {
        /* Not UTF-8 (or has NULs jansson refuses): show the bytes in hex instead. */
        char *hex = malloc(rq->body_len * 2 + 1);
        if (hex) {
            for (size_t i = 0; i < rq->body_len; i++)
                snprintf(hex + 2 * i, 3, "%02x", (unsigned char)rq->body[i]);
            hex[rq->body_len * 2] = '\0';
            json_object_set_new(o, "body", json_null());
            json_object_set_new(o, "body_hex", json_string(hex));
            free(hex);
        }
    }
    ds_respond_json(rs, 200, o);
}

typedef struct sse_ctx {
    size_t count;
    size_t size;
} sse_ctx;

static char *sse_event(void *ctx, size_t k, size_t want, int endless)
{
    sse_ctx *c = ctx;
    if (!endless && k >= c->count)
        return NULL;
    json_t *o = json_pack("{s:I,s:s}", "i", (json_int_t)k, "pad", "");
    return o ? ds_dump_padded(o, o, "pad", want ? want : c->size) : NULL;
}

static size_t arg_size(const ds_request *rq, const char *name, size_t dflt, size_t max)
{
    const char *v = ds_query_arg(rq, name);
    if (!v || !*v)
        return dflt;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || v[0] == '-')
        return dflt;
    return n > max ? max : (size_t)n;
}

static void sse(const ds_request *rq, ds_response *rs, ds_stream **out)
{
    sse_ctx *c = malloc(sizeof *c);
    if (!c) {
        ds_respond_error(rs, 500, "out of memory");
        return;
    }
    c->count = arg_size(rq, "count", 3, 10000000);
    c->size = arg_size(rq, "size", 0, 64u << 20);
    *out = ds_stream_new(sse_event, c, free);
    if (!*out)
        ds_respond_error(rs, 500, "out of memory");
}

/* The rule list and the counters themselves: never counted, never faulted. */
static void control(int kind, const ds_request *rq, ds_response *rs)
{
    if (!strcmp(rq->path, "/_devserver/connections")) {
        pthread_mutex_lock(&g_conn_lock);
        long n = g_conns[kind];
        pthread_mutex_unlock(&g_conn_lock);
        if (strcmp(rq->method, "GET"))
            ds_respond_error(rs, 405, "use GET");
        else
            ds_respond_json(rs, 200, json_pack("{s:I}", "count", (json_int_t)n));
        return;
    }
    if (!strcmp(rq->path, "/_devserver/requests")) {
        const char *p = ds_query_arg(rq, "path");
        if (strcmp(rq->method, "GET"))
            ds_respond_error(rs, 405, "use GET");
        else if (!p)
            ds_respond_error(rs, 400, "query argument path is required");
        else
            ds_respond_json(rs, 200, json_pack("{s:I}", "count",
                                               (json_int_t)ds_count_get(kind, p)));
        return;
    }
    if (!strcmp(rq->method, "POST")) {
        char err[256];
        if (ds_faults_add(kind, rq->body, rq->body_len, err, sizeof err))
            ds_respond_error(rs, 400, err);
        else
            ds_respond_json(rs, 200, json_pack("{s:b,s:I}", "ok", 1, "rules",
                                               (json_int_t)ds_faults_count()));
    } else if (!strcmp(rq->method, "DELETE")) {
        ds_faults_clear();
        ds_respond_json(rs, 200, json_pack("{s:b,s:I}", "ok", 1, "rules", (json_int_t)0));
    } else if (!strcmp(rq->method, "GET")) {
        ds_respond_json(rs, 200, json_pack("{s:I}", "rules", (json_int_t)ds_faults_count()));
    } else {
        ds_respond_error(rs, 405, "use POST, DELETE or GET");
    }
}

/* ---------------------------------------------------------------- dispatch */

static void route(int kind, const ds_request *rq, ds_response *rs, ds_stream **stream)
{
    if (g_cfg->faults && !strcmp(rq->path, "/_devserver/echo")) {
        echo(rq, rs);
        return;
    }
    if (g_cfg->faults && !strcmp(rq->path, "/_devserver/sse")) {
        sse(rq, rs, stream);
        return;
    }
    if (kind == DS_SRV_CONTROLLER) {
        controller_route(rq, rs);
        return;
    }
    if (!ds_bridge_handle(g_cfg, rq, rs, stream))
        ds_respond_json(rs, 404, json_pack("{s:s}", "detail", "Not Found"));
}

static void make_malformed(ds_response *rs)
{
    if (rs->body && rs->body_len >= 2 && (rs->body[0] == '{' || rs->body[0] == '[')) {
        rs->body_len /= 2;
        rs->body[rs->body_len] = '\0';
    } else {
        ds_respond_text(rs, 200, "{\"error\":\"trunc");
    }
    rs->status = 200;
    rs->content_type = "application/json";
}

static void make_invalid_utf8(ds_response *rs)
{
    size_t n = 0;
    char *bad = rs->body ? ds_inject_invalid_utf8(rs->body, rs->body_len, &n) : NULL;
    if (bad)
        set_body(rs, 200, bad, n, "application/json");
    else
        ds_respond_text(rs, 200, "{\"error\":\"\xff\xfe\"}");
    rs->status = 200;
    rs->content_type = "application/json";
}

/* Runs the real handler, then lets the step reshape (or drop) its answer. */
static enum MHD_Result answer(int kind, const ds_request *rq, const ds_step *step)
{
    ds_response rs;
    memset(&rs, 0, sizeof rs);
    ds_stream *stream = NULL;
    route(kind, rq, &rs, &stream);
    int fd = conn_fd(rq->conn);
    if (step && step->close_mode == DS_CLOSE_AFTER_HANDLING) {
        free(rs.body);
        ds_stream_free(stream);
        return reset_after(fd);
    }
    if (stream) {
        free(rs.body);
        ds_stream_configure(stream, step ? &step->stream : NULL, fd);
        return send_stream(rq->conn, stream);
    }
    if (!rs.status)
        ds_respond_error(&rs, 500, "devserver: the handler gave no answer");
    if (step && step->malformed_json)
        make_malformed(&rs);
    else if (step && step->invalid_utf8)
        make_invalid_utf8(&rs);
    return send_response(rq->conn, &rs, NULL);
}

static enum MHD_Result redirect(const ds_request *rq, long hop)
{
    char location[2048];
    snprintf(location, sizeof location, "%s?%s=%ld", rq->path, REDIRECT_MARK, hop);
    ds_response rs;
    memset(&rs, 0, sizeof rs);
    ds_respond_empty(&rs, 302);
    return send_response(rq->conn, &rs, location);
}

static enum MHD_Result apply_step(int kind, const ds_request *rq, const ds_step *st)
{
    int fd = conn_fd(rq->conn);
    if (st->delay_ms > 0 && ds_wait(fd, st->delay_ms) != 0)
        return MHD_NO;   /* the client left or we are shutting down */
    if (st->stall) {
        ds_wait(fd, -1);
        return MHD_NO;
    }
    switch (st->close_mode) {
    case DS_CLOSE_BEFORE_STATUS:
        return close_after(fd, NULL);
    case DS_CLOSE_MID_HEADERS:
        /* The complete Content-Length makes the cut unmistakable: curl accepts headers that
         * end at EOF when it has no body length to wait for. */
        return close_after(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 512\r\nX-Devserver-Cut: hal");
    case DS_CLOSE_MID_BODY:
        return close_after(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 1024\r\nConnection: close\r\n\r\n"
                               "{\"id\":\"0b6f0c1e-partial\",\"label\":\"cut here");
    default:
        break;
    }
    if (st->redirect_loop)
        return redirect(rq, 1);
    if (st->status) {
        ds_response rs;
        memset(&rs, 0, sizeof rs);
        if (st->body) {
            ds_respond_text(&rs, st->status, st->body);
            rs.content_type = "application/json";
        } else {
            ds_respond_json(&rs, st->status, json_pack("{s:s,s:i}", "error", "injected fault",
                                                       "code", st->status));
        }
        if (st->content_type)
            rs.content_type = st->content_type;
        snprintf(rs.retry_after, sizeof rs.retry_after, "%s", st->retry_after);
        return send_response(rq->conn, &rs, st->location);
    }
    return answer(kind, rq, st);
}

static enum MHD_Result dispatch(int kind, const ds_request *rq)
{
    if (g_cfg->faults && (!strcmp(rq->path, "/_devserver/faults")
                          || !strcmp(rq->path, "/_devserver/requests")
                          || !strcmp(rq->path, "/_devserver/connections"))) {
        ds_response rs;
        memset(&rs, 0, sizeof rs);
        control(kind, rq, &rs);
        return send_response(rq->conn, &rs, NULL);
    }
    if (!g_cfg->faults)
        return answer(kind, rq, NULL);
    ds_count_hit(kind, rq->path);
    const char *hop = ds_query_arg(rq, REDIRECT_MARK);
    if (hop) {
        long n = strtol(hop, NULL, 10);
        if (n >= 1 && n < REDIRECT_CAP)
            return redirect(rq, n + 1);
    }
    ds_step st;
    if (!ds_faults_take(kind, rq->method, rq->path, &st))
        return answer(kind, rq, NULL);
    enum MHD_Result r = apply_step(kind, rq, &st);
    ds_step_clear(&st);
    return r;
}

/* ---------------------------------------------------------------- MHD callbacks */

typedef struct req_state {
    char *body;
    size_t len, cap;
    int too_big;
    int answered;   /* a response was queued before the body arrived */
    int begun;      /* the first access-handler call has been seen */
    char *uri;      /* the request target with its query (--replay only) */
} req_state;

/* MHD hands the access handler the path without its query; replay matches the query too,
 * so the target is kept as sent, before MHD parses it. */
static void *keep_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    req_state *st = calloc(1, sizeof *st);
    if (st && !(st->uri = strdup(uri))) {
        free(st);
        st = NULL;
    }
    return st;
}

static enum MHD_Result too_large(struct MHD_Connection *c)
{
    ds_response rs;
    memset(&rs, 0, sizeof rs);
    ds_respond_text(&rs, 413, "Payload Too Large");
    return send_response(c, &rs, NULL);
}

static int append(req_state *st, const char *data, size_t n)
{
    if (st->len + n > BODY_LIMIT) {
        st->too_big = 1;
        free(st->body);
        st->body = NULL;
        st->len = st->cap = 0;
        return 0;
    }
    if (st->len + n + 1 > st->cap) {
        size_t cap = st->cap ? st->cap : 1024;
        while (cap < st->len + n + 1)
            cap *= 2;
        char *p = realloc(st->body, cap);
        if (!p)
            return -1;
        st->body = p;
        st->cap = cap;
    }
    memcpy(st->body + st->len, data, n);
    st->len += n;
    st->body[st->len] = '\0';
    return 0;
}

/* Per connection (MHD's socket context): when its last answer went out, for
 * --keepalive-drop. Only the connection's own thread touches it. */
typedef struct conn_state {
    long long idle_since_ms;
} conn_state;

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)conn;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        free(*socket_context);
        *socket_context = NULL;
        return;
    }
    if (g_cfg->keepalive_drop_ms > 0)
        *socket_context = calloc(1, sizeof(conn_state));
    pthread_mutex_lock(&g_conn_lock);
    g_conns[*(const int *)cls]++;
    pthread_mutex_unlock(&g_conn_lock);
}

static conn_state *conn_state_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* --keepalive-drop: a request on a connection idle that long is reset unread, the way a
 * middlebox that forgot an idle connection answers its next packet. Unlike a server's own
 * idle close, the client cannot see it coming: its request has gone out when it learns. */
static int dropped(struct MHD_Connection *conn)
{
    conn_state *cs = g_cfg->keepalive_drop_ms > 0 ? conn_state_of(conn) : NULL;
    return cs && cs->idle_since_ms && mono_ms() - cs->idle_since_ms >= g_cfg->keepalive_drop_ms;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    int kind = *(const int *)cls;
    req_state *st = *con_cls;
    if (!st || !st->begun) {
        if (!st && !(st = calloc(1, sizeof *st)))
            return MHD_NO;
        *con_cls = st;
        st->begun = 1;
        if (dropped(conn))
            return reset_after(conn_fd(conn));
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > BODY_LIMIT) {
            /* Answering before the body is read makes MHD skip it and close afterwards. */
            st->too_big = st->answered = 1;
            return too_large(conn);
        }
        return MHD_YES;
    }
    if (st->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!st->too_big && append(st, upload_data, *upload_data_size) != 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->too_big)
        return too_large(conn);
    ds_request rq = { method, url, st->body ? st->body : "", st->len, conn };
    if (g_cfg->replay_path)
        return (enum MHD_Result)ds_replay_answer(kind, &rq, st->uri);
    return dispatch(kind, &rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    conn_state *cs = g_cfg->keepalive_drop_ms > 0 ? conn_state_of(conn) : NULL;
    if (cs)
        cs->idle_since_ms = mono_ms();
    req_state *st = *con_cls;
    if (st) {
        free(st->body);
        free(st->uri);
        free(st);
        *con_cls = NULL;
    }
}

struct MHD_Daemon *ds_http_start(int kind, int port, int *bound)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD;
    if (g_verbose)
        flags |= MHD_USE_ERROR_LOG;
    /* With TLS the key and certificate go in first; MHD ignores the two options when the
     * TLS flag is off, so the same call serves both. */
    int tls = g_cfg->tls_cert_pem && g_cfg->tls_key_pem;
    if (tls)
        flags |= MHD_USE_TLS;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, (void *)&g_kinds[kind],
        MHD_OPTION_HTTPS_MEM_KEY, tls ? g_cfg->tls_key_pem : "",
        MHD_OPTION_HTTPS_MEM_CERT, tls ? g_cfg->tls_cert_pem : "",
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4096,
        /* --keepalive-timeout: a connection idle this long is closed (0: never) */
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)g_cfg->keepalive_timeout,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)4096,
        /* 1,000+ connection threads: keep each stack modest (still roomy for SQLite). */
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1u << 20),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64u * 1024u),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, (void *)&g_kinds[kind],
        MHD_OPTION_URI_LOG_CALLBACK, g_cfg->replay_path ? keep_uri : NULL, NULL,
        MHD_OPTION_END);
    if (!d)
        return NULL;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || info->port == 0) {
        MHD_stop_daemon(d);
        return NULL;
    }
    *bound = info->port;
    return d;
}

void ds_http_stop(struct MHD_Daemon *d)
{
    if (d)
        MHD_stop_daemon(d);
}
