/* The LLM-bridge half of sekha-devserver (wire contract section 3): chat completions,
 * embeddings, health and the model list, with FastAPI's validation answers.
 *
 * There is no model. The completion text is derived from the request so tests can predict it:
 *   with context (any message whose role is neither "user" nor "assistant", e.g. "system"):
 *     "Based on your memory: <first 12 words of the context> ... you asked: <last user message>"
 *   without: "You asked: <last user message>"
 * Words are whitespace-separated and re-joined with single spaces. When the answer has more
 * words than max_tokens it is cut there and finish_reason is "length" (as OpenAI does),
 * otherwise "stop". The answer's model is "devserver-echo", or "devserver-echo/<model>" when
 * the request named one. With "stream": true (unless --no-stream) the same words arrive as
 * OpenAI-style chunks, one word per chunk, the first carrying the role.
 *
 * Tools: when the request carries a non-empty "tools" array (and tool_choice is not
 * "none") and the last message is not a tool message, the answer calls the first two
 * tools (function.name; "tool" when missing) with the arguments {"query":<last user
 * message>,"call":<i>}, ids "call_<hex>", finish_reason "tool_calls" and content null.
 * Streamed, each call's first chunk carries index, id, type and name (arguments ""), then
 * the arguments arrive in pieces of at most 6 bytes, the calls' pieces interleaved; with
 * the endless fault the last call's arguments grow by "more" forever. When the last
 * message is a tool message the answer is text naming each trailing tool result:
 *   "Tool <name> returned: <content words>" (one such part per tool message)
 * where <name> is the function of the assistant tool call whose id the tool message's
 * tool_call_id names. A tool_call_id that no earlier assistant tool call has is a 400. */
#include "faults.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define CONTEXT_WORDS 12
#define ECHO_MODEL "devserver-echo"
#define EMBED_MODEL "devserver-hash"

/* ---------------------------------------------------------------- FastAPI-style errors */

/* loc and ctx are taken over, input is borrowed. */
static void verr(json_t *errs, const char *type, json_t *loc, const char *msg, json_t *input,
                 json_t *ctx)
{
    json_t *e = json_pack("{s:s,s:o,s:s,s:O?}", "type", type, "loc", loc, "msg", msg,
                          "input", input);
    if (e && ctx)
        json_object_set_new(e, "ctx", ctx);
    else
        json_decref(ctx);
    json_array_append_new(errs, e);
}

static json_t *loc2(const char *a) { return json_pack("[s,s]", "body", a); }

static json_t *loc_item(const char *field, size_t i, const char *sub)
{
    return sub ? json_pack("[s,s,I,s]", "body", field, (json_int_t)i, sub)
               : json_pack("[s,s,I]", "body", field, (json_int_t)i);
}

static void respond_422(ds_response *rs, json_t *errs)
{
    ds_respond_json(rs, 422, json_pack("{s:o}", "detail", errs));
}

static void respond_detail(ds_response *rs, int status, const char *detail)
{
    ds_respond_json(rs, status, json_pack("{s:s}", "detail", detail));
}

