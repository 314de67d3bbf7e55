/* libFuzzer target: the message list and call parameters built from arbitrary bytes.
 * The input is a program: an opcode byte, then its arguments as NUL-terminated strings
 * (or 8 raw bytes for numbers). Each op is one add or setter, right or wrong; failures
 * are expected, crashes are not. Whatever was built, the written list must be one JSON
 * array (cJSON and the library's strict reader both accept it) holding one object per
 * message, and a list the check accepts must have no remembered error; params copies
 * must match their original key for key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/jdoc.h"
#include "shared/shared.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                             \
    do {                                                                                     \
        if (!(x))                                                                            \
            abort();                                                                         \
    } while (0)

typedef struct reader {
    const char *p, *end;
} reader;

static int more(const reader *r)
{
    return r->p < r->end;
}

static unsigned byte(reader *r)
{
    return more(r) ? (unsigned char)*r->p++ : 0;
}

/* The next NUL-terminated string ("" past the end); the input buffer ends with a NUL. */
static const char *str(reader *r)
{
    if (!more(r))
        return "";
    const char *s = r->p;
    r->p += strlen(s) + 1;
    if (r->p > r->end)
        r->p = r->end;
    return s;
}

static uint64_t u64(reader *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | byte(r);
    return v;
}

static const char *role(reader *r)
{
    static const char *const roles[] = {"system", "user", "assistant", "tool", "User", NULL};
    unsigned k = byte(r) % 7;
    return k < 6 ? roles[k] : str(r);
}

static const sekha_param all_keys[] = {
    SEKHA_PARAM_MODEL, SEKHA_PARAM_EXTRA_JSON, SEKHA_PARAM_LABEL, SEKHA_PARAM_FOLDER,
    SEKHA_PARAM_FILTERS_JSON, SEKHA_PARAM_CONTEXT_QUERY, SEKHA_PARAM_MAX_TOKENS,
    SEKHA_PARAM_IMPORTANCE, SEKHA_PARAM_PINNED, SEKHA_PARAM_LIMIT, SEKHA_PARAM_OFFSET,
    SEKHA_PARAM_TIMEOUT_MS, SEKHA_PARAM_TEMPERATURE, SEKHA_PARAM_IMPORTANCE_THRESHOLD,
    SEKHA_PARAM_PREFERRED_LABELS, SEKHA_PARAM_LABELS, SEKHA_PARAM_BODY,
    SEKHA_PARAM_ON_CHUNK, (sekha_param)0, (sekha_param)13, (sekha_param)-1};
#define NKEYS (sizeof all_keys / sizeof *all_keys)

static sekha_param key(reader *r)
{
    return all_keys[byte(r) % NKEYS];
}

static void marker(void) {}

/* The written list is one JSON array of count objects, by both readers. */
static void check_written(const sekha_messages *m)
{
    sekha_buf b = {0};
    if (sekha__messages_write(&b, m) != 0) {
        sekha__buf_free(&b);
        return;
    }
    const char *text = sekha__buf_str(&b);
    CHECK(strlen(text) == b.len);
    cJSON *j = cJSON_ParseWithLength(text, b.len);
    CHECK(j && cJSON_IsArray(j));
    CHECK((size_t)cJSON_GetArraySize(j) == sekha_messages_count(m));
    size_t i = 0;
    for (cJSON *it = j->child; it; it = it->next, i++) {
        CHECK(cJSON_IsObject(it));
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(it, "role");
        CHECK(cJSON_IsString(r) && strcmp(r->valuestring, sekha_messages_role(m, i)) == 0);
    }
    cJSON_Delete(j);
    sekha_jdoc d = {0};
    int rc = sekha__jdoc_parse(&d, text, b.len, NULL);
    CHECK(rc == 0 || rc == -2);
    sekha__jdoc_free(&d);
    sekha__buf_free(&b);
}

