/* SSE streaming through the core: events in order under any chunking, cancel mid-stream,
 * cut streams, pause/resume backpressure, idle timeout, size limits. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(core_stream, .init = setup, .fini = teardown, .timeout = 60);

typedef struct stream_state {
    int events;
    int done_calls;
    int saw_done_marker;
    int bad_order;
    int cancel_at;   /* cancel from inside the event callback at this event (1-based) */
    int pause_at;    /* pause at this event */
    int stop_at;     /* return STOP at this event */
    sekha_code code;
    sekha_layer layer;
    int status;
    char body[256];
} stream_state;

static int on_event(sekha_request *req, const sekha_sse_event *ev, void *ud)
{
    stream_state *s = ud;
    cr_assert_eq(s->done_calls, 0, "event after the final callback");
    size_t len;
    const char *data = sekha_sse_event_data(ev, &len);
    if (strcmp(data, "[DONE]") == 0) {
        s->saw_done_marker = 1;
        return SEKHA_EVENT_CONTINUE;
    }
    char expect[32];
    snprintf(expect, sizeof expect, "{\"i\":%d", s->events);
    if (strncmp(data, expect, strlen(expect)) != 0)
        s->bad_order++;
    s->events++;
    if (s->events == s->cancel_at)
        sekha_request_cancel(req);
    if (s->events == s->pause_at)
        return SEKHA_EVENT_PAUSE;
    if (s->events == s->stop_at)
        return SEKHA_EVENT_STOP;
    return SEKHA_EVENT_CONTINUE;
}

static void on_done(sekha_request *req, const sekha_error *err, const sekha_response *resp, void *ud)
{
    (void)req;
    stream_state *s = ud;
    s->done_calls++;
    s->code = sekha_error_code(err);
    s->layer = sekha_error_layer(err);
    s->status = sekha_response_status(resp);
    if (resp)
        snprintf(s->body, sizeof s->body, "%s", sekha_response_body(resp, NULL));
}

static sekha_request *stream(sekha_client *c, const char *path, stream_state *s)
{
    char line[512];
    snprintf(line, sizeof line, "GET %s", path);
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_HTTP_FLAGS, SEKHA_HTTP_STREAM), SEKHA_OK);
    cr_assert_eq(sekha_params_set_on_event(p, on_event, s), SEKHA_OK);
    sekha_request *r = sekha_http_request(c, SEKHA_SERVICE_CONTROLLER, line, p, on_done, s);
    sekha_params_free(p);
    return r;
}

static void arm(const char *steps)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"path\":\"/_devserver/sse\",\"steps\":%s}", steps);
    cr_assert_eq(ds_proc_fault(&ds, ds.controller_url, buf), 0, "rule rejected: %s", buf);
}

static void run_stream(const char *path, stream_state *s, sekha_options *o)
{
    sekha_client *c = test_client(o);
    stream(c, path, s);
    sekha_client_run(c);
    sekha_client_free(c);
}

Test(core_stream, events_arrive_in_order)
{
    sekha_options *o = test_options(&ds);
    stream_state s = {0};
    run_stream("/_devserver/sse?count=200&size=120", &s, o);
    cr_assert_eq(s.done_calls, 1);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_eq(s.events, 200);
    cr_assert_eq(s.bad_order, 0);
    cr_assert(s.saw_done_marker);
    cr_assert_eq(s.status, 200);
    sekha_options_free(o);
}

Test(core_stream, one_byte_chunks_give_the_same_events)
{
    arm("[{\"pass\":true,\"chunk_size\":1}]");
    sekha_options *o = test_options(&ds);
    stream_state s = {0};
    run_stream("/_devserver/sse?count=20&size=60", &s, o);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_eq(s.events, 20);
    cr_assert_eq(s.bad_order, 0);
    cr_assert(s.saw_done_marker);
    sekha_options_free(o);
}

Test(core_stream, cancel_from_inside_the_event_callback)
{
    arm("[{\"pass\":true,\"chunk_size\":64,\"chunk_delay_ms\":5}]");
    sekha_options *o = test_options(&ds);
    stream_state s = {.cancel_at = 3};
    run_stream("/_devserver/sse?count=500&size=60", &s, o);
    cr_assert_eq(s.done_calls, 1);
    cr_assert_eq(s.code, SEKHA_E_CANCELLED);
    cr_assert_eq(s.events, 3, "no event after the cancel");
    sekha_options_free(o);
}

