/* The message builder and the chat request body.
 *
 * The body is written directly (no cJSON tree): it is small, its shape is fixed, and
 * writing it ourselves keeps two promises a generic serializer would not: temperature 0
 * is written as 0 (never dropped as "falsy"), and numbers are written in the C locale
 * whatever LC_NUMERIC the application chose. */
#include "bridge/internal.h"
#include "core/cnum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const roles[] = {"system", "user", "assistant", "tool"};

sekha_messages *sekha_messages_new(void)
{
    return calloc(1, sizeof(sekha_messages));
}

void sekha_messages_free(sekha_messages *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        sekha__message *it = &m->items[i];
        for (size_t k = 0; k < it->ncalls; k++) {
            free(it->calls[k].id);
            free(it->calls[k].name);
            free(it->calls[k].arguments);
        }
        free(it->calls);
        free(it->tool_call_id);
        free(it->content);
    }
    free(m->items);
    free(m);
}

static int utf8_str(const char *s)
{
    return s && sekha__utf8_valid(s, strlen(s));
}

static sekha_code add_message(sekha_messages *m, const char *role, const char *content,
                              const char *tool_call_id)
{
    if (!m || !role || !content)
        return SEKHA_E_INVALID_ARG;
    const char *r = NULL;
    for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
        if (strcmp(role, roles[i]) == 0)
            r = roles[i];
    size_t len = strlen(content);
    if (!r || !sekha__utf8_valid(content, len))
        return SEKHA_E_INVALID_ARG;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        sekha__message *items = realloc(m->items, cap * sizeof *items);
        if (!items)
            return SEKHA_E_NOMEM;
        m->items = items;
        m->cap = cap;
    }
    char *copy = malloc(len + 1);
    char *id = tool_call_id ? strdup(tool_call_id) : NULL;
    if (!copy || (tool_call_id && !id)) {
        free(copy);
        free(id);
        return SEKHA_E_NOMEM;
    }
    memcpy(copy, content, len + 1);
    m->items[m->n++] = (sekha__message){.role = r, .content = copy, .len = len,
                                        .tool_call_id = id};
    return SEKHA_OK;
}

sekha_code sekha_messages_add(sekha_messages *m, const char *role, const char *content)
{
    return add_message(m, role, content, NULL);
}

sekha_code sekha_messages_add_tool_call(sekha_messages *m, const char *id, const char *name,
                                        const char *arguments)
{
    if (!arguments)
        arguments = "{}";
    if (!m || !m->n || strcmp(m->items[m->n - 1].role, "assistant") != 0 || !utf8_str(id) ||
        !*id || !utf8_str(name) || !*name || !utf8_str(arguments))
        return SEKHA_E_INVALID_ARG;
    sekha__message *it = &m->items[m->n - 1];
    sekha__msg_call *calls = realloc(it->calls, (it->ncalls + 1) * sizeof *calls);
    if (!calls)
        return SEKHA_E_NOMEM;
    it->calls = calls;
    sekha__msg_call c = {strdup(id), strdup(name), strdup(arguments)};
    if (!c.id || !c.name || !c.arguments) {
        free(c.id);
        free(c.name);
        free(c.arguments);
        return SEKHA_E_NOMEM;
    }
    it->calls[it->ncalls++] = c;
    return SEKHA_OK;
}

sekha_code sekha_messages_add_tool_result(sekha_messages *m, const char *tool_call_id,
                                          const char *content)
{
    if (!utf8_str(tool_call_id) || !*tool_call_id)
        return SEKHA_E_INVALID_ARG;
    return add_message(m, "tool", content, tool_call_id);
}

size_t sekha_messages_count(const sekha_messages *m)
{
    return m ? m->n : 0;
}

const char *sekha_messages_role(const sekha_messages *m, size_t i)
{
    return m && i < m->n ? m->items[i].role : NULL;
}

const char *sekha_messages_content(const sekha_messages *m, size_t i)
{
    return m && i < m->n ? m->items[i].content : NULL;
}

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

static sekha_error *arg_error(const char *why)
{
    return sekha__error_new(SEKHA_E_INVALID_ARG, SEKHA_LAYER_LOCAL, "%s", why);
}

static const char *const own_keys[] = {"model", "temperature", "max_tokens"};

