/* The bridge's routes beyond chat, embeddings, health and the model list, in the shapes of
 * the real bridge (wire contract section 3): GET /api/v1/tasks, POST /api/v1/route, GET
 * /api/v1/health/providers, POST /summarize and /api/v1/summarize, POST /extract and
 * /api/v1/extract, POST /score, /api/v1/score and /score_importance. Body validation
 * answers FastAPI's 422 {"detail":[...]}; HTTPExceptions are {"detail": "..."}.
 *
 * There is no model; the answers are derived from the request so tests can predict them:
 *   summary: "<Level> summary of <n> messages: <first 12 words of the messages>"
 *   entities: capitalised words (trailing punctuation dropped, each once) under "people",
 *             words holding a digit or written in capitals (two letters or more) under
 *             "technical_terms"; "organizations" and "concepts" stay empty
 *   score: 1 + words / 10, at most 10; reasoning "Score: <score>/10 (<words> words)"
 *   route: chat_small, chat_large and chat_smart go to devserver-echo, embedding to
 *          devserver-hash (provider "devserver", cost 0); vision, audio and
 *          image_generation, or require_vision, have no provider here: 503. */
#include "faults.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ECHO_MODEL "devserver-echo"
#define EMBED_MODEL "devserver-hash"
#define SUMMARY_WORDS 12

static const char *const tasks[] = {"embedding", "chat_small", "chat_large", "chat_smart",
                                    "vision", "audio", "image_generation"};
#define NTASKS (sizeof tasks / sizeof *tasks)

static void detail(ds_response *rs, int status, const char *text)
{
    ds_respond_json(rs, status, json_pack("{s:s}", "detail", text));
}

/* One FastAPI validation error about body.field; input borrowed (NULL: none). */
static void invalid(ds_response *rs, const char *type, const char *field, const char *msg,
                    json_t *input)
{
    json_t *e = json_pack("{s:s,s:[s,s],s:s}", "type", type, "loc", "body", field, "msg", msg);
    if (e && input)
        json_object_set(e, "input", input);
    ds_respond_json(rs, 422, json_pack("{s:[o]}", "detail", e));
}

/* The body as a JSON object, or NULL with the 422 set. */
static json_t *object_body(const ds_request *rq, ds_response *rs)
{
    json_error_t je;
    json_t *root = rq->body_len ? json_loadb(rq->body, rq->body_len, JSON_DECODE_ANY, &je) : NULL;
    if (!json_is_object(root)) {
        json_decref(root);
        json_t *e = json_pack("{s:s,s:[s],s:s}", "type", rq->body_len ? "model_attributes_type"
                                                                       : "missing",
                              "loc", "body", "msg",
                              rq->body_len ? "Input should be a valid dictionary or object to "
                                             "extract fields from"
                                           : "Field required");
        ds_respond_json(rs, 422, json_pack("{s:[o]}", "detail", e));
        return NULL;
    }
    return root;
}

/* A required string field, or NULL with the 422 set. */
static const char *need_string(json_t *root, const char *key, ds_response *rs)
{
    json_t *v = json_object_get(root, key);
    if (json_is_string(v))
        return json_string_value(v);
    if (!v)
        invalid(rs, "missing", key, "Field required", root);
    else
        invalid(rs, "string_type", key, "Input should be a valid string", v);
    return NULL;
}

/* An optional string field: 1 with *out (NULL for null or absent), 0 with the 422 set. */
static int opt_string(json_t *root, const char *key, const char **out, ds_response *rs)
{
    json_t *v = json_object_get(root, key);
    *out = json_is_string(v) ? json_string_value(v) : NULL;
    if (v && !json_is_null(v) && !json_is_string(v)) {
        invalid(rs, "string_type", key, "Input should be a valid string", v);
        return 0;
    }
    return 1;
}

/* Calls fn(word, len, ctx) for each whitespace-separated word of s. */
static size_t each_word(const char *s, void (*fn)(const char *, size_t, void *), void *ctx)
{
    size_t n = 0;
    while (*s) {
        while (*s && isspace((unsigned char)*s))
            s++;
        const char *w = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        if (s > w) {
            if (fn)
                fn(w, (size_t)(s - w), ctx);
            n++;
        }
    }
    return n;
}

/* ------------------------------------------------------------------- the registry */

static void list_tasks(const ds_request *rq, ds_response *rs)
{
    (void)rq;
    json_t *a = json_array();
    for (size_t i = 0; i < NTASKS; i++)
        json_array_append_new(a, json_string(tasks[i]));
    ds_respond_json(rs, 200, a);
}