Test(core_stream, stop_ends_the_stream_successfully)
{
    sekha_options *o = test_options(&ds);
    stream_state s = {.stop_at = 5};
    run_stream("/_devserver/sse?count=100&size=60", &s, o);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_eq(s.events, 5);
    sekha_options_free(o);
}

Test(core_stream, truncated_stream_is_an_error_not_a_success)
{
    arm("[{\"pass\":true,\"cut_mid_event\":true}]");
    sekha_options *o = test_options(&ds);
    stream_state s = {0};
    run_stream("/_devserver/sse?count=50&size=60", &s, o);
    cr_assert_eq(s.done_calls, 1);
    cr_assert_eq(s.code, SEKHA_E_STREAM_CUT, "code %d", s.code);
    cr_assert_eq(s.layer, SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(s.saw_done_marker, 0);
    sekha_options_free(o);
}

Test(core_stream, stream_errors_before_the_first_event_are_retried)
{
    arm("[{\"status\":503},{\"pass\":true}]");
    sekha_options *o = test_options(&ds);
    stream_state s = {0};
    run_stream("/_devserver/sse?count=10&size=60", &s, o);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_eq(s.events, 10);
    sekha_options_free(o);
}

Test(core_stream, idle_timeout_on_a_stalled_stream)
{
    arm("[{\"pass\":true,\"endless\":true,\"chunk_delay_ms\":2000}]");
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_stream_idle_timeout_ms(o, 300), SEKHA_OK);
    stream_state s = {0};
    run_stream("/_devserver/sse?count=10&size=60", &s, o);
    cr_assert_eq(s.code, SEKHA_E_TIMEOUT);
    cr_assert_eq(s.layer, SEKHA_LAYER_TRANSPORT);
    sekha_options_free(o);
}

Test(core_stream, event_over_the_limit)
{
    arm("[{\"pass\":true,\"event_bytes\":100000}]");
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_max_event_bytes(o, 4096), SEKHA_OK);
    stream_state s = {0};
    run_stream("/_devserver/sse?count=10&size=60", &s, o);
    cr_assert_eq(s.code, SEKHA_E_TOO_LARGE);
    sekha_options_free(o);
}

Test(core_stream, pause_stops_delivery_until_resume)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    stream_state s = {.pause_at = 10};
    sekha_request *r = stream(c, "/_devserver/sse?count=300&size=100", &s);
    while (s.events < 10)
        sekha_client_poll(c, 100);
    /* paused: whatever the server sends waits in the socket, nothing is delivered */
    for (int i = 0; i < 5; i++)
        sekha_client_poll(c, 20);
    cr_assert_eq(s.events, 10, "events delivered while paused");
    cr_assert_eq(s.done_calls, 0);
    sekha_request_resume(r);
    sekha_client_run(c);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_eq(s.events, 300);
    cr_assert_eq(s.bad_order, 0);
    sekha_client_free(c);
    sekha_options_free(o);
}

Test(core_stream, json_answer_to_a_stream_request_goes_to_the_final_callback)
{
    sekha_options *o = test_options(&ds);
    stream_state s = {0};
    run_stream("/_devserver/echo", &s, o);
    cr_assert_eq(s.code, SEKHA_OK);
    cr_assert_eq(s.events, 0);
    cr_assert_not_null(strstr(s.body, "GET"), "body: %s", s.body);
    sekha_options_free(o);
}

Test(core_stream, thousand_concurrent_streams_on_one_thread)
{
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    int n = 1000;
    stream_state *s = calloc((size_t)n, sizeof *s);
    for (int i = 0; i < n; i++)
        stream(c, "/_devserver/sse?count=5&size=60", &s[i]);
    sekha_client_run(c);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(s[i].done_calls, 1);
        cr_assert_eq(s[i].code, SEKHA_OK, "stream %d: code %d", i, s[i].code);
        cr_assert_eq(s[i].events, 5);
    }
    free(s);
    sekha_client_free(c);
    sekha_options_free(o);
}
