/* Options: validating setters, deep copy, and the environment reader. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

Test(options, defaults)
{
    sekha_options *o = sekha_options_new();
    cr_assert_str_eq(sekha_options_get_url(o, SEKHA_SERVICE_CONTROLLER), "http://localhost:8080");
    cr_assert_str_eq(sekha_options_get_url(o, SEKHA_SERVICE_BRIDGE), "http://localhost:5001");
    cr_assert_str_eq(sekha_options_get_url(o, SEKHA_SERVICE_MCP), "http://localhost:8080",
                     "MCP falls back to the controller URL");
    cr_assert_eq(o->tls_insecure, 0, "TLS verification is on by default");
    cr_assert_eq(o->attempt_timeout_ms, 30000);
    cr_assert_eq(o->max_retries, 3);
    cr_assert_not(sekha_options_has_api_key(o, SEKHA_SERVICE_CONTROLLER));
    sekha_options_free(o);
}

Test(options, url_validation)
{
    sekha_options *o = sekha_options_new();
    const char *bad[] = {"", "ftp://x", "localhost:8080", "http://", "http://a b",
                         "http://h/x?y=1", "http://user:pw@h", "http://[::1", "http://h:0",
                         "http://h:99999", "http://h:", "http://h\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_BRIDGE, bad[i]), SEKHA_E_INVALID_ARG,
                     "accepted %s", bad[i]);
        cr_assert_neq(strlen(sekha_options_last_error(o)), 0);
    }
    cr_assert_str_eq(sekha_options_get_url(o, SEKHA_SERVICE_BRIDGE), "http://localhost:5001",
                     "a rejected value keeps the previous one");
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_BRIDGE, "https://[::1]:5001/prefix/"), SEKHA_OK);
    cr_assert_str_eq(sekha_options_get_url(o, SEKHA_SERVICE_BRIDGE), "https://[::1]:5001/prefix");
    cr_assert_str_eq(sekha_options_last_error(o), "");
    sekha_options_free(o);
}

Test(options, keys_are_guarded_copied_and_fall_back)
{
    sekha_options *o = sekha_options_new();
    char key[] = "sk-sekha-0123456789abcdef0123456789abcdef";
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_CONTROLLER, key), SEKHA_OK);
    memset(key, 'x', sizeof key - 1); /* the option holds its own copy */
    cr_assert_str_eq(sekha__options_key(o, SEKHA_SERVICE_CONTROLLER),
                     "sk-sekha-0123456789abcdef0123456789abcdef");
    cr_assert(sekha_options_has_api_key(o, SEKHA_SERVICE_MCP), "MCP key falls back");
    cr_assert_not(sekha_options_has_api_key(o, SEKHA_SERVICE_BRIDGE));
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_BRIDGE, "bad key"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_api_key(o, SEKHA_SERVICE_BRIDGE, "bad\nkey"), SEKHA_E_INVALID_ARG);
    cr_assert_null(strstr(sekha_options_last_error(o), "bad"), "the message never echoes the key");
    sekha_options *copy = sekha_options_copy(o);
    cr_assert_neq(sekha__options_key(copy, SEKHA_SERVICE_CONTROLLER),
                  sekha__options_key(o, SEKHA_SERVICE_CONTROLLER));
    sekha_options_free(o);
    cr_assert_str_eq(sekha__options_key(copy, SEKHA_SERVICE_CONTROLLER),
                     "sk-sekha-0123456789abcdef0123456789abcdef");
    cr_assert_eq(sekha_options_set_api_key(copy, SEKHA_SERVICE_CONTROLLER, NULL), SEKHA_OK);
    cr_assert_not(sekha_options_has_api_key(copy, SEKHA_SERVICE_CONTROLLER));
    sekha_options_free(copy);
}

