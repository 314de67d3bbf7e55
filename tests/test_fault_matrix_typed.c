/* The fault matrix for typed calls: a controller read, a controller create, an MCP tool
 * endpoint and a real MCP (JSON-RPC) tool call each meet the same injected faults. Every
 * call must end with the right layer, code and attempt count, nothing stored twice, and no
 * file descriptor left behind. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static ds_proc ds;
static char conv_id[64];

static sekha_options *options(long timeout_ms)
{
    sekha_options *o = test_options(&ds);
    cr_assert_eq(sekha_options_set_max_retries(o, 2), SEKHA_OK);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_MCP, "dev_default_key_change_me_1234567890"), SEKHA_OK);
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_MCP, ds.controller_url), SEKHA_OK);
    if (timeout_ms)
        cr_assert_eq(sekha_options_set_attempt_timeout_ms(o, timeout_ms), SEKHA_OK);
    return o;
}

/* What the controller create of this matrix stores: label, folder and importance 5. */
static sekha_params *faults_params(void)
{
    sekha_params *p = sekha_params_new();
    cr_assert_not_null(p);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, "Faults"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FOLDER, "/f"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 5), SEKHA_OK);
    return p;
}

static void setup(void)
{
    start_devserver(&ds, NULL);
    sekha_options *o = options(0);
    sekha_client *c = test_client(o);
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", "a memory to read back"), SEKHA_OK);
    sekha_params *p = faults_params();
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(c, m, p, &conv, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    snprintf(conv_id, sizeof conv_id, "%s", sekha_conversation_id(conv));
    sekha_conversation_free(conv);
    sekha_params_free(p);
    sekha_messages_free(m);
    sekha_client_free(c);
    sekha_options_free(o);
}

static void teardown(void) { ds_proc_stop(&ds); }

TestSuite(fault_matrix_typed, .init = setup, .fini = teardown, .timeout = 180);

typedef enum kind { CTL_GET, CTL_CREATE, MCP_TOOL, MCP_RPC, KINDS } kind;

static const char *const kind_name[KINDS] = {"controller get", "controller create", "MCP tool endpoint",
                                             "MCP JSON-RPC tools/call"};

static const char *rule_path(kind k)
{
    static char path[128];
    switch (k) {
    case CTL_GET: snprintf(path, sizeof path, "/api/v1/conversations/%s", conv_id); return path;
    case CTL_CREATE: return "/api/v1/conversations";
    case MCP_TOOL: return "/mcp/tools/memory_stats";
    default: return "/mcp";
    }
}

static long count_conversations(void)
{
    sekha_options *o = options(0);
    sekha_client *c = test_client(o);
    sekha_count_result *n = NULL;
    long v = -1;
    if (sekha_controller_count_conversations_sync(c, NULL, &n, NULL) == SEKHA_OK)
        v = (long)sekha_count_result_value(n);
    sekha_count_result_free(n);
    sekha_client_free(c);
    sekha_options_free(o);
    return v;
}

/* Runs one call of kind k; returns its code and fills layer and attempts. The MCP session
 * is initialized before the fault is armed, so the fault meets the tools/call itself. */
static sekha_code run(kind k, const char *steps, long timeout_ms, int refused, sekha_layer *layer, int *attempts)
{
    sekha_options *o = options(timeout_ms);
    if (refused) {
        cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_CONTROLLER, "http://127.0.0.1:1"), SEKHA_OK);
        cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_MCP, "http://127.0.0.1:1"), SEKHA_OK);
    }
    sekha_client *c = test_client(o);
    cr_assert_eq(ds_proc_clear_faults(&ds), 0); /* unused steps of the previous case */
    /* a connection to reuse, as in any long-lived client */
    if (!refused)
        cr_assert_eq(sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "GET /health",
                                             NULL, NULL, NULL), SEKHA_OK);
    sekha_mcp_session *s = NULL;
    if (k == MCP_RPC) {
        char url[192];
        snprintf(url, sizeof url, "%s/mcp", refused ? "http://127.0.0.1:1" : ds.controller_url);
        s = sekha_mcp_session_new_http(c, url, NULL);
        cr_assert_not_null(s);
        if (!refused)
            cr_assert_eq(sekha_mcp_session_ping_sync(s, NULL), SEKHA_OK);
    }
    cr_assert_eq(ds_proc_clear_faults(&ds), 0);
    if (steps) {
        char rule[1024];
        snprintf(rule, sizeof rule, "{\"path\":\"%s\",\"steps\":%s}", rule_path(k), steps);
        cr_assert_eq(ds_proc_fault(&ds, ds.controller_url, rule), 0, "rule rejected: %s", rule);
    }
    sekha_error *err = NULL;
    sekha_code rc;
    switch (k) {
    case CTL_GET: {
        sekha_conversation *conv = NULL;
        rc = sekha_controller_get_conversation_sync(c, conv_id, &conv, &err);
        sekha_conversation_free(conv);
        break;
    }
    case CTL_CREATE: {
        sekha_messages *m = sekha_messages_new();
        sekha_messages_add(m, "user", "stored under faults");
        sekha_params *p = faults_params();
        sekha_conversation *conv = NULL;
        rc = sekha_controller_create_conversation_sync(c, m, p, &conv, &err);
        sekha_conversation_free(conv);
        sekha_params_free(p);
        sekha_messages_free(m);
        break;
    }
    case MCP_TOOL: {
        sekha_mcp_data *d = NULL;
        rc = sekha_mcp_memory_stats_sync(c, NULL, &d, &err);
        sekha_mcp_data_free(d);
        break;
    }
    default: {
        sekha_mcp_tool_result *r = NULL;
        rc = sekha_mcp_session_call_tool_sync(s, "memory_stats", "{}", NULL, &r, &err);
        sekha_mcp_tool_result_free(r);
        break;
    }
    }
    *layer = sekha_error_layer(err);
    *attempts = err ? sekha_error_attempts(err) : -1;
    sekha_error_free(err);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    sekha_options_free(o);
    return rc;
}

