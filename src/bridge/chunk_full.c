/* The reference chunk decoder (cJSON). Rare on a healthy stream: the scanner handles the
 * usual shape, this handles the rest and decides what the scanner left open. */
#include "bridge/chunk.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static sekha__span span_of(const cJSON *v)
{
    sekha__span s = {NULL, 0};
    if (cJSON_IsString(v)) {
        s.p = v->valuestring;
        s.n = strlen(v->valuestring);
    }
    return s;
}

/* A string, null or absent member; anything else is not a chunk. */
static int optional_string(const cJSON *obj, const char *key, sekha__span *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = span_of(v);
    return !v || cJSON_IsString(v) || cJSON_IsNull(v);
}

/* An integer that is exact in a double (up to 2^53) and fits a long, which may be 32 bits
 * (ILP32, LLP64), where casting a larger double is undefined; -1 otherwise. */
static long exact_long(const cJSON *v)
{
    if (!cJSON_IsNumber(v))
        return -1;
    double d = v->valuedouble;
    if (d != floor(d) || fabs(d) > 9007199254740992.0 || d > (double)LONG_MAX ||
        d < (double)LONG_MIN)
        return -1;
    return (long)d;
}

static const cJSON *pick_choice(const cJSON *choices, const char **why)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, choices) {
        if (!cJSON_IsObject(c)) {
            *why = "choices holds something other than objects";
            return NULL;
        }
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(c, "index");
        if (!idx || (cJSON_IsNumber(idx) && idx->valuedouble == 0))
            return c;
        if (!cJSON_IsNumber(idx)) {
            *why = "a choice's index is not a number";
            return NULL;
        }
    }
    return NULL;
}

static sekha__chunk_rc bad(sekha__chunk_fields *f, const char *why)
{
    f->why = why;
    return SEKHA__CHUNK_BAD;
}

/* tool_calls: an array of {index?, id?, type?, function?: {name?, arguments?}}, every
 * string member a string or null, index an integer below SEKHA__MAX_TOOL_CALLS (absent in
 * a whole message: the position counts). */
static sekha__chunk_rc read_tool_calls(const cJSON *calls, sekha__chunk_fields *f)
{
    if (!calls || cJSON_IsNull(calls))
        return SEKHA__CHUNK_OK;
    if (!cJSON_IsArray(calls))
        return bad(f, "tool_calls is not an array");
    const cJSON *c;
    sekha__span unused;
    int pos = 0;
    cJSON_ArrayForEach(c, calls) {
        if (!cJSON_IsObject(c))
            return bad(f, "tool_calls holds something other than objects");
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(c, "index");
        double i = idx ? (cJSON_IsNumber(idx) ? idx->valuedouble : -1) : pos;
        if (!(i >= 0 && i < SEKHA__MAX_TOOL_CALLS && i == floor(i)))
            return bad(f, "a tool call's index is not an integer from 0 to 1023");
        if (!optional_string(c, "id", &unused) || !optional_string(c, "type", &unused))
            return bad(f, "a tool call's id or type is not a string");
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c, "function");
        if (fn && !cJSON_IsNull(fn) && !cJSON_IsObject(fn))
            return bad(f, "a tool call's function is not an object");
        if (!optional_string(fn, "name", &unused) || !optional_string(fn, "arguments", &unused))
            return bad(f, "a tool call's function name or arguments is not a string");
        pos++;
    }
    f->tool_calls = cJSON_GetArraySize(calls) > 0 ? calls : NULL;
    return SEKHA__CHUNK_OK;
}

static sekha__chunk_rc read_choice(const cJSON *choice, sekha_buf *text, sekha__chunk_fields *f)
{
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
    if (!delta || cJSON_IsNull(delta)) /* a whole completion sent as one event */
        delta = cJSON_GetObjectItemCaseSensitive(choice, "message");
    if (delta && !cJSON_IsNull(delta) && !cJSON_IsObject(delta))
        return bad(f, "the choice's delta is not an object");
    if (!optional_string(choice, "finish_reason", &f->finish))
        return bad(f, "finish_reason is not a string");
    if (!cJSON_IsObject(delta))
        return SEKHA__CHUNK_OK;
    if (!optional_string(delta, "role", &f->role))
        return bad(f, "the delta's role is not a string");
    sekha__span content;
    if (!optional_string(delta, "content", &content))
        return bad(f, "the delta's content is not a string");
    sekha__chunk_rc rc = read_tool_calls(cJSON_GetObjectItemCaseSensitive(delta, "tool_calls"),
                                         f);
    if (rc != SEKHA__CHUNK_OK)
        return rc;
    if (content.p) {
        f->content_off = text->len;
        if (sekha__buf_append(text, content.p, content.n) != 0)
            return bad(f, "out of memory");
        f->has_content = 1;
        f->content_len = content.n;
    }
    return SEKHA__CHUNK_OK;
}

sekha__chunk_rc sekha__chunk_parse_full(const char *data, size_t len, sekha_buf *text,
                                        sekha__chunk_fields *f, cJSON **root)
{
    memset(f, 0, sizeof *f);
    f->usage[0] = f->usage[1] = f->usage[2] = -1;
    const char *end = NULL;
    /* cJSON stops at the end of the first value: trailing bytes are checked here. */
    cJSON *r = *root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (!r) {
        f->error_at = end ? (size_t)(end - data) : 0;
        return SEKHA__CHUNK_INVALID;
    }
    while (end < data + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (end != data + len) {
        f->error_at = (size_t)(end - data);
        return SEKHA__CHUNK_INVALID;
    }
    if (!sekha__utf8_valid(data, len))
        return SEKHA__CHUNK_INVALID;
    if (!cJSON_IsObject(r))
        return bad(f, "the chunk is not a JSON object");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
    if (err && !cJSON_IsNull(err))
        return SEKHA__CHUNK_ERROR;
    f->id = span_of(cJSON_GetObjectItemCaseSensitive(r, "id"));
    f->model = span_of(cJSON_GetObjectItemCaseSensitive(r, "model"));
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(r, "usage");
    if (cJSON_IsObject(usage)) {
        static const char *const names[3] = {"prompt_tokens", "completion_tokens",
                                             "total_tokens"};
        f->has_usage = 1;
        for (int i = 0; i < 3; i++)
            f->usage[i] = exact_long(cJSON_GetObjectItemCaseSensitive(usage, names[i]));
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(r, "choices");
    if (!choices || cJSON_IsNull(choices))
        return SEKHA__CHUNK_OK;
    if (!cJSON_IsArray(choices))
        return bad(f, "choices is not an array");
    const char *why = NULL;
    const cJSON *choice = pick_choice(choices, &why);
    if (why)
        return bad(f, why);
    return choice ? read_choice(choice, text, f) : SEKHA__CHUNK_OK;
}