/* Parses the body as FastAPI would; on failure fills rs with the 422 and returns NULL. */
static json_t *parse_body(const ds_request *rq, ds_response *rs)
{
    size_t i = 0;
    while (i < rq->body_len && isspace((unsigned char)rq->body[i]))
        i++;
    json_t *errs = json_array();
    if (i == rq->body_len) {
        verr(errs, "missing", json_pack("[s]", "body"), "Field required", NULL, NULL);
        respond_422(rs, errs);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(rq->body, rq->body_len, JSON_DECODE_ANY, &je);
    if (!root) {
        json_t *empty = json_object();   /* FastAPI reports the input as {} */
        verr(errs, "json_invalid", json_pack("[s,I]", "body", (json_int_t)je.position),
             "JSON decode error", empty, json_pack("{s:s}", "error", je.text));
        json_decref(empty);
        respond_422(rs, errs);
        return NULL;
    }
    if (!json_is_object(root)) {
        verr(errs, "model_attributes_type", json_pack("[s]", "body"),
             "Input should be a valid dictionary or object to extract fields from", root, NULL);
        json_decref(root);
        respond_422(rs, errs);
        return NULL;
    }
    json_decref(errs);
    return root;
}

/* Required string field (or optional when !required). Returns the string or NULL. */
static const char *want_string(json_t *root, const char *key, int required, json_t *errs)
{
    json_t *v = json_object_get(root, key);
    if (!v || (json_is_null(v) && !required)) {
        if (required)
            verr(errs, "missing", loc2(key), "Field required", root, NULL);
        return NULL;
    }
    if (!json_is_string(v)) {
        verr(errs, "string_type", loc2(key), "Input should be a valid string", v, NULL);
        return NULL;
    }
    return json_string_value(v);
}

/* Python's lax mode also takes numeric strings and booleans for numbers. */
static int as_number(json_t *v, double *out, int *is_string)
{
    *is_string = json_is_string(v);
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (*is_string) {
        char *end;
        const char *s = json_string_value(v);
        *out = strtod(s, &end);
        while (isspace((unsigned char)*end))
            end++;
        return (end != s && *end == '\0') ? 0 : -1;
    }
    return -1;
}

typedef struct chat_req {
    json_t *messages;
    json_t *tools;       /* a non-empty array, or NULL (none, or tool_choice "none") */
    const char *model;
    long long max_tokens;
    double temperature;  /* as sent; has_temperature 0 when absent or null */
    int has_temperature;
    int stream;
} chat_req;

static void check_messages(json_t *root, json_t *errs, chat_req *cr)
{
    json_t *msgs = json_object_get(root, "messages");
    if (!msgs) {
        verr(errs, "missing", loc2("messages"), "Field required", root, NULL);
        return;
    }
    if (!json_is_array(msgs)) {
        verr(errs, "list_type", loc2("messages"), "Input should be a valid list", msgs, NULL);
        return;
    }
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        if (!json_is_object(m)) {
            verr(errs, "model_attributes_type", loc_item("messages", i, NULL),
                 "Input should be a valid dictionary or object to extract fields from", m, NULL);
            continue;
        }
        static const char *const fields[] = { "role", "content" };
        for (size_t f = 0; f < 2; f++) {
            json_t *v = json_object_get(m, fields[f]);
            if (!v)
                verr(errs, "missing", loc_item("messages", i, fields[f]), "Field required", m,
                     NULL);
            else if (!json_is_string(v))
                verr(errs, "string_type", loc_item("messages", i, fields[f]),
                     "Input should be a valid string", v, NULL);
        }
    }
    cr->messages = msgs;
}

static void check_options(json_t *root, json_t *errs, chat_req *cr)
{
    cr->model = want_string(root, "model", 0, errs);
    double d;
    int str;
    json_t *v = json_object_get(root, "temperature");
    if (v && !json_is_null(v)) {
        if (as_number(v, &d, &str))
            verr(errs, str ? "float_parsing" : "float_type", loc2("temperature"),
                 str ? "Input should be a valid number, unable to parse string as a number"
                     : "Input should be a valid number", v, NULL);
        else if (d < 0)
            verr(errs, "greater_than_equal", loc2("temperature"),
                 "Input should be greater than or equal to 0.0", v,
                 json_pack("{s:f}", "ge", 0.0));
        else if (d > 2)
            verr(errs, "less_than_equal", loc2("temperature"),
                 "Input should be less than or equal to 2.0", v, json_pack("{s:f}", "le", 2.0));
        else {
            cr->temperature = d;
            cr->has_temperature = 1;
        }
    }
    cr->max_tokens = 2000;
    v = json_object_get(root, "max_tokens");
    if (v && !json_is_null(v)) {
        if (as_number(v, &d, &str))
            verr(errs, str ? "int_parsing" : "int_type", loc2("max_tokens"),
                 str ? "Input should be a valid integer, unable to parse string as an integer"
                     : "Input should be a valid integer", v, NULL);
        else if (d != (double)(long long)d)
            verr(errs, "int_from_float", loc2("max_tokens"),
                 "Input should be a valid integer, got a number with a fractional part", v, NULL);
        else if (d < 1)
            verr(errs, "greater_than_equal", loc2("max_tokens"),
                 "Input should be greater than or equal to 1", v, json_pack("{s:i}", "ge", 1));
        else
            cr->max_tokens = (long long)d;
    }
    v = json_object_get(root, "tools");
    if (v && !json_is_null(v) && !json_is_array(v))
        verr(errs, "list_type", loc2("tools"), "Input should be a valid list", v, NULL);
    else if (json_array_size(v) > 0) {
        const char *choice = json_string_value(json_object_get(root, "tool_choice"));
        if (!choice || strcmp(choice, "none"))
            cr->tools = v;
    }
    v = json_object_get(root, "stream");
    if (v && !json_is_null(v)) {
        static const char *const yes[] = { "true", "1", "yes", "on", "t", "y" };
        static const char *const no[] = { "false", "0", "no", "off", "f", "n" };
        int ok = 0;
        if (json_is_boolean(v)) {
            cr->stream = json_is_true(v);
            ok = 1;
        } else if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
            cr->stream = json_integer_value(v) == 1;
            ok = 1;
        } else if (json_is_string(v)) {
            for (size_t i = 0; i < 6 && !ok; i++) {
                if (!strcasecmp(json_string_value(v), yes[i]))
                    cr->stream = ok = 1;
                else if (!strcasecmp(json_string_value(v), no[i]))
                    ok = 1;
            }
        }
        if (!ok)
            verr(errs, json_is_string(v) ? "bool_parsing" : "bool_type", loc2("stream"),
                 json_is_string(v) ? "Input should be a valid boolean, unable to interpret input"
                                   : "Input should be a valid boolean", v, NULL);
    }
}