Test(options, numeric_ranges)
{
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_set_attempt_timeout_ms(o, 0), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_attempt_timeout_ms(o, -5), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_attempt_timeout_ms(o, 1500), SEKHA_OK);
    cr_assert_eq(sekha_options_set_max_retries(o, -1), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_max_retries(o, 101), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_backoff(o, 500, 100), SEKHA_E_INVALID_ARG, "base above cap");
    cr_assert_eq(sekha_options_set_backoff(o, 10, 100), SEKHA_OK);
    cr_assert_eq(sekha_options_set_rate_limit(o, SEKHA_SERVICE_BRIDGE, -1, 1000), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_rate_limit(o, SEKHA_SERVICE_BRIDGE, 5, 0), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_rate_limit(o, (sekha_service)7, 5, 10), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_max_event_bytes(o, 10), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_user_agent(o, "bad\r\nX-Injected: 1"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(o->attempt_timeout_ms, 1500);
    sekha_options_free(o);
}

static void clear_env(void)
{
    const char *vars[] = {"SEKHA_CONTROLLER_URL", "SEKHA_API_KEY", "SEKHA_BRIDGE_URL",
                          "SEKHA_BRIDGE_API_KEY", "SEKHA_MCP_URL", "SEKHA_MCP_API_KEY",
                          "SEKHA_TIMEOUT", "SEKHA_MAX_RETRIES", "SEKHA_RATE_LIMIT"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
}

Test(options, from_env_reads_every_variable, .init = clear_env)
{
    setenv("SEKHA_CONTROLLER_URL", "http://127.0.0.1:9000", 1);
    setenv("SEKHA_API_KEY", "controller-key-1234567890", 1);
    setenv("SEKHA_BRIDGE_URL", "http://127.0.0.1:9001/", 1);
    setenv("SEKHA_BRIDGE_API_KEY", "bridge-key", 1);
    setenv("SEKHA_MCP_URL", "http://127.0.0.1:9002", 1);
    setenv("SEKHA_MCP_API_KEY", "mcp-key-000000000000000000000000000", 1);
    setenv("SEKHA_TIMEOUT", "2.5", 1);
    setenv("SEKHA_MAX_RETRIES", "7", 1);
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_from_env(o), SEKHA_OK, "%s", sekha_options_last_error(o));
    cr_assert_str_eq(sekha_options_get_url(o, SEKHA_SERVICE_CONTROLLER), "http://127.0.0.1:9000");
    cr_assert_str_eq(sekha_options_get_url(o, SEKHA_SERVICE_BRIDGE), "http://127.0.0.1:9001");
    cr_assert_str_eq(sekha_options_get_url(o, SEKHA_SERVICE_MCP), "http://127.0.0.1:9002");
    cr_assert_str_eq(sekha__options_key(o, SEKHA_SERVICE_BRIDGE), "bridge-key");
    cr_assert_str_eq(sekha__options_key(o, SEKHA_SERVICE_MCP), "mcp-key-000000000000000000000000000");
    cr_assert_eq(o->call_timeout_ms, 2500, "SEKHA_TIMEOUT is the whole call's time");
    cr_assert_eq(o->attempt_timeout_ms, 30000, "the attempt timeout keeps its default");
    cr_assert_eq(o->max_retries, 7);
    sekha_options_free(o);
}

Test(options, from_env_rejects_and_names_the_variable, .init = clear_env)
{
    struct { const char *var, *value; } cases[] = {
        {"SEKHA_TIMEOUT", "soon"}, {"SEKHA_TIMEOUT", "-1"}, {"SEKHA_TIMEOUT", "0"},
        {"SEKHA_MAX_RETRIES", "three"}, {"SEKHA_MAX_RETRIES", "-2"}, {"SEKHA_MAX_RETRIES", "3.5"},
        {"SEKHA_CONTROLLER_URL", "localhost"}, {"SEKHA_BRIDGE_URL", "http://a b"},
        {"SEKHA_MCP_URL", "gopher://x"}, {"SEKHA_API_KEY", "has space"},
        {"SEKHA_RATE_LIMIT", "lots"}, {"SEKHA_RATE_LIMIT", "-1"}, {"SEKHA_RATE_LIMIT", "10/"},
        {"SEKHA_RATE_LIMIT", "10/0"}, {"SEKHA_RATE_LIMIT", "10/-5"}, {"SEKHA_RATE_LIMIT", "1.5"},
        {"SEKHA_RATE_LIMIT", "10/2x"}, {"SEKHA_RATE_LIMIT", "/60"}, {"SEKHA_RATE_LIMIT", "10/90000"},
        {"SEKHA_RATE_LIMIT", "2000000000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        clear_env();
        setenv("SEKHA_BRIDGE_URL", "http://127.0.0.1:1234", 1);
        if (strcmp(cases[i].var, "SEKHA_BRIDGE_URL") == 0)
            unsetenv("SEKHA_BRIDGE_URL");
        setenv(cases[i].var, cases[i].value, 1);
        sekha_options *o = sekha_options_new();
        cr_assert_eq(sekha_options_from_env(o), SEKHA_E_INVALID_ARG, "%s=%s", cases[i].var, cases[i].value);
        cr_assert_not_null(strstr(sekha_options_last_error(o), cases[i].var), "message: %s",
                           sekha_options_last_error(o));
        cr_assert_str_eq(sekha_options_get_url(o, SEKHA_SERVICE_BRIDGE), "http://localhost:5001",
                         "nothing changes when one variable is bad");
        sekha_options_free(o);
    }
}

/* SEKHA_RATE_LIMIT is the controller's client-side limit: "N" per minute, "N/SECONDS", or
 * "0" for none; the other services keep theirs. */
Test(options, from_env_reads_the_rate_limit, .init = clear_env)
{
    struct { const char *value; long requests, window_ms; } cases[] = {
        {"100", 100, 60000}, {"10/2", 10, 2000}, {"5/0.5", 5, 500}, {"0", 0, 60000},
        {"1000/60", 1000, 60000}, {"0/1", 0, 1000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        setenv("SEKHA_RATE_LIMIT", cases[i].value, 1);
        sekha_options *o = sekha_options_new();
        cr_assert_eq(sekha_options_from_env(o), SEKHA_OK, "%s: %s", cases[i].value,
                     sekha_options_last_error(o));
        cr_assert_eq(o->rate_requests[SEKHA_SERVICE_CONTROLLER], cases[i].requests, "%s",
                     cases[i].value);
        cr_assert_eq(o->rate_window_ms[SEKHA_SERVICE_CONTROLLER], cases[i].window_ms, "%s",
                     cases[i].value);
        cr_assert_eq(o->rate_requests[SEKHA_SERVICE_BRIDGE], 0, "the bridge stays unlimited");
        sekha_options_free(o);
    }
}

Test(options, rate_limit_text_setter)
{
    sekha_options *o = sekha_options_new();
    cr_assert_eq(o->rate_requests[SEKHA_SERVICE_CONTROLLER], 1000, "the documented default");
    cr_assert_eq(o->rate_window_ms[SEKHA_SERVICE_CONTROLLER], 60000);
    cr_assert_eq(sekha_options_set_rate_limit_text(o, SEKHA_SERVICE_MCP, "30/1"), SEKHA_OK);
    cr_assert_eq(o->rate_requests[SEKHA_SERVICE_MCP], 30);
    cr_assert_eq(o->rate_window_ms[SEKHA_SERVICE_MCP], 1000);
    cr_assert_eq(sekha_options_set_rate_limit_text(o, SEKHA_SERVICE_MCP, "x"), SEKHA_E_INVALID_ARG);
    cr_assert_not_null(strstr(sekha_options_last_error(o), "N/SECONDS"), "%s",
                       sekha_options_last_error(o));
    cr_assert_eq(o->rate_requests[SEKHA_SERVICE_MCP], 30, "a bad value changes nothing");
    cr_assert_eq(sekha_options_set_rate_limit_text(o, SEKHA_SERVICE_MCP, NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_options_set_rate_limit_text(NULL, SEKHA_SERVICE_MCP, "1"), SEKHA_E_INVALID_ARG);
    sekha_options_free(o);
}
