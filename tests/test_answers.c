/* The client's answers to what the deployed Sekha stack really does, with the devserver's
 * fault rules standing in for it: a temperature the bridge would refuse is refused before
 * sending (and 0, which the bridge turns into 0.7, is noted by the CLI); a controller
 * without the MCP tool routes gives an error that says so; content parts refused with a
 * 422 are explained; memory_update reports what was stored, not what the tool claimed;
 * a stream answered with one JSON completion is one synthetic chunk. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_runner.h"
#include "testutil.h"

static ds_proc ds;
static sekha_client *cl;

static void setup(void)
{
    start_devserver(&ds, NULL);
    cl = test_client_with_mcp(&ds);
}

static void teardown(void)
{
    sekha_client_free(cl);
    ds_proc_stop(&ds);
}

TestSuite(answers, .init = setup, .fini = teardown, .timeout = 60);

/* Arms one rule on the listener at base: steps for method path (a "/prefix*" path too). */
static void arm(const char *base, const char *method, const char *path, const char *steps)
{
    char rule[4096];
    snprintf(rule, sizeof rule, "{\"path\":\"%s\",\"method\":\"%s\",\"steps\":%s}", path, method,
             steps);
    cr_assert_eq(ds_proc_fault(&ds, base, rule), 0, "rule rejected: %s", rule);
}

/* The steps of a rule: one answer of status with body (any text, escaped here) as
 * content_type (caller frees). */
static char *step(int status, const char *content_type, const char *body)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "status", status);
    cJSON_AddStringToObject(s, "content_type", content_type);
    cJSON_AddStringToObject(s, "body", body);
    cJSON *steps = cJSON_CreateArray();
    cJSON_AddItemToArray(steps, s);
    char *text = cJSON_PrintUnformatted(steps);
    cJSON_Delete(steps);
    cr_assert_not_null(text);
    return text;
}

static void expect(sekha_code got, sekha_error *err, sekha_code code, const char *needle)
{
    cr_assert_eq(got, code, "code %d, want %d: %s", got, code, sekha_error_message(err));
    if (needle)
        cr_assert_not_null(strstr(sekha_error_message(err), needle), "\"%s\" not in: %s",
                           needle, sekha_error_message(err));
}