/* ---------------------------------------------------------------- the echo "model" */

typedef struct words {
    char *buf;      /* the words, each NUL-terminated, back to back */
    size_t len, cap;
    char **w;
    size_t n, wcap;
    int oom;
} words;

static void words_add(words *ws, const char *s, size_t n)
{
    if (ws->oom)
        return;
    if (ws->len + n + 1 > ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 256;
        while (cap < ws->len + n + 1)
            cap *= 2;
        char *p = realloc(ws->buf, cap);
        if (!p) {
            ws->oom = 1;
            return;
        }
        ws->buf = p;
        ws->cap = cap;
    }
    memcpy(ws->buf + ws->len, s, n);
    ws->buf[ws->len + n] = '\0';
    ws->len += n + 1;
    ws->n++;
}

/* Adds up to max words of text; returns how many were added. */
static size_t words_split(words *ws, const char *text, size_t max)
{
    size_t added = 0;
    const char *p = text;
    while (*p && added < max) {
        while (*p && isspace((unsigned char)*p))
            p++;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (p > start) {
            words_add(ws, start, (size_t)(p - start));
            added++;
        }
    }
    return added;
}

/* Pointers are taken only once all words are in, since the buffer moves as it grows. */
static int words_index(words *ws)
{
    if (ws->oom)
        return -1;
    ws->w = calloc(ws->n ? ws->n : 1, sizeof *ws->w);
    if (!ws->w)
        return -1;
    char *p = ws->buf;
    for (size_t i = 0; i < ws->n; i++) {
        ws->w[i] = p;
        p += strlen(p) + 1;
    }
    return 0;
}

static void words_free(words *ws)
{
    free(ws->buf);
    free(ws->w);
}

