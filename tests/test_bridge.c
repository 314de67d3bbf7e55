/* The bridge sub-client against a local sekha-devserver: completions and streams, faults
 * in the middle of a stream, cancel/stop/pause, idle timeouts, retries, error bodies,
 * embeddings and health. The chunk scanner and request body are in test_bridge_codec.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bridge_harness.h"
#include "testutil.h"

static ds_proc ds;

static void bridge_setup(void) { start_devserver(&ds, NULL); }
static void bridge_teardown(void) { ds_proc_stop(&ds); }

TestSuite(bridge, .init = bridge_setup, .fini = bridge_teardown, .timeout = 60);

static sekha_client *bridge_client(const ds_proc *p, long idle_ms)
{
    sekha_options *o = test_options(p);
    if (idle_ms)
        cr_assert_eq(sekha_options_set_stream_idle_timeout_ms(o, idle_ms), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

static void run_chat(const ds_proc *p, int stream, const char *system, const char *user,
                     long max_tokens, run *r)
{
    sekha_client *c = bridge_client(p, 0);
    run_chat_on(c, stream, system, user, max_tokens, r);
    sekha_client_free(c);
}

static void arm(const char *rule)
{
    cr_assert_eq(ds_proc_fault(&ds, ds.bridge_url, rule), 0, "rule rejected: %s", rule);
}

Test(bridge, complete_answers_with_the_whole_completion)
{
    run r = {0};
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "hello");
    sekha_params *p = chat_params("m1", -1, 0, NULL);
    sekha_bridge_complete(c, m, p, on_final, &r);
    sekha_params_free(p);
    sekha_client_run(c);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, "You asked: hello");
    cr_assert_str_eq(r.finish, "stop");
    cr_assert_str_eq(r.role, "assistant");
    cr_assert_str_eq(r.model, "devserver-echo/m1");
    cr_assert_eq(strncmp(r.id, "chatcmpl-", 9), 0);
    cr_assert(r.has_usage);
    cr_assert_eq(r.usage[0], 1);
    cr_assert_eq(r.usage[1], 3);
    cr_assert_eq(r.usage[2], 4);
    cr_assert(r.complete);
    cr_assert_eq(r.streamed, 0);
    cr_assert_not_null(strstr(r.json, "\"object\":\"chat.completion\""));
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, replies_are_grounded_on_the_context_and_cut_by_max_tokens)
{
    run r = {0};
    run_chat(&ds, 0, "Paris is the capital of France", "capital?", 0, &r);
    cr_assert_str_eq(r.text, "Based on your memory: Paris is the capital of France ... you asked: capital?");
    run s = {0};
    run_chat(&ds, 0, NULL, "one two three", 2, &s);
    cr_assert_str_eq(s.text, "You asked:");
    cr_assert_str_eq(s.finish, "length");
}

Test(bridge, sync_forms_and_server_validation)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "sync please");
    sekha_completion *out = NULL;
    sekha_error *err = NULL;
    sekha_params *zero = chat_params(NULL, 0.0, 0, NULL), *three = chat_params(NULL, -1, 0, NULL);
    cr_assert_eq(sekha_params_set_text(three, SEKHA_PARAM_EXTRA_JSON, "{\"temperature\":3}"),
                 SEKHA_OK);
    cr_assert_eq(sekha_bridge_complete_sync(c, m, zero, &out, &err), SEKHA_OK);
    cr_assert_str_eq(sekha_completion_content(out, NULL), "You asked: sync please");
    sekha_completion_free(out);
    out = NULL;
    /* extra_json is sent as given (only the parameter is checked against the bridge's
     * limit); the bridge itself allows at most 2 */
    cr_assert_eq(sekha_bridge_complete_sync(c, m, three, &out, &err), SEKHA_E_VALIDATION);
    sekha_params_free(zero);
    sekha_params_free(three);
    cr_assert_null(out);
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_HTTP);
    cr_assert_eq(sekha_error_http_status(err), 422);
    cr_assert_not_null(strstr(sekha_error_service_message(err), "less than or equal to 2"),
                       "%s", sekha_error_message(err));
    sekha_error_free(err);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, invalid_arguments_end_through_the_callback)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *empty = sekha_messages_new();
    run r = {0}, s = {0};
    sekha_params *bad = chat_params(NULL, -1, 0, &s);
    /* a negative temperature is refused by the setter and reported by the call */
    cr_assert_eq(sekha_params_set_real(bad, SEKHA_PARAM_TEMPERATURE, -1.0), SEKHA_E_INVALID_ARG);
    cr_assert_not_null(sekha_bridge_complete(c, empty, NULL, on_final, &r));
    cr_assert_not_null(sekha_bridge_stream_complete(c, NULL, bad, on_final, &s));
    sekha_params_free(bad);
    cr_assert_eq(r.finals + s.finals, 0, "called from inside the call");
    sekha_client_run(c);
    cr_assert_eq(r.finals, 1);
    cr_assert_eq(r.code, SEKHA_E_INVALID_ARG);
    cr_assert_eq(r.has_result, 0);
    cr_assert_eq(s.code, SEKHA_E_INVALID_ARG);
    cr_assert_eq(s.has_result, 1, "streams always get a (here empty) result");
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"), 0);
    sekha_messages_free(empty);
    sekha_client_free(c);
}

