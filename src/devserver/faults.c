/* Fault injection for sekha-devserver: scripted rules, per-listener request counters,
 * interruptible waits and the SSE writer whose pacing the rules control.
 *
 * Rules (POST /_devserver/faults on the port they should apply to; a JSON array posts
 * several at once; DELETE clears every rule of both ports; GET reports how many remain):
 *   {"path": "/exact" or "/prefix*", "method": "POST" (optional), "repeat": false,
 *    "steps": [step, ...]}
 * Each matching request consumes the next step of the first matching rule; a used-up rule is
 * removed, or starts over when "repeat" is true. Step keys, applied in this order:
 *   delay_ms N                  wait first (combinable with anything)
 *   stall true                  never answer; ends when the client leaves or we shut down
 *   close "before_status" | "mid_headers" | "mid_body"   cut the connection (no handler)
 *   redirect_loop true          302 to the same path, forever, for this one request chain
 *   status N [retry_after, body, content_type, location] answer without the handler
 *   pass true                   run the handler normally (the default when nothing above)
 *   close "after_handling"      run the handler, then reset the connection unanswered
 *   malformed_json, invalid_utf8 true   corrupt the handler's (200) answer
 *   chunk_size, chunk_delay_ms, truncate_after [clean_close], cut_mid_event, endless,
 *   inband_error, event_bytes, cut_after_done   shape an SSE answer (the bridge stream,
 *   /_devserver/sse)
 * Unknown keys are rejected with 400 so a typo cannot silently disable a fault.
 *
 * Everything here is shared by many connection threads at once (MHD runs one thread per
 * connection), so rules and counters sit behind one mutex each; the SSE writer is per
 * response and needs no locking. */
#include "faults.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

/* ---------------------------------------------------------------- lifecycle */

static atomic_int g_stopping;

void ds_set_stopping(void) { atomic_store(&g_stopping, 1); }
int ds_is_stopping(void) { return atomic_load(&g_stopping); }

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

static void nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int ds_wait(int fd, long ms)
{
    long long end = ms < 0 ? 0 : now_ms() + ms;
    for (;;) {
        if (ds_is_stopping())
            return -1;
        long slice = 50;
        if (ms >= 0) {
            long long left = end - now_ms();
            if (left <= 0)
                return 0;
            if (left < slice)
                slice = (long)left;
        }
        if (fd < 0) {
            nap(slice);
            continue;
        }
        /* POLLRDHUP rather than POLLIN: a pipelined request waiting in the buffer must not
         * turn this into a busy loop, only the peer's FIN or RST ends the wait. */
        struct pollfd p = { .fd = fd, .events = POLLRDHUP, .revents = 0 };
        int r = poll(&p, 1, (int)slice);
        if (r > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
            return -1;
        if (r < 0 && errno != EINTR)
            nap(slice);
    }
}

/* ---------------------------------------------------------------- rules */

typedef struct rule {
    struct rule *next;
    int server;
    char *path;          /* without the trailing '*' of a prefix rule */
    size_t plen;
    int prefix;
    char *method;        /* NULL = any */
    ds_step *steps;
    size_t nsteps, next_step;
    int repeat;          /* start over instead of being removed when the steps run out */
} rule;

static pthread_mutex_t g_rules_lock = PTHREAD_MUTEX_INITIALIZER;
static rule *g_rules;

void ds_step_clear(ds_step *st)
{
    free(st->body);
    free(st->content_type);
    free(st->location);
    st->body = NULL;
    st->content_type = NULL;
    st->location = NULL;
}

static void rule_free(rule *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsteps; i++)
        ds_step_clear(&r->steps[i]);
    free(r->steps);
    free(r->path);
    free(r->method);
    free(r);
}

static int fail(char *err, size_t errlen, const char *msg, const char *key)
{
    if (key)
        snprintf(err, errlen, "%s: %s", msg, key);
    else
        snprintf(err, errlen, "%s", msg);
    return -1;
}

static int want_bool(json_t *v, int *out)
{
    if (!json_is_boolean(v))
        return -1;
    *out = json_is_true(v);
    return 0;
}

static int want_count(json_t *v, long long max, long long *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static char *dup_json_string(json_t *v)
{
    size_t n = json_string_length(v);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, json_string_value(v), n);
        s[n] = '\0';
    }
    return s;
}