static size_t count_words(const char *s)
{
    size_t n = 0;
    int in = 0;
    for (; *s; s++) {
        int sp = isspace((unsigned char)*s);
        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

#define MAX_CALLS 2   /* tools called at once */
#define PIECE_BYTES 6 /* the most argument bytes per streamed piece */

typedef struct tool_call {
    char id[32];
    char *name, *args;
} tool_call;

/* One streamed piece of a call's arguments. */
typedef struct piece {
    size_t call, off, len;
} piece;

typedef struct completion {
    char id[32];
    long long created;
    char *model;
    words ws;
    const char *finish;
    long long prompt_tokens, out_tokens;
    tool_call calls[MAX_CALLS];
    size_t ncalls;       /* > 0: the answer calls tools instead of answering text */
    piece *pieces;
    size_t npieces;
} completion;

static void completion_free(void *p)
{
    completion *c = p;
    if (!c)
        return;
    free(c->model);
    words_free(&c->ws);
    for (size_t i = 0; i < c->ncalls; i++) {
        free(c->calls[i].name);
        free(c->calls[i].args);
    }
    free(c->pieces);
    free(c);
}

static void make_id(char out[32], const char *prefix)
{
    static atomic_uint seq;
    unsigned x;
    if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x)
        x = (unsigned)time(NULL) * 2654435761u + atomic_fetch_add(&seq, 1) * 40503u;
    snprintf(out, 32, "%s%08x", prefix, x);
}

static const char *role_of(json_t *m)
{
    return json_string_value(json_object_get(m, "role"));
}

/* The function name of the assistant tool call with this id among messages[0..before), or
 * NULL when no such call was made. */
static const char *called_tool(json_t *msgs, size_t before, const char *id)
{
    for (size_t i = 0; i < before; i++) {
        json_t *m = json_array_get(msgs, i), *tc;
        size_t k;
        if (strcmp(role_of(m), "assistant"))
            continue;
        json_array_foreach(json_object_get(m, "tool_calls"), k, tc) {
            const char *tid = json_string_value(json_object_get(tc, "id"));
            if (tid && !strcmp(tid, id)) {
                const char *name = json_string_value(
                    json_object_get(json_object_get(tc, "function"), "name"));
                return name ? name : "tool";
            }
        }
    }
    return NULL;
}

/* The index of the first tool message whose tool_call_id answers no earlier tool call,
 * -1 when there is none. */
static long unanswerable_tool_message(json_t *msgs)
{
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        const char *id = json_string_value(json_object_get(m, "tool_call_id"));
        if (!strcmp(role_of(m), "tool") && id && !called_tool(msgs, i, id))
            return (long)i;
    }
    return -1;
}

/* Splits each call's arguments into pieces at UTF-8 boundaries, the calls interleaved. */
static int cut_pieces(completion *c)
{
    size_t total = 0, pos[MAX_CALLS] = { 0 };
    for (size_t j = 0; j < c->ncalls; j++)
        total += strlen(c->calls[j].args) + 1;
    if (!(c->pieces = calloc(total, sizeof *c->pieces)))
        return -1;
    for (int more = 1; more;) {
        more = 0;
        for (size_t j = 0; j < c->ncalls; j++) {
            const char *a = c->calls[j].args;
            size_t len = strlen(a), end = pos[j] + PIECE_BYTES;
            if (pos[j] >= len)
                continue;
            if (end > len)
                end = len;
            while (end < len && ((unsigned char)a[end] & 0xC0) == 0x80)
                end++;
            c->pieces[c->npieces++] = (piece){ j, pos[j], end - pos[j] };
            pos[j] = end;
            more = 1;
        }
    }
    c->out_tokens = (long long)c->npieces;
    return 0;
}

static int call_tools(completion *c, json_t *tools, const char *user)
{
    c->ncalls = json_array_size(tools) < MAX_CALLS ? json_array_size(tools) : MAX_CALLS;
    for (size_t j = 0; j < c->ncalls; j++) {
        const char *name = json_string_value(
            json_object_get(json_object_get(json_array_get(tools, j), "function"), "name"));
        make_id(c->calls[j].id, "call_");
        c->calls[j].name = strdup(name ? name : "tool");
        json_t *args = json_pack("{s:s,s:I}", "query", user, "call", (json_int_t)j);
        c->calls[j].args = args ? json_dumps(args, JSON_COMPACT) : NULL;
        json_decref(args);
        if (!c->calls[j].name || !c->calls[j].args)
            return -1;
    }
    c->finish = "tool_calls";
    return cut_pieces(c);
}

