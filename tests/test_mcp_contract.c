/* The MCP client's contract corners: freeing the client and its sessions in any order (also
 * from inside callbacks), the server's retry: and event ids when a stream is resumed, and
 * the requests a server sends (ping, sampling/createMessage). What the client sent is
 * checked on the server's side: the devserver records the responses clients POST and the
 * Last-Event-ID headers it saw (GET /_devserver/mcp), scripted stdio servers check the
 * lines they read. Also: the session's delays hold no fd on either loop, the calls'
 * parameters (refused keys, progress with its own userdata), and results shared across
 * threads. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdcount.h"
#include "testutil.h"
#include "mcp_fixture.h"


static ds_proc ds;

static void setup(void) { start_devserver(&ds, NULL); }
static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(mcp_contract, .init = setup, .fini = teardown, .timeout = 60);

static void fault(const char *rule)
{
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0, "rule refused: %s", rule);
}

/* A fault rule answering the next POST /mcp with the SSE text `events` (JSON-escaped). */
static void sse_answer(const char *method, const char *events)
{
    size_t n = strlen(events) + 256;
    char *rule = malloc(n);
    cr_assert_not_null(rule);
    snprintf(rule, n, "{\"path\":\"/mcp\",\"method\":\"%s\",\"steps\":[{\"status\":200,"
             "\"content_type\":\"text/event-stream\",\"body\":\"%s\"}]}", method, events);
    fault(rule);
    free(rule);
}

static long mcp_hits(void)
{
    return ds_proc_count(&ds, NULL, "/mcp");
}

/* What the devserver recorded: {"responses": [...], "last_event_ids": [...]}. */
static cJSON *seen(void)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_response *resp = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "GET /_devserver/mcp",
                                         NULL, &resp, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    cJSON *v = cJSON_Parse(sekha_response_body(resp, NULL));
    cr_assert_not_null(v);
    sekha_response_free(resp);
    sekha_client_free(c);
    return v;
}

/* The response the client POSTed for server request id, as compact JSON ("" when none). */
static void seen_response(const char *id, char *out, size_t cap)
{
    cJSON *all = seen();
    const cJSON *r;
    out[0] = '\0';
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(all, "responses")) {
        const cJSON *rid = cJSON_GetObjectItem(r, "id");
        if (cJSON_IsString(rid) && strcmp(rid->valuestring, id) == 0) {
            char *text = cJSON_PrintUnformatted(r);
            snprintf(out, cap, "%s", text);
            cJSON_free(text);
        }
    }
    cJSON_Delete(all);
}

/* ---- callbacks that record ---- */

typedef struct rec {
    int calls;
    sekha_code code;
    int http_status;
    char message[512];
    char json[1024];
} rec;

static void record(rec *r, const sekha_error *err)
{
    r->calls++;
    r->code = sekha_error_code(err);
    r->http_status = sekha_error_http_status(err);
    snprintf(r->message, sizeof r->message, "%s", err ? sekha_error_message(err) : "");
}

static void data_cb(sekha_request *req, const sekha_error *err, const sekha_mcp_data *d, void *ud)
{
    (void)req;
    rec *r = ud;
    record(r, err);
    snprintf(r->json, sizeof r->json, "%s", d ? sekha_mcp_data_json(d) : "");
}

static void close_cb(sekha_request *req, const sekha_error *err, void *ud)
{
    (void)req;
    record(ud, err);
}

/* An async HTTP session, initialized. */
static sekha_mcp_session *ready_async(sekha_client *c)
{
    sekha_mcp_session *s = http_session(c);
    rec init = {0};
    sekha_mcp_session_initialize(s, data_cb, &init);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(init.code, SEKHA_OK, "%s", init.message);
    return s;
}