Test(bridge, stream_assembles_what_complete_returns)
{
    run whole = {0}, r = {0};
    run_chat(&ds, 0, "context words here", "hello there \"quoted\" caf\xc3\xa9", 0, &whole);
    run_chat(&ds, 1, "context words here", "hello there \"quoted\" caf\xc3\xa9", 0, &r);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, whole.text);
    cr_assert_str_eq(r.seen, whole.text, "the chunks add up to the text");
    cr_assert_eq(r.chunks, 15, "one chunk per word plus the finish chunk");
    cr_assert_eq((size_t)r.chunks, r.res_chunks);
    cr_assert_eq(r.bad_index, 0);
    cr_assert_eq(r.roles, 1);
    cr_assert_eq(r.finishes, 1);
    cr_assert_str_eq(r.finish, "stop");
    cr_assert_str_eq(r.role, "assistant");
    cr_assert(r.has_usage);
    cr_assert_eq(r.usage[1], 14);
    cr_assert(r.complete);
    cr_assert(r.streamed);
    cr_assert_eq(r.synthetic, 0);
    cJSON *v = cJSON_Parse(r.json);
    cr_assert_not_null(v, "%s", r.json);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
                             cJSON_GetObjectItemCaseSensitive(v, "choices"), 0), "message"),
                         "content")->valuestring, whole.text);
    cJSON_Delete(v);
}

Test(bridge, one_byte_pieces_give_the_same_stream)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"pass\":true,\"chunk_size\":1}]}");
    run r = {0};
    run_chat(&ds, 1, NULL, "split me \\u00e9 anywhere", 0, &r);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, "You asked: split me \\u00e9 anywhere");
    cr_assert_eq(r.chunks, 7);
}

/* Faults in the middle of a stream: the error says what happened, the text so far stays. */
static const struct {
    const char *step;
    sekha_code code;
    sekha_layer layer;
    const char *partial;
    const char *says;
} stream_faults[] = {
    {"\"inband_error\":true", SEKHA_E_SERVICE, SEKHA_LAYER_SERVICE, "You", "injected in-band error"},
    {"\"cut_mid_event\":true", SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT, "You", NULL},
    {"\"truncate_after\":3,\"clean_close\":true", SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT,
     "You asked: one", "[DONE]"},
    {"\"truncate_after\":2", SEKHA_E_STREAM_CUT, SEKHA_LAYER_TRANSPORT, "You asked:", NULL},
    {"\"malformed_json\":true", SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "", "not valid JSON"},
    {"\"invalid_utf8\":true", SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, "", "UTF-8"},
};

Test(bridge, stream_faults_keep_the_text_so_far)
{
    for (size_t i = 0; i < sizeof stream_faults / sizeof *stream_faults; i++) {
        char rule[256];
        snprintf(rule, sizeof rule, "{\"path\":\"/v1/chat/completions\",\"steps\":[{%s}]}",
                 stream_faults[i].step);
        arm(rule);
        run r = {0};
        run_chat(&ds, 1, NULL, "one two three", 0, &r);
        cr_assert_eq(r.code, stream_faults[i].code, "%s: got %s", stream_faults[i].step, r.message);
        cr_assert_eq(r.layer, stream_faults[i].layer, "%s", stream_faults[i].step);
        cr_assert(r.has_result);
        cr_assert_str_eq(r.text, stream_faults[i].partial, "%s", stream_faults[i].step);
        cr_assert_str_eq(r.seen, stream_faults[i].partial);
        cr_assert_eq(r.complete, 0);
        cr_assert_eq(r.attempts, 1, "a stream is not retried once events arrived");
        if (stream_faults[i].says)
            cr_assert_not_null(strstr(r.message, stream_faults[i].says), "%s", r.message);
    }
}

