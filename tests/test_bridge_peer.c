/* The bridge sub-client against @dwmkerr/mock-llm, an OpenAI-compatible server nobody here
 * wrote (tests/peers, rules in tests/peers/mock-llm.yaml). One server per test, on a free
 * loopback port. When the peers are not installed the tests fail: CI installs them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_harness.h"
#include "peer.h"

static peer_proc mock;
static char mock_url[64];

static void mock_setup(void)
{
    const char *mods = peer_modules_dir();
    cr_assert_not_null(mods, "the npm test peers are not installed (SEKHA_PEERS_DIR=%s): "
                             "run scripts/test, or npm ci in tests/peers",
                       getenv("SEKHA_PEERS_DIR") ? getenv("SEKHA_PEERS_DIR") : "unset");
    char main_js[1024], config[1024], port_env[32];
    snprintf(main_js, sizeof main_js, "%s/@dwmkerr/mock-llm/dist/main.js", mods);
    snprintf(config, sizeof config, "%s/../mock-llm.yaml", mods);
    int port = peer_free_port();
    cr_assert_gt(port, 0);
    snprintf(port_env, sizeof port_env, "PORT=%d", port);
    const char *const argv[] = {"node", main_js, "--config", config, NULL};
    const char *const env[] = {"HOST=127.0.0.1", port_env, NULL};
    cr_assert_eq(peer_start(&mock, argv, env, NULL, port, 15000), 0, "mock-llm did not start");
    snprintf(mock_url, sizeof mock_url, "http://127.0.0.1:%d", port);
}

static void mock_teardown(void) { peer_stop(&mock); }

TestSuite(bridge_peer, .init = mock_setup, .fini = mock_teardown, .timeout = 60);

static sekha_client *mock_client(int retries, long idle_ms, const char *key)
{
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_BRIDGE, mock_url), SEKHA_OK);
    cr_assert_eq(sekha_options_set_max_retries(o, retries), SEKHA_OK);
    cr_assert_eq(sekha_options_set_backoff(o, 5, 50), SEKHA_OK);
    if (idle_ms)
        cr_assert_eq(sekha_options_set_stream_idle_timeout_ms(o, idle_ms), SEKHA_OK);
    if (key)
        cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_BRIDGE, key), SEKHA_OK);
    sekha_error *err = NULL;
    sekha_client *c = sekha_client_new(o, &err);
    cr_assert_not_null(c, "%s", sekha_error_message(err));
    sekha_options_free(o);
    return c;
}

static void chat(int stream, const char *user, run *r)
{
    sekha_client *c = mock_client(0, 0, NULL);
    run_chat_on(c, stream, NULL, user, 0, r);
    sekha_client_free(c);
}

/* Changes mock-llm's configuration at run time through libsekha's raw request API. */
static void mock_config(const char *method, const char *json)
{
    sekha_client *c = mock_client(0, 0, NULL);
    sekha_error *err = NULL;
    char line[64];
    snprintf(line, sizeof line, "%s /config", method);
    sekha_params *p = sekha_params_new();
    if (json) {
        cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_CONTENT_TYPE, "application/json"),
                     SEKHA_OK);
        cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, json, strlen(json)), SEKHA_OK);
    }
    sekha_code rc = sekha_http_request_sync(c, SEKHA_SERVICE_BRIDGE, line, p, NULL, &err);
    sekha_params_free(p);
    cr_assert_eq(rc, SEKHA_OK, "%s /config: %s", method, sekha_error_message(err));
    sekha_client_free(c);
}

Test(bridge_peer, plain_completion)
{
    const char *tricky = "say \"hi\"\nand caf\xc3\xa9 \\ done";
    run r = {0};
    chat(0, tricky, &r);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, tricky);
    cr_assert_str_eq(r.finish, "stop");
    cr_assert_str_eq(r.model, "mock/null", "no model was sent");
    cr_assert_str_eq(r.id, "chatcmpl-mock");
    cr_assert(r.has_usage);
    cr_assert_eq(r.usage[2], 8);
    cr_assert(r.complete);
}