/* After its client is gone a session refuses everything without touching the client. */
static void assert_orphaned(sekha_mcp_session *s)
{
    rec late = {0};
    sekha_error *err = NULL;
    cr_assert_null(sekha_mcp_session_ping(s, data_cb, &late));
    cr_assert_null(sekha_mcp_session_request(s, "x/y", "{}", data_cb, &late));
    cr_assert_null(sekha_mcp_session_close(s, close_cb, &late));
    cr_assert_eq(sekha_mcp_session_ping_sync(s, &err), SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(sekha_error_message(err), "client"), "%s", sekha_error_message(err));
    sekha_error_free(err);
    cr_assert_eq(sekha_mcp_session_notify(s, "notifications/x", NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_mcp_session_set_request_handler(s, NULL, NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(late.calls, 0);
}

/* ---- freeing in any order ---- */

Test(mcp_contract, client_freed_before_its_http_session)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = ready_async(c);
    rec ping = {0};
    sekha_mcp_session_ping(s, data_cb, &ping);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(ping.code, SEKHA_OK, "%s", ping.message);
    /* one call still waiting on the server when the client goes */
    fault("{\"path\":\"/mcp\",\"method\":\"POST\",\"steps\":[{\"stall\":true}]}");
    rec pending = {0};
    long before = mcp_hits();
    sekha_mcp_session_ping(s, data_cb, &pending);
    while (mcp_hits() < before + 1)
        sekha_client_poll(c, 20);
    sekha_client_free(c);
    cr_assert_eq(pending.calls, 1);
    cr_assert_eq(pending.code, SEKHA_E_CLOSED);
    assert_orphaned(s);
    sekha_mcp_session_free(s);
}

Test(mcp_contract, session_freed_before_its_client)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = ready_async(c);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

Test(mcp_contract, client_freed_before_a_sync_session)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = http_session(c);
    cr_assert_eq(sekha_mcp_session_ping_sync(s, NULL), SEKHA_OK);
    sekha_client_free(c);
    assert_orphaned(s);
    sekha_mcp_session_free(s);
}

typedef struct free_ctx {
    sekha_client *c;
    rec r;
    sekha_mcp_server_request *kept;
} free_ctx;

static void ping_then_free_client(sekha_request *req, const sekha_error *err,
                                  const sekha_mcp_data *d, void *ud)
{
    free_ctx *f = ud;
    data_cb(req, err, d, &f->r);
    sekha_client_free(f->c); /* completed once the callback and the loop's turn are over */
}

static void keep_request(sekha_mcp_session *s, sekha_mcp_server_request *rq, void *ud)
{
    (void)s;
    free_ctx *f = ud;
    f->kept = rq;
}

Test(mcp_contract, client_freed_inside_a_call_callback_with_a_server_request_unanswered)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = ready_async(c);
    free_ctx f = {.c = c};
    sekha_mcp_session_set_request_handler(s, keep_request, &f);
    sse_answer("POST", "data: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":\\\"s-1\\\",\\\"method\\\":"
                       "\\\"roots/list\\\"}\\n\\ndata: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":2,"
                       "\\\"result\\\":{}}\\n\\n");
    sekha_mcp_session_ping(s, ping_then_free_client, &f);
    sekha_client_run(c); /* c is gone when this returns */
    cr_assert_eq(f.r.calls, 1);
    cr_assert_eq(f.r.code, SEKHA_OK, "%s", f.r.message);
    cr_assert_not_null(f.kept);
    cr_assert_eq(sekha_mcp_server_request_reply(f.kept, "{\"roots\":[]}"), SEKHA_E_INVALID_ARG,
                 "nothing can be sent any more");
    assert_orphaned(s);
    sekha_mcp_session_free(s);
}

/* ---- stdio: the child's fds and pidfd are watched on the client's loop ---- */

#define INIT_REPLY LINE("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":" \
                        "\"2025-11-25\",\"capabilities\":{},\"serverInfo\":{\"name\":\"sh\"," \
                        "\"version\":\"1\"}}}")

static void note_then_free_client(sekha_mcp_session *s, const char *method, const char *params,
                                  void *ud)
{
    (void)s;
    (void)method;
    (void)params;
    free_ctx *f = ud;
    f->r.calls++;
    sekha_client_free(f->c);
}

Test(mcp_contract, stdio_client_freed_before_its_session)
{
    make_tmpdir();
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = stdio_session(c, "echo $$ > \"$1/pid\"; read l\n" INIT_REPLY
                                            "while read l; do :; done\n");
    rec init = {0};
    sekha_mcp_session_initialize(s, data_cb, &init);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(init.code, SEKHA_OK, "%s", init.message);
    long pid = read_pid();
    sekha_client_free(c);
    assert_orphaned(s);
    sekha_mcp_session_free(s);
    cr_assert(reaped(pid), "the session's free still ends the child");
    remove_tmpdir();
}

