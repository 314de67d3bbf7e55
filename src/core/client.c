#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define EASY_POOL_MAX 256

static struct curl_slist *node_new(char *data)
{
    struct curl_slist *n = malloc(sizeof *n);
    if (n) {
        n->data = data;
        n->next = NULL;
    }
    return n;
}

/* Builds the header tail every request of a service shares: the Authorization line (in
 * guarded memory) followed by the User-Agent. Every line here costs each request a scan in
 * libcurl, which checks its own headers against the list, so "Expect:" is added by the
 * requests that need it (request.c). */
static int build_service_headers(sekha_client *c)
{
    /* The User-Agent travels as a prepared header line: cheaper than CURLOPT_USERAGENT,
     * which libcurl formats anew for every request. */
    struct curl_slist *common = NULL;
    if (c->opts->user_agent) {
        size_t ua_len = strlen(c->opts->user_agent) + sizeof "User-Agent: ";
        char *ua = malloc(ua_len);
        if (!ua || !(common = node_new(ua))) {
            free(ua);
            return -1;
        }
        snprintf(ua, ua_len, "User-Agent: %s", c->opts->user_agent);
    }
    c->common_tail = common;
    for (int s = 0; s < SEKHA_SERVICE_COUNT; s++) {
        c->svc_headers[s] = common;
        const char *key = sekha__options_key(c->opts, (sekha_service)s);
        if (!key)
            continue;
        static const char prefix[] = "Authorization: Bearer ";
        size_t plen = sizeof prefix - 1, klen = strlen(key);
        char *line = sekha__secret_alloc(plen + klen);
        if (!line)
            return -1;
        memcpy(line, prefix, plen);
        memcpy(line + plen, key, klen);
        struct curl_slist *auth = node_new(line);
        if (!auth) {
            sekha__secret_free(line);
            return -1;
        }
        auth->next = common;
        c->auth_line[s] = line;
        c->svc_headers[s] = auth;
    }
    return 0;
}

static void destroy(sekha_client *c);

sekha_client *sekha_client_new(const sekha_options *opts, sekha_error **err)
{
    if (err)
        *err = NULL;
    if (sekha_global_init() != 0) {
        if (err)
            *err = sekha__error_new(SEKHA_E_INTERNAL, SEKHA_LAYER_LOCAL,
                                    "libcurl or libsodium failed to initialise");
        return NULL;
    }
    sekha_client *c = calloc(1, sizeof *c);
    if (!c)
        goto nomem;
    c->wake_fd = -1;
    c->record_fd = -1;
    c->main.epfd = -1;
    pthread_mutex_init(&c->xlock, NULL);
    c->opts = sekha_options_copy(opts);
    c->pool = calloc(EASY_POOL_MAX, sizeof *c->pool);
    if (!c->opts || !c->pool)
        goto nomem;
    if (!c->opts->user_agent && !c->opts->no_user_agent &&
        !(c->opts->user_agent = strdup("libsekha/" SEKHA_VERSION)))
        goto nomem;
    c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->wake_fd < 0 || sekha__loop_init(&c->main, c) != 0) {
        if (err)
            *err = sekha__error_new(SEKHA_E_INTERNAL, SEKHA_LAYER_LOCAL,
                                    "could not create the event loop (out of file descriptors?)");
        destroy(c);
        return NULL;
    }
    for (int s = 0; s < SEKHA_SERVICE_COUNT; s++) {
        c->base_url[s] = strdup(sekha_options_get_url(c->opts, (sekha_service)s));
        if (!c->base_url[s])
            goto nomem;
        sekha__bucket_init(&c->buckets[s], c->opts->rate_requests[s], c->opts->rate_window_ms[s],
                           sekha__now_ms());
    }
    if (build_service_headers(c) != 0)
        goto nomem;
    if (sekha__trace_client_init(c, err) != 0) {
        destroy(c);
        return NULL;
    }
    /* The variables libcurl would consult (it ignores HTTP_PROXY in capitals). */
    static const char *const proxy_vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY",
                                             "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"};
    for (size_t i = 0; i < sizeof proxy_vars / sizeof *proxy_vars; i++) {
        const char *v = getenv(proxy_vars[i]);
        if (v && *v)
            c->proxy_env = 1;
    }
    return c;
nomem:
    if (err)
        *err = sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "creating the client");
    if (c)
        destroy(c);
    return NULL;
}

static void close_all_requests(sekha_client *c)
{
    /* Callbacks may start new requests; those fail with SEKHA_E_CLOSED too, so loop until
     * the list stays empty. */
    while (c->first) {
        sekha_request *r = c->first;
        r->closing = 1;
        if (!r->err)
            r->err = sekha__error_new(SEKHA_E_CLOSED, SEKHA_LAYER_LOCAL, NULL);
        if (r->state == SEKHA_REQ_EXTERNAL && r->on_cancel) {
            void (*hook)(sekha_request *) = r->on_cancel;
            r->on_cancel = NULL;
            hook(r->handle);
        }
        sekha__request_finish(r);
    }
}

