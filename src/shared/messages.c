/* The message list every service sends, and its JSON form.
 *
 * Strings are checked (UTF-8, roles, non-empty ids) when added, so writing the list out
 * cannot fail on content, only on memory: the bridge writes it straight into its request
 * body, the controller and MCP into their trees. */
#include "shared/shared.h"
#include "core/jwrite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const roles[] = {"system", "user", "assistant", "tool"};

sekha_messages *sekha_messages_new(void)
{
    return calloc(1, sizeof(sekha_messages));
}

static void free_message(sekha__message *it)
{
    for (size_t k = 0; k < it->ncalls; k++) {
        free(it->calls[k].id);
        free(it->calls[k].name);
        free(it->calls[k].arguments);
    }
    for (size_t k = 0; k < it->nparts; k++) {
        free(it->parts[k].text);
        free(it->parts[k].url);
        free(it->parts[k].detail);
    }
    free(it->parts);
    free(it->calls);
    free(it->tool_call_id);
    free(it->content);
}

void sekha_messages_free(sekha_messages *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free_message(&m->items[i]);
    free(m->items);
    free(m->error);
    free(m);
}

/* Remembers the first failure (later ones are consequences or noise) and returns code. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static sekha_code fail(sekha_messages *m, sekha_code code, const char *fmt, ...)
{
    if (m)
        m->last_code = code;
    if (m && !m->error) {
        m->error_code = code;
        char why[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        m->error = strdup(why);
    }
    return code;
}

/* Checks that s is UTF-8; on failure remembers "<field> is not valid UTF-8 (at byte N)". */
static int utf8_ok(sekha_messages *m, const char *s, const char *field)
{
    size_t n = strlen(s);
    size_t at = sekha__utf8_invalid_at(s, n);
    if (at == n)
        return 1;
    fail(m, SEKHA_E_INVALID_ARG, "messages[%zu].%s is not valid UTF-8 (at byte %zu)",
         m->n ? m->n - 1 : 0, field, at);
    return 0;
}

static const char *known_role(const char *role)
{
    for (size_t i = 0; role && i < sizeof roles / sizeof *roles; i++)
        if (strcmp(role, roles[i]) == 0)
            return roles[i];
    return NULL;
}

static sekha__message *append(sekha_messages *m, const char *role)
{
    const char *r = known_role(role);
    if (!r) {
        fail(m, SEKHA_E_INVALID_ARG, "messages[%zu].role %s%s%s is not one of system, user, "
             "assistant, tool", m->n, role ? "\"" : "", role ? role : "(NULL)",
             role ? "\"" : "");
        return NULL;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        sekha__message *items = realloc(m->items, cap * sizeof *items);
        if (!items) {
            fail(m, SEKHA_E_NOMEM, "out of memory");
            return NULL;
        }
        m->items = items;
        m->cap = cap;
    }
    sekha__message *it = &m->items[m->n++];
    *it = (sekha__message){.role = r};
    return it;
}

/* Drops the message append() just made (a later step of its add failed). */
static void drop_last(sekha_messages *m)
{
    free_message(&m->items[--m->n]);
}

static sekha_code add_text(sekha_messages *m, const char *role, const char *content,
                           const char *tool_call_id)
{
    if (!m)
        return SEKHA_E_INVALID_ARG;
    if (!content)
        return fail(m, SEKHA_E_INVALID_ARG, "messages[%zu].content is NULL", m->n);
    sekha__message *it = append(m, role);
    if (!it)
        return m->last_code;
    if (!utf8_ok(m, content, "content") || (tool_call_id && !utf8_ok(m, tool_call_id,
                                                                      "tool_call_id"))) {
        drop_last(m);
        return SEKHA_E_INVALID_ARG;
    }
    it->len = strlen(content);
    it->content = malloc(it->len + 1);
    it->tool_call_id = tool_call_id ? strdup(tool_call_id) : NULL;
    if (!it->content || (tool_call_id && !it->tool_call_id)) {
        drop_last(m);
        return fail(m, SEKHA_E_NOMEM, "out of memory");
    }
    memcpy(it->content, content, it->len + 1);
    return SEKHA_OK;
}

sekha_code sekha_messages_add(sekha_messages *m, const char *role, const char *content)
{
    return add_text(m, role, content, NULL);
}