/* Runs the CLI aimed at the devserver (controller, bridge, MCP key), then args. */
static void run_cli(const char *const *args, cli_out *o)
{
    const char *argv[40] = {"--controller-url", ds.controller_url, "--bridge-url", ds.bridge_url,
                            "--mcp-api-key", DS_DEV_KEY};
    size_t n = 6;
    for (; *args && n < 39; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    cli_exec(NULL, argv, 0, 0, o);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Stores one conversation through REST; returns its id (caller frees). */
static char *store(const char *label, const char *folder)
{
    sekha_messages *m = msgs_of(NULL, "the deployed stack differs");
    sekha_params *p = sekha_params_new();
    sekha_params_set_text(p, SEKHA_PARAM_LABEL, label);
    sekha_params_set_text(p, SEKHA_PARAM_FOLDER, folder);
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(cl, m, p, &conv, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    char *id = strdup(sekha_conversation_id(conv));
    sekha_conversation_free(conv);
    sekha_params_free(p);
    sekha_messages_free(m);
    return id;
}

/* ---- temperature ---- */

Test(answers, a_temperature_above_2_is_refused_before_sending)
{
    sekha_messages *m = msgs_of(NULL, "hi");
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 2.5), SEKHA_OK);
    sekha_completion *res = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_bridge_complete_sync(cl, m, p, &res, &err);
    expect(rc, err, SEKHA_E_INVALID_ARG, "temperature must be from 0 to 2");
    cr_assert_not_null(strstr(sekha_error_message(err), "2.5"), "%s", sekha_error_message(err));
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_LOCAL);
    cr_assert_null(res);
    sekha_error_free(err);
    err = NULL;
    rc = sekha_bridge_stream_complete_sync(cl, m, p, &res, &err);
    expect(rc, err, SEKHA_E_INVALID_ARG, "sekha_bridge_stream_complete: temperature");
    sekha_error_free(err);
    sekha_completion_free(res);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"), 0, "nothing sent");

    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 2), SEKHA_OK);
    err = NULL;
    res = NULL;
    cr_assert_eq(sekha_bridge_complete_sync(cl, m, p, &res, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    sekha_completion_free(res);
    sekha_params_free(p);
    sekha_messages_free(m);
}

Test(answers, cli_temperature_0_is_noted_and_above_2_is_usage)
{
    cli_out o;
    run_cli(ARGS("complete", "hi", "--temperature", "0"), &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_not_null(strstr(o.err, "may replace temperature 0 with its default, 0.7"), "%s",
                       o.err);
    cr_assert_eq(strchr(o.err, '\n'), o.err + strlen(o.err) - 1, "one line: %s", o.err);
    run_cli(ARGS("complete", "hi", "--temperature", "0.5"), &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_str_eq(o.err, "", "no note for other temperatures");
    long before = ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions");
    run_cli(ARGS("complete", "hi", "--temperature", "3"), &o);
    cr_assert_eq(o.status, 2, "stderr: %s", o.err);
    cr_assert_not_null(strstr(o.err, "from 0 to 2"), "%s", o.err);
    cr_assert_eq(ds_proc_count(&ds, ds.bridge_url, "/v1/chat/completions"), before);
}

/* ---- a controller without /mcp/tools ---- */

Test(answers, a_controller_without_mcp_tool_routes_is_named_as_such)
{
    char *id = store("kept", "/a");
    char *s = step(404, "text/plain", "");
    char rule[512];
    snprintf(rule, sizeof rule, "{\"path\":\"/mcp/tools/*\",\"repeat\":true,\"steps\":%s}", s);
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0);
    free(s);
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_mcp_memory_stats_sync(cl, NULL, &d, &err);
    expect(rc, err, SEKHA_E_NOT_FOUND, "the controller serves no MCP tool routes");
    cr_assert_not_null(strstr(sekha_error_message(err), "sekha_controller_"), "%s",
                       sekha_error_message(err));
    cr_assert_null(strstr(sekha_error_message(err), "no such conversation"), "%s",
                   sekha_error_message(err));
    cr_assert_eq(sekha_error_http_status(err), 404);
    sekha_error_free(err);
    err = NULL;
    rc = sekha_mcp_memory_search_sync(cl, "q", NULL, &d, &err);
    expect(rc, err, SEKHA_E_NOT_FOUND, "serves no MCP tool routes");
    sekha_error_free(err);
    err = NULL;
    /* A bare 404 on a tool about one conversation may also be "no such conversation". */
    rc = sekha_mcp_memory_get_context_sync(cl, id, &d, &err);
    expect(rc, err, SEKHA_E_NOT_FOUND, "no such conversation, or the controller serves no MCP");
    sekha_error_free(err);

    cli_out o;
    run_cli(ARGS("mcp", "stats"), &o);
    cr_assert_eq(o.status, 1, "stdout %s stderr %s", o.out, o.err);
    cr_assert_not_null(strstr(o.err, "serves no MCP tool routes"), "%s", o.err);
    cr_assert_str_eq(o.out, "");
    cr_assert_not_null(strstr(o.err, "hint: sekha count, sekha list and sekha query"), "%s",
                       o.err);
    free(id);
}

Test(answers, a_conversation_the_tools_do_not_know_is_still_a_plain_not_found)
{
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_mcp_memory_get_context_sync(cl, "3f8a5c1e-0000-4000-8000-000000000001",
                                                      &d, &err);
    expect(rc, err, SEKHA_E_NOT_FOUND, "no such conversation");
    sekha_error_free(err);
}

/* ---- content parts and a controller that takes text only ---- */

static sekha_messages *with_parts(void)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "what is in this picture?"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "https://example.invalid/a.png", NULL),
                 SEKHA_OK);
    return m;
}

#define SERDE_422 "Failed to deserialize the JSON body into the target type: messages[0].content: " \
                  "invalid type: sequence, expected a string at line 1 column 60"