Test(bridge, a_connection_cut_after_done_is_still_a_whole_reply)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"cut_after_done\":true}]}");
    run r = {0};
    run_chat(&ds, 1, NULL, "x y", 0, &r);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, "You asked: x y");
    cr_assert(r.complete);
}

Test(bridge, inband_error_keeps_the_service_code)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"inband_error\":true}]}");
    run r = {0};
    run_chat(&ds, 1, NULL, "x y", 0, &r);
    cr_assert_eq(r.service_code, 500);
    cr_assert_str_eq(r.service_msg, "injected in-band error");
}

Test(bridge, a_server_that_ignores_stream_gives_one_chunk)
{
    ds_proc plain;
    const char *const args[] = {"--no-stream", NULL};
    start_devserver(&plain, args);
    run r = {0};
    run_chat(&plain, 1, NULL, "hello there", 0, &r);
    ds_proc_stop(&plain);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_eq(r.chunks, 1);
    cr_assert_eq(r.synthetic, 1);
    cr_assert_eq(r.roles, 1);
    cr_assert_eq(r.finishes, 1);
    cr_assert_str_eq(r.seen, "You asked: hello there");
    cr_assert_str_eq(r.text, "You asked: hello there");
    cr_assert_eq(r.streamed, 0);
    cr_assert(r.complete);
    cr_assert_not_null(strstr(r.json, "\"object\":\"chat.completion\""));
}

Test(bridge, cancel_stop_and_pause_from_the_chunk_callback)
{
    run cancel = {.cancel_at = 2}, stop = {.stop_at = 2};
    run_chat(&ds, 1, NULL, "a b c d e f", 0, &cancel);
    cr_assert_eq(cancel.code, SEKHA_E_CANCELLED);
    cr_assert_eq(cancel.chunks, 2, "no chunk after the cancel");
    cr_assert_str_eq(cancel.text, "You asked:");
    cr_assert_eq(cancel.complete, 0);
    run_chat(&ds, 1, NULL, "a b c d e f", 0, &stop);
    cr_assert_eq(stop.code, SEKHA_OK);
    cr_assert_eq(stop.chunks, 2);
    cr_assert_str_eq(stop.text, "You asked:");
    cr_assert_eq(stop.complete, 0, "a stopped stream is partial");

    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "a b c d e f");
    run p = {.pause_at = 2};
    sekha_params *pp = chat_params(NULL, -1, 0, &p);
    sekha_request *req = sekha_bridge_stream_complete(c, m, pp, on_final, &p);
    sekha_params_free(pp);
    while (p.chunks < 2)
        sekha_client_poll(c, 100);
    for (int i = 0; i < 5; i++)
        sekha_client_poll(c, 20);
    cr_assert_eq(p.chunks, 2, "chunks delivered while paused");
    cr_assert_eq(p.finals, 0);
    sekha_request_resume(req);
    sekha_client_run(c);
    cr_assert_eq(p.code, SEKHA_OK);
    cr_assert_eq(p.chunks, 9);
    cr_assert_str_eq(p.text, "You asked: a b c d e f");
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, a_silent_stream_times_out_with_the_text_so_far)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"endless\":true,\"chunk_delay_ms\":3000}]}");
    sekha_client *c = bridge_client(&ds, 300);
    sekha_messages *m = msgs_of(NULL, "slow");
    run r = {0};
    sekha_params *p = chat_params(NULL, -1, 0, &r);
    sekha_bridge_stream_complete(c, m, p, on_final, &r);
    sekha_params_free(p);
    sekha_client_run(c);
    cr_assert_eq(r.code, SEKHA_E_TIMEOUT, "%s", r.message);
    cr_assert_eq(r.layer, SEKHA_LAYER_TRANSPORT);
    cr_assert_str_eq(r.text, "You");
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, sync_stream_hands_over_partial_results_too)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "sync stream");
    run r = {0};
    sekha_completion *out = NULL;
    sekha_error *err = NULL;
    sekha_params *p = chat_params(NULL, -1, 0, &r);
    cr_assert_eq(sekha_bridge_stream_complete_sync(c, m, p, &out, &err), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_null(err);
    cr_assert_eq(r.chunks, 5);
    cr_assert_str_eq(sekha_completion_content(out, NULL), "You asked: sync stream");
    sekha_completion_free(out);
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"inband_error\":true}]}");
    cr_assert_eq(sekha_bridge_stream_complete_sync(c, m, NULL, &out, &err), SEKHA_E_SERVICE);
    cr_assert_str_eq(sekha_completion_content(out, NULL), "You");
    cr_assert_eq(sekha_completion_complete(out), 0);
    cr_assert_eq(sekha_error_code(err), SEKHA_E_SERVICE);
    sekha_completion_free(out);
    sekha_error_free(err);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, completions_are_retried_as_idempotent)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"status\":500},{\"pass\":true},"
        "{\"status\":503},{\"pass\":true}]}");
    run r = {0}, s = {0};
    run_chat(&ds, 0, NULL, "again", 0, &r);
    cr_assert_eq(r.code, SEKHA_OK, "a 500 on a completion is retried: %s", r.message);
    run_chat(&ds, 1, NULL, "again", 0, &s);
    cr_assert_eq(s.code, SEKHA_OK, "%s", s.message);
    cr_assert_str_eq(s.text, "You asked: again");
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"), 4);
}