sekha_code sekha_messages_add_tool_result(sekha_messages *m, const char *tool_call_id,
                                          const char *content)
{
    if (!m)
        return SEKHA_E_INVALID_ARG;
    if (!tool_call_id || !*tool_call_id)
        return fail(m, SEKHA_E_INVALID_ARG, "messages[%zu].tool_call_id is empty", m->n);
    return add_text(m, "tool", content, tool_call_id);
}

sekha_code sekha_messages_add_parts(sekha_messages *m, const char *role)
{
    if (!m)
        return SEKHA_E_INVALID_ARG;
    sekha__message *it = append(m, role);
    if (!it)
        return m->last_code;
    it->has_parts = 1;
    it->content = calloc(1, 1);
    if (!it->content) {
        drop_last(m);
        return fail(m, SEKHA_E_NOMEM, "out of memory");
    }
    return SEKHA_OK;
}

/* The last message, when it is a parts message; else remembers why not. */
static sekha__message *parts_message(sekha_messages *m, const char *what)
{
    if (!m)
        return NULL;
    if (!m->n || !m->items[m->n - 1].has_parts) {
        fail(m, SEKHA_E_INVALID_ARG, "%s part added without a message started by "
             "sekha_messages_add_parts()", what);
        return NULL;
    }
    return &m->items[m->n - 1];
}

static sekha_code push_part(sekha_messages *m, sekha__message *it, sekha__msg_part part)
{
    sekha__msg_part *parts = realloc(it->parts, (it->nparts + 1) * sizeof *parts);
    if (!parts) {
        free(part.text);
        free(part.url);
        free(part.detail);
        return fail(m, SEKHA_E_NOMEM, "out of memory");
    }
    it->parts = parts;
    it->parts[it->nparts++] = part;
    return SEKHA_OK;
}

sekha_code sekha_messages_add_text_part(sekha_messages *m, const char *text)
{
    sekha__message *it = parts_message(m, "a text");
    if (!it)
        return SEKHA_E_INVALID_ARG;
    if (!text)
        return fail(m, SEKHA_E_INVALID_ARG, "messages[%zu] text part is NULL", m->n - 1);
    if (!utf8_ok(m, text, "content text part"))
        return SEKHA_E_INVALID_ARG;
    /* The joined text that sekha_messages_content() returns, kept up to date here so
     * reading it never writes. The separator goes after every earlier text part, empty
     * ones included (the content length alone cannot tell "" from no part). */
    size_t tl = strlen(text), sep = 0;
    for (size_t k = 0; k < it->nparts && !sep; k++)
        sep = it->parts[k].text != NULL;
    char *joined = realloc(it->content, it->len + sep + tl + 1);
    if (!joined)
        return fail(m, SEKHA_E_NOMEM, "out of memory");
    it->content = joined;
    char *copy = strdup(text);
    if (!copy)
        return fail(m, SEKHA_E_NOMEM, "out of memory");
    sekha_code rc = push_part(m, it, (sekha__msg_part){.text = copy});
    if (rc == SEKHA_OK) {
        if (sep)
            joined[it->len++] = ' ';
        memcpy(joined + it->len, text, tl + 1);
        it->len += tl;
    }
    return rc;
}

sekha_code sekha_messages_add_image_part(sekha_messages *m, const char *url, const char *detail)
{
    sekha__message *it = parts_message(m, "an image");
    if (!it)
        return SEKHA_E_INVALID_ARG;
    if (!url || !*url)
        return fail(m, SEKHA_E_INVALID_ARG, "messages[%zu] image part has no URL", m->n - 1);
    if (detail && strcmp(detail, "low") != 0 && strcmp(detail, "high") != 0 &&
        strcmp(detail, "auto") != 0)
        return fail(m, SEKHA_E_INVALID_ARG, "messages[%zu] image detail must be low, high "
                    "or auto", m->n - 1);
    if (!utf8_ok(m, url, "content image URL"))
        return SEKHA_E_INVALID_ARG;
    sekha__msg_part part = {.url = strdup(url), .detail = detail ? strdup(detail) : NULL};
    if (!part.url || (detail && !part.detail)) {
        free(part.url);
        free(part.detail);
        return fail(m, SEKHA_E_NOMEM, "out of memory");
    }
    return push_part(m, it, part);
}