Test(mcp_contract, stdio_client_freed_inside_a_notification_handler)
{
    make_tmpdir();
    sekha_client *c = test_client_with_mcp(&ds);
    /* initialize, initialized, then the ping: a notification, and no answer */
    sekha_mcp_session *s = stdio_session(c, "echo $$ > \"$1/pid\"; read l\n" INIT_REPLY
                                            "read l; read l\n"
                                            LINE("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}")
                                            "while read l; do :; done\n");
    free_ctx f = {.c = c};
    sekha_mcp_session_set_notification_handler(s, note_then_free_client, &f);
    rec ping = {0};
    sekha_mcp_session_ping(s, data_cb, &ping);
    sekha_client_run(c); /* c is gone when this returns */
    cr_assert_eq(f.r.calls, 1);
    cr_assert_eq(ping.calls, 1);
    cr_assert_eq(ping.code, SEKHA_E_CLOSED);
    long pid = read_pid();
    assert_orphaned(s);
    sekha_mcp_session_free(s);
    cr_assert(reaped(pid));
    remove_tmpdir();
}

/* ---- the server's retry: ---- */

Test(mcp_contract, a_huge_retry_is_clamped_not_overflowed)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = ready_async(c);
    long before = mcp_hits();
    sse_answer("POST", "id: ev-1\\nretry: 99999999999999999999\\ndata: \\n\\n");
    rec r = {0};
    sekha_request *req = sekha_mcp_session_request(s, "custom/slow", NULL, data_cb, &r);
    while (mcp_hits() < before + 1)
        sekha_client_poll(c, 20);
    for (int i = 0; i < 10; i++)
        sekha_client_poll(c, 20);
    cr_assert_eq(r.calls, 0, "%s", r.message);
    cr_assert_eq(mcp_hits(), before + 1, "the resume waits (60 s at most), it does not spin");
    sekha_request_cancel(req);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r.code, SEKHA_E_CANCELLED);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

/* ---- the session's delays run on the loop's own timers ---- */

/* How many descriptors of this process are timerfds. */
static int timerfds(void)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char target[64];
        ssize_t len = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
        if (len > 0) {
            target[len] = '\0';
            n += strcmp(target, "anon_inode:[timerfd]") == 0;
        }
    }
    closedir(d);
    return n;
}

/* An async session whose call waits on a long resume delay (retry: 60 s), with the
 * POST that armed it answered; the call's record in r. */
static sekha_request *armed_resume(sekha_client *c, sekha_mcp_session **s, rec *r)
{
    *s = ready_async(c);
    long before = mcp_hits();
    sse_answer("POST", "id: ev-1\\nretry: 60000\\ndata: \\n\\n");
    sekha_request *req = sekha_mcp_session_request(*s, "custom/slow", NULL, data_cb, r);
    while (mcp_hits() < before + 1)
        sekha_client_poll(c, 20);
    for (int i = 0; i < 5; i++)
        sekha_client_poll(c, 20);
    cr_assert_eq(r->calls, 0, "%s", r->message);
    return req;
}

Test(mcp_contract, a_pending_resume_delay_holds_no_fd_on_either_loop)
{
    int fds = fd_count();

    /* the client's loop: the delay is armed, then the session is freed under it */
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s;
    rec r = {0};
    armed_resume(c, &s, &r);
    cr_assert_eq(timerfds(), 0, "the resume delay is a timer of the loop, not an fd");
    sekha_mcp_session_free(s);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.code, SEKHA_E_CANCELLED);
    sekha_client_free(c);
    cr_assert_eq(fd_count(), fds, "nothing left open");

    /* the same, with the client freed first */
    c = test_client_with_mcp(&ds);
    memset(&r, 0, sizeof r);
    armed_resume(c, &s, &r);
    sekha_client_free(c);
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.code, SEKHA_E_CLOSED);
    sekha_mcp_session_free(s);
    cr_assert_eq(fd_count(), fds, "nothing left open");

    /* the private loop of sync calls: the delay fires there and the call is resumed */
    c = test_client_with_mcp(&ds);
    s = http_session(c);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    long before = mcp_hits();
    sse_answer("POST", "id: ev-1\\nretry: 10\\ndata: \\n\\n");
    sse_answer("GET", "id: ev-2\\ndata: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":2,"
                      "\\\"result\\\":{\\\"resumed\\\":true}}\\n\\n");
    sekha_mcp_data *d = NULL;
    cr_assert_eq(sekha_mcp_session_request_sync(s, "custom/slow", NULL, &d, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_mcp_data_bool(d, "resumed", 0), 1);
    sekha_mcp_data_free(d);
    cr_assert_eq(mcp_hits(), before + 2, "the POST and one resume");
    cr_assert_eq(timerfds(), 0);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    cr_assert_eq(fd_count(), fds, "nothing left open");
}