Test(bridge, error_bodies_with_status_200)
{
    arm("[{\"path\":\"/v1/chat/completions\",\"steps\":[{\"status\":200,\"body\":"
        "\"{\\\"error\\\":{\\\"message\\\":\\\"model overloaded\\\",\\\"code\\\":529}}\"},"
        "{\"status\":200,\"body\":\"{\\\"error\\\":{\\\"message\\\":\\\"also in streams\\\"}}\"},"
        "{\"status\":200,\"body\":\"{\\\"id\\\":\\\"x\\\",\\\"choices\\\":[]}\"}]}]");
    run a = {0}, b = {0}, c = {0};
    run_chat(&ds, 0, NULL, "x", 0, &a);
    cr_assert_eq(a.code, SEKHA_E_SERVICE);
    cr_assert_eq(a.layer, SEKHA_LAYER_SERVICE);
    cr_assert_str_eq(a.service_msg, "model overloaded");
    cr_assert_eq(a.service_code, 529);
    run_chat(&ds, 1, NULL, "x", 0, &b);
    cr_assert_eq(b.code, SEKHA_E_SERVICE);
    cr_assert_str_eq(b.service_msg, "also in streams");
    run_chat(&ds, 0, NULL, "x", 0, &c);
    cr_assert_eq(c.code, SEKHA_E_BAD_RESPONSE);
    cr_assert_not_null(strstr(c.message, "no choices"), "%s", c.message);
}

Test(bridge, many_streams_at_once_keep_their_own_text)
{
    enum { N = 40 };
    sekha_client *c = bridge_client(&ds, 0);
    run *r = calloc(N, sizeof *r);
    char user[N][32];
    for (int i = 0; i < N; i++) {
        snprintf(user[i], sizeof user[i], "stream number %d", i);
        sekha_messages *m = msgs_of(NULL, user[i]);
        sekha_params *p = chat_params(NULL, -1, 0, &r[i]);
        sekha_bridge_stream_complete(c, m, p, on_final, &r[i]);
        sekha_params_free(p);
        sekha_messages_free(m);
    }
    sekha_client_run(c);
    for (int i = 0; i < N; i++) {
        char want[64];
        snprintf(want, sizeof want, "You asked: %s", user[i]);
        cr_assert_eq(r[i].code, SEKHA_OK, "%d: %s", i, r[i].message);
        cr_assert_str_eq(r[i].text, want);
    }
    free(r);
    sekha_client_free(c);
}

/* ---- embeddings and health ---- */

static sekha_embeddings *embed_sync(sekha_client *c, const char *const *texts, size_t n,
                                    sekha_embed_api api, sekha_code want)
{
    sekha_embeddings *e = NULL;
    sekha_error *err = NULL;
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_EMBED_API, api), SEKHA_OK);
    sekha_code rc = sekha_bridge_embed_sync(c, texts, n, p, &e, &err);
    sekha_params_free(p);
    cr_assert_eq(rc, want, "%s", sekha_error_message(err));
    sekha_error_free(err);
    return e;
}

