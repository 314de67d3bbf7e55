/* Call parameters (src/shared/params.c): type and range checks at set time, the first
 * failed setter remembered, copies, and the check every call makes (sekha__params_check). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sekha/sekha.h"
#include "shared/shared.h"

static sekha_params *fresh(void)
{
    sekha_params *p = sekha_params_new();
    cr_assert_not_null(p);
    return p;
}

/* The setter failed with SEKHA_E_INVALID_ARG and the remembered message contains want. */
static void expect_failed(sekha_params *p, sekha_code rc, const char *want)
{
    cr_expect_eq(rc, SEKHA_E_INVALID_ARG, "rc %d, want SEKHA_E_INVALID_ARG", rc);
    cr_expect(strstr(sekha_params_error(p), want) != NULL, "error \"%s\" lacks \"%s\"",
              sekha_params_error(p), want);
    sekha_params_clear_error(p);
}

/* The error's message carries want (after the layer and code words). */
static void expect_msg(const sekha_error *e, const char *want)
{
    cr_expect(strstr(sekha_error_message(e), want) != NULL, "message \"%s\" lacks \"%s\"",
              sekha_error_message(e), want);
}

Test(params, new_object_has_nothing_set)
{
    sekha_params *p = fresh();
    cr_expect_str_eq(sekha_params_error(p), "");
    const sekha_param all[] = {SEKHA_PARAM_MODEL, SEKHA_PARAM_MAX_TOKENS, SEKHA_PARAM_TEMPERATURE,
                               SEKHA_PARAM_LABELS, SEKHA_PARAM_BODY, SEKHA_PARAM_ON_CHUNK};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        cr_expect_eq(sekha_params_isset(p, all[i]), 0);
    cr_expect_eq(sekha_params_isset(NULL, SEKHA_PARAM_MODEL), 0);
    cr_expect_str_eq(sekha_params_error(NULL), "");
    sekha_params_free(p);
    sekha_params_free(NULL);
    sekha_params_clear_error(NULL);
}

/* Each setter refuses keys of the other types, naming the key; the slot stays unset. */
Test(params, every_setter_checks_the_key_type)
{
    sekha_params *p = fresh();
    const char *list[] = {"a", NULL};

    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_MODEL, 3), "model");
    expect_failed(p, sekha_params_set_real(p, SEKHA_PARAM_LABEL, 1.0), "label");
    expect_failed(p, sekha_params_set_list(p, SEKHA_PARAM_FOLDER, list), "folder");
    expect_failed(p, sekha_params_set_bytes(p, SEKHA_PARAM_EXTRA_JSON, "x", 1), "extra_json");

    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_MAX_TOKENS, "5"), "max_tokens");
    expect_failed(p, sekha_params_set_real(p, SEKHA_PARAM_LIMIT, 5.0), "limit");
    expect_failed(p, sekha_params_set_list(p, SEKHA_PARAM_PAGE, list), "page");
    expect_failed(p, sekha_params_set_bytes(p, SEKHA_PARAM_TIMEOUT_MS, "x", 1), "timeout_ms");

    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_TEMPERATURE, "0.5"), "temperature");
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_TEMPERATURE, 1), "temperature");
    expect_failed(p, sekha_params_set_list(p, SEKHA_PARAM_IMPORTANCE_THRESHOLD, list),
                  "importance_threshold");

    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_LABELS, "a"), "labels");
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_HEADERS, 1), "headers");
    expect_failed(p, sekha_params_set_bytes(p, SEKHA_PARAM_PREFERRED_LABELS, "x", 1),
                  "preferred_labels");

    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_BODY, "x"), "body");
    expect_failed(p, sekha_params_set_list(p, SEKHA_PARAM_BODY, list), "body");

    /* Callback keys have their own setters only. */
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_ON_CHUNK, "x"), "on_chunk");
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_ON_EVENT, 1), "on_event");
    expect_failed(p, sekha_params_set_bytes(p, SEKHA_PARAM_ON_PROGRESS, "x", 1), "on_progress");
    expect_failed(p, sekha__params_set_fn(p, SEKHA_PARAM_MODEL, (sekha__fn)fresh, NULL),
                  "model");

    const sekha_param touched[] = {SEKHA_PARAM_MODEL, SEKHA_PARAM_LABEL, SEKHA_PARAM_FOLDER,
                                   SEKHA_PARAM_EXTRA_JSON, SEKHA_PARAM_MAX_TOKENS,
                                   SEKHA_PARAM_TEMPERATURE, SEKHA_PARAM_LABELS,
                                   SEKHA_PARAM_BODY, SEKHA_PARAM_ON_CHUNK};
    for (size_t i = 0; i < sizeof touched / sizeof *touched; i++)
        cr_expect_eq(sekha_params_isset(p, touched[i]), 0, "%s got set",
                     sekha_param_name(touched[i]));
    sekha_params_free(p);
}

