/* The devserver_controller suite's fixture, shared by test_devserver_controller.c (REST)
 * and test_devserver_controller_mcp.c (MCP tools): one devserver per test, and requests to
 * its controller side. It defines the suite and static state, so each test executable
 * includes it exactly once. */
#ifndef SEKHA_TEST_DEVSERVER_CONTROLLER_FIXTURE_H
#define SEKHA_TEST_DEVSERVER_CONTROLLER_FIXTURE_H

#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devserver.h"
#include "devserver_controller_http.h"

#define MISSING_UUID "3f8a5c1e-0000-4000-8000-000000000001"

static ds_proc ds;

static void setup(void)
{
    /* Before any thread exists: the concurrency test uses curl from several threads. */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cr_assert_eq(ds_proc_start(&ds, NULL), 0, "devserver did not start (SEKHA_DEVSERVER_BIN=%s)",
                 getenv("SEKHA_DEVSERVER_BIN") ? getenv("SEKHA_DEVSERVER_BIN") : "unset");
}

static void teardown(void)
{
    ds_proc_stop_or_abort(&ds);
    curl_global_cleanup();
}

TestSuite(devserver_controller, .init = setup, .fini = teardown, .timeout = 60);

static inline res http(const char *method, const char *path, const char *body, const char *ctype)
{
    return http_to(ds.controller_url, method, path, body, ctype, NULL);
}

static inline res jreq(const char *method, const char *path, const char *body)
{
    return http(method, path, body, "application/json");
}

/* Creates a conversation and returns its id (caller frees). */
static inline char *create(const char *label, const char *folder, const char *content)
{
    char *body = malloc(strlen(label) + strlen(folder) + strlen(content) + 128);
    cr_assert_not_null(body);
    sprintf(body, "{\"label\":\"%s\",\"folder\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
            label, folder, content);
    res r = jreq("POST", "/api/v1/conversations", body);
    free(body);
    cr_assert_eq(r.status, 201, "create: %ld %s", r.status, r.body);
    cJSON *j = parse(&r);
    char *id = strdup(str(j, "id"));
    cJSON_Delete(j);
    res_free(&r);
    return id;
}

#endif