Test(bridge, embeddings_in_both_shapes_agree)
{
    sekha_client *c = bridge_client(&ds, 0);
    const char *const texts[] = {"hello world", "caf\xc3\xa9 au lait", "third text here"};
    sekha_embeddings *one[3];
    for (int i = 0; i < 3; i++) {
        one[i] = embed_sync(c, &texts[i], 1, i == 1 ? SEKHA_EMBED_SEKHA_V1 : SEKHA_EMBED_SEKHA,
                            SEKHA_OK);
        cr_assert_eq(sekha_embeddings_count(one[i]), 1);
    }
    cr_assert_str_eq(sekha_embeddings_model(one[0]), "devserver-hash");
    cr_assert_str_eq(sekha_embeddings_model(one[1]), "default");
    cr_assert_eq(sekha_embeddings_tokens(one[0]), 2);
    sekha_embeddings *all = embed_sync(c, texts, 3, SEKHA_EMBED_OPENAI, SEKHA_OK);
    cr_assert_eq(sekha_embeddings_count(all), 3);
    cr_assert_eq(sekha_embeddings_tokens(all), 2 + 3 + 3);
    for (size_t i = 0; i < 3; i++) {
        size_t d1, d2;
        const float *a = sekha_embeddings_vector(all, i, &d1);
        const float *b = sekha_embeddings_vector(one[i], 0, &d2);
        cr_assert_eq(d1, 256);
        cr_assert_eq(d2, 256);
        cr_assert_eq(memcmp(a, b, d1 * sizeof *a), 0, "vector %zu differs between shapes", i);
        sekha_embeddings_free(one[i]);
    }
    cr_assert_null(sekha_embeddings_vector(all, 3, NULL));
    cr_assert_not_null(strstr(sekha_embeddings_json(all), "\"data\""));
    sekha_embeddings_free(all);
    cr_assert_null(embed_sync(c, texts, 2, SEKHA_EMBED_SEKHA, SEKHA_E_INVALID_ARG));
    arm("{\"path\":\"/embed\",\"steps\":[{\"malformed_json\":true},"
        "{\"status\":200,\"body\":\"{\\\"embedding\\\":[1,2],\\\"dimension\\\":3}\"},"
        "{\"status\":200,\"body\":\"{\\\"embedding\\\":[1,\\\"x\\\"]}\"}]}");
    for (int i = 0; i < 3; i++)
        cr_assert_null(embed_sync(c, texts, 1, SEKHA_EMBED_SEKHA, SEKHA_E_BAD_RESPONSE));
    sekha_client_free(c);
}

static sekha_health *health_sync(sekha_client *c, sekha_code want, int attempts)
{
    sekha_health *h = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_health_sync(c, &h, &err), want, "%s", sekha_error_message(err));
    if (want != SEKHA_OK)
        cr_assert_eq(sekha_error_attempts(err), attempts);
    sekha_error_free(err);
    return h;
}

Test(bridge, health_verdicts)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_health *h = health_sync(c, SEKHA_OK, 1);
    cr_assert_eq(sekha_health_status(h), SEKHA_STATUS_HEALTHY);
    cr_assert_str_eq(sekha_health_status_text(h), "healthy");
    cr_assert_null(sekha_health_reason(h));
    cr_assert_not_null(strstr(sekha_health_json(h), "models_loaded"));
    sekha_health_free(h);
    arm("{\"path\":\"/health\",\"steps\":[{\"status\":503},"
        "{\"status\":200,\"body\":\"{\\\"status\\\":\\\"degraded\\\"}\"},"
        "{\"status\":200,\"body\":\"{\\\"status\\\":\\\"healthy\\\",\\\"ollama_status\\\":"
        "{\\\"status\\\":\\\"unhealthy\\\",\\\"reason\\\":\\\"ollama down\\\"}}\"}]}");
    cr_assert_null(health_sync(c, SEKHA_E_SERVER, 1));
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/health"), 2, "a probe is never retried");
    h = health_sync(c, SEKHA_OK, 1);
    cr_assert_eq(sekha_health_status(h), SEKHA_STATUS_DEGRADED);
    sekha_health_free(h);
    h = health_sync(c, SEKHA_OK, 1);
    cr_assert_eq(sekha_health_status(h), SEKHA_STATUS_UNHEALTHY);
    cr_assert_str_eq(sekha_service_status_name(sekha_health_status(h)), "unhealthy");
    cr_assert_str_eq(sekha_health_reason(h), "ollama down");
    sekha_health_free(h);
    sekha_client_free(c);
}