Test(params, unknown_keys_are_refused)
{
    sekha_params *p = fresh();
    expect_failed(p, sekha_params_set_text(p, (sekha_param)0, "x"), "0 is not a parameter key");
    expect_failed(p, sekha_params_set_int(p, (sekha_param)99, 1), "99");
    expect_failed(p, sekha_params_set_real(p, (sekha_param)999, 1), "999");
    cr_expect_eq(sekha_params_unset(p, (sekha_param)99), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_params_isset(p, (sekha_param)99), 0);
    cr_expect_str_eq(sekha_param_name((sekha_param)99), "unknown");
    sekha_params_free(p);
}

Test(params, null_object_is_refused_by_every_setter)
{
    const char *list[] = {NULL};
    cr_expect_eq(sekha_params_set_text(NULL, SEKHA_PARAM_MODEL, "m"), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_params_set_int(NULL, SEKHA_PARAM_LIMIT, 1), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_params_set_real(NULL, SEKHA_PARAM_TEMPERATURE, 1), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_params_set_list(NULL, SEKHA_PARAM_LABELS, list), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_params_set_bytes(NULL, SEKHA_PARAM_BODY, "x", 1), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_params_unset(NULL, SEKHA_PARAM_MODEL), SEKHA_E_INVALID_ARG);
    cr_expect_null(sekha_params_copy(NULL));
}

Test(params, integer_ranges)
{
    sekha_params *p = fresh();
    int64_t v = 0;

    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 0),
                  "importance must be from 1 to 10 (got 0)");
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 11),
                  "importance must be from 1 to 10 (got 11)");
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_IMPORTANCE), 0);
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 1), SEKHA_OK);
    cr_expect(sekha__params_int(p, SEKHA_PARAM_IMPORTANCE, &v) && v == 1);
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 10), SEKHA_OK);
    cr_expect(sekha__params_int(p, SEKHA_PARAM_IMPORTANCE, &v) && v == 10);
    /* A failed setter keeps the previous value. */
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_IMPORTANCE, 11), "importance");
    cr_expect(sekha__params_int(p, SEKHA_PARAM_IMPORTANCE, &v) && v == 10);

    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, 0),
                  "max_tokens must be >= 1 (got 0)");
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, INT64_MIN), "max_tokens");
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, 1), SEKHA_OK);
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, INT64_MAX), SEKHA_OK);
    cr_expect(sekha__params_int(p, SEKHA_PARAM_MAX_TOKENS, &v) && v == INT64_MAX);

    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_OFFSET, -1), "offset");
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_OFFSET, 0), SEKHA_OK);
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_PINNED, 2), "pinned");
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_PINNED, 0), SEKHA_OK);
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_TIMEOUT_MS, 0), "timeout_ms");
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_TIMEOUT_MS, 86400001), "timeout_ms");
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_TIMEOUT_MS, 86400000), SEKHA_OK);
    expect_failed(p, sekha_params_set_int(p, SEKHA_PARAM_EMBED_API, 3), "embed_api");
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_EMBED_API, 2), SEKHA_OK);
    cr_expect_str_eq(sekha_params_error(p), "");
    sekha_params_free(p);
}

Test(params, real_values)
{
    sekha_params *p = fresh();
    double d = -1;
    expect_failed(p, sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, NAN), "temperature");
    expect_failed(p, sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, INFINITY), "temperature");
    expect_failed(p, sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, -INFINITY),
                  "temperature");
    expect_failed(p, sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, -0.1),
                  "temperature must be finite and >= 0");
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_TEMPERATURE), 0);
    cr_expect_eq(sekha__params_real(p, SEKHA_PARAM_TEMPERATURE, &d), 0);
    cr_expect_eq(d, -1, "an unset key leaves the out value alone");

    /* 0 is a real value, not "unset". */
    cr_expect_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 0), SEKHA_OK);
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_TEMPERATURE), 1);
    cr_expect(sekha__params_real(p, SEKHA_PARAM_TEMPERATURE, &d) && d == 0);
    cr_expect_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 1.5), SEKHA_OK);
    expect_failed(p, sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, NAN), "temperature");
    cr_expect(sekha__params_real(p, SEKHA_PARAM_TEMPERATURE, &d) && d == 1.5);
    expect_failed(p, sekha_params_set_real(p, SEKHA_PARAM_IMPORTANCE_THRESHOLD, -1),
                  "importance_threshold");
    cr_expect_eq(sekha_params_set_real(p, SEKHA_PARAM_IMPORTANCE_THRESHOLD, 2.5), SEKHA_OK);
    sekha_params_free(p);
}