static completion *complete(const chat_req *cr)
{
    completion *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    make_id(c->id, "chatcmpl-");
    c->created = (long long)time(NULL);
    if (cr->model) {
        size_t n = strlen(ECHO_MODEL) + strlen(cr->model) + 2;
        if ((c->model = malloc(n)) != NULL)
            snprintf(c->model, n, "%s/%s", ECHO_MODEL, cr->model);
    } else {
        c->model = strdup(ECHO_MODEL);
    }
    const char *user = "";
    size_t ctx_words = 0, i, n = json_array_size(cr->messages), results = n;
    json_t *m;
    words ctx = { 0 };
    json_array_foreach(cr->messages, i, m) {
        const char *role = role_of(m);
        const char *content = json_string_value(json_object_get(m, "content"));
        c->prompt_tokens += (long long)count_words(content);
        if (!strcmp(role, "user"))
            user = content;
        else if (strcmp(role, "assistant") && ctx_words < CONTEXT_WORDS)
            ctx_words += words_split(&ctx, content, CONTEXT_WORDS - ctx_words);
    }
    while (results > 0 && !strcmp(role_of(json_array_get(cr->messages, results - 1)), "tool"))
        results--;
    if (!*user && n > 0)
        user = json_string_value(json_object_get(json_array_get(cr->messages, n - 1),
                                                 "content"));
    c->finish = "stop";
    if (results < n) {
        /* the tool results the last assistant message asked for */
        for (i = results; i < n; i++) {
            m = json_array_get(cr->messages, i);
            const char *id = json_string_value(json_object_get(m, "tool_call_id"));
            const char *name = id ? called_tool(cr->messages, i, id) : NULL;
            words_split(&c->ws, "Tool", 1);
            words_split(&c->ws, name ? name : "tool", 1);
            words_split(&c->ws, "returned:", 1);
            words_split(&c->ws, json_string_value(json_object_get(m, "content")), (size_t)-1);
        }
    } else if (cr->tools) {
        if (call_tools(c, cr->tools, user) != 0) {
            words_free(&ctx);
            completion_free(c);
            return NULL;
        }
    } else if (ctx_words > 0) {
        words_split(&c->ws, "Based on your memory:", 4);
        for (const char *p = ctx.buf; p && p < ctx.buf + ctx.len; p += strlen(p) + 1)
            words_add(&c->ws, p, strlen(p));
        words_split(&c->ws, "... you asked:", 3);
        words_split(&c->ws, user, (size_t)-1);
    } else {
        words_split(&c->ws, "You asked:", 2);
        words_split(&c->ws, user, (size_t)-1);
    }
    words_free(&ctx);
    if (!c->ncalls && (long long)c->ws.n > cr->max_tokens) {
        c->ws.n = (size_t)cr->max_tokens;
        c->finish = "length";
    }
    if (!c->ncalls)
        c->out_tokens = (long long)c->ws.n;
    if (!c->model || words_index(&c->ws) != 0) {
        completion_free(c);
        return NULL;
    }
    return c;
}

static char *completion_text(const completion *c)
{
    size_t len = 1;
    for (size_t i = 0; i < c->ws.n; i++)
        len += strlen(c->ws.w[i]) + 1;
    char *t = malloc(len), *p = t;
    if (!t)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < c->ws.n; i++)
        p += sprintf(p, "%s%s", i ? " " : "", c->ws.w[i]);
    return t;
}

static json_t *usage(const completion *c)
{
    return json_pack("{s:I,s:I,s:I}", "prompt_tokens", (json_int_t)c->prompt_tokens,
                     "completion_tokens", (json_int_t)c->out_tokens, "total_tokens",
                     (json_int_t)(c->prompt_tokens + c->out_tokens));
}

/* The tool_calls of a whole message (non-streaming answer). */
static json_t *tool_calls_json(const completion *c)
{
    json_t *a = json_array();
    for (size_t j = 0; j < c->ncalls; j++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:{s:s,s:s}}", "id", c->calls[j].id,
                                           "type", "function", "function", "name",
                                           c->calls[j].name, "arguments", c->calls[j].args));
    return a;
}

/* The delta of streamed event k of a tool-calling answer: first each call's header (the
 * first with the role), then the argument pieces; past them (endless) "more" forever. */
static json_t *tool_delta(const completion *c, size_t k)
{
    if (k < c->ncalls) {
        const tool_call *t = &c->calls[k];
        json_t *d = json_pack("{s:n,s:[{s:I,s:s,s:s,s:{s:s,s:s}}]}", "content", "tool_calls",
                              "index", (json_int_t)k, "id", t->id, "type", "function",
                              "function", "name", t->name, "arguments", "");
        if (d && k == 0)
            json_object_set_new(d, "role", json_string("assistant"));
        return d;
    }
    size_t p = k - c->ncalls;
    size_t call = p < c->npieces ? c->pieces[p].call : c->ncalls - 1;
    const char *text = p < c->npieces ? c->calls[call].args + c->pieces[p].off : "more";
    size_t len = p < c->npieces ? c->pieces[p].len : 4;
    return json_pack("{s:[{s:I,s:{s:s%}}]}", "tool_calls", "index", (json_int_t)call,
                     "function", "arguments", text, len);
}

