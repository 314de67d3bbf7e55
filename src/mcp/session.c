/* MCP sessions: creation and configuration, reference counting, the loop a session is
 * bound to, timers on that loop, the lifecycle (initialize on demand, renewal when the
 * server forgets the session, close, free) and the calls' final callbacks.
 *
 * Every JSON-RPC call is a virtual request (sekha__start_virtual): the transport ends it
 * with sekha__request_end once the response arrived, so the core keeps the one-final-
 * callback rule, cancellation and client-free semantics for free. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcp/mcp_internal.h"

static const char *const supported_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

/* ---- references ---- */

/* Takes every armed timer off the loop's heap. */
static void drop_timers(mcp_session *s)
{
    while (s->timers)
        mcp_timer_disarm(s, s->timers);
}

static void session_destroy(mcp_session *s)
{
    if (s->c)
        sekha__client_remove_closer(s->c, &s->closer);
    drop_timers(s);
    if (s->ops->destroy)
        s->ops->destroy(s);
    sekha_error_free(s->broken);
    free(s->url);
    free(s->client_name);
    free(s->client_version);
    free(s->want_version);
    free(s->capabilities);
    free(s->version);
    free(s->session_id);
    free(s->server_name);
    free(s->server_version);
    free(s->server_caps);
    free(s->instructions);
    free(s);
}

void mcp_session_ref(mcp_session *s)
{
    s->refs++;
}

void mcp_session_unref(mcp_session *s)
{
    if (s && --s->refs == 0)
        session_destroy(s);
}

void mcp_call_ref(mcp_call *call)
{
    call->refs++;
}

void mcp_call_unref(mcp_call *call)
{
    if (!call || --call->refs > 0)
        return;
    mcp_session *s = call->s;
    mcp_timer_disarm(s, &call->timer);
    for (size_t i = 0; i < call->nheld; i++)
        free(call->held[i]);
    free(call->held);
    free(call->wire);
    free(call->method);
    cJSON_Delete(call->params);
    free(call->stream.last_id);
    cJSON_Delete(call->result);
    free(call);
    mcp_session_unref(s);
}

/* sub_free hooks: a request of the session is gone for good. */
static void call_req_gone(void *p)
{
    mcp_call *call = p;
    call->s->live--;
    mcp_call_unref(call);
}

static void session_req_gone(void *p)
{
    mcp_session *s = p;
    s->live--;
    mcp_session_unref(s);
}

void mcp_track_call_req(sekha_request *r, mcp_call *call)
{
    mcp_call_ref(call);
    call->s->live++;
    r = sekha__req(r);
    r->sub = call;
    r->sub_free = call_req_gone;
}

void mcp_track_session_req(sekha_request *r, mcp_session *s)
{
    mcp_session_ref(s);
    s->live++;
    r = sekha__req(r);
    r->sub = s;
    r->sub_free = session_req_gone;
}

/* ---- creation and configuration ---- */

/* The client is being freed, its requests have all ended and its loops are about to go:
 * let go of them while they exist, so that whatever the user does with the session later
 * (free it, answer a server request) touches nothing of the client. A stdio child is
 * stopped now, as the session can never talk to it again. */
static void client_gone(void *ud)
{
    mcp_session *s = ud;
    if (s->ops->abort)
        s->ops->abort(s);
    drop_timers(s);
    s->init_call = NULL;
    s->state = MCP_CLOSED;
    s->loop = NULL;
    s->c = NULL;
}