static void destroy(sekha_client *c)
{
    c->freeing = 1;
    close_all_requests(c);
    /* Dependents (MCP sessions) let go of the loops while they still exist. */
    while (c->closers) {
        sekha__closer *cl = c->closers;
        sekha__client_remove_closer(c, cl);
        cl->fn(cl->ud);
    }
    sekha__request_spares_free(c);
    sekha__url_cache_free(c);
    sekha__buf_free(&c->scratch);
    sekha__trace_client_free(c);
    if (c->sync_loop) {
        sekha__loop_cleanup(c->sync_loop);
        free(c->sync_loop);
        c->sync_loop = NULL; /* the main loop's socket closes below look at it */
    }
    if (c->main.multi || c->main.epfd >= 0)
        sekha__loop_cleanup(&c->main);
    for (size_t i = 0; i < c->pool_len; i++)
        curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    for (int s = 0; s < SEKHA_SERVICE_COUNT; s++) {
        if (c->auth_line[s]) {
            sekha__secret_free(c->auth_line[s]);
            free(c->svc_headers[s]);
        }
        free(c->base_url[s]);
    }
    for (struct curl_slist *n = c->common_tail, *next; n; n = next) {
        next = n->next;
        free(n->data);
        free(n);
    }
    if (c->main.external) {
        /* Mode B: the user's loop must stop watching our eventfd before it is closed (a
         * closed fd makes poll() spin on POLLNVAL, a reused number gets our events) and
         * must not call us back on a timer. */
        c->main.watch(c, c->wake_fd, 0, c->main.hook_ud);
        c->main.timer(c, -1, c->main.hook_ud);
    }
    if (c->wake_fd >= 0)
        close(c->wake_fd);
    free(c->xcancel);
    pthread_mutex_destroy(&c->xlock);
    sekha_options_free(c->opts);
    free(c);
}

void sekha_client_free(sekha_client *c)
{
    if (!c || c->freeing)
        return;
    if (c->cb_depth > 0 || c->entry_depth > 0) {
        c->free_requested = 1; /* finished by the outermost libsekha call on the stack */
        return;
    }
    destroy(c);
}

void sekha__client_add_closer(sekha_client *c, sekha__closer *cl)
{
    cl->prev = NULL;
    cl->next = c->closers;
    if (c->closers)
        c->closers->prev = cl;
    c->closers = cl;
}

void sekha__client_remove_closer(sekha_client *c, sekha__closer *cl)
{
    if (cl->prev)
        cl->prev->next = cl->next;
    else if (c->closers == cl)
        c->closers = cl->next;
    else
        return;
    if (cl->next)
        cl->next->prev = cl->prev;
    cl->prev = cl->next = NULL;
}

void sekha__client_enter(sekha_client *c)
{
    c->entry_depth++;
}

void sekha__client_leave(sekha_client *c)
{
    if (--c->entry_depth == 0 && c->free_requested && c->cb_depth == 0) {
        c->free_requested = 0;
        destroy(c);
    }
}

const sekha_options *sekha_client_options(const sekha_client *c)
{
    return c ? c->opts : NULL;
}

size_t sekha_client_pending(const sekha_client *c)
{
    return c ? c->pending : 0;
}

static sekha_code driver_check(sekha_client *c)
{
    if (!c)
        return SEKHA_E_INVALID_ARG;
    if (c->cb_depth > 0 || c->entry_depth > 0)
        return SEKHA_E_IN_CALLBACK;
    if (c->main.external)
        return SEKHA_E_INVALID_ARG;
    return SEKHA_OK;
}

sekha_code sekha_client_run(sekha_client *c)
{
    sekha_code rc = driver_check(c);
    if (rc != SEKHA_OK)
        return rc;
    sekha__client_enter(c);
    while (c->main.requests > 0 && !c->free_requested)
        if (sekha__loop_poll(&c->main, -1) != 0)
            rc = SEKHA_E_INTERNAL; /* the poller failed; its requests ended with the error */
    sekha__client_leave(c);
    return rc;
}

int sekha_client_poll(sekha_client *c, int timeout_ms)
{
    sekha_code rc = driver_check(c);
    if (rc != SEKHA_OK)
        return -(int)rc;
    sekha__client_enter(c);
    int failed = sekha__loop_poll(&c->main, timeout_ms) != 0;
    int left = (int)c->main.requests;
    sekha__client_leave(c); /* may free c */
    return failed ? -(int)SEKHA_E_INTERNAL : left;
}

void sekha_client_wakeup(sekha_client *c)
{
    if (!c)
        return;
    /* Only write(2) here: signal handlers call this (see client.h). */
    uint64_t one = 1;
    ssize_t n = write(c->wake_fd, &one, sizeof one); /* EAGAIN: already signalled */
    (void)n;
}

