/* The loop's promises at its edges: callbacks run after a resume are still "inside
 * libcurl" (a request started there works), STOP after a resume ends the stream, a handle
 * kept past its final callback names nothing, mode B is left clean when the client is
 * freed, and a failing poller ends its requests instead of spinning. */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"
#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(contract_loop, .init = setup, .fini = teardown, .timeout = 30);

static void arm_rule(const char *path, const char *steps)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"path\":\"%s\",\"steps\":%s}", path, steps);
    cr_assert_eq(ds_proc_fault(&ds, ds.controller_url, buf), 0, "rule rejected: %s", buf);
}

/* ---- a stream paused and resumed ---- */

typedef struct child_state {
    int done;
    sekha_code code;
    char message[256];
} child_state;

typedef struct resumed {
    sekha_client *c;
    int events, pause_at, stop_at, start_from, start_to;
    int saw_done_marker, done_calls;
    sekha_code code;
    child_state children[8];
    int nchildren;
} resumed;

static void child_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                       void *ud)
{
    (void)req;
    (void)resp;
    child_state *s = ud;
    s->done++;
    s->code = sekha_error_code(err);
    snprintf(s->message, sizeof s->message, "%s", sekha_error_message(err));
}

static int resumed_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    (void)req;
    resumed *s = ud;
    if (strcmp(sekha_sse_event_data(ev, NULL), "[DONE]") == 0) {
        s->saw_done_marker = 1;
        return SEKHA_EVENT_CONTINUE;
    }
    s->events++;
    if (s->events >= s->start_from && s->events <= s->start_to && s->nchildren < 8) {
        /* the usual "next request from the callback", here from a resumed delivery */
        child_state *cs = &s->children[s->nchildren++];
        cr_assert_not_null(sekha_http_request(s->c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                              NULL, child_done, cs));
    }
    if (s->events == s->pause_at)
        return SEKHA_EVENT_PAUSE;
    if (s->events == s->stop_at)
        return SEKHA_EVENT_STOP;
    return SEKHA_EVENT_CONTINUE;
}

static void resumed_done(sekha_request *req, const sekha_error *err, const sekha_response *resp,
                         void *ud)
{
    (void)req;
    (void)resp;
    resumed *s = ud;
    s->done_calls++;
    s->code = sekha_error_code(err);
}

/* Runs a stream that pauses at s->pause_at, waits while libcurl holds the next chunk (the
 * server sends one event per chunk, 5 ms apart), then resumes it. */
static void run_paused_stream(resumed *s)
{
    arm_rule("/_devserver/sse", "[{\"pass\":true,\"chunk_delay_ms\":5}]");
    sekha_options *o = test_options(&ds);
    s->c = test_client(o);
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_STREAM), SEKHA_OK);
    cr_assert_eq(sekha_params_set_on_event(p, resumed_event, s), SEKHA_OK);
    sekha_request *r = sekha_http_request(s->c, SEKHA_SERVICE_CONTROLLER,
                                          "GET /_devserver/sse?count=40&size=60", p, resumed_done,
                                          s);
    sekha_params_free(p);
    while (s->events < s->pause_at && s->done_calls == 0)
        sekha_client_poll(s->c, 100);
    /* paused: the next event reaches libcurl, which holds it for us */
    for (int i = 0; i < 10; i++)
        sekha_client_poll(s->c, 10);
    cr_assert_eq(s->events, s->pause_at, "delivered while paused");
    sekha_request_resume(r);
    cr_assert_eq(sekha_client_run(s->c), SEKHA_OK);
    sekha_client_free(s->c);
    sekha_options_free(o);
}

Test(contract_loop, a_request_started_from_a_resumed_delivery_runs)
{
    resumed s = {.pause_at = 5, .start_from = 6, .start_to = 8};
    run_paused_stream(&s);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_eq(s.events, 40);
    cr_assert_eq(s.nchildren, 3);
    for (int i = 0; i < s.nchildren; i++) {
        cr_assert_eq(s.children[i].done, 1);
        cr_assert_eq(s.children[i].code, SEKHA_OK, "child %d: %s", i, s.children[i].message);
    }
}

Test(contract_loop, stop_right_after_a_resume_ends_the_stream)
{
    resumed s = {.pause_at = 5, .stop_at = 6};
    run_paused_stream(&s);
    cr_assert_eq(s.done_calls, 1);
    cr_assert_eq(s.code, SEKHA_OK, "STOP ends the stream with success");
    cr_assert_eq(s.events, 6, "events delivered after STOP: %d", s.events - 6);
    cr_assert_eq(s.saw_done_marker, 0, "[DONE] delivered after STOP");
}