Test(mcp_contract, a_negative_or_garbage_retry_keeps_the_default)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = ready_async(c);
    long before = mcp_hits();
    sse_answer("POST", "id: ev-1\\nretry: -5\\nretry: 1e3\\nretry: soon\\ndata: \\n\\n");
    sse_answer("GET", "id: ev-2\\ndata: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":2,"
                      "\\\"result\\\":{\\\"resumed\\\":true}}\\n\\n");
    rec r = {0};
    sekha_mcp_session_request(s, "custom/slow", NULL, data_cb, &r);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_not_null(strstr(r.json, "\"resumed\":true"), "%s", r.json);
    cr_assert_eq(mcp_hits(), before + 2, "the POST and one resume");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

/* ---- Last-Event-ID ---- */

/* A POST answered with a priming event carrying id, then a resume; returns the outcome. */
static rec resume_with_id(const char *id)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = ready_async(c);
    size_t n = strlen(id) + 64;
    char *events = malloc(n);
    cr_assert_not_null(events);
    snprintf(events, n, "id: %s\\nretry: 10\\ndata: \\n\\n", id);
    sse_answer("POST", events);
    free(events);
    rec r = {0};
    sekha_mcp_session_request(s, "custom/slow", NULL, data_cb, &r);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r.calls, 1);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    return r;
}

static char *make_id(size_t len)
{
    char *id = malloc(len + 1);
    cr_assert_not_null(id);
    for (size_t i = 0; i < len; i++)
        id[i] = "0123456789abcdefghijklmnopqrstuvwxyz-_.~"[i % 40];
    id[len] = '\0';
    return id;
}

static int id_was_sent(const char *id)
{
    cJSON *all = seen();
    const cJSON *v;
    int found = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(all, "last_event_ids"))
        found |= cJSON_IsString(v) && strcmp(v->valuestring, id) == 0;
    cJSON_Delete(all);
    return found;
}

Test(mcp_contract, long_event_ids_are_sent_back_in_full)
{
    size_t lens[] = {1000, 4096};
    for (size_t i = 0; i < 2; i++) {
        char *id = make_id(lens[i]);
        rec r = resume_with_id(id);
        /* the devserver keeps no event history: its GET answers 405, which ends the call */
        cr_assert_eq(r.http_status, 405, "%s", r.message);
        cr_assert(id_was_sent(id), "a %zu-byte Last-Event-ID arrived in full", lens[i]);
        free(id);
    }
}

Test(mcp_contract, event_ids_that_cannot_be_sent_fail_clearly)
{
    char *id = make_id(4097);
    long before = mcp_hits();
    rec r = resume_with_id(id);
    cr_assert_eq(r.code, SEKHA_E_PROTOCOL, "%s", r.message);
    cr_assert_not_null(strstr(r.message, "4096"), "%s", r.message);
    free(id);
    /* a control character cannot go in a header line either */
    rec ctl = resume_with_id("ev\\u0001x");
    cr_assert_eq(ctl.code, SEKHA_E_PROTOCOL, "%s", ctl.message);
    cr_assert_not_null(strstr(ctl.message, "Last-Event-ID"), "%s", ctl.message);
    /* per call: init, initialized, the POST; no resume */
    cr_assert_eq(mcp_hits(), before + 6);
}

/* ---- requests from the server ---- */

static int other_requests;

