/* Shared by the workflow tests: a client aimed at a devserver with the MCP key it expects,
 * fault rules built with cJSON (so bodies need no hand escaping), and a closed port. */
#ifndef SEKHA_TEST_WORKFLOWS_HARNESS_H
#define SEKHA_TEST_WORKFLOWS_HARNESS_H

#include <cjson/cJSON.h>

#include "peer.h"
#include "testutil.h"

#define DEVSERVER_MCP_KEY "dev_default_key_change_me_1234567890"

/* Options for ds with the devserver's MCP key; retries stay fast. */
static inline sekha_options *wf_options(const ds_proc *p)
{
    sekha_options *o = test_options(p);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_MCP, DEVSERVER_MCP_KEY), SEKHA_OK);
    return o;
}

static inline sekha_client *wf_client(const ds_proc *p)
{
    sekha_options *o = wf_options(p);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

/* Posts {"path","method"?,"repeat"?,"steps":[step]} to the listener at base; step is a JSON
 * object text, or NULL with body set for {"status":200,"body":body}. */
static inline void wf_rule(const ds_proc *p, const char *base, const char *method,
                           const char *path, int repeat, const char *step, const char *body)
{
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(rule, "path", path);
    if (method)
        cJSON_AddStringToObject(rule, "method", method);
    if (repeat)
        cJSON_AddTrueToObject(rule, "repeat");
    cJSON *steps = cJSON_AddArrayToObject(rule, "steps");
    cJSON *s = step ? cJSON_Parse(step) : cJSON_CreateObject();
    cr_assert_not_null(s, "bad step JSON: %s", step ? step : "(none)");
    if (body) {
        cJSON_AddNumberToObject(s, "status", 200);
        cJSON_AddStringToObject(s, "body", body);
    }
    cJSON_AddItemToArray(steps, s);
    char *text = cJSON_PrintUnformatted(rule);
    cJSON_Delete(rule);
    cr_assert_eq(ds_proc_fault(p, base, text), 0, "rule rejected: %.300s", text);
    free(text);
}

/* "http://127.0.0.1:<port>" of a port nothing listens on. */
static inline void wf_closed_url(char *url, size_t cap)
{
    int port = peer_free_port();
    cr_assert_gt(port, 0);
    snprintf(url, cap, "http://127.0.0.1:%d", port);
}

/* Stores one conversation of "role:text" messages (NULL-terminated); returns its id. */
static inline char *wf_store(sekha_client *c, const char *label, const char *folder,
                             const char *const *msgs)
{
    sekha_messages *b = sekha_messages_new();
    for (; *msgs; msgs++) {
        const char *colon = strchr(*msgs, ':');
        size_t n = (size_t)(colon - *msgs);
        char role[16] = "";
        if (n < sizeof role)
            memcpy(role, *msgs, n), role[n] = '\0';
        cr_assert_eq(sekha_messages_add(b, role, colon + 1), SEKHA_OK);
    }
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, label), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_FOLDER, folder), SEKHA_OK);
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(c, b, p, &conv, &err), SEKHA_OK,
                 "store: %s", sekha_error_message(err));
    sekha_params_free(p);
    char *id = strdup(sekha_conversation_id(conv));
    sekha_conversation_free(conv);
    sekha_messages_free(b);
    return id;
}

#endif