static const struct {
    const char *name;
    enum ds_close_mode mode;
} close_modes[] = {
    { "before_status", DS_CLOSE_BEFORE_STATUS },
    { "mid_headers", DS_CLOSE_MID_HEADERS },
    { "mid_body", DS_CLOSE_MID_BODY },
    { "after_handling", DS_CLOSE_AFTER_HANDLING },
};

/* Flags that are plain booleans, with where they land in the step. */
static int *bool_field(ds_step *st, const char *key)
{
    if (!strcmp(key, "stall")) return &st->stall;
    if (!strcmp(key, "malformed_json")) return &st->malformed_json;
    if (!strcmp(key, "invalid_utf8")) return &st->invalid_utf8;
    if (!strcmp(key, "redirect_loop")) return &st->redirect_loop;
    if (!strcmp(key, "cut_mid_event")) return &st->stream.cut_mid_event;
    if (!strcmp(key, "endless")) return &st->stream.endless;
    if (!strcmp(key, "inband_error")) return &st->stream.inband_error;
    if (!strcmp(key, "clean_close")) return &st->stream.clean_close;
    if (!strcmp(key, "cut_after_done")) return &st->stream.cut_after_done;
    return NULL;
}

static int parse_step(json_t *o, ds_step *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    st->stream.truncate_after = -1;
    if (!json_is_object(o))
        return fail(err, errlen, "each step must be a JSON object", NULL);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        long long n = 0;
        int *flag = bool_field(st, key);
        if (flag) {
            if (want_bool(v, flag))
                return fail(err, errlen, "expected true or false for", key);
        } else if (!strcmp(key, "pass")) {
            int dummy;
            if (want_bool(v, &dummy))
                return fail(err, errlen, "expected true or false for", key);
        } else if (!strcmp(key, "status")) {
            if (!json_is_integer(v) || json_integer_value(v) < 100 || json_integer_value(v) > 599)
                return fail(err, errlen, "status must be an integer 100-599", NULL);
            st->status = (int)json_integer_value(v);
        } else if (!strcmp(key, "retry_after")) {
            if (json_is_integer(v) && json_integer_value(v) >= 0)
                snprintf(st->retry_after, sizeof st->retry_after, "%lld",
                         (long long)json_integer_value(v));
            else if (json_is_string(v) && json_string_length(v) > 0
                     && json_string_length(v) < sizeof st->retry_after
                     && !strpbrk(json_string_value(v), "\r\n"))
                snprintf(st->retry_after, sizeof st->retry_after, "%s", json_string_value(v));
            else
                return fail(err, errlen, "retry_after must be seconds or an HTTP-date", NULL);
        } else if (!strcmp(key, "body") || !strcmp(key, "content_type") ||
                   !strcmp(key, "location")) {
            if (!json_is_string(v) || (key[0] == 'l' && strpbrk(json_string_value(v), "\r\n")))
                return fail(err, errlen, "expected a (one-line for location) string for", key);
            char **dst = key[0] == 'b' ? &st->body : key[0] == 'c' ? &st->content_type
                                                                   : &st->location;
            free(*dst);
            if (!(*dst = dup_json_string(v)))
                return fail(err, errlen, "out of memory", NULL);
        } else if (!strcmp(key, "close")) {
            size_t i;
            for (i = 0; i < sizeof close_modes / sizeof close_modes[0]; i++)
                if (json_is_string(v) && !strcmp(json_string_value(v), close_modes[i].name))
                    break;
            if (i == sizeof close_modes / sizeof close_modes[0])
                return fail(err, errlen, "close must be before_status, mid_headers, mid_body or "
                            "after_handling", NULL);
            st->close_mode = close_modes[i].mode;
        } else if (!strcmp(key, "delay_ms") || !strcmp(key, "chunk_delay_ms")) {
            if (want_count(v, 3600000, &n))
                return fail(err, errlen, "expected milliseconds (0-3600000) for", key);
            if (key[0] == 'd')
                st->delay_ms = (long)n;
            else
                st->stream.chunk_delay_ms = (long)n;
        } else if (!strcmp(key, "chunk_size") || !strcmp(key, "event_bytes")) {
            if (want_count(v, 256LL << 20, &n))
                return fail(err, errlen, "expected a byte count (0-256 MiB) for", key);
            if (key[0] == 'c')
                st->stream.chunk_size = (size_t)n;
            else
                st->stream.event_bytes = (size_t)n;
        } else if (!strcmp(key, "truncate_after")) {
            if (want_count(v, 1LL << 30, &n))
                return fail(err, errlen, "expected an event count for", key);
            st->stream.truncate_after = (long)n;
        } else {
            return fail(err, errlen, "unknown step key", key);
        }
    }
    /* The SSE writer applies these to the first event of a stream answer too. */
    st->stream.malformed_json = st->malformed_json;
    st->stream.invalid_utf8 = st->invalid_utf8;
    return 0;
}