int mcp_dup_into(char **slot, const char *v)
{
    char *copy = v ? strdup(v) : NULL;
    if (v && !copy)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

/* The MCP key goes only where the user pointed the MCP service: under its base URL. */
static int under_base(const char *url, const char *base)
{
    size_t n = strlen(base);
    return strncasecmp(url, base, n) == 0 && (url[n] == '\0' || url[n] == '/' || url[n] == '?');
}

void mcp_update_key_flag(mcp_session *s)
{
    int send = s->send_key == 1 ||
               (s->send_key == -1 && s->url && under_base(s->url, s->c->base_url[SEKHA_SERVICE_MCP]));
    s->http_flags = send ? 0 : SEKHA_HTTP_NO_AUTH;
}

mcp_session *mcp_session_alloc(sekha_client *c, const mcp_transport_ops *ops, const char *url,
                               sekha_error **err)
{
    if (err)
        *err = NULL;
    if (!c) {
        if (err)
            *err = sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "client is NULL");
        return NULL;
    }
    mcp_session *s = calloc(1, sizeof *s);
    if (!s || mcp_dup_into(&s->url, url) != 0 || mcp_dup_into(&s->client_name, "libsekha") != 0 ||
        mcp_dup_into(&s->client_version, SEKHA_VERSION) != 0 ||
        mcp_dup_into(&s->want_version, MCP_DEFAULT_VERSION) != 0 ||
        mcp_dup_into(&s->capabilities, "{}") != 0) {
        if (s) {
            free(s->url);
            free(s->client_name);
            free(s->client_version);
            free(s->want_version);
            free(s);
        }
        if (err)
            *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return NULL;
    }
    s->c = c;
    s->ops = ops;
    s->refs = 1;
    s->reinit = 1;
    s->send_key = -1;
    mcp_update_key_flag(s);
    s->closer = (sekha__closer){.fn = client_gone, .ud = s};
    sekha__client_add_closer(c, &s->closer);
    return s;
}

int mcp_usable(const mcp_session *s)
{
    return s && !s->freed && s->c;
}

/* ---- the loop and timers ---- */

/* Requests of a session must run where its calls wait, whoever starts them (a callback
 * of another loop, a composer's SEKHA__AS_CHILD): alloc_request picks the sync loop while
 * sync_start is set and no start_parent overrides it, so set both around each start. */
typedef struct loop_ctx {
    int sync_start;
    sekha_request *start_parent;
} loop_ctx;

static loop_ctx loop_begin(mcp_session *s)
{
    loop_ctx saved = {s->c->sync_start, s->c->start_parent};
    s->c->start_parent = NULL;
    s->c->sync_start = s->loop && s->loop == s->c->sync_loop;
    return saved;
}

static void loop_end(mcp_session *s, loop_ctx saved)
{
    s->c->sync_start = saved.sync_start;
    s->c->start_parent = saved.start_parent;
}

sekha_request *mcp_start_http(mcp_session *s, const sekha__spec *spec, sekha_event_cb on_event,
                              sekha_response_cb done, void *ud)
{
    loop_ctx saved = loop_begin(s);
    sekha_request *r = sekha__start(s->c, spec, on_event, done, ud);
    loop_end(s, saved);
    return r;
}

#define TIMER_OF(node) ((mcp_timer *)(void *)((char *)(node) - offsetof(mcp_timer, node)))

