/* sekha-devserver --replay FILE: serves a recorded run back, offline.
 *
 * The cassette (format in docs/cassette.md) is read and checked completely at start, so a
 * bad line stops the server before it prints its ready line instead of surfacing as a
 * puzzling 404 later. Exchanges with the same request (listener, method, path with query,
 * body; JSON bodies compared after parsing) form a group served in recorded order, the last
 * one repeating. Recorded bodies are sent straight from the loaded cassette, which lives
 * until the listeners have stopped, so an answer costs no copy. */
#include "replay.h"

#include "faults.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#define NOT_FOUND_BODY_MAX 200

/* Response headers a cassette may carry (the ones clients read), with how MHD names them. */
static const char *const k_headers[] = {
    "content-type", "retry-after", "location", "mcp-session-id", "www-authenticate",
    "keep-alive",
};
#define N_HEADERS (sizeof k_headers / sizeof k_headers[0])

typedef struct rp_chunk {
    double t_ms;      /* since the response headers */
    char *bytes;
    size_t len;
} rp_chunk;

typedef struct rp_entry {
    int server;                   /* DS_SRV_* */
    char *method, *path;          /* path with its query */
    char *req_body;
    size_t req_len;
    json_t *req_json;             /* the request body parsed, NULL when it is not JSON */
    int status;                   /* 0 = transport failure: close without an answer */
    int failed;                   /* "error" set: the transfer broke after what was recorded */
    int streamed;                 /* "stream": written chunk by chunk with the delays */
    char *headers[N_HEADERS];     /* values by k_headers index, NULL = not sent */
    rp_chunk *chunks;             /* a plain body is one chunk at t 0 */
    size_t nchunks;
} rp_entry;

typedef struct rp_group {
    rp_entry **items;             /* the exchanges of one request, in recorded order */
    size_t n, cap, cursor;
} rp_group;

static rp_entry *g_entries;
static size_t g_nentries;
static rp_group *g_groups;
static size_t g_ngroups;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- loading */

static int bad(char *err, size_t errlen, const char *file, size_t line, const char *what)
{
    snprintf(err, errlen, "%s:%zu: %s", file, line, what);
    return -1;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Standard base64 with its '=' padding; returns malloc'd bytes (NUL-terminated) or NULL. */
static char *b64_decode(const char *s, size_t len, size_t *out_len)
{
    if (len % 4)
        return NULL;
    size_t pad = len >= 1 && s[len - 1] == '=' ? (len >= 2 && s[len - 2] == '=' ? 2 : 1) : 0;
    char *out = malloc(len / 4 * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            int last_quad = i + 4 == len;
            v[k] = last_quad && k >= 4 - (int)pad ? 0 : b64_value((unsigned char)s[i + k]);
            if (v[k] < 0) {
                free(out);
                return NULL;
            }
        }
        unsigned n = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6
                     | (unsigned)v[3];
        out[o++] = (char)(n >> 16);
        if (i + 4 < len || pad < 2)
            out[o++] = (char)(n >> 8 & 0xFF);
        if (i + 4 < len || pad < 1)
            out[o++] = (char)(n & 0xFF);
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* A copy of a JSON string's bytes (NULs included), NUL-terminated. */
static char *dup_string(json_t *v, size_t *len)
{
    size_t n = json_string_length(v);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, json_string_value(v), n);
        s[n] = '\0';
        if (len)
            *len = n;
    }
    return s;
}

/* Reads the text form `key` or the base64 form `key`_b64 (at most one of them). Returns 1
 * when one was there, 0 when neither, -1 with err set. */
static int text_or_b64(json_t *o, const char *key, char **out, size_t *len, char *what,
                       size_t whatlen)
{
    char key64[32];
    snprintf(key64, sizeof key64, "%s_b64", key);
    json_t *t = json_object_get(o, key), *b = json_object_get(o, key64);
    if (t && b) {
        snprintf(what, whatlen, "%s and %s are exclusive", key, key64);
        return -1;
    }
    if (!t && !b)
        return 0;
    if (!json_is_string(t ? t : b)) {
        snprintf(what, whatlen, "%s must be a string", t ? key : key64);
        return -1;
    }
    if (t)
        *out = dup_string(t, len);
    else if (!(*out = b64_decode(json_string_value(b), json_string_length(b), len))) {
        snprintf(what, whatlen, "%s is not valid base64", key64);
        return -1;
    }
    if (!*out) {
        snprintf(what, whatlen, "out of memory");
        return -1;
    }
    return 1;
}