Test(params, text_values)
{
    sekha_params *p = fresh();
    char buf[8] = "model-a";
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, buf), SEKHA_OK);
    buf[0] = 'X'; /* copied */
    cr_expect_str_eq(sekha__params_text(p, SEKHA_PARAM_MODEL), "model-a");
    cr_expect_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, ""), SEKHA_OK);
    cr_expect_str_eq(sekha__params_text(p, SEKHA_PARAM_MODEL), "");
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_MODEL), 1, "empty text is set");

    /* Not UTF-8: refused naming the key and the byte, the old value kept. */
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_MODEL, "ab\xff"),
                  "model is not valid UTF-8 (at byte 2)");
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_LABEL, "\xc0\xaf"),
                  "label is not valid UTF-8 (at byte 0)");
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_FOLDER, "/\xed\xa0\x80"),
                  "folder is not valid UTF-8 (at byte 1)");
    cr_expect_str_eq(sekha__params_text(p, SEKHA_PARAM_MODEL), "");
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_LABEL), 0);
    cr_expect_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, "caf\xc3\xa9 \xf0\x9f\xa6\x8a"),
                 SEKHA_OK);

    /* NULL unsets. */
    cr_expect_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, NULL), SEKHA_OK);
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_MODEL), 0);
    cr_expect_null(sekha__params_text(p, SEKHA_PARAM_MODEL));
    sekha_params_free(p);
}

Test(params, json_text_keys)
{
    sekha_params *p = fresh();
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, "{\"a\":"),
                  "filters_json is not valid JSON");
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, "{} junk"),
                  "filters_json is not valid JSON");
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, ""),
                  "filters_json is not valid JSON");
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, "\"\xff\""),
                  "filters_json is not valid UTF-8");
    /* Any JSON value is a filter. */
    cr_expect_eq(sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, "[1, 2]"), SEKHA_OK);
    cr_expect_eq(sekha_params_set_text(p, SEKHA_PARAM_FILTERS_JSON, "null"), SEKHA_OK);

    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_EXTRA_JSON, "[1]"),
                  "extra_json must be a JSON object");
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_EXTRA_JSON, " \"s\""),
                  "extra_json must be a JSON object");
    expect_failed(p, sekha_params_set_text(p, SEKHA_PARAM_EXTRA_JSON, "{\"a\":1,}"),
                  "extra_json is not valid JSON");
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_EXTRA_JSON), 0);
    cr_expect_eq(sekha_params_set_text(p, SEKHA_PARAM_EXTRA_JSON, "\n\t {\"seed\": 7}"),
                 SEKHA_OK);
    cr_expect_str_eq(sekha__params_text(p, SEKHA_PARAM_EXTRA_JSON), "\n\t {\"seed\": 7}");
    sekha_params_free(p);
}

Test(params, first_failed_setter_is_remembered_until_cleared)
{
    sekha_params *p = fresh();
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 0), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, NAN), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "ok"), SEKHA_OK);
    cr_expect_str_eq(sekha_params_error(p), "limit must be >= 1 (got 0)");

    sekha_params_clear_error(p);
    cr_expect_str_eq(sekha_params_error(p), "");
    /* The values set meanwhile stay. */
    cr_expect_str_eq(sekha__params_text(p, SEKHA_PARAM_MODEL), "ok");
    cr_expect_eq(sekha_params_set_int(p, SEKHA_PARAM_BUDGET, -5), SEKHA_E_INVALID_ARG);
    cr_expect_str_eq(sekha_params_error(p), "budget must be >= 1 (got -5)");
    sekha_params_free(p);
}