static void unlink_timer(mcp_session *s, mcp_timer *t)
{
    for (mcp_timer **p = &s->timers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    t->armed = 0;
    t->next = NULL;
}

/* The loop took the timer off its heap and calls it: the session stays alive through
 * the callback, which may arm or disarm any timer. */
static void timer_fire(sekha_timer *node)
{
    mcp_timer *t = TIMER_OF(node);
    mcp_session *s = t->s;
    unlink_timer(s, t);
    mcp_session_ref(s);
    t->fn(t);
    mcp_session_unref(s);
}

void mcp_timer_arm(mcp_session *s, mcp_timer *t, int64_t due)
{
    if (!s->loop)
        return; /* the client is gone: nothing runs any more */
    if (!t->armed) {
        sekha__timer_init(&t->node);
        t->s = s;
        t->next = s->timers;
        s->timers = t;
        t->armed = 1;
    }
    sekha__timer_start(s->loop, &t->node, due, timer_fire);
}

void mcp_timer_disarm(mcp_session *s, mcp_timer *t)
{
    if (!t->armed)
        return;
    if (s->loop)
        sekha__timer_stop(s->loop, &t->node);
    unlink_timer(s, t);
}

/* Binds the session to the loop of the call being started: 0, or -1 when it already runs
 * on the other loop (sync vs async). */
static int bind_loop(mcp_session *s)
{
    sekha_client *c = s->c;
    sekha_loop *want = c->start_parent ? sekha__req(c->start_parent)->loop
                       : c->sync_start && c->sync_loop ? c->sync_loop : &c->main;
    if (s->loop)
        return s->loop == want ? 0 : -1;
    s->loop = want;
    if (s->ops->bind && s->ops->bind(s) != 0) {
        s->loop = NULL;
        return -1;
    }
    return 0;
}

/* ---- calls ---- */

static void free_result(mcp_kind kind, void *res)
{
    if (kind == MCP_CALL_TOOLS)
        sekha_mcp_tools_free(res);
    else if (kind == MCP_CALL_TOOL)
        sekha_mcp_tool_result_free(res);
    else
        sekha_mcp_data_free(res);
}

static void *decode(mcp_call *call, sekha_error **err)
{
    cJSON *result = call->result;
    call->result = NULL;
    switch (call->kind) {
    case MCP_CALL_CLOSE:
        cJSON_Delete(result);
        return NULL;
    case MCP_CALL_TOOLS:
        return mcp_tools_new(result, err);
    case MCP_CALL_TOOL:
        return mcp_tool_result_new(result, err);
    default: {
        sekha_mcp_data *d = mcp_data_new(result);
        if (!d)
            *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
        return d;
    }
    }
}

/* The final callback of a call's virtual request. */
static void call_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                      void *ud)
{
    (void)resp;
    mcp_call *call = ud;
    sekha_error *derr = NULL;
    void *res = NULL;
    if (!err && call->cb) {
        res = decode(call, &derr);
        if (derr && derr != &sekha__nomem_error)
            sekha__error_compose(derr, sekha__req(req)->what);
    }
    const sekha_error *e = err ? err : derr;
    if (call->cb) {
        switch (call->kind) {
        case MCP_CALL_TOOLS:
            ((sekha_mcp_tools_cb)call->cb)(req, e, res, call->ud);
            break;
        case MCP_CALL_TOOL:
            ((sekha_mcp_tool_result_cb)call->cb)(req, e, res, call->ud);
            break;
        case MCP_CALL_CLOSE:
            ((sekha_done_cb)call->cb)(req, e, call->ud);
            break;
        default:
            ((sekha_mcp_data_cb)call->cb)(req, e, res, call->ud);
        }
    }
    if (res)
        free_result(call->kind, res);
    sekha_error_free(derr);
}

static void unlink_call(mcp_call *call)
{
    for (mcp_call **p = &call->s->calls; *p; p = &(*p)->next)
        if (*p == call) {
            *p = call->next;
            call->next = NULL;
            return;
        }
}

static void fail_queued(mcp_session *s, const sekha_error *why);

/* Initialization did not complete: the session is new again and whoever waited fails. */
static void init_over(mcp_session *s, mcp_call *call, const sekha_error *why)
{
    if (s->init_call != call)
        return;
    s->init_call = NULL;
    if (s->state == MCP_INITIALIZING)
        s->state = MCP_NEW;
    fail_queued(s, why);
}

/* Transport discovery, as the specification's backwards-compatibility section says: a
 * URL given for Streamable HTTP whose initialize POST gets a 4xx (404, 405...) may be a
 * legacy HTTP+SSE server, so the same initialize is tried there once before it fails.
 * Not for answers that mean "try again" or "authenticate", and never once the URL spoke
 * Streamable HTTP. Returns 1 when the call goes on (err taken). */
static int try_legacy(mcp_call *call, sekha_error *err)
{
    mcp_session *s = call->s;
    int st = err->layer == SEKHA_LAYER_HTTP ? err->http_status : 0;
    if (s->ops != &mcp_http_ops || s->generation > 0 || call->legacy_tried || s->freed ||
        s->init_call != call || s->state != MCP_INITIALIZING || call->state != MCP_SENT ||
        st < 400 || st > 499 || st == 401 || st == 403 || st == 407 || st == 408 || st == 429)
        return 0;
    call->legacy_tried = 1;
    if (mcp_sse_probe(s, err) != 0)
        return 0;
    sekha__log(s->c, SEKHA_LOG_INFO, "MCP: initialize got HTTP %d, trying %s as a legacy "
               "HTTP+SSE endpoint", st, s->url);
    sekha_error_free(err);
    mcp_stream_clear(&call->stream);
    s->ops->send_call(s, call);
    return 1;
}