/* ---- limits ---- */

Test(bridge, an_endless_stream_ends_at_the_response_limit_with_its_text)
{
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"endless\":true,\"chunk_delay_ms\":1}]}");
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_max_response_bytes(o, 1024), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    /* a guard so that a client without the bound fails here instead of running forever */
    run r = {.cancel_at = 2000};
    run_chat_on(c, 1, NULL, "go on", 0, &r);
    cr_assert_eq(r.code, SEKHA_E_TOO_LARGE, "%s", r.message);
    cr_assert_not_null(strstr(r.message, "1024"), "%s", r.message);
    cr_assert(r.has_result, "the text so far is handed over");
    cr_assert_eq(r.complete, 0);
    size_t len = strlen(r.text);
    cr_assert_leq(len, 1024, "the kept text stays within the limit");
    cr_assert_gt(len, 1024 - 16, "every chunk that fitted is kept (%zu bytes)", len);
    cr_assert_eq(strncmp(r.text, "You asked: go on more more", 26), 0, "%s", r.text);
    cr_assert_str_eq(r.seen, r.text, "the chunk that crossed the limit was not delivered");
    cr_assert_eq((size_t)r.chunks, r.res_chunks);
    cr_assert_eq(r.attempts, 1);

    /* the sync form hands the partial completion over too */
    arm("{\"path\":\"/v1/chat/completions\",\"steps\":[{\"endless\":true,\"chunk_delay_ms\":1}]}");
    sekha_messages *m = msgs_of(NULL, "sync");
    sekha_completion *out = NULL;
    sekha_error *err = NULL;
    run s = {.cancel_at = 2000};
    sekha_params *p = chat_params(NULL, -1, 0, &s);
    cr_assert_eq(sekha_bridge_stream_complete_sync(c, m, p, &out, &err), SEKHA_E_TOO_LARGE);
    sekha_params_free(p);
    cr_assert_not_null(out);
    size_t n;
    sekha_completion_content(out, &n);
    cr_assert(n > 1024 - 16 && n <= 1024, "%zu", n);
    sekha_completion_free(out);
    sekha_error_free(err);
    sekha_messages_free(m);
    sekha_client_free(c);
}

/* One rule for every service: a probe reports the state at the time of asking, and a 503
 * is an answer, so a health call is never retried. */
Test(bridge, health_probes_are_never_retried_in_any_service)
{
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_max_retries(o, 3), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    cr_assert_eq(ds_proc_fault(&ds, ds.controller_url,
                               "{\"path\":\"/health\",\"steps\":[{\"status\":503,\"body\":\"\"}]}"),
                 0);
    sekha_health *h = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_health_sync(c, &h, &err), SEKHA_E_SERVER);
    cr_assert_null(h);
    cr_assert_eq(sekha_error_http_status(err), 503);
    cr_assert_eq(sekha_error_attempts(err), 1);
    sekha_error_free(err);
    cr_assert_eq(ds_proc_count(&ds, ds.controller_url, "/health"), 1, "a probe is never retried");
    arm("{\"path\":\"/health\",\"steps\":[{\"status\":503}]}");
    cr_assert_null(health_sync(c, SEKHA_E_SERVER, 1));
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/health"), 1);
    sekha_client_free(c);
}

/* ---- parameters ---- */

static void keep_error(sekha_request *req, const sekha_error *err, const sekha_embeddings *e,
                       void *ud)
{
    (void)req;
    run *r = ud;
    r->finals++;
    record_error(r, err);
    r->has_result = e != NULL;
}

