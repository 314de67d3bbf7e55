/* Tool calls of a completion: assembling streamed fragments, the accessors, and the
 * message.tool_calls member of a synthesized completion.
 *
 * A streamed tool call arrives in pieces that share an index: the first usually carries
 * id, type and function.name, the later ones pieces of function.arguments. They are
 * assembled as the OpenAI clients do: id, type and name replaced when a piece sends them
 * (non-empty), arguments appended. A whole message's tool_calls (no index) go through the
 * same path, each at its position. Calls are kept sorted by index; a stream normally adds
 * to the last one, so the search starts from the end. */
#include "bridge/internal.h"

#include <stdlib.h>
#include <string.h>

static const char *str_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

size_t sekha__tool_calls_size(const cJSON *calls)
{
    size_t n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c, "function");
        const char *s[4] = {str_of(c, "id"), str_of(c, "type"), str_of(fn, "name"),
                            str_of(fn, "arguments")};
        for (int i = 0; i < 4; i++)
            n += s[i] ? strlen(s[i]) : 0;
    }
    return n;
}

/* The call with this index, inserted in order when new; NULL on no memory. */
static sekha__tool_call *call_at(sekha_completion *c, int index)
{
    size_t i = c->ncalls;
    while (i > 0 && c->calls[i - 1].index > index)
        i--;
    if (i > 0 && c->calls[i - 1].index == index)
        return &c->calls[i - 1];
    if (c->ncalls == c->calls_cap) {
        size_t cap = c->calls_cap ? c->calls_cap * 2 : 2;
        sekha__tool_call *calls = realloc(c->calls, cap * sizeof *calls);
        if (!calls)
            return NULL;
        c->calls = calls;
        c->calls_cap = cap;
    }
    memmove(&c->calls[i + 1], &c->calls[i], (c->ncalls - i) * sizeof *c->calls);
    c->calls[i] = (sekha__tool_call){.index = index};
    c->ncalls++;
    return &c->calls[i];
}

/* Replaces *dst when s is a non-empty string. Returns 0, -1 on no memory. */
static int replace(char **dst, const char *s)
{
    if (!s || !*s)
        return 0;
    char *d = strdup(s);
    if (!d)
        return -1;
    free(*dst);
    *dst = d;
    return 0;
}

int sekha__completion_add_tool_calls(sekha_completion *c, const cJSON *calls)
{
    const cJSON *d;
    int pos = 0;
    cJSON_ArrayForEach(d, calls) {
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(d, "index");
        /* checked by the decoder: an integer from 0 to SEKHA__MAX_TOOL_CALLS - 1 */
        sekha__tool_call *t = call_at(c, idx ? (int)idx->valuedouble : pos);
        pos++;
        if (!t)
            return -1;
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(d, "function");
        const char *args = str_of(fn, "arguments");
        if (replace(&t->id, str_of(d, "id")) || replace(&t->type, str_of(d, "type")) ||
            replace(&t->name, str_of(fn, "name")) ||
            (args && sekha__buf_append(&t->args, args, strlen(args)) != 0))
            return -1;
    }
    c->tool_bytes += sekha__tool_calls_size(calls);
    return 0;
}

void sekha__tool_calls_free(sekha_completion *c)
{
    for (size_t i = 0; i < c->ncalls; i++) {
        free(c->calls[i].id);
        free(c->calls[i].type);
        free(c->calls[i].name);
        sekha__buf_free(&c->calls[i].args);
    }
    free(c->calls);
    c->calls = NULL;
    c->ncalls = c->calls_cap = 0;
}

static int put_string_or_null(sekha_buf *b, const char *s)
{
    return s ? sekha__json_put_string(b, s, strlen(s)) : sekha__buf_puts(b, "null");
}

int sekha__tool_calls_put_json(sekha_buf *b, const sekha_completion *c)
{
    int rc = sekha__buf_puts(b, "\"tool_calls\":[");
    for (size_t i = 0; i < c->ncalls; i++) {
        const sekha__tool_call *t = &c->calls[i];
        rc |= sekha__buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        rc |= put_string_or_null(b, t->id);
        rc |= sekha__buf_puts(b, ",\"type\":");
        rc |= put_string_or_null(b, t->type ? t->type : "function");
        rc |= sekha__buf_puts(b, ",\"function\":{\"name\":");
        rc |= put_string_or_null(b, t->name);
        rc |= sekha__buf_puts(b, ",\"arguments\":");
        rc |= sekha__json_put_string(b, sekha__buf_str(&t->args), t->args.len);
        rc |= sekha__buf_puts(b, "}}");
    }
    return rc | sekha__buf_puts(b, "]");
}

/* ---- accessors ---- */

static const sekha__tool_call *call(const sekha_completion *c, size_t i)
{
    return c && i < c->ncalls ? &c->calls[i] : NULL;
}

size_t sekha_completion_tool_call_count(const sekha_completion *c)
{
    return c ? c->ncalls : 0;
}

const char *sekha_completion_tool_call_id(const sekha_completion *c, size_t i)
{
    const sekha__tool_call *t = call(c, i);
    return t ? t->id : NULL;
}

const char *sekha_completion_tool_call_type(const sekha_completion *c, size_t i)
{
    const sekha__tool_call *t = call(c, i);
    return !t ? NULL : t->type ? t->type : "function";
}

const char *sekha_completion_tool_call_name(const sekha_completion *c, size_t i)
{
    const sekha__tool_call *t = call(c, i);
    return t ? t->name : NULL;
}

const char *sekha_completion_tool_call_arguments(const sekha_completion *c, size_t i,
                                                 size_t *len)
{
    const sekha__tool_call *t = call(c, i);
    if (len)
        *len = t ? t->args.len : 0;
    return t ? sekha__buf_str(&t->args) : NULL;
}