static int header_index(const char *name)
{
    for (size_t i = 0; i < N_HEADERS; i++)
        if (!strcasecmp(name, k_headers[i]))
            return (int)i;
    return -1;
}

static int set_header(rp_entry *e, int idx, json_t *v, char *what, size_t whatlen)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != json_string_length(v) || strpbrk(s, "\r\n")) {
        snprintf(what, whatlen, "header %s must be a one-line string", k_headers[idx]);
        return -1;
    }
    if (e->headers[idx] && strcmp(e->headers[idx], s)) {
        snprintf(what, whatlen, "content_type and headers.content-type disagree");
        return -1;
    }
    if (!e->headers[idx] && !(e->headers[idx] = strdup(s))) {
        snprintf(what, whatlen, "out of memory");
        return -1;
    }
    return 0;
}

static int parse_stream(rp_entry *e, json_t *a, char *what, size_t whatlen)
{
    if (!json_is_array(a)) {
        snprintf(what, whatlen, "stream must be an array of [t_ms, \"bytes\"] pairs");
        return -1;
    }
    e->streamed = 1;
    e->nchunks = json_array_size(a);
    if (e->nchunks && !(e->chunks = calloc(e->nchunks, sizeof *e->chunks))) {
        snprintf(what, whatlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < e->nchunks; i++) {
        /* [t_ms, "bytes"], or [t_ms, null, "base64"] for bytes that are not UTF-8 */
        json_t *c = json_array_get(a, i);
        json_t *t = json_array_get(c, 0), *s = json_array_get(c, 1);
        json_t *b = json_array_get(c, 2);
        int text = json_array_size(c) == 2 && json_is_string(s);
        int b64 = json_array_size(c) == 3 && json_is_null(s) && json_is_string(b);
        if (!json_is_array(c) || (!text && !b64) || !json_is_number(t)
            || json_number_value(t) < 0 || json_number_value(t) > 86400000.0) {
            snprintf(what, whatlen, "stream[%zu] must be [t_ms, \"bytes\"] or [t_ms, null, "
                     "\"base64\"] with 0 <= t_ms <= 86400000", i);
            return -1;
        }
        e->chunks[i].t_ms = json_number_value(t);
        if (b64) {
            e->chunks[i].bytes = b64_decode(json_string_value(b), json_string_length(b),
                                            &e->chunks[i].len);
            if (!e->chunks[i].bytes) {
                snprintf(what, whatlen, "stream[%zu] is not valid base64", i);
                return -1;
            }
        } else if (!(e->chunks[i].bytes = dup_string(s, &e->chunks[i].len))) {
            snprintf(what, whatlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

static const char *const k_keys[] = {
    "v", "service", "method", "path", "request_body", "request_body_b64", "status",
    "content_type", "headers", "body", "body_b64", "stream", "error",
};

/* Fills e from one cassette line; on failure what says why. */
static int parse_entry(json_t *o, rp_entry *e, char *what, size_t whatlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t i = 0;
        while (i < sizeof k_keys / sizeof k_keys[0] && strcmp(key, k_keys[i]))
            i++;
        if (i == sizeof k_keys / sizeof k_keys[0]) {
            snprintf(what, whatlen, "unknown key \"%.64s\"", key);
            return -1;
        }
    }
    v = json_object_get(o, "v");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        snprintf(what, whatlen, "\"v\" must be 1 (the only cassette version)");
        return -1;
    }
    const char *svc = json_string_value(json_object_get(o, "service"));
    if (svc && (!strcmp(svc, "controller") || !strcmp(svc, "mcp")))
        e->server = DS_SRV_CONTROLLER;
    else if (svc && !strcmp(svc, "bridge"))
        e->server = DS_SRV_BRIDGE;
    else {
        snprintf(what, whatlen, "\"service\" must be \"controller\", \"mcp\" or \"bridge\"");
        return -1;
    }
    const char *m = json_string_value(json_object_get(o, "method"));
    if (!m || !*m || m[strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")]) {
        snprintf(what, whatlen, "\"method\" must be an upper-case HTTP method such as \"GET\"");
        return -1;
    }
    json_t *p = json_object_get(o, "path");
    const char *ps = json_string_value(p);
    if (!ps || ps[0] != '/' || strlen(ps) != json_string_length(p) || strpbrk(ps, " \r\n")) {
        snprintf(what, whatlen, "\"path\" must be a string starting with '/' (no spaces)");
        return -1;
    }
    if (!(e->method = strdup(m)) || !(e->path = strdup(ps))) {
        snprintf(what, whatlen, "out of memory");
        return -1;
    }
    int r = text_or_b64(o, "request_body", &e->req_body, &e->req_len, what, whatlen);
    if (r < 0)
        return -1;
    if (r == 0 && !(e->req_body = strdup(""))) {
        snprintf(what, whatlen, "out of memory");
        return -1;
    }
    e->req_json = json_loadb(e->req_body, e->req_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

    v = json_object_get(o, "status");
    if (!json_is_integer(v) || (json_integer_value(v) != 0
                                && (json_integer_value(v) < 200 || json_integer_value(v) > 599))) {
        snprintf(what, whatlen, "\"status\" must be 0 (transport failure) or 200-599");
        return -1;
    }
    e->status = (int)json_integer_value(v);
    json_t *error = json_object_get(o, "error");
    if (error && !json_is_string(error)) {
        snprintf(what, whatlen, "\"error\" must be a string");
        return -1;
    }
    e->failed = error != NULL;
    json_t *stream = json_object_get(o, "stream");
    if (e->status == 0) {
        if (!error) {
            snprintf(what, whatlen, "status 0 (a transport failure) needs \"error\"");
            return -1;
        }
        if (stream || json_object_get(o, "body") || json_object_get(o, "body_b64")) {
            snprintf(what, whatlen, "status 0 (a transport failure) has no body or stream");
            return -1;
        }
        return 0;
    }

    json_t *ct = json_object_get(o, "content_type");
    if (ct && set_header(e, 0, ct, what, whatlen))
        return -1;
    json_t *hs = json_object_get(o, "headers");
    if (hs && !json_is_object(hs)) {
        snprintf(what, whatlen, "\"headers\" must be an object of strings");
        return -1;
    }
    json_object_foreach(hs, key, v) {
        int idx = header_index(key);
        if (idx < 0) {
            snprintf(what, whatlen, "header \"%.64s\" is not one a cassette holds (content-type, "
                     "retry-after, location, mcp-session-id, www-authenticate, keep-alive)", key);
            return -1;
        }
        if (set_header(e, idx, v, what, whatlen))
            return -1;
    }

    char *body = NULL;
    size_t blen = 0;
    r = text_or_b64(o, "body", &body, &blen, what, whatlen);
    if (r < 0)
        return -1;
    if (r > 0 && stream) {
        free(body);
        snprintf(what, whatlen, "a line has a body or a stream, not both");
        return -1;
    }
    if (stream)
        return parse_stream(e, stream, what, whatlen);
    if (r > 0 && blen > 0) {
        if (!(e->chunks = calloc(1, sizeof *e->chunks))) {
            free(body);
            snprintf(what, whatlen, "out of memory");
            return -1;
        }
        e->chunks[0].bytes = body;
        e->chunks[0].len = blen;
        e->nchunks = 1;
    } else {
        free(body);
    }
    return 0;
}

static void entry_clear(rp_entry *e)
{
    free(e->method);
    free(e->path);
    free(e->req_body);
    json_decref(e->req_json);
    for (size_t i = 0; i < N_HEADERS; i++)
        free(e->headers[i]);
    for (size_t i = 0; i < e->nchunks; i++)
        free(e->chunks[i].bytes);
    free(e->chunks);
    memset(e, 0, sizeof *e);
}

/* JSON bodies match after parsing (key order and spacing are the encoder's business);
 * anything else byte for byte. */
static int same_body(const rp_entry *k, const char *body, size_t len, json_t **parsed,
                     int *tried)
{
    if (!k->req_json)
        return k->req_len == len && memcmp(k->req_body, body, len) == 0;
    if (!*tried) {
        *tried = 1;
        *parsed = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    }
    return *parsed && json_equal(k->req_json, *parsed);
}

static int same_request(const rp_entry *k, int server, const char *method, const char *path)
{
    return k->server == server && !strcmp(k->method, method) && !strcmp(k->path, path);
}

static int group_add(rp_entry *e)
{
    rp_group *g = NULL;
    json_t *parsed = NULL;
    int tried = 0;
    for (size_t i = 0; i < g_ngroups && !g; i++) {
        const rp_entry *k = g_groups[i].items[0];
        if (same_request(k, e->server, e->method, e->path)
            && same_body(k, e->req_body, e->req_len, &parsed, &tried))
            g = &g_groups[i];
    }
    json_decref(parsed);
    if (!g) {
        rp_group *ng = realloc(g_groups, (g_ngroups + 1) * sizeof *ng);
        if (!ng)
            return -1;
        g_groups = ng;
        g = &g_groups[g_ngroups++];
        memset(g, 0, sizeof *g);
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4;
        rp_entry **items = realloc(g->items, cap * sizeof *items);
        if (!items)
            return -1;
        g->items = items;
        g->cap = cap;
    }
    g->items[g->n++] = e;
    return 0;
}

int ds_replay_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read the cassette %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0, ecap = 0;
    ssize_t n;
    int rc = 0;
    char what[256];
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (line[strspn(line, " \t")] == '\0')
            continue;   /* blank lines (a trailing newline) carry nothing */
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &je);
        if (!json_is_object(o)) {
            snprintf(what, sizeof what, o ? "not a JSON object" : "not valid JSON (%s)",
                     je.text);
            rc = bad(err, errlen, path, lineno, what);
            json_decref(o);
            break;
        }
        if (g_nentries == ecap) {
            size_t ncap = ecap ? ecap * 2 : 16;
            rp_entry *ne = realloc(g_entries, ncap * sizeof *ne);
            if (!ne) {
                json_decref(o);
                rc = bad(err, errlen, path, lineno, "out of memory");
                break;
            }
            g_entries = ne;
            ecap = ncap;
        }
        rp_entry *e = &g_entries[g_nentries];
        memset(e, 0, sizeof *e);
        if (parse_entry(o, e, what, sizeof what) != 0) {
            entry_clear(e);
            rc = bad(err, errlen, path, lineno, what);
        } else {
            g_nentries++;
        }
        json_decref(o);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read the cassette %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    /* Groups point into the entry array, so they are made once it stops moving. */
    for (size_t i = 0; rc == 0 && i < g_nentries; i++)
        if (group_add(&g_entries[i]) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    if (rc)
        ds_replay_free();
    return rc;
}

void ds_replay_free(void)
{
    for (size_t i = 0; i < g_ngroups; i++)
        free(g_groups[i].items);
    free(g_groups);
    for (size_t i = 0; i < g_nentries; i++)
        entry_clear(&g_entries[i]);
    free(g_entries);
    g_groups = NULL;
    g_entries = NULL;
    g_ngroups = g_nentries = 0;
}

/* ---------------------------------------------------------------- answering */

static const rp_entry *take(int server, const ds_request *rq, const char *path)
{
    const rp_entry *e = NULL;
    json_t *parsed = NULL;
    int tried = 0;
    for (size_t i = 0; i < g_ngroups; i++) {
        rp_group *g = &g_groups[i];
        if (!same_request(g->items[0], server, rq->method, path)
            || !same_body(g->items[0], rq->body, rq->body_len, &parsed, &tried))
            continue;
        pthread_mutex_lock(&g_lock);
        e = g->items[g->cursor < g->n ? g->cursor++ : g->n - 1];
        pthread_mutex_unlock(&g_lock);
        break;
    }
    json_decref(parsed);
    return e;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

typedef struct rp_writer {
    const rp_entry *e;
    size_t i, off;      /* next chunk and the bytes of it already written */
    double start;       /* when the headers went out (the first read), < 0 before */
    int fd;
} rp_writer;

static ssize_t writer_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    rp_writer *w = cls;
    (void)pos;
    if (ds_is_stopping())
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (w->start < 0)
        w->start = mono_ms();
    const rp_entry *e = w->e;
    while (w->i < e->nchunks && w->off == e->chunks[w->i].len) {
        w->i++;
        w->off = 0;
    }
    if (w->i == e->nchunks)
        return e->failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    const rp_chunk *c = &e->chunks[w->i];
    if (w->off == 0 && e->streamed) {
        double left = w->start + c->t_ms - mono_ms();
        if (left >= 1.0 && ds_wait(w->fd, (long)(left + 0.5)) != 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = c->len - w->off < max ? c->len - w->off : max;
    memcpy(buf, c->bytes + w->off, n);
    w->off += n;
    return (ssize_t)n;
}

static int conn_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? ci->connect_fd : -1;
}

/* The message's body part: at most NOT_FOUND_BODY_MAX bytes, cut on a character boundary;
 * jansson refuses bytes that are not UTF-8, and those become '?'. */
static json_t *not_found_message(const char *method, const char *path, const char *body,
                                 size_t len)
{
    size_t cut = len > NOT_FOUND_BODY_MAX ? NOT_FOUND_BODY_MAX : len;
    while (cut > 0 && cut < len && ((unsigned char)body[cut] & 0xC0) == 0x80)
        cut--;
    const char *more = cut < len ? "..." : "";
    json_t *s = json_sprintf("not in the cassette: %s %s %.*s%s", method, path, (int)cut,
                             body, more);
    if (s)
        return s;
    char safe[NOT_FOUND_BODY_MAX + 1];
    for (size_t i = 0; i < cut; i++)
        safe[i] = (unsigned char)body[i] >= 0x80 || body[i] == '\0' ? '?' : body[i];
    safe[cut] = '\0';
    return json_sprintf("not in the cassette: %s %s %s%s", method, path, safe, more);
}

static enum MHD_Result not_found(const ds_request *rq, const char *path)
{
    json_t *o = json_object();
    json_t *msg = not_found_message(rq->method, path, rq->body, rq->body_len);
    char *text = NULL;
    if (o && msg && json_object_set_new(o, "error", msg) == 0)
        text = json_dumps(o, JSON_COMPACT);
    else
        json_decref(msg);
    json_decref(o);
    if (!text)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text,
                                                             MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ok = MHD_queue_response(rq->conn, MHD_HTTP_NOT_FOUND, r);
    MHD_destroy_response(r);
    return ok;
}

int ds_replay_answer(int server, const ds_request *rq, const char *uri)
{
    const char *path = uri ? uri : rq->path;
    const rp_entry *e = take(server, rq, path);
    if (!e)
        return not_found(rq, path);
    int fd = conn_fd(rq->conn);
    if (e->status == 0) {
        /* A FIN now rather than whenever MHD gets round to closing the socket. */
        if (fd >= 0)
            (void)shutdown(fd, SHUT_RDWR);
        return MHD_NO;
    }
    struct MHD_Response *r;
    if (!e->streamed && !e->failed) {
        r = e->nchunks ? MHD_create_response_from_buffer(e->chunks[0].len, e->chunks[0].bytes,
                                                         MHD_RESPMEM_PERSISTENT)
                       : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        rp_writer *w = malloc(sizeof *w);
        if (!w)
            return MHD_NO;
        *w = (rp_writer){ e, 0, 0, -1.0, fd };
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, writer_read, w, free);
        if (!r) {
            free(w);
            return MHD_NO;
        }
    }
    if (!r)
        return MHD_NO;
    for (size_t i = 0; i < N_HEADERS; i++)
        if (e->headers[i])
            MHD_add_response_header(r, k_headers[i], e->headers[i]);
    if (e->streamed && !e->headers[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    enum MHD_Result ok = MHD_queue_response(rq->conn, (unsigned)e->status, r);
    MHD_destroy_response(r);
    return ok;
}