Test(contract_loop, stop_a_few_events_after_a_resume_ends_the_stream)
{
    resumed s = {.pause_at = 5, .stop_at = 9};
    run_paused_stream(&s);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_eq(s.events, 9);
    cr_assert_eq(s.saw_done_marker, 0);
}

/* ---- stale handles ---- */

Test(contract_loop, a_kept_handle_does_not_reach_the_next_request)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    child_state a = {0}, b = {0};
    sekha_request *ra = sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                           NULL, child_done, &a);
    uint64_t id_a = sekha_request_id(ra);
    cr_assert_neq(id_a, 0);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(a.code, SEKHA_OK);
    /* B is made in A's recycled memory; A's handle must not name it */
    arm_rule("/_devserver/echo", "[{\"delay_ms\":200}]");
    sekha_request *rb = sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                           NULL, child_done, &b);
    cr_assert_neq(ra, rb, "a stale handle compares equal to a live one");
    cr_assert_eq(sekha_request_valid(ra), 0);
    cr_assert_eq(sekha_request_valid(rb), 1);
    cr_assert_eq(sekha_request_id(ra), 0, "a stale handle reads as no request");
    cr_assert_eq(sekha_request_attempts(ra), 0);
    sekha_request_cancel(ra);
    sekha_request_pause(ra);
    sekha_request_resume(ra);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(b.done, 1);
    cr_assert_eq(b.code, SEKHA_OK, "B was reached through A's handle: %s", b.message);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(contract_loop, handles_of_a_freed_client_are_stale)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    child_state a = {0};
    sekha_request *ra = sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo",
                                           NULL, child_done, &a);
    sekha_client_free(c);
    cr_assert_eq(a.code, SEKHA_E_CLOSED);
    cr_assert_eq(sekha_request_valid(ra), 0);
    sekha_request_cancel(ra); /* harmless: nothing to reach */
    cr_assert_eq(sekha_request_id(ra), 0);
    sekha_options_free(o);
}

/* ---- mode B: the user's loop is left clean ---- */

typedef struct hooks {
    int fds[64];
    int events[64];
    int n;
    long last_timer;
    int timer_calls;
} hooks;

static void rec_watch(sekha_client *c, int fd, int ev, void *ud)
{
    (void)c;
    hooks *h = ud;
    for (int i = 0; i < h->n; i++)
        if (h->fds[i] == fd) {
            h->events[i] = ev;
            return;
        }
    cr_assert_lt(h->n, 64);
    h->fds[h->n] = fd;
    h->events[h->n++] = ev;
}

static void rec_timer(sekha_client *c, long ms, void *ud)
{
    (void)c;
    hooks *h = ud;
    h->last_timer = ms;
    h->timer_calls++;
}

Test(contract_loop, freeing_a_mode_b_client_unwatches_every_fd_and_cancels_its_timer)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    hooks h = {.last_timer = -1};
    cr_assert_eq(sekha_client_set_loop_hooks(c, rec_watch, rec_timer, &h), SEKHA_OK);
    cr_assert_geq(h.n, 1, "the wake fd is watched");
    child_state a = {0};
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, child_done, &a);
    cr_assert_geq(h.last_timer, 0, "a timer was asked for");
    sekha_client_free(c);
    cr_assert_eq(a.code, SEKHA_E_CLOSED);
    for (int i = 0; i < h.n; i++)
        cr_assert_eq(h.events[i], 0, "fd %d is still watched after the client was freed",
                     h.fds[i]);
    cr_assert_eq(h.last_timer, -1, "the timer hook was not cancelled");
    sekha_options_free(o);
}

/* Drives a mode-B client with poll() over the fds the hooks asked for, until idle. */
static void drive_with_poll(sekha_client *c, hooks *h)
{
    while (sekha_client_pending(c) > 0) {
        struct pollfd p[64];
        int n = 0;
        for (int i = 0; i < h->n; i++)
            if (h->events[i]) {
                p[n].fd = h->fds[i];
                p[n].events = (short)(((h->events[i] & SEKHA_WATCH_READ) ? POLLIN : 0) |
                                      ((h->events[i] & SEKHA_WATCH_WRITE) ? POLLOUT : 0));
                p[n++].revents = 0;
            }
        int k = poll(p, (nfds_t)n, h->last_timer < 0 ? 1000 : (int)h->last_timer);
        cr_assert_geq(k, 0);
        if (k == 0) {
            sekha_client_timer_expired(c);
            continue;
        }
        for (int i = 0; i < n; i++) {
            int ev = (p[i].revents & (POLLIN | POLLHUP | POLLERR)) ? SEKHA_WATCH_READ : 0;
            if (p[i].revents & POLLOUT)
                ev |= SEKHA_WATCH_WRITE;
            if (ev)
                sekha_client_socket_ready(c, p[i].fd, ev);
        }
    }
}