typedef struct expect {
    sekha_code code;
    sekha_layer layer;
    int attempts; /* -1 = not checked (success) */
} expect;

static void check(kind k, const char *name, const char *steps, long timeout_ms, int refused, expect e)
{
    int fds = fd_count();
    sekha_layer layer;
    int attempts;
    sekha_code rc = run(k, steps, timeout_ms, refused, &layer, &attempts);
    cr_expect_eq(rc, e.code, "%s / %s: code %d (%s), expected %d", kind_name[k], name, rc, sekha_strerror(rc),
                 e.code);
    cr_expect_eq(layer, e.layer, "%s / %s: layer %s", kind_name[k], name, sekha_layer_name(layer));
    if (e.attempts >= 0)
        cr_expect_eq(attempts, e.attempts, "%s / %s: %d attempts, expected %d", kind_name[k], name, attempts,
                     e.attempts);
    cr_expect_eq(fd_count(), fds, "%s / %s: file descriptors leaked", kind_name[k], name);
}

#define OK_ {SEKHA_OK, SEKHA_LAYER_NONE, -1}

Test(fault_matrix_typed, every_kind_meets_every_fault)
{
    for (int k = 0; k < KINDS; k++) {
        int post_unsafe = k == CTL_CREATE || k == MCP_RPC; /* may have side effects */
        check(k, "connection refused", NULL, 0, 1, (expect){SEKHA_E_CONNECT, SEKHA_LAYER_TRANSPORT, 3});
        check(k, "close before the status line", "[{\"close\":\"before_status\"},{\"pass\":true}]", 0, 0,
              post_unsafe ? (expect){SEKHA_E_OUTCOME_UNKNOWN, SEKHA_LAYER_TRANSPORT, 1} : (expect)OK_);
        check(k, "close mid-headers", "[{\"close\":\"mid_headers\"},{\"pass\":true}]", 0, 0,
              post_unsafe ? (expect){SEKHA_E_OUTCOME_UNKNOWN, SEKHA_LAYER_TRANSPORT, 1} : (expect)OK_);
        check(k, "close mid-body", "[{\"close\":\"mid_body\"},{\"pass\":true}]", 0, 0,
              post_unsafe ? (expect){SEKHA_E_OUTCOME_UNKNOWN, SEKHA_LAYER_TRANSPORT, 1} : (expect)OK_);
        check(k, "stall past the timeout", "[{\"stall\":true},{\"stall\":true},{\"stall\":true}]", 300, 0,
              (expect){SEKHA_E_TIMEOUT, SEKHA_LAYER_TRANSPORT,
                       post_unsafe ? 1 : 3});
        check(k, "one byte per write", "[{\"pass\":true,\"chunk_size\":1}]", 0, 0, (expect)OK_);
        check(k, "429 without Retry-After",
              "[{\"status\":429,\"body\":\"Rate limit exceeded. Please try again later.\",\"content_type\":\"text/plain\"},{\"pass\":true}]",
              0, 0, (expect)OK_);
        check(k, "429 with Retry-After seconds", "[{\"status\":429,\"retry_after\":\"0\"},{\"pass\":true}]", 0, 0,
              (expect)OK_);
        check(k, "429 with Retry-After HTTP-date",
              "[{\"status\":429,\"retry_after\":\"Wed, 21 Oct 2015 07:28:00 GMT\"},{\"pass\":true}]", 0, 0, (expect)OK_);
        check(k, "503 burst longer than the retries", "[{\"status\":503},{\"status\":503},{\"status\":503},{\"pass\":true}]",
              0, 0, (expect){SEKHA_E_SERVER, SEKHA_LAYER_HTTP, 3});
        check(k, "malformed JSON", "[{\"malformed_json\":true}]", 0, 0,
              (expect){SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, 1});
        check(k, "invalid UTF-8 in JSON strings", "[{\"invalid_utf8\":true}]", 0, 0,
              (expect){SEKHA_E_BAD_RESPONSE, SEKHA_LAYER_SERVICE, 1});
        check(k, "redirect loop", "[{\"redirect_loop\":true}]", 0, 0,
              (expect){SEKHA_E_REDIRECT, SEKHA_LAYER_HTTP, 1});
    }
}

Test(fault_matrix_typed, a_create_whose_answer_is_lost_is_stored_once_and_not_resent)
{
    long before = count_conversations();
    cr_assert_geq(before, 1);
    sekha_layer layer;
    int attempts;
    sekha_code rc = run(CTL_CREATE, "[{\"close\":\"after_handling\"},{\"pass\":true}]", 0, 0, &layer, &attempts);
    cr_assert_eq(rc, SEKHA_E_OUTCOME_UNKNOWN);
    cr_assert_eq(layer, SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(attempts, 1);
    cr_assert_eq(count_conversations(), before + 1, "stored exactly once, not twice and not zero times");
}