void mcp_call_end(mcp_call *call, sekha_error *err)
{
    if (call->state == MCP_ENDED) {
        sekha_error_free(err);
        return;
    }
    if (call->kind == MCP_CALL_INIT && err && try_legacy(call, err))
        return;
    mcp_session *s = call->s;
    call->state = MCP_ENDED;
    unlink_call(call);
    mcp_timer_disarm(s, &call->timer);
    if (s->ops->forget_call)
        s->ops->forget_call(s, call);
    if (call->kind == MCP_CALL_INIT && err)
        init_over(s, call, err);
    sekha__request_end(call->req, err, NULL);
}

static void fail_queued(mcp_session *s, const sekha_error *why)
{
    for (mcp_call *q = s->calls; q;) {
        mcp_call *next = q->next;
        if (q->state == MCP_QUEUED) {
            sekha_error *e = sekha_error_copy(why);
            mcp_call_end(q, e ? e : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
            next = s->calls; /* the list changed under us */
        }
        q = next;
    }
}

static void notify_cancelled(mcp_session *s, long id)
{
    cJSON *params = cJSON_CreateObject();
    if (!params || !cJSON_AddNumberToObject(params, "requestId", (double)id) ||
        !cJSON_AddStringToObject(params, "reason", "cancelled by the client")) {
        cJSON_Delete(params);
        return;
    }
    char *json = mcp_wire(-1, "notifications/cancelled", params);
    if (json)
        mcp_send_oneway(s, json, NULL, NULL);
}

/* The core calls this when the user cancels a call or the client is freed; the request
 * is already on its way to its final callback. */
static void call_on_cancel(sekha_request *req)
{
    mcp_call *call = sekha__req(req)->ud;
    mcp_session *s = call->s;
    if (call->state == MCP_ENDED)
        return;
    int was_out = call->state == MCP_SENT && call->kind != MCP_CALL_INIT &&
                  call->kind != MCP_CALL_CLOSE;
    call->state = MCP_ENDED;
    unlink_call(call);
    mcp_timer_disarm(s, &call->timer);
    if (s->ops->forget_call)
        s->ops->forget_call(s, call);
    if (call->kind == MCP_CALL_INIT) {
        sekha_error *why = sekha__error_new(SEKHA_E_CANCELLED, SEKHA_LAYER_LOCAL,
                                            "initialization was cancelled");
        init_over(s, call, why);
        sekha_error_free(why);
    }
    /* Closing the connection does not cancel anything on the server: tell it. */
    if (was_out && s->state == MCP_READY && !s->c->freeing && !s->freed)
        notify_cancelled(s, call->id);
}

/* A call object and its virtual request on the session's loop (or, with `here`, on the
 * loop of the caller, for calls that fail before touching the session). */
static mcp_call *call_new(mcp_session *s, mcp_kind kind, const char *what, int here,
                          sekha__fn cb, void *ud)
{
    mcp_call *call = calloc(1, sizeof *call);
    if (!call)
        return NULL;
    call->s = s;
    call->kind = kind;
    call->refs = 1;
    call->cb = cb;
    call->ud = ud;
    call->stream.retry_ms = -1;
    if (here) {
        call->req = sekha__start_virtual(s->c, NULL, what, call_done, call);
    } else {
        loop_ctx saved = loop_begin(s);
        call->req = sekha__start_virtual(s->c, NULL, what, call_done, call);
        loop_end(s, saved);
    }
    if (!call->req) {
        free(call);
        return NULL;
    }
    mcp_session_ref(s);
    s->live++;
    sekha__req(call->req)->sub = call;
    sekha__req(call->req)->sub_free = call_req_gone; /* the request owns the first reference */
    sekha__req(call->req)->on_cancel = call_on_cancel;
    return call;
}

/* A call that fails before anything is sent; its callback still comes from the loop. */
sekha_request *mcp_call_fail(mcp_session *s, mcp_kind kind, sekha_error *err, sekha__fn cb,
                                void *ud)
{
    mcp_call *call = call_new(s, kind, "mcp", 1, cb, ud);
    if (!call) {
        sekha_error_free(err);
        return NULL;
    }
    call->state = MCP_ENDED;
    sekha__request_end(call->req, err, NULL);
    return call->req;
}

sekha_error *mcp_local_error(sekha_code code, const char *why)
{
    return sekha__error_new(code, SEKHA_LAYER_LOCAL, "%s", why);
}

static void start_init(mcp_session *s, mcp_call *call);

/* The id is taken when the call first goes out, so ids follow the order on the wire (a
 * call made before initialization gets its id after the initialize). The id doubles as
 * the progress token. */
static int build_wire(mcp_session *s, mcp_call *call)
{
    call->id = ++s->next_id;
    if (call->progress) {
        cJSON *meta = cJSON_AddObjectToObject(call->params, "_meta");
        if (!meta || !cJSON_AddNumberToObject(meta, "progressToken", (double)call->id))
            return -1;
    }
    call->wire = mcp_wire(call->id, call->method, call->params);
    call->params = NULL; /* taken by mcp_wire */
    return call->wire ? 0 : -1;
}

/* Sends the call now, or after initialization, or fails it. */
static void submit(mcp_session *s, mcp_call *call)
{
    if (s->broken) {
        sekha_error *e = sekha_error_copy(s->broken);
        mcp_call_end(call, e ? e : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
        return;
    }
    switch (s->state) {
    case MCP_READY:
        if (!call->wire && build_wire(s, call) != 0) {
            mcp_call_end(call, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
            return;
        }
        call->state = MCP_SENT;
        call->gen = s->generation;
        call->sent_with_session = s->session_id != NULL;
        s->ops->send_call(s, call);
        break;
    case MCP_INITIALIZING:
        call->state = MCP_QUEUED;
        break;
    case MCP_NEW:
        call->state = MCP_QUEUED;
        start_init(s, NULL);
        break;
    default:
        mcp_call_end(call, mcp_local_error(SEKHA_E_INVALID_ARG, "the MCP session is closed"));
    }
}

static cJSON *init_params(const mcp_session *s)
{
    cJSON *p = cJSON_CreateObject();
    cJSON *caps = cJSON_Parse(s->capabilities);
    cJSON *info = cJSON_CreateObject();
    if (!p || !caps || !info || !cJSON_AddStringToObject(p, "protocolVersion", s->want_version) ||
        !cJSON_AddItemToObject(p, "capabilities", caps)) {
        cJSON_Delete(p);
        cJSON_Delete(caps);
        cJSON_Delete(info);
        return NULL;
    }
    if (!cJSON_AddStringToObject(info, "name", s->client_name) ||
        !cJSON_AddStringToObject(info, "version", s->client_version) ||
        !cJSON_AddItemToObject(p, "clientInfo", info)) {
        cJSON_Delete(info);
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* Starts initialize with `call`, or with an internal call of its own when call is NULL. */
static void start_init(mcp_session *s, mcp_call *call)
{
    if (!call) {
        call = call_new(s, MCP_CALL_INIT, "mcp initialize", 0, NULL, NULL);
        if (!call) {
            sekha_error *e = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL);
            fail_queued(s, e);
            sekha_error_free(e);
            return;
        }
        call->internal = 1;
    }
    call->id = ++s->next_id;
    free(call->wire);
    call->wire = mcp_wire(call->id, "initialize", init_params(s));
    if (!call->wire) {
        mcp_call_end(call, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
        return;
    }
    s->state = MCP_INITIALIZING;
    s->init_call = call;
    call->state = MCP_SENT;
    call->gen = s->generation;
    call->next = s->calls;
    s->calls = call;
    s->ops->send_call(s, call);
}

static void initialized_sent(mcp_session *s, void *ctx, const sekha_error *err)
{
    mcp_call *call = ctx;
    if (call->state == MCP_ENDED || s->init_call != call) {
        mcp_call_unref(call);
        return;
    }
    if (err) {
        sekha_error *e = sekha_error_copy(err);
        mcp_call_end(call, e ? e : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
        mcp_call_unref(call);
        return;
    }
    s->init_call = NULL;
    s->state = MCP_READY;
    s->generation++;
    if (s->ops->ready)
        s->ops->ready(s);
    mcp_call_end(call, NULL);
    mcp_call_unref(call);
    for (mcp_call *q = s->calls; q && s->state == MCP_READY;) {
        mcp_call *next = q->next;
        if (q->state == MCP_QUEUED) {
            submit(s, q);
            next = s->calls; /* sending may end calls and change the list */
        }
        q = next;
    }
}

int mcp_version_supported(const char *v)
{
    for (size_t i = 0; i < sizeof supported_versions / sizeof *supported_versions; i++)
        if (v && strcmp(v, supported_versions[i]) == 0)
            return 1;
    return 0;
}

void mcp_init_answered(mcp_call *call, cJSON *result)
{
    mcp_session *s = call->s;
    const char *version = sekha__json_str(result, "protocolVersion");
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(result, "serverInfo");
    const cJSON *caps = cJSON_GetObjectItemCaseSensitive(result, "capabilities");
    if (!mcp_version_supported(version)) {
        mcp_call_end(call, sekha__error_new(SEKHA_E_PROTOCOL, SEKHA_LAYER_SERVICE,
                                            "the server chose protocol version \"%s\", which "
                                            "this client does not speak",
                                            version ? version : "(none)"));
        cJSON_Delete(result);
        return;
    }
    char *caps_text = caps ? cJSON_PrintUnformatted(caps) : NULL;
    if (mcp_dup_into(&s->version, version) || mcp_dup_into(&s->server_name, sekha__json_str(info, "name")) ||
        mcp_dup_into(&s->server_version, sekha__json_str(info, "version")) ||
        mcp_dup_into(&s->instructions, sekha__json_str(result, "instructions")) ||
        mcp_dup_into(&s->server_caps, caps_text ? caps_text : "{}")) {
        cJSON_free(caps_text);
        cJSON_Delete(result);
        mcp_call_end(call, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
        return;
    }
    cJSON_free(caps_text);
    cJSON_Delete(call->result);
    call->result = result;
    call->state = MCP_ANSWERED;
    char *note = mcp_wire(-1, "notifications/initialized", NULL);
    if (!note) {
        mcp_call_end(call, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
        return;
    }
    /* The call completes once the notification is through, so nothing the user sends next
     * can overtake it. */
    mcp_call_ref(call);
    mcp_send_oneway(s, note, initialized_sent, call);
}

void mcp_send_oneway(mcp_session *s, char *json, mcp_sent_fn done, void *ctx)
{
    s->ops->send_oneway(s, json, done, ctx);
}

/* ---- renewal and loss ---- */

static sekha_error *gone_error(mcp_session *s, sekha_error *err)
{
    if (err != &sekha__nomem_error) {
        free(err->detail); /* what the server said stays its service message */
        err->detail = strdup("MCP session expired: the server no longer knows it");
        sekha__error_compose(err, s->url);
    }
    return err;
}

void mcp_session_gone(mcp_session *s, mcp_call *call, sekha_error *err)
{
    if (s->state == MCP_READY && call->gen == s->generation) {
        /* The session this call used is the current one: forget it. */
        s->state = MCP_NEW;
        free(s->session_id);
        s->session_id = NULL;
        if (s->ops->reset)
            s->ops->reset(s);
    }
    if (!s->reinit || call->kind == MCP_CALL_INIT || call->resent) {
        mcp_call_end(call, gone_error(s, err));
        return;
    }
    sekha_error_free(err);
    call->resent = 1;
    mcp_stream_clear(&call->stream);
    submit(s, call);
}

void mcp_transport_lost(mcp_session *s, sekha_error *err)
{
    for (mcp_call *q = s->calls; q;) {
        mcp_call *next = q->next;
        if ((q->state == MCP_SENT || q->state == MCP_ANSWERED) && q->kind != MCP_CALL_CLOSE) {
            sekha_error *e = sekha_error_copy(err);
            mcp_call_end(q, e ? e : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
            next = s->calls;
        }
        q = next;
    }
    if (s->state == MCP_READY || s->state == MCP_INITIALIZING) {
        s->state = MCP_NEW;
        free(s->session_id);
        s->session_id = NULL;
    }
    sekha_error_free(err);
}

/* ---- public calls ---- */

/* Creates and submits a JSON-RPC call; params taken. */
sekha_request *mcp_start_call(mcp_session *s, mcp_kind kind, const char *method,
                                 cJSON *params, sekha_mcp_progress_cb progress,
                                 void *progress_ud, sekha__fn cb, void *ud)
{
    if (!mcp_usable(s)) {
        cJSON_Delete(params);
        return NULL;
    }
    if (bind_loop(s) != 0) {
        cJSON_Delete(params);
        return mcp_call_fail(s, kind,
                         mcp_local_error(SEKHA_E_INVALID_ARG,
                                     s->loop ? "this MCP session runs on the other loop: use "
                                               "the sync forms with sync sessions and the async "
                                               "forms with async ones"
                                             : "could not watch the session's pipes"),
                         cb, ud);
    }
    char what[128];
    snprintf(what, sizeof what, "mcp %s", method);
    mcp_call *call = call_new(s, kind, what, 0, cb, ud);
    if (!call) {
        cJSON_Delete(params);
        return NULL;
    }
    call->progress = progress;
    call->progress_ud = progress_ud;
    if (kind == MCP_CALL_INIT) {
        cJSON_Delete(params);
        if (s->state != MCP_NEW || s->broken) {
            call->state = MCP_ENDED;
            sekha__request_end(call->req,
                               s->broken ? sekha_error_copy(s->broken)
                                         : mcp_local_error(SEKHA_E_INVALID_ARG,
                                                       "the MCP session is already initialized "
                                                       "(or initializing, or closed)"),
                               NULL);
        } else {
            start_init(s, call);
        }
        return call->req;
    }
    if (progress && !params)
        params = cJSON_CreateObject();
    call->method = strdup(method);
    call->params = params;
    sekha_request *req = call->req;
    call->next = s->calls;
    s->calls = call;
    if (!call->method || (progress && !params))
        mcp_call_end(call, sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
    else
        submit(s, call);
    return req;
}

/* ---- close and free ---- */

sekha_request *sekha_mcp_session_close(sekha_mcp_session *s, sekha_done_cb cb, void *ud)
{
    if (!mcp_usable(s))
        return NULL;
    if (s->state >= MCP_CLOSING || bind_loop(s) != 0)
        return mcp_call_fail(s, MCP_CALL_CLOSE,
                         mcp_local_error(SEKHA_E_INVALID_ARG,
                                     s->state >= MCP_CLOSING ? "the MCP session is already closed"
                                                             : "this MCP session runs on the "
                                                               "other loop"),
                         (sekha__fn)cb, ud);
    mcp_call *closer = call_new(s, MCP_CALL_CLOSE, "mcp close", 0, (sekha__fn)cb, ud);
    if (!closer)
        return NULL;
    s->state = MCP_CLOSING;
    sekha_error *why = mcp_local_error(SEKHA_E_CANCELLED, "the MCP session was closed");
    for (mcp_call *q = s->calls; q; q = s->calls) {
        sekha_error *e = sekha_error_copy(why);
        mcp_call_end(q, e ? e : sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, NULL));
    }
    sekha_error_free(why);
    s->init_call = NULL;
    closer->state = MCP_SENT;
    closer->next = s->calls; /* so that a free can still cancel it */
    s->calls = closer;
    sekha_request *req = closer->req;
    s->ops->close(s, closer);
    return req;
}

/* Drives the sync loop until the session's requests are gone, so a sync session does not
 * leave cancelled requests behind for the next sync call to finish. */
void mcp_drain_sync(mcp_session *s)
{
    sekha_client *c = s->c;
    if (!c || !s->loop || s->loop != c->sync_loop || c->cb_depth > 0 || c->entry_depth > 0)
        return;
    sekha__client_enter(c);
    while (s->live > 0)
        sekha__loop_poll(s->loop, -1);
    sekha__client_leave(c);
}

void sekha_mcp_session_free(sekha_mcp_session *s)
{
    if (!s || s->freed)
        return;
    s->freed = 1;
    mcp_session_ref(s);
    for (mcp_call *q = s->calls; q; q = s->calls) {
        sekha_request_cancel(q->req); /* unlinks it through the cancel hook */
        if (s->calls == q)
            unlink_call(q);
    }
    s->init_call = NULL;
    s->state = MCP_CLOSED;
    if (s->ops->abort)
        s->ops->abort(s);
    mcp_incoming_drop(s);
    mcp_drain_sync(s);
    mcp_session_unref(s);
    mcp_session_unref(s); /* the user's reference */
}