Test(params, unset_and_isset)
{
    sekha_params *p = fresh();
    const char *list[] = {"x", NULL};
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "m"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 3), SEKHA_OK);
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 0.2), SEKHA_OK);
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_LABELS, list), SEKHA_OK);
    cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, "abc", 3), SEKHA_OK);
    cr_assert_eq(sekha__params_set_fn(p, SEKHA_PARAM_ON_CHUNK, (sekha__fn)fresh, p), SEKHA_OK);
    const sekha_param keys[] = {SEKHA_PARAM_MODEL, SEKHA_PARAM_LIMIT, SEKHA_PARAM_TEMPERATURE,
                                SEKHA_PARAM_LABELS, SEKHA_PARAM_BODY, SEKHA_PARAM_ON_CHUNK};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        cr_expect_eq(sekha_params_isset(p, keys[i]), 1, "%s", sekha_param_name(keys[i]));
        cr_expect_eq(sekha_params_unset(p, keys[i]), SEKHA_OK);
        cr_expect_eq(sekha_params_isset(p, keys[i]), 0, "%s", sekha_param_name(keys[i]));
        /* Unsetting twice is fine. */
        cr_expect_eq(sekha_params_unset(p, keys[i]), SEKHA_OK);
    }
    int64_t v = 42;
    cr_expect_eq(sekha__params_int(p, SEKHA_PARAM_LIMIT, &v), 0);
    cr_expect_eq(v, 42);
    cr_expect_null(sekha__params_list(p, SEKHA_PARAM_LABELS));
    size_t len = 9;
    cr_expect_null(sekha__params_bytes(p, SEKHA_PARAM_BODY, &len));
    cr_expect_eq(len, 0);
    void *ud = p;
    cr_expect_null(sekha__params_fn(p, SEKHA_PARAM_ON_CHUNK, &ud));
    cr_expect_null(ud);
    sekha_params_free(p);
}

Test(params, lists)
{
    sekha_params *p = fresh();
    char a[] = "alpha", b[] = "beta";
    const char *list[] = {a, b, NULL};
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_PREFERRED_LABELS, list), SEKHA_OK);
    a[0] = 'X';
    list[1] = "changed";
    const char *const *got = sekha__params_list(p, SEKHA_PARAM_PREFERRED_LABELS);
    cr_assert_not_null(got);
    cr_expect_str_eq(got[0], "alpha");
    cr_expect_str_eq(got[1], "beta");
    cr_expect_null(got[2]);

    /* An empty list is set (and differs from unset). */
    const char *empty[] = {NULL};
    cr_expect_eq(sekha_params_set_list(p, SEKHA_PARAM_EXCLUDED_FOLDERS, empty), SEKHA_OK);
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_EXCLUDED_FOLDERS), 1);
    got = sekha__params_list(p, SEKHA_PARAM_EXCLUDED_FOLDERS);
    cr_assert_not_null(got);
    cr_expect_null(got[0]);

    /* NULL unsets. */
    cr_expect_eq(sekha_params_set_list(p, SEKHA_PARAM_EXCLUDED_FOLDERS, NULL), SEKHA_OK);
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_EXCLUDED_FOLDERS), 0);
    cr_expect_null(sekha__params_list(p, SEKHA_PARAM_EXCLUDED_FOLDERS));

    /* An item that is not UTF-8 is named by its index; the old list stays. */
    const char *bad[] = {"ok", "b\xfe", NULL};
    expect_failed(p, sekha_params_set_list(p, SEKHA_PARAM_PREFERRED_LABELS, bad),
                  "preferred_labels[1] is not valid UTF-8 (at byte 1)");
    got = sekha__params_list(p, SEKHA_PARAM_PREFERRED_LABELS);
    cr_assert_not_null(got);
    cr_expect_str_eq(got[0], "alpha");
    sekha_params_free(p);
}

Test(params, bytes)
{
    sekha_params *p = fresh();
    unsigned char data[4] = {0, 1, 0xff, 0};
    size_t len = 0;
    cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, data, sizeof data), SEKHA_OK);
    data[1] = 9; /* copied */
    const unsigned char *got = sekha__params_bytes(p, SEKHA_PARAM_BODY, &len);
    cr_assert_not_null(got);
    cr_expect_eq(len, 4);
    cr_expect_eq(got[0], 0);
    cr_expect_eq(got[1], 1);
    cr_expect_eq(got[2], 0xff);

    /* NULL with a length is an error; the old bytes stay. */
    expect_failed(p, sekha_params_set_bytes(p, SEKHA_PARAM_BODY, NULL, 3), "body");
    cr_expect_not_null(sekha__params_bytes(p, SEKHA_PARAM_BODY, &len));
    cr_expect_eq(len, 4);

    /* Empty but not NULL is set, with length 0. */
    cr_expect_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, "", 0), SEKHA_OK);
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_BODY), 1);
    cr_expect_not_null(sekha__params_bytes(p, SEKHA_PARAM_BODY, &len));
    cr_expect_eq(len, 0);

    /* NULL and 0 unsets. */
    cr_expect_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, NULL, 0), SEKHA_OK);
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_BODY), 0);
    cr_expect_null(sekha__params_bytes(p, SEKHA_PARAM_BODY, NULL));
    sekha_params_free(p);
}