static void sampler(sekha_mcp_session *s, sekha_mcp_server_request *rq, void *ud)
{
    (void)s;
    (void)ud;
    if (strcmp(sekha_mcp_server_request_method(rq), "sampling/createMessage") != 0) {
        other_requests++;
        sekha_mcp_server_request_fail(rq, -32601, "Method not found");
        return;
    }
    cr_assert_not_null(strstr(sekha_mcp_server_request_params(rq), "name an animal"));
    cr_assert_eq(sekha_mcp_server_request_reply(rq, "{\"role\":\"assistant\",\"content\":{\"type\":"
                                                    "\"text\",\"text\":\"otter\"},\"model\":"
                                                    "\"tiny\",\"stopReason\":\"endTurn\"}"),
                 SEKHA_OK);
}

Test(mcp_contract, server_ping_and_sampling_are_answered)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = http_session(c);
    cr_assert_eq(sekha_mcp_session_set_capabilities(s, "{\"sampling\":{}}"), SEKHA_OK);
    sekha_mcp_session_set_request_handler(s, sampler, NULL);
    rec init = {0};
    sekha_mcp_session_initialize(s, data_cb, &init);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    other_requests = 0;
    sse_answer("POST",
               "data: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":\\\"srv-ping\\\",\\\"method\\\":"
               "\\\"ping\\\"}\\n\\n"
               "data: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":\\\"srv-sample\\\",\\\"method\\\":"
               "\\\"sampling/createMessage\\\",\\\"params\\\":{\\\"messages\\\":[{\\\"role\\\":"
               "\\\"user\\\",\\\"content\\\":{\\\"type\\\":\\\"text\\\",\\\"text\\\":\\\"name an "
               "animal\\\"}}],\\\"maxTokens\\\":10}}\\n\\n"
               "data: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":2,\\\"result\\\":{}}\\n\\n");
    rec ping = {0};
    sekha_mcp_session_ping(s, data_cb, &ping);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK, "the answers are through when run returns");
    cr_assert_eq(ping.code, SEKHA_OK, "%s", ping.message);
    cr_assert_eq(other_requests, 0, "ping is the session's business, not the handler's");
    char got[1024];
    seen_response("srv-ping", got, sizeof got);
    cr_assert_str_eq(got, "{\"jsonrpc\":\"2.0\",\"id\":\"srv-ping\",\"result\":{}}");
    seen_response("srv-sample", got, sizeof got);
    cr_assert_str_eq(got, "{\"jsonrpc\":\"2.0\",\"id\":\"srv-sample\",\"result\":{\"role\":"
                          "\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"otter\"},"
                          "\"model\":\"tiny\",\"stopReason\":\"endTurn\"}}");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

static int bad_replies;

static void bad_replier(sekha_mcp_session *s, sekha_mcp_server_request *rq, void *ud)
{
    (void)s;
    (void)ud;
    int sampling = strcmp(sekha_mcp_server_request_method(rq), "sampling/createMessage") == 0;
    /* trailing text after the object, or a byte that is not UTF-8: neither may go out */
    sekha_code rc = sekha_mcp_server_request_reply(rq, sampling ? "{\"role\":\"assistant\"} junk"
                                                                : "{\"roots\":\"\xff\"}");
    cr_assert_eq(rc, SEKHA_E_INVALID_ARG);
    bad_replies++;
}

Test(mcp_contract, an_invalid_reply_is_never_sent_and_the_server_gets_an_error)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = http_session(c);
    cr_assert_eq(sekha_mcp_session_set_capabilities(s, "{\"sampling\":{},\"roots\":{}}"), SEKHA_OK);
    sekha_mcp_session_set_request_handler(s, bad_replier, NULL);
    rec init = {0};
    sekha_mcp_session_initialize(s, data_cb, &init);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    bad_replies = 0;
    sse_answer("POST",
               "data: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":\\\"srv-sample\\\",\\\"method\\\":"
               "\\\"sampling/createMessage\\\",\\\"params\\\":{}}\\n\\n"
               "data: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":\\\"srv-roots\\\",\\\"method\\\":"
               "\\\"roots/list\\\"}\\n\\n"
               "data: {\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":2,\\\"result\\\":{}}\\n\\n");
    rec ping = {0};
    sekha_mcp_session_ping(s, data_cb, &ping);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(bad_replies, 2);
    char got[1024];
    seen_response("srv-sample", got, sizeof got);
    cr_assert_not_null(strstr(got, "-32603"), "the server got: %s", got);
    cr_assert_null(strstr(got, "junk"), "the server got: %s", got);
    seen_response("srv-roots", got, sizeof got);
    cr_assert_not_null(strstr(got, "-32603"), "the server got: %s", got);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