sekha_code sekha_client_set_loop_hooks(sekha_client *c, sekha_watch_fn watch, sekha_timer_fn timer,
                                       void *userdata)
{
    if (!c || !watch || !timer || c->next_id != 0 || c->main.external)
        return SEKHA_E_INVALID_ARG;
    c->main.external = 1;
    c->main.watch = watch;
    c->main.timer = timer;
    c->main.hook_ud = userdata;
    watch(c, c->wake_fd, SEKHA_WATCH_READ, userdata);
    return SEKHA_OK;
}

void sekha_client_socket_ready(sekha_client *c, int fd, int events)
{
    if (!c || !c->main.external || c->cb_depth > 0 || c->entry_depth > 0)
        return;
    sekha__client_enter(c);
    if (events == 0)
        events = SEKHA_WATCH_READ | SEKHA_WATCH_WRITE;
    sekha__loop_socket_ready(&c->main, fd, events);
    sekha__loop_dispatch(&c->main);
    sekha__client_leave(c);
}

void sekha_client_timer_expired(sekha_client *c)
{
    if (!c || !c->main.external || c->cb_depth > 0 || c->entry_depth > 0)
        return;
    sekha__client_enter(c);
    c->main.hook_deadline = -2; /* the user's timer is spent: tell the next one anew */
    sekha__loop_dispatch(&c->main);
    sekha__client_leave(c);
}

void sekha_client_cancel(sekha_client *c, uint64_t id)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->xlock);
    if (c->xcancel_len == c->xcancel_cap) {
        size_t cap = c->xcancel_cap ? c->xcancel_cap * 2 : 16;
        uint64_t *p = realloc(c->xcancel, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&c->xlock);
            return;
        }
        c->xcancel = p;
        c->xcancel_cap = cap;
    }
    c->xcancel[c->xcancel_len++] = id;
    pthread_mutex_unlock(&c->xlock);
    sekha_client_wakeup(c);
}

void sekha__client_drain_cancels(sekha_client *c)
{
    uint64_t ids[64];
    size_t n;
    do {
        pthread_mutex_lock(&c->xlock);
        n = c->xcancel_len < 64 ? c->xcancel_len : 64;
        if (n)
            memcpy(ids, c->xcancel + (c->xcancel_len - n), n * sizeof *ids);
        c->xcancel_len -= n;
        pthread_mutex_unlock(&c->xlock);
        for (size_t i = 0; i < n; i++)
            for (sekha_request *r = c->first; r; r = r->next)
                if (r->id == ids[i]) {
                    sekha_request_cancel(r->handle);
                    break;
                }
    } while (n == 64);
}

void sekha__client_unlink(sekha_client *c, sekha_request *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        c->first = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    c->pending--;
    r->loop->requests--;
}

/* Options every request of this client shares, set once per handle. */
static void configure_handle(const sekha_client *c, CURL *e)
{
    const sekha_options *o = c->opts;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Redirects are never followed (libcurl's default, said here on purpose): an API
     * call's body (conversation text, prompts) and key must reach only the configured
     * origin, never another host or a downgraded scheme. A 3xx answer is an error that
     * names where the server pointed (request.c). */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sekha__request_write_cb);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, sekha__request_header_cb);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Over HTTPS libcurl copies each request into its upload buffer, allocated and freed
     * per request: 16 KiB (one TLS record, libcurl's minimum) instead of the default 64 KiB
     * keeps that churn small enough that glibc's heap is not trimmed and regrown (brk and
     * page faults) over and over with many requests in flight. Bodies are never read
     * through it otherwise (no read callbacks), so larger ones just go out a record at a
     * time, as TLS sends them anyway. */
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
    /* the loops learn which sockets they will hear closing (loop.c) */
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, sekha__loop_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, (void *)c);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, sekha__loop_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, (void *)c);
    if (!c->proxy_env) {
        /* No proxy in the environment (read when the client was made): say so once, or
         * libcurl looks up five variables for every request. */
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_NOPROXY, "");
    }
    if (o->tls_insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (o->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
    if (sekha__log_on(c, SEKHA_LOG_DEBUG)) {
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, sekha__log_curl_debug);
    }
}

sekha_buf *sekha__client_scratch(sekha_client *c)
{
    if (c->scratch.cap > 64 * 1024) /* do not keep a large body's memory for good */
        sekha__buf_free(&c->scratch);
    sekha__buf_clear(&c->scratch);
    return &c->scratch;
}

CURL *sekha__client_easy_get(sekha_client *c)
{
    if (c->pool_len)
        return c->pool[--c->pool_len];
    CURL *e = curl_easy_init();
    if (e)
        configure_handle(c, e);
    return e;
}

void sekha__client_easy_put(sekha_client *c, CURL *e)
{
    if (c->pool_len < EASY_POOL_MAX)
        c->pool[c->pool_len++] = e;
    else
        curl_easy_cleanup(e);
}