Test(bridge_peer, streaming_completion)
{
    const char *text = "a streamed reply with \"quotes\", caf\xc3\xa9 and more words";
    run r = {0};
    chat(1, text, &r);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, text);
    cr_assert_str_eq(r.seen, text);
    cr_assert_gt(r.chunks, 10, "mock-llm sends 4 characters per chunk");
    cr_assert_eq((size_t)r.chunks, r.res_chunks);
    cr_assert_eq(r.roles, 1);
    cr_assert_eq(r.finishes, 1);
    cr_assert_str_eq(r.role, "assistant");
    cr_assert_str_eq(r.finish, "stop");
    cr_assert(r.streamed);
    cr_assert(r.complete);
    cr_assert_eq(r.bad_index, 0);
}

Test(bridge_peer, what_the_request_carries)
{
    sekha_client *c = mock_client(0, 0, "sk-test-key");
    sekha_messages *m = sekha_messages_new();
    sekha_messages_add(m, "user", "show-request");
    sekha_completion *out = NULL;
    sekha_params *p = chat_params(NULL, 0.0, 12, NULL);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_EXTRA_JSON, "{\"top_p\":0.5}"), SEKHA_OK);
    cr_assert_eq(sekha_bridge_complete_sync(c, m, p, &out, NULL), SEKHA_OK);
    sekha_params_free(p);
    cr_assert_str_eq(sekha_completion_content(out, NULL),
                     "temperature=0 max_tokens=12 stream=false auth=Bearer sk-test-key top_p=0.5");
    sekha_completion_free(out);
    cr_assert_eq(sekha_bridge_complete_sync(c, m, NULL, &out, NULL), SEKHA_OK);
    cr_assert_str_eq(sekha_completion_content(out, NULL),
                     "temperature=null max_tokens=null stream=false auth=Bearer sk-test-key "
                     "top_p=null");
    sekha_completion_free(out);
    sekha_messages_free(m);
    sekha_client_free(c);
}

Test(bridge_peer, inband_error_inside_a_200_stream)
{
    run r = {0};
    chat(1, "error-500", &r);
    cr_assert_eq(r.code, SEKHA_E_SERVICE, "%s", r.message);
    cr_assert_eq(r.layer, SEKHA_LAYER_SERVICE);
    cr_assert_str_eq(r.service_msg, "The server had an error");
    cr_assert_eq(r.service_code, 500);
    cr_assert_eq(r.status, 0, "not an HTTP error: the answer was a 200");
    cr_assert_eq(r.chunks, 0);
    cr_assert(r.has_result);
    cr_assert_eq(r.complete, 0);
}