Test(mcp_contract, stdio_ping_is_answered_without_a_request_handler)
{
    make_tmpdir();
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = stdio_session(
        c, "read l\n" INIT_REPLY "read l; read l\n"
           LINE("{\"jsonrpc\":\"2.0\",\"id\":\"srv-ping\",\"method\":\"ping\"}")
           "read l; case \"$l\" in *'\"id\":\"srv-ping\",\"result\":{}}') p=true;; *) p=false;; esac\n"
           LINE("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"roots/list\"}")
           "read l; case \"$l\" in *'\"id\":7'*-32601*) r=true;; *) r=false;; esac\n"
           "printf '{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"pong\":%s,\"refused\":%s}}\\n' $p $r\n"
           "while read l; do :; done\n");
    rec r = {0};
    sekha_mcp_session_request(s, "custom/check", NULL, data_cb, &r);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.json, "{\"pong\":true,\"refused\":true}");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    remove_tmpdir();
}

/* ---- parameters of session calls ---- */

static void tools_cb(sekha_request *req, const sekha_error *err, const sekha_mcp_tools *t, void *ud)
{
    (void)req;
    (void)t;
    record(ud, err);
}

static void tool_cb(sekha_request *req, const sekha_error *err, const sekha_mcp_tool_result *t,
                    void *ud)
{
    (void)req;
    rec *r = ud;
    record(r, err);
    snprintf(r->json, sizeof r->json, "%s", t ? sekha_mcp_tool_result_json(t) : "");
}

Test(mcp_contract, session_calls_refuse_parameters_they_do_not_read)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = ready_async(c);
    long before = mcp_hits();
    sekha_params *limit = sekha_params_new(), *bad = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(limit, SEKHA_PARAM_LIMIT, 2), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(bad, SEKHA_PARAM_CURSOR, "c\xff"), SEKHA_E_INVALID_ARG);
    rec list = {0}, call = {0}, failed = {0};
    cr_assert_not_null(sekha_mcp_session_list_tools(s, limit, tools_cb, &list));
    cr_assert_not_null(sekha_mcp_session_call_tool(s, "memory_stats", NULL, limit, tool_cb, &call));
    cr_assert_not_null(sekha_mcp_session_list_tools(s, bad, tools_cb, &failed));
    cr_assert_eq(list.calls + call.calls + failed.calls, 0, "callbacks come from the loop");
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(list.code, SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(list.message, "sekha_mcp_session_list_tools"), "%s", list.message);
    cr_assert_not_null(strstr(list.message, "limit"), "%s", list.message);
    cr_assert_eq(call.code, SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(call.message, "limit"), "%s", call.message);
    cr_assert_eq(failed.code, SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(failed.message, "cursor is not valid UTF-8"), "%s", failed.message);
    cr_assert_eq(mcp_hits(), before, "nothing was sent");
    sekha_params_free(limit);
    sekha_params_free(bad);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

typedef struct progress_rec {
    int calls;
    double progress, total;
    char message[64];
    sekha_request *req;
} progress_rec;

static void on_progress(sekha_request *req, double progress, double total, const char *message,
                        void *ud)
{
    progress_rec *p = ud;
    p->calls++;
    p->progress = progress;
    p->total = total;
    p->req = req;
    snprintf(p->message, sizeof p->message, "%s", message ? message : "");
}

#define PROGRESS_SCRIPT                                                                          \
    "read l\n"                                                                                   \
    LINE("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-11-25\","            \
         "\"capabilities\":{},\"serverInfo\":{\"name\":\"sh\",\"version\":\"1\"}}}")               \
    "read l\nread l\n"                                                                          \
    "case \"$l\" in *'\"progressToken\":2'*) ;; *) exit 1;; esac\n"                                \
    LINE("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":"                 \
         "{\"progressToken\":2,\"progress\":1,\"total\":2,\"message\":\"halfway\"}}")             \
    LINE("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\","             \
         "\"text\":\"done\"}]}}")                                                                \
    "while read l; do :; done\n"

Test(mcp_contract, progress_goes_to_its_own_callback_with_its_own_userdata)
{
    make_tmpdir();
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = stdio_session(c, PROGRESS_SCRIPT);
    progress_rec prog = {0};
    rec call = {0};
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_on_progress(p, on_progress, &prog), SEKHA_OK);
    sekha_request *req = sekha_mcp_session_call_tool(s, "work", NULL, p, tool_cb, &call);
    sekha_params_free(p); /* read before the call returned */
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_eq(call.code, SEKHA_OK, "%s", call.message);
    cr_assert_not_null(strstr(call.json, "\"done\""), "%s", call.json);
    cr_assert_eq(prog.calls, 1);
    cr_assert_eq(prog.progress, 1);
    cr_assert_eq(prog.total, 2);
    cr_assert_str_eq(prog.message, "halfway");
    cr_assert_eq(prog.req, req, "the progress names the call's request");
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    cr_assert_eq(sekha_params_set_on_progress(NULL, on_progress, NULL), SEKHA_E_INVALID_ARG);
    remove_tmpdir();
}