static rule *parse_rule(int server, json_t *o, char *err, size_t errlen)
{
    if (!json_is_object(o)) {
        fail(err, errlen, "a rule must be a JSON object", NULL);
        return NULL;
    }
    rule *r = calloc(1, sizeof *r);
    if (!r) {
        fail(err, errlen, "out of memory", NULL);
        return NULL;
    }
    r->server = server;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (!strcmp(key, "path")) {
            const char *p = json_string_value(v);
            if (!p || p[0] != '/' || strlen(p) != json_string_length(v)) {
                fail(err, errlen, "path must be a string starting with '/'", NULL);
                goto bad;
            }
            free(r->path);
            r->path = strdup(p);
            r->plen = strlen(p);
            if (r->path && r->plen > 1 && r->path[r->plen - 1] == '*') {
                r->prefix = 1;
                r->path[--r->plen] = '\0';
            }
        } else if (!strcmp(key, "method")) {
            if (!json_is_string(v) || json_string_length(v) == 0) {
                fail(err, errlen, "method must be a non-empty string", NULL);
                goto bad;
            }
            free(r->method);
            r->method = strdup(json_string_value(v));
        } else if (!strcmp(key, "repeat")) {
            if (want_bool(v, &r->repeat)) {
                fail(err, errlen, "expected true or false for", key);
                goto bad;
            }
        } else if (!strcmp(key, "steps")) {
            if (!json_is_array(v) || json_array_size(v) == 0) {
                fail(err, errlen, "steps must be a non-empty array", NULL);
                goto bad;
            }
            r->steps = calloc(json_array_size(v), sizeof *r->steps);
            if (!r->steps) {
                fail(err, errlen, "out of memory", NULL);
                goto bad;
            }
            for (size_t i = 0; i < json_array_size(v); i++) {
                int rc = parse_step(json_array_get(v, i), &r->steps[i], err, errlen);
                r->nsteps = i + 1;
                if (rc)
                    goto bad;
            }
        } else {
            fail(err, errlen, "unknown rule key", key);
            goto bad;
        }
    }
    if (!r->path) {
        fail(err, errlen, "rule needs a path", NULL);
        goto bad;
    }
    if (!r->steps) {
        fail(err, errlen, "rule needs steps", NULL);
        goto bad;
    }
    return r;
bad:
    rule_free(r);
    return NULL;
}

int ds_faults_add(int server, const char *json, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root)
        return fail(err, errlen, "rule is not valid JSON", je.text);
    rule *head = NULL, **tail = &head;
    size_t n = json_is_array(root) ? json_array_size(root) : 1;
    for (size_t i = 0; i < n; i++) {
        rule *r = parse_rule(server, json_is_array(root) ? json_array_get(root, i) : root,
                             err, errlen);
        if (!r) {
            while (head) {
                rule *next = head->next;
                rule_free(head);
                head = next;
            }
            json_decref(root);
            return -1;
        }
        *tail = r;
        tail = &r->next;
    }
    json_decref(root);
    /* All of a batch or nothing: validation finished before anything becomes visible. */
    pthread_mutex_lock(&g_rules_lock);
    rule **end = &g_rules;
    while (*end)
        end = &(*end)->next;
    *end = head;
    pthread_mutex_unlock(&g_rules_lock);
    return 0;
}

void ds_faults_clear(void)
{
    pthread_mutex_lock(&g_rules_lock);
    rule *r = g_rules;
    g_rules = NULL;
    pthread_mutex_unlock(&g_rules_lock);
    while (r) {
        rule *next = r->next;
        rule_free(r);
        r = next;
    }
}

size_t ds_faults_count(void)
{
    size_t n = 0;
    pthread_mutex_lock(&g_rules_lock);
    for (rule *r = g_rules; r; r = r->next)
        n++;
    pthread_mutex_unlock(&g_rules_lock);
    return n;
}

static int step_copy(ds_step *dst, const ds_step *src)
{
    *dst = *src;
    dst->body = src->body ? strdup(src->body) : NULL;
    dst->content_type = src->content_type ? strdup(src->content_type) : NULL;
    dst->location = src->location ? strdup(src->location) : NULL;
    if ((src->body && !dst->body) || (src->content_type && !dst->content_type) ||
        (src->location && !dst->location)) {
        ds_step_clear(dst);
        return -1;
    }
    return 0;
}