static void route(const ds_request *rq, ds_response *rs)
{
    json_t *root = object_body(rq, rs);
    const char *task = root ? need_string(root, "task", rs) : NULL, *preferred = NULL;
    if (!task || !opt_string(root, "preferred_model", &preferred, rs)) {
        json_decref(root);
        return;
    }
    /* pydantic's checks of the optional fields (lax mode also takes "true" and "1.5"; a
     * client of this library never sends those, so they are refused here) */
    json_t *vis = json_object_get(root, "require_vision"), *cost = json_object_get(root, "max_cost");
    json_t *ctx = json_object_get(root, "context_size");
    if (vis && !json_is_boolean(vis)) {
        invalid(rs, "bool_type", "require_vision", "Input should be a valid boolean", vis);
        json_decref(root);
        return;
    }
    if (cost && !json_is_null(cost) && !json_is_number(cost)) {
        invalid(rs, "float_type", "max_cost", "Input should be a valid number", cost);
        json_decref(root);
        return;
    }
    if (ctx && !json_is_null(ctx) && !json_is_integer(ctx)) {
        invalid(rs, "int_type", "context_size", "Input should be a valid integer", ctx);
        json_decref(root);
        return;
    }
    size_t t = 0;
    while (t < NTASKS && strcmp(tasks[t], task))
        t++;
    if (t == NTASKS) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "Invalid task '%.100s'. Valid tasks: ['embedding', 'chat_small', 'chat_large', "
                 "'chat_smart', 'vision', 'audio', 'image_generation']", task);
        detail(rs, 400, msg);
    } else if (t > 3 || json_is_true(json_object_get(root, "require_vision"))) {
        char msg[160];
        snprintf(msg, sizeof msg, "No suitable provider found for task %s", task);
        detail(rs, 503, msg);
    } else {
        const char *model = t == 0 ? EMBED_MODEL : ECHO_MODEL;
        int chosen = preferred && !strcmp(preferred, model);
        ds_respond_json(rs, 200, json_pack(
            "{s:s,s:s,s:f,s:s,s:s}", "provider_id", "devserver", "model_id", model,
            "estimated_cost", 0.0, "reason",
            chosen ? "Preferred model available" : "Default model for task", "provider_type",
            "devserver"));
    }
    json_decref(root);
}

static void provider_health(const ds_request *rq, ds_response *rs)
{
    (void)rq;
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    ds_respond_json(rs, 200, json_pack(
        "{s:{s:{s:s,s:{s:s,s:i,s:i,s:n,s:s,s:n},s:i}},s:i,s:i,s:i}", "providers", "devserver",
        "provider_type", "devserver", "circuit_breaker", "state", "closed", "failure_count", 0,
        "success_count", 0, "last_failure", "last_state_change", when, "time_since_failure",
        "models_count", 2, "total_providers", 1, "healthy_providers", 1, "total_models", 2));
}

/* ---------------------------------------------------------------- LLM helpers */

typedef struct text_acc {
    json_t *list;
    size_t left;
    char *joined;
    size_t len;
} text_acc;

static void add_word(const char *w, size_t n, void *ctx)
{
    text_acc *a = ctx;
    if (!a->left)
        return;
    a->left--;
    char *grown = realloc(a->joined, a->len + n + 2);
    if (!grown)
        return;
    a->joined = grown;
    if (a->len)
        a->joined[a->len++] = ' ';
    memcpy(a->joined + a->len, w, n);
    a->len += n;
    a->joined[a->len] = '\0';
}