Test(answers, content_parts_refused_with_422_say_the_controller_takes_text_only)
{
    char *s = step(422, "text/plain; charset=utf-8", SERDE_422);
    arm(NULL, "POST", "/api/v1/conversations", s);
    sekha_messages *m = with_parts();
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_controller_create_conversation_sync(cl, m, NULL, &conv, &err);
    expect(rc, err, SEKHA_E_VALIDATION, "accepts only plain-text message content");
    cr_assert_str_eq(sekha_error_service_message(err), SERDE_422, "the server's words are kept");
    cr_assert_null(conv);
    sekha_error_free(err);

    /* Plain text refused the same way: nothing to say about parts. */
    arm(NULL, "POST", "/api/v1/conversations", s);
    sekha_messages *plain = msgs_of(NULL, "text");
    err = NULL;
    rc = sekha_controller_create_conversation_sync(cl, plain, NULL, &conv, &err);
    expect(rc, err, SEKHA_E_VALIDATION, NULL);
    cr_assert_null(strstr(sekha_error_message(err), "plain-text"), "%s", sekha_error_message(err));
    sekha_error_free(err);

    arm(NULL, "POST", "/mcp/tools/memory_store", s);
    sekha_mcp_data *d = NULL;
    err = NULL;
    rc = sekha_mcp_memory_store_sync(cl, m, NULL, &d, &err);
    expect(rc, err, SEKHA_E_VALIDATION, "accepts only plain-text message content");
    cr_assert_null(d);
    sekha_error_free(err);
    arm(NULL, "POST", "/mcp/tools/memory_store", s);
    err = NULL;
    rc = sekha_mcp_memory_store_sync(cl, plain, NULL, &d, &err);
    expect(rc, err, SEKHA_E_VALIDATION, NULL);
    cr_assert_null(strstr(sekha_error_message(err), "plain-text"), "%s", sekha_error_message(err));
    sekha_error_free(err);
    sekha_messages_free(plain);
    sekha_messages_free(m);
    free(s);
}

/* ---- memory_update: what was stored ---- */

/* The January controller's answer: status and importance listed as updated (and
 * "label/folder" as one entry) although only label and folder were saved. */
static void arm_upstream_update(const char *id)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"success\":true,\"data\":{\"conversation_id\":\"%s\",\"updated_fields\":"
             "[\"label/folder\",\"status\",\"importance_score\"],\"message\":\"Conversation "
             "updated successfully\"},\"error\":null}",
             id);
    char *s = step(200, "application/json", body);
    arm(NULL, "POST", "/mcp/tools/memory_update", s);
    free(s);
}

static sekha_params *update_params(void)
{
    sekha_params *p = sekha_params_new();
    sekha_params_set_text(p, SEKHA_PARAM_LABEL, "new");
    sekha_params_set_text(p, SEKHA_PARAM_FOLDER, "/b");
    sekha_params_set_text(p, SEKHA_PARAM_STATUS, "archived");
    sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 9);
    return p;
}