static void marker_fn(void) {}

Test(params, callbacks)
{
    sekha_params *p = fresh();
    int ud1 = 0, ud2 = 0;
    cr_assert_eq(sekha__params_set_fn(p, SEKHA_PARAM_ON_CHUNK, marker_fn, &ud1), SEKHA_OK);
    void *ud = NULL;
    cr_expect_eq(sekha__params_fn(p, SEKHA_PARAM_ON_CHUNK, &ud), marker_fn);
    cr_expect_eq(ud, &ud1);
    cr_assert_eq(sekha__params_set_fn(p, SEKHA_PARAM_ON_CHUNK, marker_fn, &ud2), SEKHA_OK);
    cr_expect_eq(sekha__params_fn(p, SEKHA_PARAM_ON_CHUNK, &ud), marker_fn);
    cr_expect_eq(ud, &ud2);
    /* A NULL function unsets. */
    cr_assert_eq(sekha__params_set_fn(p, SEKHA_PARAM_ON_CHUNK, NULL, &ud2), SEKHA_OK);
    cr_expect_eq(sekha_params_isset(p, SEKHA_PARAM_ON_CHUNK), 0);
    sekha_params_free(p);
}

Test(params, copy_is_deep)
{
    sekha_params *p = fresh();
    const char *list[] = {"l1", "l2", NULL};
    int ud = 0;
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "m1"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_EXTRA_JSON, "{\"a\":1}"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 7), SEKHA_OK);
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 0), SEKHA_OK);
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_LABELS, list), SEKHA_OK);
    cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, "xyz", 3), SEKHA_OK);
    cr_assert_eq(sekha__params_set_fn(p, SEKHA_PARAM_ON_CHUNK, marker_fn, &ud), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_PAGE, 0), SEKHA_E_INVALID_ARG);

    sekha_params *c = sekha_params_copy(p);
    cr_assert_not_null(c);

    /* Change and then free the original: the copy keeps its own values. */
    const char *list2[] = {"other", NULL};
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "m2"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 8), SEKHA_OK);
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_LABELS, list2), SEKHA_OK);
    cr_assert_eq(sekha_params_set_bytes(p, SEKHA_PARAM_BODY, "q", 1), SEKHA_OK);
    cr_assert_eq(sekha_params_unset(p, SEKHA_PARAM_TEMPERATURE), SEKHA_OK);
    sekha_params_clear_error(p);
    sekha_params_free(p);

    cr_expect_str_eq(sekha__params_text(c, SEKHA_PARAM_MODEL), "m1");
    cr_expect_str_eq(sekha__params_text(c, SEKHA_PARAM_EXTRA_JSON), "{\"a\":1}");
    int64_t v = 0;
    cr_expect(sekha__params_int(c, SEKHA_PARAM_LIMIT, &v) && v == 7);
    double d = 1;
    cr_expect(sekha__params_real(c, SEKHA_PARAM_TEMPERATURE, &d) && d == 0);
    const char *const *got = sekha__params_list(c, SEKHA_PARAM_LABELS);
    cr_assert_not_null(got);
    cr_expect_str_eq(got[0], "l1");
    cr_expect_str_eq(got[1], "l2");
    cr_expect_null(got[2]);
    size_t len = 0;
    const char *bytes = sekha__params_bytes(c, SEKHA_PARAM_BODY, &len);
    cr_expect(bytes && len == 3 && memcmp(bytes, "xyz", 3) == 0);
    void *u = NULL;
    cr_expect_eq(sekha__params_fn(c, SEKHA_PARAM_ON_CHUNK, &u), marker_fn);
    cr_expect_eq(u, &ud);
    cr_expect_eq(sekha_params_isset(c, SEKHA_PARAM_PAGE), 0);
    /* The remembered error is copied too. */
    cr_expect_str_eq(sekha_params_error(c), "page must be >= 1 (got 0)");
    sekha_params_free(c);
}