Test(bridge_peer, http_errors_map_to_codes)
{
    static const struct {
        const char *user;
        sekha_code code;
        int status;
        const char *says;
    } cases[] = {
        {"error-401", SEKHA_E_AUTH, 401, "Incorrect API key provided."},
        {"error-429", SEKHA_E_RATE_LIMITED, 429, "Rate limit reached"},
        {"error-500", SEKHA_E_SERVER, 500, "The server had an error"},
        {"error-503", SEKHA_E_SERVER, 503, "The engine is currently overloaded"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        run r = {0};
        chat(0, cases[i].user, &r);
        cr_assert_eq(r.code, cases[i].code, "%s: %s", cases[i].user, r.message);
        cr_assert_eq(r.layer, SEKHA_LAYER_HTTP);
        cr_assert_eq(r.status, cases[i].status);
        cr_assert_str_eq(r.service_msg, cases[i].says);
        cr_assert_eq(r.has_result, 0);
    }
}

Test(bridge_peer, a_503_then_200_is_retried)
{
    sekha_client *c = mock_client(3, 0, NULL);
    run r = {0};
    run_chat_on(c, 0, NULL, "retry-me", 0, &r);
    cr_assert_eq(r.code, SEKHA_OK, "%s", r.message);
    cr_assert_str_eq(r.text, "second time lucky");
    /* On a stream request mock-llm turns the 503 into an in-band error event inside a 200
     * answer: a failure of the stream, never retried. The next call gets the reply. */
    mock_config("DELETE", NULL);
    run s = {0}, t = {0};
    run_chat_on(c, 1, NULL, "retry-me", 0, &s);
    cr_assert_eq(s.code, SEKHA_E_SERVICE, "%s", s.message);
    cr_assert_str_eq(s.service_msg, "overloaded, try again");
    cr_assert_eq(s.attempts, 1);
    run_chat_on(c, 1, NULL, "retry-me", 0, &t);
    cr_assert_eq(t.code, SEKHA_OK, "%s", t.message);
    cr_assert_str_eq(t.text, "second time lucky");
    cr_assert(t.streamed);
    /* without retries the first answer stands */
    mock_config("DELETE", NULL);
    run u = {0};
    chat(0, "retry-me", &u);
    cr_assert_eq(u.code, SEKHA_E_SERVER);
    cr_assert_str_eq(u.service_msg, "overloaded, try again");
    sekha_client_free(c);
}

Test(bridge_peer, embeddings_through_rules)
{
    sekha_client *c = mock_client(0, 0, NULL);
    const char *const texts[] = {"first", "second"};
    sekha_embeddings *e = NULL;
    sekha_error *err = NULL;
    sekha_params *openai = sekha_params_new();
    cr_assert_eq(sekha_params_set_int(openai, SEKHA_PARAM_EMBED_API, SEKHA_EMBED_OPENAI), SEKHA_OK);
    sekha_params *named = sekha_params_copy(openai);
    cr_assert_eq(sekha_params_set_text(named, SEKHA_PARAM_MODEL, "emb-model"), SEKHA_OK);
    cr_assert_eq(sekha_bridge_embed_sync(c, texts, 2, named, &e, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    sekha_params_free(named);
    cr_assert_eq(sekha_embeddings_count(e), 2);
    cr_assert_str_eq(sekha_embeddings_model(e), "emb-model");
    cr_assert_eq(sekha_embeddings_tokens(e), 2);
    size_t dim;
    const float *v0 = sekha_embeddings_vector(e, 0, &dim), *v1 = sekha_embeddings_vector(e, 1, NULL);
    cr_assert_eq(dim, 3);
    cr_assert(v0[0] == 1.0f && v0[1] == 2.0f && v0[2] == 3.0f, "index 0 placed first");
    cr_assert(v1[0] == 0.5f && v1[1] == -0.25f && v1[2] == 1e-3f);
    sekha_embeddings_free(e);
    cr_assert_eq(sekha_bridge_embed_sync(c, texts, 1, openai, &e, &err),
                 SEKHA_E_BAD_RESPONSE, "two vectors for one input is not an answer");
    sekha_params_free(openai);
    sekha_error_free(err);
    cr_assert_eq(sekha_bridge_embed_sync(c, texts, 1, NULL, &e, NULL), SEKHA_OK);
    cr_assert_eq(sekha_embeddings_vector(e, 0, &dim)[1], 0.25f);
    cr_assert_eq(dim, 2);
    sekha_embeddings_free(e);
    sekha_client_free(c);
}

Test(bridge_peer, health)
{
    sekha_client *c = mock_client(0, 0, NULL);
    sekha_health *h = NULL;
    cr_assert_eq(sekha_bridge_health_sync(c, &h, NULL), SEKHA_OK);
    cr_assert_eq(sekha_health_status(h), SEKHA_STATUS_HEALTHY);
    sekha_health_free(h);
    sekha_client_free(c);
}

Test(bridge_peer, slow_chunks_hit_the_read_timeout)
{
    mock_config("PATCH", "{\"streaming\":{\"chunkSize\":4,\"chunkIntervalMs\":3000}}");
    sekha_client *c = mock_client(0, 300, NULL);
    run r = {0};
    run_chat_on(c, 1, NULL, "nothing arrives in time", 0, &r);
    cr_assert_eq(r.code, SEKHA_E_TIMEOUT, "%s", r.message);
    cr_assert_eq(r.layer, SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(r.chunks, 0);
    cr_assert(r.has_result);
    sekha_client_free(c);
}

Test(bridge_peer, cancel_while_chunks_trickle_in)
{
    mock_config("PATCH", "{\"streaming\":{\"chunkSize\":1,\"chunkIntervalMs\":20}}");
    run r = {.cancel_at = 3};
    chat(1, "abcdefghijklmnopqrstuvwxyz", &r);
    cr_assert_eq(r.code, SEKHA_E_CANCELLED, "%s", r.message);
    cr_assert_eq(r.chunks, 3);
    cr_assert_str_eq(r.text, "abc");
    cr_assert_eq(r.complete, 0);
}