/* ---- results shared across threads ---- */

typedef struct kept {
    sekha_mcp_tools *tools;
    sekha_mcp_tool_result *result;
} kept;

static void keep_tools(sekha_request *req, const sekha_error *err, const sekha_mcp_tools *t,
                       void *ud)
{
    (void)req;
    cr_assert_null(err, "%s", sekha_error_message(err));
    ((kept *)ud)->tools = sekha_mcp_tools_copy(t);
}

static void keep_result(sekha_request *req, const sekha_error *err,
                        const sekha_mcp_tool_result *r, void *ud)
{
    (void)req;
    cr_assert_null(err, "%s", sekha_error_message(err));
    ((kept *)ud)->result = sekha_mcp_tool_result_copy(r);
}

/* Reads every text built on first use (racing the other threads), then lets go. */
static void *read_both_then_free(void *arg)
{
    kept *k = arg;
    size_t n = 0;
    n += strlen(sekha_mcp_tools_json(k->tools));
    for (size_t i = 0; i < sekha_mcp_tools_count(k->tools); i++) {
        const char *schema = sekha_mcp_tools_input_schema(k->tools, i);
        n += schema ? strlen(schema) : 0;
    }
    n += strlen(sekha_mcp_tool_result_json(k->result));
    for (size_t i = 0; i < sekha_mcp_tool_result_content_count(k->result); i++)
        n += strlen(sekha_mcp_tool_result_content_json(k->result, i));
    const char *structured = sekha_mcp_tool_result_structured(k->result);
    n += structured ? strlen(structured) : 0;
    sekha_mcp_tools_free(k->tools);
    sekha_mcp_tool_result_free(k->result);
    return (void *)n;
}

Test(mcp_contract, tool_results_kept_from_callbacks_are_shared_across_threads)
{
    sekha_client *c = test_client_with_mcp(&ds);
    sekha_mcp_session *s = ready_async(c);
    kept k = {0};
    sekha_mcp_session_list_tools(s, NULL, keep_tools, &k);
    sekha_mcp_session_call_tool(s, "memory_stats", "{}", NULL, keep_result, &k);
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    cr_assert_not_null(k.tools);
    cr_assert_not_null(k.result);
    cr_assert_gt(sekha_mcp_tools_count(k.tools), 0);
    sekha_mcp_session_free(s);
    sekha_client_free(c); /* copies outlive their session and client */
    enum { N = 4 };
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        cr_assert_eq(sekha_mcp_tools_copy(k.tools), k.tools);
        cr_assert_eq(sekha_mcp_tool_result_copy(k.result), k.result);
        cr_assert_eq(pthread_create(&th[i], NULL, read_both_then_free, &k), 0);
    }
    size_t first = 0;
    for (int i = 0; i < N; i++) {
        void *n = NULL;
        cr_assert_eq(pthread_join(th[i], &n), 0);
        if (i == 0)
            first = (size_t)n;
        cr_assert_eq((size_t)n, first, "every thread read the same texts");
    }
    cr_assert_gt(first, 0);
    const char *json = sekha_mcp_tool_result_json(k.result);
    cr_assert_str_eq(sekha_mcp_tool_result_json(k.result), json, "built once");
    sekha_mcp_tools_free(k.tools);
    sekha_mcp_tool_result_free(k.result);
    cr_assert_null(sekha_mcp_tools_copy(NULL));
    cr_assert_null(sekha_mcp_tool_result_copy(NULL));
}