Test(contract_loop, a_mode_b_client_with_live_connections_leaves_no_fd_watched)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    hooks h = {.last_timer = -1};
    cr_assert_eq(sekha_client_set_loop_hooks(c, rec_watch, rec_timer, &h), SEKHA_OK);
    child_state a = {0}, b = {0};
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, child_done, &a);
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, child_done, &b);
    drive_with_poll(c, &h);
    cr_assert_eq(a.code, SEKHA_OK, "%s", a.message);
    cr_assert_eq(b.code, SEKHA_OK, "%s", b.message);
    cr_assert_geq(h.n, 2, "a connection's socket was watched too");
    sekha_client_free(c); /* the kept-alive connections close now */
    for (int i = 0; i < h.n; i++)
        cr_assert_eq(h.events[i], 0, "fd %d is still watched after the client was freed",
                     h.fds[i]);
    cr_assert_eq(h.last_timer, -1, "the timer hook was not cancelled");
    sekha_options_free(o);
}

/* ---- a failing poller ---- */

Test(contract_loop, a_failing_poller_ends_its_requests_instead_of_spinning, .timeout = 15)
{
    arm_rule("/_devserver/echo", "[{\"stall\":true}]");
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    child_state a = {0};
    sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/echo", NULL, child_done, &a);
    sekha_client_poll(c, 50); /* the transfer is under way */
    /* The poller's fd now names something epoll_wait refuses, every time. */
    int bad = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert_geq(bad, 0);
    cr_assert_eq(dup2(bad, c->main.epfd), c->main.epfd);
    close(bad);
    cr_assert_eq(sekha_client_run(c), SEKHA_E_INTERNAL);
    cr_assert_eq(a.done, 1);
    cr_assert_eq(a.code, SEKHA_E_INTERNAL);
    cr_assert_not_null(strstr(a.message, "epoll_wait"), "message: %s", a.message);
    cr_assert_eq(sekha_client_pending(c), 0);
    sekha_client_free(c);
    sekha_options_free(o);
}

/* ---- the bridge's chunk callback keeps the same promise ---- */

typedef struct chunked {
    int chunks, pause_at, stop_at, done;
    sekha_code code;
    char seen[1024], final[1024];
} chunked;

static int on_chunk(sekha_request *req, const sekha_chunk *ch, void *ud)
{
    (void)req;
    chunked *s = ud;
    size_t n;
    const char *t = sekha_chunk_content(ch, &n);
    size_t have = strlen(s->seen);
    if (n > sizeof s->seen - 1 - have)
        n = sizeof s->seen - 1 - have;
    memcpy(s->seen + have, t, n);
    s->seen[have + n] = '\0';
    s->chunks++;
    if (s->chunks == s->pause_at)
        return SEKHA_EVENT_PAUSE;
    if (s->chunks == s->stop_at)
        return SEKHA_EVENT_STOP;
    return SEKHA_EVENT_CONTINUE;
}

static void on_completion(sekha_request *req, const sekha_error *err, const sekha_completion *c,
                          void *ud)
{
    (void)req;
    chunked *s = ud;
    s->done++;
    s->code = sekha_error_code(err);
    snprintf(s->final, sizeof s->final, "%s", c ? sekha_completion_content(c, NULL) : "");
}

Test(contract_loop, bridge_stop_right_after_a_resume_keeps_only_the_text_so_far)
{
    cr_assert_eq(ds_proc_fault(&ds, ds.bridge_url,
                               "{\"path\":\"/v1/chat/completions\",\"steps\":[{\"chunk_delay_ms\":5}]}"), 0);
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", "one two three four five six seven eight nine ten"),
                 SEKHA_OK);
    chunked s = {.pause_at = 3, .stop_at = 4};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_on_chunk(p, on_chunk, &s), SEKHA_OK);
    sekha_request *r = sekha_bridge_stream_complete(c, m, p, on_completion, &s);
    sekha_params_free(p);
    cr_assert_not_null(r);
    while (s.chunks < s.pause_at && s.done == 0)
        sekha_client_poll(c, 100);
    for (int i = 0; i < 10; i++)
        sekha_client_poll(c, 10);
    cr_assert_eq(s.chunks, 3, "delivered while paused");
    sekha_request_resume(r);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(s.done, 1);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_eq(s.chunks, 4, "chunks delivered after STOP: %d", s.chunks - 4);
    cr_assert_str_eq(s.final, s.seen, "the completion holds more than was delivered");
    sekha_messages_free(m);
    sekha_client_free(c);
    sekha_options_free(o);
}