/* Event k of the stream: one word per chunk (at least one chunk, carrying the role), then
 * the finish chunk with usage, then nothing ([DONE]). Endless streams keep adding words. */
static char *chunk_event(void *ctx, size_t k, size_t want, int endless)
{
    completion *c = ctx;
    size_t content_events = c->ncalls ? c->ncalls + c->npieces : c->ws.n ? c->ws.n : 1;
    json_t *root;
    if (c->ncalls && (k < content_events || endless)) {
        json_t *delta = tool_delta(c, k);
        root = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:n}]}", "id", c->id, "object",
                         "chat.completion.chunk", "created", (json_int_t)c->created, "model",
                         c->model, "choices", "index", 0, "delta", delta, "finish_reason");
        return root ? ds_dump_padded(root, root, "id", 0) : NULL;
    }
    if (k < content_events || endless) {
        const char *word = k < c->ws.n ? c->ws.w[k] : (k ? "more" : "");
        size_t n = strlen(word) + 2;
        char *piece = malloc(n);
        if (!piece)
            return NULL;
        snprintf(piece, n, "%s%s", k && *word ? " " : "", word);
        json_t *delta = k == 0 ? json_pack("{s:s,s:s}", "role", "assistant", "content", piece)
                               : json_pack("{s:s}", "content", piece);
        free(piece);
        root = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:n}]}", "id", c->id, "object",
                         "chat.completion.chunk", "created", (json_int_t)c->created, "model",
                         c->model, "choices", "index", 0, "delta", delta, "finish_reason");
        if (!root)
            return NULL;
        return ds_dump_padded(root, delta, "content", want);
    }
    if (k > content_events)
        return NULL;
    root = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{},s:s}],s:o}", "id", c->id, "object",
                     "chat.completion.chunk", "created", (json_int_t)c->created, "model",
                     c->model, "choices", "index", 0, "delta", "finish_reason", c->finish,
                     "usage", usage(c));
    if (!root)
        return NULL;
    return ds_dump_padded(root, root, "id", 0);
}

static void chat(const ds_config *cfg, const ds_request *rq, ds_response *rs,
                 ds_stream **stream)
{
    json_t *root = parse_body(rq, rs);
    if (!root)
        return;
    json_t *errs = json_array();
    chat_req cr = { 0 };
    check_messages(root, errs, &cr);
    check_options(root, errs, &cr);
    if (json_array_size(errs) > 0) {
        respond_422(rs, errs);
        json_decref(root);
        return;
    }
    json_decref(errs);
    long bad = unanswerable_tool_message(cr.messages);
    if (bad >= 0) {
        char detail[128];
        snprintf(detail, sizeof detail, "messages[%ld]: its tool_call_id answers no earlier "
                 "assistant tool call", bad);
        respond_detail(rs, 400, detail);
        json_decref(root);
        return;
    }
    /* The real bridge's request model has no tools: it ignores them and answers text. */
    if (cfg->upstream != DS_UP_NONE)
        cr.tools = NULL;
    completion *c = complete(&cr);
    json_decref(root);
    if (!c) {
        respond_detail(rs, 500, "devserver: out of memory");
        return;
    }
    if (cr.stream && !cfg->no_stream) {
        if (!(*stream = ds_stream_new(chunk_event, c, completion_free)))
            respond_detail(rs, 500, "devserver: out of memory");
        return;
    }
    char *text = completion_text(c);
    json_t *msg = !text ? NULL
                  : c->ncalls ? json_pack("{s:s,s:n,s:o}", "role", "assistant", "content",
                                          "tool_calls", tool_calls_json(c))
                              : json_pack("{s:s,s:s}", "role", "assistant", "content", text);
    json_t *v = msg ? json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:s}],s:o}", "id", c->id,
                                "object", "chat.completion", "created", (json_int_t)c->created,
                                "model", c->model, "choices", "index", 0, "message", msg,
                                "finish_reason", c->finish, "usage", usage(c))
                    : NULL;
    free(text);
    completion_free(c);
    if (v) {
        ds_respond_json(rs, 200, v);
        /* The echo model has no use for the temperature, so the one it would sample with is
         * reported in a header: the real bridge sends `request.temperature or 0.7`, which
         * turns 0 into 0.7; the devserver's own mode keeps what was asked. */
        double t = !cr.has_temperature || (cfg->upstream != DS_UP_NONE && cr.temperature == 0)
                       ? 0.7 : cr.temperature;
        snprintf(rs->header_name, sizeof rs->header_name, "X-Devserver-Temperature");
        snprintf(rs->header_value, sizeof rs->header_value, "%g", t);
    }
    else
        respond_detail(rs, 500, "devserver: could not build the completion");
}

