/* The controller suite's fixture, shared by test_controller.c and test_controller_wire.c:
 * one devserver and one client per test, and the helpers both files call. It defines the
 * suite and static state, so each test executable includes it exactly once. */
#ifndef SEKHA_TEST_CONTROLLER_FIXTURE_H
#define SEKHA_TEST_CONTROLLER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MISSING "3f8a5c1e-0000-4000-8000-000000000001"

static ds_proc ds;
static sekha_options *opts;
static sekha_client *cl;

static void setup(void)
{
    start_devserver(&ds, NULL);
    opts = test_options(&ds);
    cl = test_client(opts);
}

static void teardown(void)
{
    sekha_client_free(cl);
    sekha_options_free(opts);
    ds_proc_stop(&ds);
}

TestSuite(controller, .init = setup, .fini = teardown, .timeout = 60);

static inline void arm(const char *method, const char *path, const char *steps)
{
    char rule[2048];
    snprintf(rule, sizeof rule, "{\"path\":\"%s\",\"method\":\"%s\",\"steps\":%s}", path, method,
             steps);
    cr_assert_eq(ds_proc_fault(&ds, ds.controller_url, rule), 0, "rule rejected: %s", rule);
}

static inline long hits(const char *path)
{
    return ds_proc_count(&ds, ds.controller_url, path);
}

/* Parameters for one test call: with_int(with_text(NULL, ...), ...) adds keys to p (a new
 * object when p is NULL); the test frees the result with sekha_params_free(). */
static inline sekha_params *with_int(sekha_params *p, sekha_param key, int64_t v)
{
    if (!p)
        p = sekha_params_new();
    cr_assert_not_null(p);
    cr_assert_eq(sekha_params_set_int(p, key, v), SEKHA_OK, "%s", sekha_params_error(p));
    return p;
}

static inline sekha_params *with_text(sekha_params *p, sekha_param key, const char *v)
{
    if (!p)
        p = sekha_params_new();
    cr_assert_not_null(p);
    cr_assert_eq(sekha_params_set_text(p, key, v), SEKHA_OK, "%s", sekha_params_error(p));
    return p;
}

static inline sekha_params *with_list(sekha_params *p, sekha_param key, const char *const *v)
{
    if (!p)
        p = sekha_params_new();
    cr_assert_not_null(p);
    cr_assert_eq(sekha_params_set_list(p, key, v), SEKHA_OK, "%s", sekha_params_error(p));
    return p;
}

/* A list of one message. */
static inline sekha_messages *one_message(const char *role, const char *text)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_not_null(m);
    cr_assert_eq(sekha_messages_add(m, role, text), SEKHA_OK, "%s", sekha_messages_error(m));
    return m;
}

/* Stores one conversation with one user message; returns its id (caller frees). */
static inline char *store(const char *label, const char *folder, const char *text)
{
    sekha_messages *m = one_message("user", text);
    sekha_params *p = with_text(with_text(NULL, SEKHA_PARAM_LABEL, label), SEKHA_PARAM_FOLDER,
                                folder);
    sekha_conversation *conv = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(cl, m, p, &conv, &err), SEKHA_OK,
                 "create: %s", sekha_error_message(err));
    char *id = strdup(sekha_conversation_id(conv));
    sekha_conversation_free(conv);
    sekha_params_free(p);
    sekha_messages_free(m);
    return id;
}

static inline long long count_all(void)
{
    sekha_count_result *r = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_count_conversations_sync(cl, NULL, &r, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    long long n = sekha_count_result_value(r);
    sekha_count_result_free(r);
    return n;
}

/* Asserts a failed sync call's error and frees it. */
static inline void expect_err(sekha_code got, sekha_error *err, sekha_code code, sekha_layer layer,
                              const char *needle)
{
    cr_assert_eq(got, code, "code %d, want %d: %s", got, code, sekha_error_message(err));
    cr_assert_eq(sekha_error_code(err), code);
    cr_assert_eq(sekha_error_layer(err), layer, "layer %s: %s",
                 sekha_layer_name(sekha_error_layer(err)), sekha_error_message(err));
    if (needle)
        cr_assert_not_null(strstr(sekha_error_message(err), needle), "\"%s\" not in: %s", needle,
                           sekha_error_message(err));
    sekha_error_free(err);
}

typedef struct conv_box {
    int calls;
    sekha_code code;
    char id[40];
    const sekha_conversation *lent;
    sekha_conversation *kept;
} conv_box;

static inline void on_conv(sekha_request *req, const sekha_error *err,
                           const sekha_conversation *conv, void *ud)
{
    conv_box *b = ud;
    (void)req;
    b->calls++;
    b->code = sekha_error_code(err);
    b->lent = conv;
    if (conv) {
        snprintf(b->id, sizeof b->id, "%s", sekha_conversation_id(conv));
        b->kept = sekha_conversation_copy(conv);
    }
}

#endif