static void check_params(const sekha_params *p)
{
    sekha_params *c = sekha_params_copy(p);
    if (!c)
        return;
    for (size_t k = 0; k < NKEYS; k++)
        CHECK(sekha_params_isset(c, all_keys[k]) == sekha_params_isset(p, all_keys[k]));
    CHECK(strcmp(sekha_params_error(c), sekha_params_error(p)) == 0);
    const sekha_param allowed[] = {SEKHA_PARAM_MODEL, SEKHA_PARAM_LIMIT, 0};
    sekha_error *e = sekha__params_check(p, "sekha_fuzz", allowed);
    if (*sekha_params_error(p))
        CHECK(e && sekha_error_code(e) == SEKHA_E_INVALID_ARG);
    sekha_error_free(e);
    sekha_params_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    reader r = {text, text + size};
    sekha_messages *m = sekha_messages_new();
    sekha_params *p = sekha_params_new();
    if (!m || !p)
        goto out;
    static const char *const details[] = {NULL, "low", "high", "auto", "medium"};
    for (int ops = 0; more(&r) && ops < 64; ops++) {
        const char *a, *b;
        switch (byte(&r) % 15) {
        case 0: a = role(&r); sekha_messages_add(m, a, str(&r)); break;
        case 1: sekha_messages_add_parts(m, role(&r)); break;
        case 2: sekha_messages_add_text_part(m, str(&r)); break;
        case 3: a = str(&r); sekha_messages_add_image_part(m, a, details[byte(&r) % 5]); break;
        case 4:
            a = str(&r);
            b = str(&r);
            sekha_messages_add_tool_call(m, a, b, byte(&r) & 1 ? str(&r) : NULL);
            break;
        case 5: a = str(&r); sekha_messages_add_tool_result(m, a, str(&r)); break;
        case 6: {
            sekha_messages *c = sekha_messages_copy(m);
            if (c) {
                sekha_messages_free(m);
                m = c;
            }
            break;
        }
        case 7: {
            sekha_param k = key(&r);
            sekha_params_set_text(p, k, byte(&r) & 1 ? NULL : str(&r));
            break;
        }
        case 8: {
            sekha_param k = key(&r);
            sekha_params_set_int(p, k, (int64_t)u64(&r));
            break;
        }
        case 9: {
            sekha_param k = key(&r);
            uint64_t bits = u64(&r);
            double d;
            memcpy(&d, &bits, sizeof d);
            sekha_params_set_real(p, k, d);
            break;
        }
        case 10: {
            sekha_param k = key(&r);
            const char *items[5] = {0};
            unsigned n = byte(&r) % 5;
            for (unsigned i = 0; i < n; i++)
                items[i] = str(&r);
            sekha_params_set_list(p, k, n == 4 ? NULL : items);
            break;
        }
        case 11: {
            sekha_param k = key(&r);
            a = str(&r);
            unsigned how = byte(&r) % 3;
            sekha_params_set_bytes(p, k, how == 2 ? NULL : a, how == 1 ? 0 : strlen(a));
            break;
        }
        case 12: {
            sekha_param k = key(&r);
            sekha__params_set_fn(p, k, byte(&r) & 1 ? marker : NULL, text);
            break;
        }
        case 13: sekha_params_unset(p, key(&r)); break;
        default:
            if (byte(&r) & 1)
                sekha_params_clear_error(p);
            else
                check_params(p);
            break;
        }
    }
    /* Reading never fails on what was built. */
    for (size_t i = 0; i < sekha_messages_count(m); i++)
        CHECK(sekha_messages_role(m, i) && sekha_messages_content(m, i));
    sekha_error *e = sekha__messages_check(m, "sekha_fuzz");
    if (!e)
        CHECK(*sekha_messages_error(m) == '\0' && sekha_messages_count(m) > 0);
    else
        CHECK(sekha_error_code(e) == SEKHA_E_INVALID_ARG ||
              sekha_error_code(e) == SEKHA_E_NOMEM);
    sekha_error_free(e);
    check_written(m);
    cJSON *tree = sekha__messages_cjson(m);
    CHECK(!tree || cJSON_IsArray(tree));
    cJSON_Delete(tree);
    check_params(p);
out:
    sekha_messages_free(m);
    sekha_params_free(p);
    free(text);
    return 0;
}