sekha_code sekha_messages_add_tool_call(sekha_messages *m, const char *id, const char *name,
                                        const char *arguments)
{
    if (!m)
        return SEKHA_E_INVALID_ARG;
    if (!arguments)
        arguments = "{}";
    if (!m->n || strcmp(m->items[m->n - 1].role, "assistant") != 0)
        return fail(m, SEKHA_E_INVALID_ARG, "a tool call was added after a message that is "
                    "not an assistant message");
    if (!id || !*id || !name || !*name)
        return fail(m, SEKHA_E_INVALID_ARG, "messages[%zu] tool call needs an id and a name",
                    m->n - 1);
    if (!utf8_ok(m, id, "tool_calls id") || !utf8_ok(m, name, "tool_calls name") ||
        !utf8_ok(m, arguments, "tool_calls arguments"))
        return SEKHA_E_INVALID_ARG;
    sekha__message *it = &m->items[m->n - 1];
    sekha__msg_call *calls = realloc(it->calls, (it->ncalls + 1) * sizeof *calls);
    if (!calls)
        return fail(m, SEKHA_E_NOMEM, "out of memory");
    it->calls = calls;
    sekha__msg_call c = {strdup(id), strdup(name), strdup(arguments)};
    if (!c.id || !c.name || !c.arguments) {
        free(c.id);
        free(c.name);
        free(c.arguments);
        return fail(m, SEKHA_E_NOMEM, "out of memory");
    }
    it->calls[it->ncalls++] = c;
    return SEKHA_OK;
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

const char *sekha_messages_error(const sekha_messages *m)
{
    return m && m->error ? m->error : "";
}

/* ---- copies ---- */

static int dup_to(char **dst, const char *s)
{
    *dst = s ? strdup(s) : NULL;
    return s && !*dst ? -1 : 0;
}

static int copy_message(sekha__message *d, const sekha__message *s)
{
    *d = (sekha__message){.role = s->role, .len = s->len, .has_parts = s->has_parts};
    d->content = malloc(s->len + 1);
    if (!d->content)
        return -1;
    memcpy(d->content, s->content, s->len + 1);
    if (dup_to(&d->tool_call_id, s->tool_call_id) != 0)
        return -1;
    if (s->nparts) {
        d->parts = calloc(s->nparts, sizeof *d->parts);
        if (!d->parts)
            return -1;
        for (; d->nparts < s->nparts; d->nparts++) {
            const sekha__msg_part *p = &s->parts[d->nparts];
            sekha__msg_part *q = &d->parts[d->nparts];
            if (dup_to(&q->text, p->text) || dup_to(&q->url, p->url) ||
                dup_to(&q->detail, p->detail))
                return d->nparts++, -1;
        }
    }
    if (s->ncalls) {
        d->calls = calloc(s->ncalls, sizeof *d->calls);
        if (!d->calls)
            return -1;
        for (; d->ncalls < s->ncalls; d->ncalls++) {
            const sekha__msg_call *p = &s->calls[d->ncalls];
            sekha__msg_call *q = &d->calls[d->ncalls];
            if (dup_to(&q->id, p->id) || dup_to(&q->name, p->name) ||
                dup_to(&q->arguments, p->arguments))
                return d->ncalls++, -1;
        }
    }
    return 0;
}

sekha_messages *sekha_messages_copy(const sekha_messages *m)
{
    if (!m)
        return NULL;
    sekha_messages *c = sekha_messages_new();
    if (!c)
        return NULL;
    if (m->n) {
        c->items = calloc(m->n, sizeof *c->items);
        if (!c->items)
            goto fail;
        c->cap = m->n;
        for (; c->n < m->n; c->n++)
            if (copy_message(&c->items[c->n], &m->items[c->n]) != 0) {
                c->n++;
                goto fail;
            }
    }
    c->error_code = m->error_code;
    c->last_code = m->last_code;
    if (dup_to(&c->error, m->error) == 0)
        return c;
fail:
    sekha_messages_free(c);
    return NULL;
}

/* ---- sending ---- */

sekha_error *sekha__messages_check(const sekha_messages *m, const char *call)
{
    const char *why = NULL;
    char buf[96];
    if (!m)
        why = "messages is NULL";
    else if (m->error)
        why = m->error;
    else if (!m->n)
        why = "messages must hold at least one message";
    else
        for (size_t i = 0; i < m->n && !why; i++)
            if (m->items[i].has_parts && !m->items[i].nparts) {
                snprintf(buf, sizeof buf, "messages[%zu] was started with parts but has none",
                         i);
                why = buf;
            }
    sekha_code code = m && m->error ? m->error_code : SEKHA_E_INVALID_ARG;
    return why ? sekha__error_new(code, SEKHA_LAYER_LOCAL, "%s: %s", call, why) : NULL;
}

int sekha__messages_have_parts(const sekha_messages *m)
{
    for (size_t i = 0; m && i < m->n; i++)
        if (m->items[i].has_parts)
            return 1;
    return 0;
}

/* Controllers that read content as a string (the January one) refuse parts with a 422
 * whose text is serde's "invalid type", which does not say what to change. */
void sekha__error_plain_text_only(sekha_error *e, const char *what)
{
    static const char why[] = "this controller accepts only plain-text message content, not "
                              "content parts: send the text (sekha_content_text() flattens "
                              "parts) or use a controller version that takes parts";
    if (!e || e == &sekha__nomem_error || e->layer != SEKHA_LAYER_HTTP || e->http_status != 422)
        return;
    char *detail = strdup(why);
    if (!detail)
        return; /* no memory: the plain 422 stays */
    free(e->detail);
    e->detail = detail;
    sekha__error_compose(e, what);
}

static int put_key(sekha_buf *b, const char *key_and_colon)
{
    return sekha__buf_puts(b, key_and_colon);
}

static int put_parts(sekha_buf *b, const sekha__message *it)
{
    int rc = sekha__buf_puts(b, "[");
    for (size_t k = 0; k < it->nparts; k++) {
        const sekha__msg_part *p = &it->parts[k];
        rc |= sekha__buf_puts(b, k ? "," : "");
        if (p->text) {
            rc |= put_key(b, "{\"type\":\"text\",\"text\":");
            rc |= sekha__jw_string(b, p->text);
        } else {
            rc |= put_key(b, "{\"type\":\"image_url\",\"image_url\":{\"url\":");
            rc |= sekha__jw_string(b, p->url);
            if (p->detail) {
                rc |= put_key(b, ",\"detail\":");
                rc |= sekha__jw_string(b, p->detail);
            }
            rc |= sekha__buf_puts(b, "}");
        }
        rc |= sekha__buf_puts(b, "}");
    }
    return rc | sekha__buf_puts(b, "]");
}

/* ,"tool_calls":[...] of an assistant message, in the shape OpenAI answers with. */
static int put_calls(sekha_buf *b, const sekha__message *m)
{
    int rc = sekha__buf_puts(b, ",\"tool_calls\":[");
    for (size_t k = 0; k < m->ncalls; k++) {
        const sekha__msg_call *c = &m->calls[k];
        rc |= sekha__buf_puts(b, k ? ",{\"id\":" : "{\"id\":");
        rc |= sekha__jw_string(b, c->id);
        rc |= sekha__buf_puts(b, ",\"type\":\"function\",\"function\":{\"name\":");
        rc |= sekha__jw_string(b, c->name);
        rc |= sekha__buf_puts(b, ",\"arguments\":");
        rc |= sekha__jw_string(b, c->arguments);
        rc |= sekha__buf_puts(b, "}}");
    }
    return rc | sekha__buf_puts(b, "]");
}

int sekha__messages_write(sekha_buf *b, const sekha_messages *msgs)
{
    int rc = sekha__buf_puts(b, "[");
    for (size_t i = 0; rc == 0 && i < msgs->n; i++) {
        const sekha__message *m = &msgs->items[i];
        rc |= sekha__buf_puts(b, i ? ",{\"role\":\"" : "{\"role\":\"");
        rc |= sekha__buf_puts(b, m->role);
        rc |= sekha__buf_puts(b, "\",\"content\":");
        rc |= m->has_parts ? put_parts(b, m) : sekha__jw_string_n(b, m->content, m->len);
        if (m->ncalls)
            rc |= put_calls(b, m);
        if (m->tool_call_id) {
            rc |= sekha__buf_puts(b, ",\"tool_call_id\":");
            rc |= sekha__jw_string(b, m->tool_call_id);
        }
        rc |= sekha__buf_puts(b, "}");
    }
    rc |= sekha__buf_puts(b, "]");
    return rc ? SEKHA_JW_NOMEM : 0;
}

cJSON *sekha__messages_cjson(const sekha_messages *msgs)
{
    sekha_buf b = {0};
    cJSON *out = NULL;
    if (sekha__messages_write(&b, msgs) == 0)
        out = cJSON_ParseWithLength(b.data, b.len);
    sekha__buf_free(&b);
    return out;
}