/* Parses extra_json and says which of our own keys it replaces (bit i: own_keys[i]). */
static sekha_error *parse_extra(const char *extra_json, cJSON **out, unsigned *replaced)
{
    *out = NULL;
    *replaced = 0;
    if (!extra_json)
        return NULL;
    size_t len = strlen(extra_json);
    if (!sekha__utf8_valid(extra_json, len))
        return arg_error("extra_json is not valid UTF-8");
    cJSON *x = cJSON_ParseWithOpts(extra_json, NULL, 1);
    if (!cJSON_IsObject(x)) {
        cJSON_Delete(x);
        return arg_error("extra_json must be a JSON object");
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, x) {
        if (strcmp(m->string, "messages") == 0 || strcmp(m->string, "stream") == 0) {
            cJSON_Delete(x);
            return arg_error("extra_json may not set \"messages\" or \"stream\"");
        }
        for (const cJSON *o = x->child; o != m; o = o->next)
            if (strcmp(o->string, m->string) == 0) {
                cJSON_Delete(x);
                return arg_error("extra_json names a member twice");
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

/* ,"tool_calls":[...] of an assistant message, in the shape OpenAI answers with. */
static int put_calls(sekha_buf *b, const sekha__message *m)
{
    int rc = sekha__buf_puts(b, ",\"tool_calls\":[");
    for (size_t k = 0; k < m->ncalls; k++) {
        const sekha__msg_call *c = &m->calls[k];
        rc |= sekha__buf_puts(b, k ? ",{\"id\":" : "{\"id\":");
        rc |= sekha__json_put_string(b, c->id, strlen(c->id));
        rc |= sekha__buf_puts(b, ",\"type\":\"function\",\"function\":{\"name\":");
        rc |= sekha__json_put_string(b, c->name, strlen(c->name));
        rc |= sekha__buf_puts(b, ",\"arguments\":");
        rc |= sekha__json_put_string(b, c->arguments, strlen(c->arguments));
        rc |= sekha__buf_puts(b, "}}");
    }
    return rc | sekha__buf_puts(b, "]");
}

sekha_error *sekha__bridge_chat_body(sekha_buf *b, const sekha_messages *msgs, const char *model,
                                     double temperature, long max_tokens,
                                     const char *extra_json, int stream)
{
    if (!msgs || msgs->n == 0)
        return arg_error("messages must hold at least one message");
    if (!isnan(temperature) && !(isfinite(temperature) && temperature >= 0))
        return arg_error("temperature must be finite and >= 0 (or SEKHA_TEMPERATURE_UNSET)");
    if (max_tokens < 0)
        return arg_error("max_tokens must be >= 1 (or SEKHA_MAX_TOKENS_UNSET)");
    if (model && !sekha__utf8_valid(model, strlen(model)))
        return arg_error("model is not valid UTF-8");
    cJSON *extra;
    unsigned replaced;
    sekha_error *e = parse_extra(extra_json, &extra, &replaced);
    if (e)
        return e;
    int rc = sekha__buf_puts(b, "{\"messages\":[");
    for (size_t i = 0; rc == 0 && i < msgs->n; i++) {
        const sekha__message *m = &msgs->items[i];
        rc |= sekha__buf_puts(b, i ? ",{\"role\":\"" : "{\"role\":\"");
        rc |= sekha__buf_puts(b, m->role);
        rc |= sekha__buf_puts(b, "\",\"content\":");
        rc |= sekha__json_put_string(b, m->content, m->len);
        if (m->ncalls)
            rc |= put_calls(b, m);
        if (m->tool_call_id) {
            rc |= sekha__buf_puts(b, ",\"tool_call_id\":");
            rc |= sekha__json_put_string(b, m->tool_call_id, strlen(m->tool_call_id));
        }
        rc |= sekha__buf_puts(b, "}");
    }
    rc |= sekha__buf_puts(b, "]");
    if (model && *model && !(replaced & 1)) {
        rc |= sekha__buf_puts(b, ",\"model\":");
        rc |= sekha__json_put_string(b, model, strlen(model));
    }
    if (!isnan(temperature) && !(replaced & 2)) {
        rc |= sekha__buf_puts(b, ",\"temperature\":");
        rc |= put_double(b, temperature);
    }
    if (max_tokens > 0 && !(replaced & 4))
        rc |= sekha__buf_printf(b, ",\"max_tokens\":%ld", max_tokens);
    rc |= sekha__buf_puts(b, stream ? ",\"stream\":true" : ",\"stream\":false");
    if (extra)
        rc |= put_extra(b, extra);
    rc |= sekha__buf_puts(b, "}");
    cJSON_Delete(extra);
    return rc ? sekha__error_new(SEKHA_E_NOMEM, SEKHA_LAYER_LOCAL, "request body") : NULL;
}
