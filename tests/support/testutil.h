/* Shared helpers for the integration tests: a devserver per test and clients aimed at it. */
#ifndef SEKHA_TEST_UTIL_H
#define SEKHA_TEST_UTIL_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devserver.h"
#include "fdcount.h"
#include "sekha/sekha.h"

/* Options aimed at a running devserver, with fast retries so tests stay quick. */
static inline sekha_options *test_options(const ds_proc *p)
{
    sekha_options *o = sekha_options_new();
    cr_assert_not_null(o);
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_CONTROLLER, p->controller_url), SEKHA_OK);
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_BRIDGE, p->bridge_url), SEKHA_OK);
    cr_assert_eq(sekha_options_set_backoff(o, 5, 50), SEKHA_OK);
    cr_assert_eq(sekha_options_set_rate_limit(o, SEKHA_SERVICE_CONTROLLER, 0, 1000), SEKHA_OK);
    cr_assert_eq(sekha_options_set_attempt_timeout_ms(o, 10000), SEKHA_OK);
    return o;
}

static inline sekha_client *test_client(const sekha_options *o)
{
    sekha_error *err = NULL;
    sekha_client *c = sekha_client_new(o, &err);
    cr_assert_not_null(c, "client: %s", sekha_error_message(err));
    return c;
}

/* The devserver's default MCP key (its --help names it). */
#define DS_DEV_KEY "dev_default_key_change_me_1234567890"

/* A client aimed at p whose MCP calls carry the devserver's default key, unthrottled. */
static inline sekha_client *test_client_with_mcp(const ds_proc *p)
{
    sekha_options *o = test_options(p);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_MCP, DS_DEV_KEY), SEKHA_OK);
    cr_assert_eq(sekha_options_set_rate_limit(o, SEKHA_SERVICE_MCP, 0, 1000), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    return c;
}

static inline void start_devserver(ds_proc *p, const char *const *extra)
{
    cr_assert_eq(ds_proc_start(p, extra), 0, "devserver did not start (SEKHA_DEVSERVER_BIN=%s)",
                 getenv("SEKHA_DEVSERVER_BIN") ? getenv("SEKHA_DEVSERVER_BIN") : "unset");
}

/* "http://127.0.0.1:PORT" of a loopback port nothing listens on (bound, then closed). */
static inline void test_closed_port_url(char *url, size_t cap)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    close(s);
    snprintf(url, cap, "http://127.0.0.1:%d", ntohs(sa.sin_port));
}

/* A message list: an optional system message, then the user's. */
static inline sekha_messages *msgs_of(const char *system, const char *user)
{
    sekha_messages *m = sekha_messages_new();
    if (system)
        cr_assert_eq(sekha_messages_add(m, "system", system), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "user", user), SEKHA_OK);
    return m;
}

#endif