Test(answers, memory_update_reports_what_was_stored_not_what_was_claimed)
{
    char *id = store("old", "/a");
    /* What that controller does: label and folder saved, nothing else. */
    cr_assert_eq(sekha_controller_update_label_sync(cl, id, "new", "/b", NULL), SEKHA_OK);
    arm_upstream_update(id);
    sekha_params *p = update_params();
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_memory_update_sync(cl, id, p, &d, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_mcp_data_count(d, "updated_fields"), 2, "%s", sekha_mcp_data_json(d));
    cr_assert_str_eq(sekha_mcp_data_str(d, "updated_fields.0"), "label");
    cr_assert_str_eq(sekha_mcp_data_str(d, "updated_fields.1"), "folder");
    cr_assert_eq(sekha_mcp_data_count(d, "not_stored"), 2);
    cr_assert_str_eq(sekha_mcp_data_str(d, "not_stored.0"), "status");
    cr_assert_str_eq(sekha_mcp_data_str(d, "not_stored.1"), "importance_score");
    cr_assert_str_eq(sekha_mcp_data_str(d, "stored.label"), "new");
    cr_assert_str_eq(sekha_mcp_data_str(d, "stored.status"), "active");
    cr_assert_eq(sekha_mcp_data_num(d, "stored.importance_score", 0), 5);
    cr_assert_str_eq(sekha_mcp_data_str(d, "reported_fields.0"), "label/folder");
    cr_assert_str_eq(sekha_mcp_data_str(d, "conversation_id"), id);
    cr_assert_str_eq(sekha_mcp_data_str(d, "message"), "Conversation updated successfully");
    sekha_mcp_data_free(d);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp/tools/memory_get_context"), 1, "read back once");

    /* A controller that saves everything: all four read back as asked. */
    d = NULL;
    cr_assert_eq(sekha_mcp_memory_update_sync(cl, id, p, &d, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_eq(sekha_mcp_data_count(d, "updated_fields"), 4, "%s", sekha_mcp_data_json(d));
    cr_assert_eq(sekha_mcp_data_count(d, "not_stored"), 0);
    sekha_mcp_data_free(d);
    sekha_params_free(p);

    /* The CLI shows the same: label already held, the rest not saved by the claim. */
    arm_upstream_update(id);
    cli_out o;
    char args[256];
    snprintf(args, sizeof args,
             "{\"conversation_id\":\"%s\",\"label\":\"new\",\"status\":\"active\","
             "\"importance_score\":3}", id);
    run_cli(ARGS("mcp", "call", "memory_update", "--args", args), &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cJSON *v = cJSON_Parse(o.out);
    cr_assert_not_null(v, "not JSON: %s", o.out);
    char *fields = cJSON_PrintUnformatted(cJSON_GetObjectItem(v, "updated_fields"));
    cr_assert_str_eq(fields, "[\"label\"]", "%s", o.out);
    cJSON_free(fields);
    fields = cJSON_PrintUnformatted(cJSON_GetObjectItem(v, "not_stored"));
    cr_assert_str_eq(fields, "[\"status\",\"importance_score\"]", "%s", o.out);
    cJSON_free(fields);
    cJSON_Delete(v);
    free(id);
}

typedef struct update_box {
    int calls;
    sekha_code code;
    int had_data;
} update_box;

static void on_update(sekha_request *req, const sekha_error *err, const sekha_mcp_data *d,
                      void *ud)
{
    (void)req;
    update_box *b = ud;
    b->calls++;
    b->code = sekha_error_code(err);
    b->had_data = d != NULL;
}

Test(answers, memory_update_failures_and_cancel_give_one_callback)
{
    char *id = store("x", "/x");
    /* The update fails: no read-back. */
    char *s = step(500, "text/plain", "");
    arm(NULL, "POST", "/mcp/tools/memory_update", s);
    free(s);
    sekha_params *p = update_params();
    sekha_mcp_data *d = NULL;
    sekha_error *err = NULL;
    sekha_code rc = sekha_mcp_memory_update_sync(cl, id, p, &d, &err);
    expect(rc, err, SEKHA_E_SERVER, "memory_update");
    cr_assert_null(d);
    sekha_error_free(err);
    cr_assert_eq(ds_proc_count(&ds, NULL, "/mcp/tools/memory_get_context"), 0);
    /* The read-back fails: its error is the call's. */
    s = step(500, "text/plain", "");
    char rule[512];
    snprintf(rule, sizeof rule,
             "{\"path\":\"/mcp/tools/memory_get_context\",\"repeat\":true,\"steps\":%s}", s);
    cr_assert_eq(ds_proc_fault(&ds, NULL, rule), 0);
    free(s);
    err = NULL;
    rc = sekha_mcp_memory_update_sync(cl, id, p, &d, &err);
    expect(rc, err, SEKHA_E_SERVER, "memory_get_context");
    cr_assert_null(d);
    sekha_error_free(err);
    cr_assert_eq(ds_proc_clear_faults(&ds), 0);
    /* Cancelled while the update stalls: one final callback, with SEKHA_E_CANCELLED. */
    arm(NULL, "POST", "/mcp/tools/memory_update", "[{\"stall\":true}]");
    update_box box = {0, SEKHA_OK, 0};
    sekha_request *r = sekha_mcp_memory_update(cl, id, p, on_update, &box);
    cr_assert_not_null(r);
    sekha_request_cancel(r);
    cr_assert_eq(sekha_client_run(cl), SEKHA_OK);
    cr_assert_eq(box.calls, 1);
    cr_assert_eq(box.code, SEKHA_E_CANCELLED);
    cr_assert_eq(box.had_data, 0);
    /* And a client freed with the update pending: one final callback too. */
    sekha_client *c2 = test_client_with_mcp(&ds);
    arm(NULL, "POST", "/mcp/tools/memory_update", "[{\"stall\":true}]");
    update_box box2 = {0, SEKHA_OK, 0};
    cr_assert_not_null(sekha_mcp_memory_update(c2, id, p, on_update, &box2));
    sekha_client_free(c2);
    cr_assert_eq(box2.calls, 1);
    cr_assert_eq(box2.code, SEKHA_E_CLOSED);
    sekha_params_free(p);
    free(id);
}

/* ---- a bridge that does not stream ---- */

Test(answers, a_stream_answered_with_one_json_completion_is_one_synthetic_chunk)
{
    ds_proc plain;
    start_devserver(&plain, ARGS("--no-stream"));
    cli_out o;
    const char *argv[] = {"--bridge-url", plain.bridge_url, "complete", "hi", "--json", NULL};
    cli_exec(NULL, argv, 0, 0, &o);
    ds_proc_stop(&plain);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cJSON *v = cJSON_Parse(o.out);
    cr_assert_not_null(v, "%s", o.out);
    const cJSON *msg = cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(v, "choices"), 0), "message");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "content")),
                     "You asked: hi");
    cJSON_Delete(v);
}