int ds_faults_take(int server, const char *method, const char *path, ds_step *out)
{
    int found = 0;
    pthread_mutex_lock(&g_rules_lock);
    for (rule **pp = &g_rules; *pp; pp = &(*pp)->next) {
        rule *r = *pp;
        if (r->server != server || (r->method && strcmp(r->method, method)))
            continue;
        if (r->prefix ? strncmp(path, r->path, r->plen) != 0 : strcmp(path, r->path) != 0)
            continue;
        found = step_copy(out, &r->steps[r->next_step++]) == 0;
        if (r->next_step == r->nsteps) {
            if (r->repeat) {
                r->next_step = 0;
            } else {
                *pp = r->next;
                rule_free(r);
            }
        }
        break;
    }
    pthread_mutex_unlock(&g_rules_lock);
    return found;
}

/* ---------------------------------------------------------------- counters */

#define COUNT_BUCKETS 256

typedef struct counter {
    struct counter *next;
    long n;
    int server;
    char path[];
} counter;

static pthread_mutex_t g_count_lock = PTHREAD_MUTEX_INITIALIZER;
static counter *g_counts[COUNT_BUCKETS];

static unsigned bucket_of(int server, const char *path)
{
    unsigned h = 2166136261u ^ (unsigned)server;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % COUNT_BUCKETS;
}

void ds_count_hit(int server, const char *path)
{
    unsigned b = bucket_of(server, path);
    pthread_mutex_lock(&g_count_lock);
    counter *c = g_counts[b];
    while (c && (c->server != server || strcmp(c->path, path)))
        c = c->next;
    if (!c) {
        size_t len = strlen(path);
        c = malloc(sizeof *c + len + 1);
        if (c) {
            memcpy(c->path, path, len + 1);
            c->server = server;
            c->n = 0;
            c->next = g_counts[b];
            g_counts[b] = c;
        }
    }
    if (c)
        c->n++;
    pthread_mutex_unlock(&g_count_lock);
}

long ds_count_get(int server, const char *path)
{
    long n = 0;
    unsigned b = bucket_of(server, path);
    pthread_mutex_lock(&g_count_lock);
    for (counter *c = g_counts[b]; c; c = c->next)
        if (c->server == server && !strcmp(c->path, path))
            n = c->n;
    pthread_mutex_unlock(&g_count_lock);
    return n;
}

void ds_faults_shutdown(void)
{
    ds_faults_clear();
    pthread_mutex_lock(&g_count_lock);
    for (unsigned b = 0; b < COUNT_BUCKETS; b++) {
        while (g_counts[b]) {
            counter *next = g_counts[b]->next;
            free(g_counts[b]);
            g_counts[b] = next;
        }
    }
    pthread_mutex_unlock(&g_count_lock);
}

/* ---------------------------------------------------------------- JSON helpers */

char *ds_dump_padded(json_t *root, json_t *holder, const char *key, size_t want)
{
    char *text = json_dumps(root, JSON_COMPACT);
    size_t len = text ? strlen(text) : 0;
    if (text && want > len && json_is_string(json_object_get(holder, key))) {
        /* 'x' needs no escaping, so every added character adds exactly one byte. */
        json_t *old = json_object_get(holder, key);
        size_t have = json_string_length(old), add = want - len;
        char *pad = malloc(have + add);
        if (pad) {
            memcpy(pad, json_string_value(old), have);
            memset(pad + have, 'x', add);
            json_object_set_new(holder, key, json_stringn(pad, have + add));
            free(pad);
            free(text);
            text = json_dumps(root, JSON_COMPACT);
        }
    }
    json_decref(root);
    return text;
}

char *ds_inject_invalid_utf8(const char *json, size_t len, size_t *out_len)
{
    /* Worst case every byte opens a string value: three output bytes per input byte. */
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0, hits = 0;
    int in_str = 0, esc = 0;
    char last = 0;   /* last significant byte outside strings */
    for (size_t i = 0; i < len; i++) {
        char c = json[i];
        out[o++] = c;
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"') {
            in_str = 1;
            if (last == ':') {
                out[o++] = (char)0xFF;
                out[o++] = (char)0xFE;
                hits++;
            }
        }
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            last = c;
    }
    out[o] = '\0';
    if (!hits) {
        free(out);
        return NULL;
    }
    *out_len = o;
    return out;
}