Test(bridge, a_key_the_call_does_not_read_is_refused_and_nothing_is_sent)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "hello");
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, "work"), SEKHA_OK);
    run a = {0}, b = {0}, e = {0};
    cr_assert_not_null(sekha_bridge_complete(c, m, p, on_final, &a));
    cr_assert_not_null(sekha_bridge_stream_complete(c, m, p, on_final, &b));
    const char *const texts[] = {"x"};
    cr_assert_not_null(sekha_bridge_embed(c, texts, 1, p, keep_error, &e));
    cr_assert_eq(a.finals + b.finals + e.finals, 0, "called from inside the call");
    sekha_client_run(c);
    run *all[] = {&a, &b, &e};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(all[i]->finals, 1);
        cr_assert_eq(all[i]->code, SEKHA_E_INVALID_ARG, "%d: %s", i, all[i]->message);
        cr_assert_eq(all[i]->layer, SEKHA_LAYER_LOCAL);
        cr_assert_not_null(strstr(all[i]->message, "label"), "%s", all[i]->message);
    }
    cr_assert_not_null(strstr(a.message, "sekha_bridge_complete"), "%s", a.message);
    cr_assert_not_null(strstr(b.message, "sekha_bridge_stream_complete"), "%s", b.message);
    cr_assert_not_null(strstr(e.message, "sekha_bridge_embed"), "%s", e.message);
    /* the chunk callback belongs to streams only */
    cr_assert_eq(sekha_params_unset(p, SEKHA_PARAM_LABEL), SEKHA_OK);
    cr_assert_eq(sekha_params_set_on_chunk(p, on_chunk, &a), SEKHA_OK);
    sekha_completion *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_complete_sync(c, m, p, &out, &err), SEKHA_E_INVALID_ARG);
    cr_assert_null(out);
    cr_assert_not_null(strstr(sekha_error_message(err), "on_chunk"), "%s",
                       sekha_error_message(err));
    sekha_error_free(err);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"), 0);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/embed"), 0);
    sekha_params_free(p);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, a_failed_setter_is_reported_by_the_call)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "hello");
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, 0), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "m1"), SEKHA_OK);
    sekha_completion *out = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_bridge_stream_complete_sync(c, m, p, &out, &err), SEKHA_E_INVALID_ARG);
    cr_assert_not_null(out, "a stream hands over its (empty) completion");
    cr_assert_str_eq(sekha_completion_content(out, NULL), "");
    cr_assert_not_null(strstr(sekha_error_message(err), "max_tokens"), "%s",
                       sekha_error_message(err));
    sekha_completion_free(out);
    sekha_error_free(err);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"), 0);
    sekha_params_free(p);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge, temperature_zero_reaches_the_server_and_unset_leaves_its_default)
{
    /* The devserver echoes the model; the body test (test_bridge_codec.c) checks the bytes.
     * Here: 0 is accepted end to end, a value above the bridge's limit (2) is refused
     * before sending, and an unset one passes untouched. */
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "zero");
    sekha_params *p = chat_params(NULL, 0.0, 0, NULL);
    sekha_completion *out = NULL;
    cr_assert_eq(sekha_bridge_complete_sync(c, m, p, &out, NULL), SEKHA_OK);
    sekha_completion_free(out);
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 2.5), SEKHA_OK);
    cr_assert_eq(sekha_bridge_complete_sync(c, m, p, &out, NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_params_unset(p, SEKHA_PARAM_TEMPERATURE), SEKHA_OK);
    cr_assert_eq(sekha_bridge_complete_sync(c, m, p, &out, NULL), SEKHA_OK);
    sekha_completion_free(out);
    sekha_params_free(p);
    sekha_messages_free(m);
    sekha_client_free(c);
}

/* ---- ownership across threads ---- */

typedef struct kept {
    sekha_completion *completion;
    sekha_embeddings *embeddings;
} kept;

static void keep_completion(sekha_request *req, const sekha_error *err, const sekha_completion *c,
                            void *ud)
{
    (void)req;
    cr_assert_null(err, "%s", sekha_error_message(err));
    ((kept *)ud)->completion = sekha_completion_copy(c);
}

static void keep_embeddings(sekha_request *req, const sekha_error *err,
                            const sekha_embeddings *e, void *ud)
{
    (void)req;
    cr_assert_null(err, "%s", sekha_error_message(err));
    ((kept *)ud)->embeddings = sekha_embeddings_copy(e);
}

static void *read_and_free(void *arg)
{
    kept *k = arg;
    size_t len = 0;
    const char *text = sekha_completion_content(k->completion, &len);
    int ok = len > 0 && strncmp(text, "You asked: ", 11) == 0 &&
             strstr(sekha_completion_json(k->completion), "You asked") != NULL &&
             sekha_embeddings_count(k->embeddings) == 1;
    sekha_completion_free(k->completion);
    sekha_embeddings_free(k->embeddings);
    return ok ? arg : NULL;
}