/* ---------------------------------------------------------------- embeddings */

/* Python's len(): code points, not bytes. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static json_t *embedding_of(const char *text)
{
    float v[DS_EMBED_DIM];
    ds_embed(text, strlen(text), v);
    json_t *a = json_array();
    for (size_t i = 0; i < DS_EMBED_DIM; i++)
        json_array_append_new(a, json_real((double)v[i]));
    return a;
}

/* Nine significant digits keep every float exact without the noise of seventeen. */
static void respond_floats(ds_response *rs, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(v);
    if (!text) {
        respond_detail(rs, 500, "devserver: could not build the embedding");
        return;
    }
    ds_respond_text(rs, 200, text);
    rs->content_type = "application/json";
    free(text);
}

static void embed_common(const ds_request *rq, ds_response *rs, const char *default_model)
{
    json_t *root = parse_body(rq, rs);
    if (!root)
        return;
    json_t *errs = json_array();
    const char *text = want_string(root, "text", 1, errs);
    const char *model = want_string(root, "model", 0, errs);
    if (json_array_size(errs) > 0) {
        respond_422(rs, errs);
        json_decref(root);
        return;
    }
    json_decref(errs);
    respond_floats(rs, json_pack("{s:o,s:s,s:i,s:I}", "embedding", embedding_of(text), "model",
                                 model ? model : default_model, "dimension", DS_EMBED_DIM,
                                 "tokens_used", (json_int_t)(utf8_chars(text) / 4)));
    json_decref(root);
}

static void embed_plain(const ds_config *cfg, const ds_request *rq, ds_response *rs,
                        ds_stream **stream)
{
    (void)cfg;
    (void)stream;
    embed_common(rq, rs, EMBED_MODEL);
}

static void embed_api(const ds_config *cfg, const ds_request *rq, ds_response *rs,
                      ds_stream **stream)
{
    (void)cfg;
    (void)stream;
    embed_common(rq, rs, "default");
}

static void embed_openai(const ds_config *cfg, const ds_request *rq, ds_response *rs,
                         ds_stream **stream)
{
    (void)cfg;
    (void)stream;
    json_t *root = parse_body(rq, rs);
    if (!root)
        return;
    json_t *errs = json_array();
    const char *model = want_string(root, "model", 0, errs);
    json_t *input = json_object_get(root, "input");
    if (!input) {
        verr(errs, "missing", loc2("input"), "Field required", root, NULL);
    } else if (json_is_array(input)) {
        size_t i;
        json_t *v;
        json_array_foreach(input, i, v)
            if (!json_is_string(v))
                verr(errs, "string_type", loc_item("input", i, NULL),
                     "Input should be a valid string", v, NULL);
    } else if (!json_is_string(input)) {
        verr(errs, "string_type", loc2("input"), "Input should be a valid string", input, NULL);
    }
    if (json_array_size(errs) > 0) {
        respond_422(rs, errs);
        json_decref(root);
        return;
    }
    json_decref(errs);
    json_t *data = json_array();
    json_int_t tokens = 0;
    size_t n = json_is_array(input) ? json_array_size(input) : 1;
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_is_array(input) ? json_array_get(input, i)
                                                                  : input);
        tokens += (json_int_t)(utf8_chars(text) / 4);
        json_array_append_new(data, json_pack("{s:s,s:I,s:o}", "object", "embedding", "index",
                                              (json_int_t)i, "embedding", embedding_of(text)));
    }
    respond_floats(rs, json_pack("{s:s,s:o,s:s,s:{s:I,s:I}}", "object", "list", "data", data,
                                 "model", model ? model : EMBED_MODEL, "usage", "prompt_tokens",
                                 tokens, "total_tokens", tokens));
    json_decref(root);
}