/* ---------------------------------------------------------------- SSE writer */

#define INBAND_ERROR \
    "{\"error\":{\"message\":\"injected in-band error\",\"type\":\"server_error\",\"code\":500}}"

enum stream_end { END_NOT_YET = 0, END_CLEAN, END_ABORT };

struct ds_stream {
    ds_event_fn fn;
    void *ctx;
    void (*free_ctx)(void *);
    ds_stream_opts o;
    int fd;
    char *pend;           /* the framed item being written */
    size_t plen, ppos;
    size_t k;             /* data events produced by fn */
    size_t items;         /* everything framed so far, [DONE] and error events included */
    enum stream_end end;  /* what happens once pend is written out */
    int started;
};

ds_stream *ds_stream_new(ds_event_fn fn, void *ctx, void (*free_ctx)(void *))
{
    ds_stream *s = calloc(1, sizeof *s);
    if (!s) {
        if (free_ctx)
            free_ctx(ctx);
        return NULL;
    }
    s->fn = fn;
    s->ctx = ctx;
    s->free_ctx = free_ctx;
    s->o.truncate_after = -1;
    s->fd = -1;
    return s;
}

void ds_stream_free(ds_stream *s)
{
    if (!s)
        return;
    if (s->free_ctx)
        s->free_ctx(s->ctx);
    free(s->pend);
    free(s);
}

void ds_stream_configure(ds_stream *s, const ds_stream_opts *o, int fd)
{
    if (o)
        s->o = *o;
    s->fd = fd;
}

static char *first_event_faults(const ds_stream *s, char *data)
{
    size_t len = strlen(data);
    if (s->o.malformed_json && len > 1) {
        data[len / 2] = '\0';
        return data;
    }
    if (s->o.invalid_utf8) {
        size_t n;
        char *bad = ds_inject_invalid_utf8(data, len, &n);
        if (bad) {
            free(data);
            return bad;
        }
    }
    return data;
}

/* Frames the next item into pend, or sets end when nothing more is to be written. */
static int produce(ds_stream *s)
{
    free(s->pend);
    s->pend = NULL;
    s->plen = s->ppos = 0;
    char *data;
    if (s->o.inband_error && s->k == 1) {
        data = strdup(INBAND_ERROR);
        s->end = END_CLEAN;
    } else if (s->o.truncate_after >= 0 && s->k >= (size_t)s->o.truncate_after) {
        s->end = s->o.clean_close ? END_CLEAN : END_ABORT;
        return 0;
    } else {
        data = s->fn(s->ctx, s->k, s->k == 0 ? s->o.event_bytes : 0, s->o.endless);
        if (!data) {
            data = strdup("[DONE]");
            s->end = s->o.cut_after_done ? END_ABORT : END_CLEAN;
        } else {
            if (s->k == 0)
                data = first_event_faults(s, data);
            s->k++;
        }
    }
    if (!data)
        return -1;
    size_t dlen = strlen(data);
    s->pend = malloc(dlen + 9);
    if (!s->pend) {
        free(data);
        return -1;
    }
    memcpy(s->pend, "data: ", 6);
    memcpy(s->pend + 6, data, dlen);
    memcpy(s->pend + 6 + dlen, "\n\n", 2);
    s->plen = dlen + 8;
    free(data);
    /* Cut the second item, or the first when the stream ends right there. */
    if (s->o.cut_mid_event && (s->items == 1 || (s->items == 0 && s->end == END_CLEAN))) {
        s->plen /= 2;
        s->end = END_ABORT;
    }
    s->items++;
    return 0;
}

ssize_t ds_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    ds_stream *s = cls;
    (void)pos;
    if (ds_is_stopping())
        return MHD_CONTENT_READER_END_WITH_ERROR;
    while (s->ppos == s->plen) {
        if (s->end == END_CLEAN)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (s->end == END_ABORT)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (produce(s) != 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = s->plen - s->ppos;
    if (s->o.chunk_size && n > s->o.chunk_size)
        n = s->o.chunk_size;
    if (n > max)
        n = max;
    long delay = s->o.chunk_delay_ms;
    if (delay == 0 && s->o.endless)
        delay = 100;
    if (s->started && delay > 0 && ds_wait(s->fd, delay) != 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    memcpy(buf, s->pend + s->ppos, n);
    s->ppos += n;
    s->started = 1;
    return (ssize_t)n;
}

void ds_stream_release(void *cls)
{
    ds_stream_free(cls);
}