Test(bridge, results_copied_in_the_callback_are_freed_on_another_thread)
{
    sekha_client *c = bridge_client(&ds, 0);
    sekha_messages *m = msgs_of(NULL, "keep me");
    kept k[2] = {{0}};
    const char *const texts[] = {"keep me"};
    for (int i = 0; i < 2; i++) {
        cr_assert_not_null(i ? sekha_bridge_stream_complete(c, m, NULL, keep_completion, &k[i])
                             : sekha_bridge_complete(c, m, NULL, keep_completion, &k[i]));
        cr_assert_not_null(sekha_bridge_embed(c, texts, 1, NULL, keep_embeddings, &k[i]));
    }
    sekha_client_run(c);
    /* the request and its result are gone on this side: only the copies remain */
    sekha_client_free(c);
    sekha_messages_free(m);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        cr_assert_not_null(k[i].completion);
        cr_assert_not_null(k[i].embeddings);
        cr_assert_eq(pthread_create(&t[i], NULL, read_and_free, &k[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        void *ok = NULL;
        cr_assert_eq(pthread_join(t[i], &ok), 0);
        cr_assert_not_null(ok, "thread %d read a wrong result", i);
    }
}

typedef struct json_reader {
    const sekha_completion *c;
    pthread_barrier_t *go;
    const char *json;
} json_reader;

static void *read_json(void *arg)
{
    json_reader *r = arg;
    pthread_barrier_wait(r->go);
    r->json = sekha_completion_json(r->c);
    return NULL;
}

Test(bridge, the_json_of_a_stream_is_built_once_from_several_threads)
{
    sekha_client *c = bridge_client(&ds, 0);
    /* a long reply, so that building its text takes long enough for the two threads to
     * meet inside it */
    enum { WORDS = 3000, ROUNDS = 20 };
    char *prompt = malloc(WORDS * 8 + 1), *want = malloc(WORDS * 8 + 16);
    cr_assert(prompt && want);
    size_t at = 0;
    for (int i = 0; i < WORDS; i++)
        at += (size_t)sprintf(prompt + at, i ? " w%d" : "w%d", i % 10000);
    sprintf(want, "You asked: %s", prompt);
    sekha_messages *m = msgs_of(NULL, prompt);
    kept k = {0};
    for (int round = 0; round < ROUNDS; round++) {
        k.completion = NULL;
        cr_assert_not_null(sekha_bridge_stream_complete(c, m, NULL, keep_completion, &k));
        sekha_client_run(c);
        cr_assert_not_null(k.completion);
        cr_assert(sekha_completion_streamed(k.completion), "built on demand for streams only");
        /* two owners, one object: each thread reads through its own copy */
        sekha_completion *other = sekha_completion_copy(k.completion);
        cr_assert_eq(other, k.completion, "a copy shares the completion");
        pthread_barrier_t go;
        cr_assert_eq(pthread_barrier_init(&go, NULL, 2), 0);
        json_reader r[2] = {{k.completion, &go, NULL}, {other, &go, NULL}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            cr_assert_eq(pthread_create(&t[i], NULL, read_json, &r[i]), 0);
        for (int i = 0; i < 2; i++)
            cr_assert_eq(pthread_join(t[i], NULL), 0);
        pthread_barrier_destroy(&go);
        cr_assert_not_null(r[0].json);
        cr_assert_eq(r[0].json, r[1].json, "both threads see the one text published");
        cJSON *v = cJSON_Parse(r[0].json);
        cr_assert_not_null(v, "%s", r[0].json);
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "choices"), 0), "message");
        /* the whole assembled text (the devserver may cut a long reply short) */
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(msg, "content")->valuestring,
                         sekha_completion_content(other, NULL));
        cr_assert_eq(strncmp(sekha_completion_content(other, NULL), want, 200), 0);
        cr_assert_gt(strlen(r[0].json), 1000);
        cJSON_Delete(v);
        cr_assert_eq(sekha_completion_json(other), r[0].json, "built once");
        sekha_completion_free(other);
        sekha_completion_free(k.completion);
    }
    free(prompt);
    free(want);
    sekha_messages_free(m);
    sekha_client_free(c);
}
