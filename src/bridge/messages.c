/* The chat request body.
 *
 * The body is written directly (no cJSON tree): it is small, its shape is fixed, and
 * writing it ourselves keeps two promises a generic serializer would not: temperature 0
 * is written as 0 (never dropped as "falsy"), and numbers are written in the C locale
 * whatever LC_NUMERIC the application chose. */
#include "bridge/internal.h"
#include "core/cnum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The highest temperature the bridge accepts (it answers 422 above it). */
#define TEMPERATURE_MAX 2.0

/* ---- JSON writing ---- */

int sekha__json_put_string(sekha_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (sekha__buf_reserve(b, n + 2) != 0 || sekha__buf_append(b, "\"", 1) != 0)
        return -1;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (sekha__buf_append(b, s + run, i - run) != 0)
            return -1;
        char esc[7] = {'\\', 0};
        size_t k = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
        }
        if (sekha__buf_append(b, esc, k) != 0)
            return -1;
        run = i + 1;
    }
    if (sekha__buf_append(b, s + run, n - run) != 0 || sekha__buf_append(b, "\"", 1) != 0)
        return -1;
    return 0;
}

/* The shortest text that reads back as d, with '.' whatever the locale says (d is finite:
 * the caller checked). */
static int put_double(sekha_buf *b, double d)
{
    char tmp[40];
    int n = sekha__dtoa_c(tmp, sizeof tmp, d);
    return n < 0 ? -1 : sekha__buf_append(b, tmp, (size_t)n);
}

static sekha_error *arg_error(const char *call, const char *why)
{
    return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "%s: %s", call, why);
}

static const char *const own_keys[] = {"model", "temperature", "max_tokens"};

/* Parses extra_json (already checked to be one JSON object in UTF-8 when it was set) and
 * says which of our own keys it replaces (bit i: own_keys[i]). */
static sekha_error *parse_extra(const char *call, const char *extra_json, cJSON **out,
                                unsigned *replaced)
{
    *out = NULL;
    *replaced = 0;
    if (!extra_json)
        return NULL;
    cJSON *x = cJSON_ParseWithOpts(extra_json, NULL, 1);
    if (!cJSON_IsObject(x)) { /* the setter checked the text: memory or nesting depth */
        cJSON_Delete(x);
        return arg_error(call, "extra_json could not be read as a JSON object");
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, x) {
        if (strcmp(m->string, "messages") == 0 || strcmp(m->string, "stream") == 0) {
            cJSON_Delete(x);
            return arg_error(call, "extra_json may not set \"messages\" or \"stream\"");
        }
        for (const cJSON *o = x->child; o != m; o = o->next)
            if (strcmp(o->string, m->string) == 0) {
                cJSON_Delete(x);
                return arg_error(call, "extra_json names a member twice");
            }
        for (unsigned i = 0; i < 3; i++)
            if (strcmp(m->string, own_keys[i]) == 0)
                *replaced |= 1u << i;
    }
    *out = x;
    return NULL;
}

static int put_extra(sekha_buf *b, const cJSON *x)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, x) {
        char *v = cJSON_PrintUnformatted(m);
        int rc = v ? 0 : -1;
        if (rc == 0 && (sekha__buf_puts(b, ",") != 0 ||
                        sekha__json_put_string(b, m->string, strlen(m->string)) != 0 ||
                        sekha__buf_puts(b, ":") != 0 || sekha__buf_puts(b, v) != 0))
            rc = -1;
        cJSON_free(v);
        if (rc)
            return -1;
    }
    return 0;
}

static const sekha_param complete_keys[] = {SEKHA_PARAM_MODEL, SEKHA_PARAM_TEMPERATURE,
                                            SEKHA_PARAM_MAX_TOKENS, SEKHA_PARAM_EXTRA_JSON, 0};
static const sekha_param stream_keys[] = {SEKHA_PARAM_MODEL, SEKHA_PARAM_TEMPERATURE,
                                          SEKHA_PARAM_MAX_TOKENS, SEKHA_PARAM_EXTRA_JSON,
                                          SEKHA_PARAM_ON_CHUNK, 0};

sekha_error *sekha__bridge_chat_body(sekha_buf *b, const sekha_messages *msgs,
                                     const sekha_params *p, int stream)
{
    const char *call = stream ? "sekha_bridge_stream_complete" : "sekha_bridge_complete";
    sekha_error *e = sekha__params_check(p, call, stream ? stream_keys : complete_keys);
    if (!e)
        e = sekha__messages_check(msgs, call);
    if (e)
        return e;
    /* The setters checked every value (UTF-8, ranges, JSON): only what a key means
     * here is left to check. */
    const char *model = sekha__params_text(p, SEKHA_PARAM_MODEL);
    double temperature = 0;
    int has_temperature = sekha__params_real(p, SEKHA_PARAM_TEMPERATURE, &temperature);
    /* The setter refused < 0; the bridge answers 422 above its own limit, so a value it
     * would refuse is refused here, before anything is sent. */
    if (has_temperature && temperature > TEMPERATURE_MAX) {
        char got[40];
        if (sekha__dtoa_c(got, sizeof got, temperature) < 0)
            snprintf(got, sizeof got, "more");
        return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL,
                                "%s: temperature must be from 0 to 2 (the bridge's limit), "
                                "got %s", call, got);
    }
    int64_t max_tokens = 0;
    int has_max_tokens = sekha__params_int(p, SEKHA_PARAM_MAX_TOKENS, &max_tokens);
    cJSON *extra;
    unsigned replaced;
    if ((e = parse_extra(call, sekha__params_text(p, SEKHA_PARAM_EXTRA_JSON), &extra,
                         &replaced)))
        return e;
    int rc = sekha__buf_puts(b, "{\"messages\":");
    rc |= sekha__messages_write(b, msgs) ? -1 : 0;
    if (model && *model && !(replaced & 1)) {
        rc |= sekha__buf_puts(b, ",\"model\":");
        rc |= sekha__json_put_string(b, model, strlen(model));
    }
    if (has_temperature && !(replaced & 2)) {
        rc |= sekha__buf_puts(b, ",\"temperature\":");
        rc |= put_double(b, temperature);
    }
    if (has_max_tokens && !(replaced & 4))
        rc |= sekha__buf_printf(b, ",\"max_tokens\":%lld", (long long)max_tokens);
    rc |= sekha__buf_puts(b, stream ? ",\"stream\":true" : ",\"stream\":false");
    if (extra)
        rc |= put_extra(b, extra);
    rc |= sekha__buf_puts(b, "}");
    cJSON_Delete(extra);
    return rc ? sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "request body") : NULL;
}