static void summarize(const ds_request *rq, ds_response *rs)
{
    json_t *root = object_body(rq, rs);
    if (!root)
        return;
    json_t *msgs = json_object_get(root, "messages");
    const char *level = "daily", *model = NULL;
    if (!msgs) {
        invalid(rs, "missing", "messages", "Field required", root);
        goto out;
    }
    if (!json_is_array(msgs)) {
        invalid(rs, "list_type", "messages", "Input should be a valid list", msgs);
        goto out;
    }
    size_t i, chars = 0;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        if (!json_is_string(m)) {
            json_t *e = json_pack("{s:s,s:[s,s,I],s:s,s:O}", "type", "string_type", "loc",
                                  "body", "messages", (json_int_t)i, "msg",
                                  "Input should be a valid string", "input", m);
            ds_respond_json(rs, 422, json_pack("{s:[o]}", "detail", e));
            goto out;
        }
        chars += json_string_length(m) + (i ? 1 : 0);
    }
    json_t *lv = json_object_get(root, "level");
    if (lv && !json_is_string(lv)) {
        invalid(rs, "string_type", "level", "Input should be a valid string", lv);
        goto out;
    }
    level = lv ? json_string_value(lv) : level;
    if (!opt_string(root, "model", &model, rs))
        goto out;
    if (strcmp(level, "daily") && strcmp(level, "weekly") && strcmp(level, "monthly")) {
        char msg[200];
        snprintf(msg, sizeof msg, "Invalid level: %.100s. Must be daily, weekly, or monthly",
                 level);
        detail(rs, 400, msg);
        goto out;
    }
    text_acc a = {NULL, SUMMARY_WORDS, NULL, 0};
    json_array_foreach(msgs, i, m)
        each_word(json_string_value(m), add_word, &a);
    char *summary = NULL;
    size_t n = (size_t)snprintf(NULL, 0, "%c%s summary of %zu messages: %s",
                                toupper((unsigned char)level[0]), level + 1, json_array_size(msgs),
                                a.joined ? a.joined : "");
    if ((summary = malloc(n + 1)))
        snprintf(summary, n + 1, "%c%s summary of %zu messages: %s",
                 toupper((unsigned char)level[0]), level + 1, json_array_size(msgs),
                 a.joined ? a.joined : "");
    ds_respond_json(rs, 200, json_pack("{s:s?,s:s,s:I,s:s,s:I}", "summary", summary, "model",
                                       model ? model : "default", "tokens_used",
                                       (json_int_t)((chars + n) / 4), "level", level,
                                       "message_count", (json_int_t)json_array_size(msgs)));
    free(summary);
    free(a.joined);
out:
    json_decref(root);
}

typedef struct ents {
    json_t *people, *terms;
} ents;

static void add_unique(json_t *list, const char *w, size_t n)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if (json_string_length(v) == n && !memcmp(json_string_value(v), w, n))
            return;
    json_array_append_new(list, json_stringn(w, n));
}

static void classify(const char *w, size_t n, void *ctx)
{
    ents *e = ctx;
    while (n && ispunct((unsigned char)w[n - 1]))
        n--;
    while (n && ispunct((unsigned char)*w)) {
        w++;
        n--;
    }
    size_t upper = 0, digits = 0;
    for (size_t i = 0; i < n; i++) {
        upper += isupper((unsigned char)w[i]) != 0;
        digits += isdigit((unsigned char)w[i]) != 0;
    }
    if (!n)
        return;
    if (digits || (upper == n && n >= 2))
        add_unique(e->terms, w, n);
    else if (isupper((unsigned char)w[0]))
        add_unique(e->people, w, n);
}

static void extract(const ds_request *rq, ds_response *rs)
{
    json_t *root = object_body(rq, rs);
    const char *text = root ? need_string(root, "text", rs) : NULL, *model = NULL;
    if (text && opt_string(root, "model", &model, rs)) {
        ents e = {json_array(), json_array()};
        each_word(text, classify, &e);
        ds_respond_json(rs, 200, json_pack("{s:{s:o,s:[],s:o,s:[]},s:s}", "entities", "people",
                                           e.people, "organizations", "technical_terms",
                                           e.terms, "concepts", "model",
                                           model ? model : "default"));
    }
    json_decref(root);
}

static void score(const ds_request *rq, ds_response *rs)
{
    json_t *root = object_body(rq, rs);
    const char *text = root ? need_string(root, "conversation", rs) : NULL, *model = NULL;
    if (text && opt_string(root, "model", &model, rs)) {
        size_t words = each_word(text, NULL, NULL);
        double s = 1.0 + (double)(words / 10);
        if (s > 10)
            s = 10;
        char why[96];
        snprintf(why, sizeof why, "Score: %.0f/10 (%zu words)", s, words);
        ds_respond_json(rs, 200, json_pack("{s:f,s:s,s:s}", "score", s, "reasoning", why,
                                           "model", model ? model : "default"));
    }
    json_decref(root);
}

/* ------------------------------------------------------------------- dispatch */

static const struct {
    const char *path, *method;
    void (*fn)(const ds_request *, ds_response *);
} routes[] = {
    {"/api/v1/tasks", "GET", list_tasks},
    {"/api/v1/route", "POST", route},
    {"/api/v1/health/providers", "GET", provider_health},
    {"/summarize", "POST", summarize},
    {"/api/v1/summarize", "POST", summarize},
    {"/extract", "POST", extract},
    {"/api/v1/extract", "POST", extract},
    {"/score", "POST", score},
    {"/api/v1/score", "POST", score},
    {"/score_importance", "POST", score},
};

int ds_bridge_routes_handle(const ds_config *cfg, const ds_request *rq, ds_response *rs)
{
    (void)cfg;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        if (strcmp(routes[i].path, rq->path))
            continue;
        if (strcmp(routes[i].method, rq->method))
            detail(rs, 405, "Method Not Allowed");
        else
            routes[i].fn(rq, rs);
        return 1;
    }
    return 0;
}