/* ---------------------------------------------------------------- health and models */

/* Python's datetime.now().isoformat(): microseconds, no zone suffix. */
static void iso_now(char out[40])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 40 - n, ".%06ld", ts.tv_nsec / 1000L);
}

static void health(const ds_config *cfg, const ds_request *rq, ds_response *rs,
                   ds_stream **stream)
{
    (void)cfg;
    (void)rq;
    (void)stream;
    char ts[40];
    iso_now(ts);
    ds_respond_json(rs, 200, json_pack(
        "{s:s,s:{s:s,s:{s:{s:s,s:{s:s,s:i},s:i}},s:i,s:b,s:b},s:[s,s],s:s}",
        "status", "healthy",
        "ollama_status", "status", "healthy", "providers", "devserver", "provider_type",
        "devserver", "circuit_breaker", "state", "closed", "failure_count", 0, "models_count", 2,
        "models_count", 2, "has_embedding", 1, "has_chat", 1,
        "models_loaded", ECHO_MODEL, EMBED_MODEL, "timestamp", ts));
}

static void models(const ds_config *cfg, const ds_request *rq, ds_response *rs,
                   ds_stream **stream)
{
    (void)cfg;
    (void)rq;
    (void)stream;
    ds_respond_json(rs, 200, json_pack(
        "[{s:s,s:s,s:s,s:i,s:b,s:b},{s:s,s:s,s:s,s:i,s:i,s:b,s:b}]",
        "model_id", ECHO_MODEL, "provider_id", "devserver", "task", "chat_small",
        "context_window", 8192, "supports_vision", 0, "supports_audio", 0,
        "model_id", EMBED_MODEL, "provider_id", "devserver", "task", "embedding",
        "context_window", 8192, "dimension", DS_EMBED_DIM, "supports_vision", 0,
        "supports_audio", 0));
}

static void root_info(const ds_config *cfg, const ds_request *rq, ds_response *rs,
                      ds_stream **stream)
{
    (void)rq;
    (void)stream;
    ds_respond_json(rs, 200, json_pack("{s:s,s:s,s:s,s:s,s:[s,s,s]}", "service",
                                       "Sekha LLM Bridge (sekha-devserver)", "version", "2.0.0",
                                       "docs", "/docs", "health", "/health", "features", "chat",
                                       "embeddings", cfg->no_stream ? "no-streaming"
                                                                    : "streaming"));
}

/* ---------------------------------------------------------------- routing */

typedef void (*bridge_fn)(const ds_config *, const ds_request *, ds_response *, ds_stream **);

static const struct {
    const char *path;
    const char *method;
    bridge_fn fn;
} routes[] = {
    { "/v1/chat/completions", "POST", chat },
    { "/api/v1/chat/completions", "POST", chat },
    { "/embed", "POST", embed_plain },
    { "/embeddings", "POST", embed_plain },
    { "/api/v1/embed", "POST", embed_api },
    { "/v1/embeddings", "POST", embed_openai },
    { "/health", "GET", health },
    { "/api/v1/models", "GET", models },
    { "/", "GET", root_info },
};

int ds_bridge_handle(const ds_config *cfg, const ds_request *rq, ds_response *rs,
                     ds_stream **stream)
{
    if (ds_bridge_routes_handle(cfg, rq, rs))
        return 1;
    int path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].path, rq->path))
            continue;
        path_known = 1;
        if (!strcmp(routes[i].method, rq->method)) {
            routes[i].fn(cfg, rq, rs, stream);
            return 1;
        }
    }
    if (path_known) {
        respond_detail(rs, 405, "Method Not Allowed");
        return 1;
    }
    return 0;
}