Test(params, names)
{
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_MODEL), "model");
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_EXTRA_JSON), "extra_json");
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_CURSOR), "cursor");
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_MAX_TOKENS), "max_tokens");
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_HTTP_FLAGS), "http_flags");
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_TEMPERATURE), "temperature");
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_IMPORTANCE_THRESHOLD),
                     "importance_threshold");
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_HEADERS), "headers");
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_BODY), "body");
    cr_expect_str_eq(sekha_param_name(SEKHA_PARAM_ON_PROGRESS), "on_progress");
    cr_expect_str_eq(sekha_param_name((sekha_param)0), "unknown");
    cr_expect_str_eq(sekha_param_name((sekha_param)-1), "unknown");
    cr_expect_str_eq(sekha_param_name((sekha_param)13), "unknown");
}

/* What a call does first: keys it does not read and failed setters become its error. */
Test(params, check_against_a_call)
{
    const sekha_param allowed[] = {SEKHA_PARAM_MODEL, SEKHA_PARAM_TEMPERATURE, 0};
    cr_expect_null(sekha__params_check(NULL, "sekha_x_y", allowed), "NULL = all defaults");

    sekha_params *p = fresh();
    cr_expect_null(sekha__params_check(p, "sekha_x_y", allowed));
    cr_expect_null(sekha__params_check(p, "sekha_x_y", NULL), "nothing set, nothing read");
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_MODEL, "m"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, 0), SEKHA_OK);
    cr_expect_null(sekha__params_check(p, "sekha_x_y", allowed));

    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_LIMIT, 3), SEKHA_OK);
    sekha_error *e = sekha__params_check(p, "sekha_x_y", allowed);
    cr_assert_not_null(e);
    cr_expect_eq(sekha_error_code(e), SEKHA_E_INVALID_ARG);
    cr_expect_eq(sekha_error_layer(e), SEKHA_LAYER_LOCAL);
    expect_msg(e, "sekha_x_y: the parameter limit does not apply to this call");
    sekha_error_free(e);

    e = sekha__params_check(p, "sekha_other", NULL);
    cr_assert_not_null(e);
    expect_msg(e, "sekha_other: the parameter ");
    sekha_error_free(e);

    /* A failed setter wins over everything else, with its own words. */
    cr_assert_eq(sekha_params_unset(p, SEKHA_PARAM_LIMIT), SEKHA_OK);
    cr_assert_eq(sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, 0), SEKHA_E_INVALID_ARG);
    e = sekha__params_check(p, "sekha_x_y", allowed);
    cr_assert_not_null(e);
    cr_expect_eq(sekha_error_code(e), SEKHA_E_INVALID_ARG);
    expect_msg(e, "sekha_x_y: max_tokens must be >= 1 (got 0)");
    sekha_error_free(e);

    sekha_params_clear_error(p);
    cr_expect_null(sekha__params_check(p, "sekha_x_y", allowed));
    sekha_params_free(p);
}

/* An empty list or an unset-by-NULL callback counts as set / unset like the rest. */
Test(params, check_sees_every_kind_of_key)
{
    const sekha_param none[] = {0};
    const char *empty[] = {NULL};
    sekha_params *p = fresh();
    cr_assert_eq(sekha_params_set_list(p, SEKHA_PARAM_HEADERS, empty), SEKHA_OK);
    sekha_error *e = sekha__params_check(p, "sekha_a", none);
    cr_assert_not_null(e);
    expect_msg(e, "sekha_a: the parameter headers does not apply to this call");
    sekha_error_free(e);
    cr_assert_eq(sekha_params_unset(p, SEKHA_PARAM_HEADERS), SEKHA_OK);

    cr_assert_eq(sekha__params_set_fn(p, SEKHA_PARAM_ON_EVENT, marker_fn, NULL), SEKHA_OK);
    e = sekha__params_check(p, "sekha_a", none);
    cr_assert_not_null(e);
    expect_msg(e, "on_event");
    sekha_error_free(e);
    cr_assert_eq(sekha__params_set_fn(p, SEKHA_PARAM_ON_EVENT, NULL, NULL), SEKHA_OK);
    cr_expect_null(sekha__params_check(p, "sekha_a", none));
    sekha_params_free(p);
}
