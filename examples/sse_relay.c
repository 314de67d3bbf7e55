#define _POSIX_C_SOURCE 200809L /* strdup, pthreads, sockets and signals under -std=c11 */
/* A token relay: a small web server that streams a memory-assisted completion to a browser
 * over Server-Sent Events, token by token, and the page that shows them appearing.
 *
 * Threads: libmicrohttpd serves each connection on a thread of its own, while the libsekha
 * client lives on the main thread (a client belongs to one thread). Connection threads hand
 * questions over through a locked queue plus sekha_client_wakeup(), and stop a stream whose
 * browser left with sekha_client_cancel(): the two calls libsekha allows from other threads.
 * Tokens travel back through a per-stream buffer guarded by a mutex.
 *
 * Usage: sse_relay [--port N] [--once]
 *   --port N  listen on 127.0.0.1:N (default 8090; 0 picks a free port)
 *   --once    exit after the page posts its report (POST /report, sent by /?report=1)
 * Configuration from SEKHA_* variables. Open http://127.0.0.1:8090/ and ask, or load
 * /?q=QUESTION to ask right away. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <sekha/sekha.h>

static const char page[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>libsekha relay</title>\n"
    "<style>body{font-family:sans-serif;max-width:42em;margin:2em auto}"
    "#out{white-space:pre-wrap;border:1px solid #ccc;padding:1em;min-height:4em}</style>\n"
    "</head><body><h1>Ask your memory</h1>\n"
    "<form id=\"f\"><input id=\"q\" size=\"50\" placeholder=\"When is my flight?\"> "
    "<button>Ask</button></form>\n<p id=\"state\"></p><div id=\"out\"></div>\n<script>\n"
    "const out = document.getElementById('out'), state = document.getElementById('state');\n"
    "const params = new URLSearchParams(location.search);\n"
    "function ask(q) {\n"
    "  out.textContent = ''; state.textContent = 'streaming...';\n"
    "  const samples = [0]; let ended = false;\n"
    "  /* what the reader sees over time: the report proves the text grew while it streamed */\n"
    "  const timer = setInterval(() => { const n = out.textContent.length;\n"
    "    if (samples[samples.length - 1] !== n) samples.push(n); }, 5);\n"
    "  const es = new EventSource('/stream?q=' + encodeURIComponent(q));\n"
    "  const end = (error) => {\n"
    "    if (ended) return; ended = true; es.close(); clearInterval(timer);\n"
    "    if (samples[samples.length - 1] !== out.textContent.length)\n"
    "      samples.push(out.textContent.length);\n"
    "    state.textContent = error ? 'failed: ' + error : 'done';\n"
    "    if (params.has('report')) fetch('/report', {method: 'POST',\n"
    "      body: JSON.stringify({text: out.textContent, samples: samples, error: error})});\n"
    "  };\n"
    "  es.onmessage = (e) => { out.textContent += JSON.parse(e.data).token; };\n"
    "  es.addEventListener('done', (e) => end(JSON.parse(e.data).error));\n"
    "  es.onerror = () => end('connection lost');\n"
    "}\n"
    "document.getElementById('f').onsubmit = (e) => {\n"
    "  e.preventDefault(); ask(document.getElementById('q').value); };\n"
    "if (params.has('q')) ask(params.get('q'));\n"
    "</script></body></html>\n";

/* One question being answered: produced on the main thread, read by a connection thread. */
typedef struct job {
    pthread_mutex_t lock;
    pthread_cond_t more;
    char *question;
    char *out;            /* SSE frames not yet sent */
    size_t len, cap, sent;
    int finished;         /* the "done" event is in out */
    int gone;             /* the browser left */
    uint64_t req_id;      /* 0 until the workflow started */
    int refs;             /* the connection and the workflow */
    struct job *next;     /* in the start queue */
} job;

static struct {
    pthread_mutex_t lock; /* guards client_alive and queue */
    sekha_client *client;
    int client_alive;
    job *queue;
    int once;
} relay = {.lock = PTHREAD_MUTEX_INITIALIZER};

static atomic_int quit;

static void wake_main(void)
{
    pthread_mutex_lock(&relay.lock);
    if (relay.client_alive)
        sekha_client_wakeup(relay.client);
    pthread_mutex_unlock(&relay.lock);
}

/* Signal handlers may only do async-signal-safe things: an atomic store and
 * sekha_client_wakeup(), which is one write(2). */
static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&quit, 1);
    sekha_client_wakeup(relay.client);
}

static void job_unref(job *j)
{
    pthread_mutex_lock(&j->lock);
    int last = --j->refs == 0;
    pthread_mutex_unlock(&j->lock);
    if (!last)
        return;
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->more);
    free(j->question);
    free(j->out);
    free(j);
}

/* Appends one SSE frame: "event: <type>\n" when type is set, then "data: <json>\n\n". */
static void push(job *j, const char *type, cJSON *data, int last)
{
    char *json = cJSON_PrintUnformatted(data);
    cJSON_Delete(data);
    size_t need = (json ? strlen(json) : 2) + (type ? strlen(type) : 0) + 32;
    pthread_mutex_lock(&j->lock);
    if (j->len + need > j->cap) {
        size_t cap = (j->len + need) * 2;
        char *p = realloc(j->out, cap);
        if (p) {
            j->out = p;
            j->cap = cap;
        }
    }
    if (j->len + need <= j->cap)
        j->len += (size_t)sprintf(j->out + j->len, "%s%s%sdata: %s\n\n", type ? "event: " : "",
                                  type ? type : "", type ? "\n" : "", json ? json : "{}");
    j->finished |= last;
    pthread_cond_signal(&j->more);
    pthread_mutex_unlock(&j->lock);
    cJSON_free(json);
}

/* ---- the libsekha side (main thread) ---- */

static int on_token(sekha_request *req, const sekha_chunk *chunk, void *userdata)
{
    (void)req;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "token", sekha_chunk_content(chunk, NULL));
    push(userdata, NULL, data, 0);
    return SEKHA_EVENT_CONTINUE;
}

static void on_answer(sekha_request *req, const sekha_error *err, const sekha_answer *answer,
                      void *userdata)
{
    (void)req;
    cJSON *data = cJSON_CreateObject();
    cJSON_AddNumberToObject(data, "memories", (double)sekha_answer_memory_count(answer));
    if (err)
        cJSON_AddStringToObject(data, "error", sekha_error_message(err));
    else
        cJSON_AddNullToObject(data, "error");
    push(userdata, "done", data, 1);
    job_unref(userdata);
}

static void start_queued(void)
{
    pthread_mutex_lock(&relay.lock);
    job *j = relay.queue;
    relay.queue = NULL;
    pthread_mutex_unlock(&relay.lock);
    while (j) {
        job *next = j->next;
        sekha_params *p = sekha_params_new();
        sekha_params_set_on_chunk(p, on_token, j); /* the tokens go to this job */
        sekha_request *r = sekha_workflow_stream_with_context(relay.client, j->question, p,
                                                              on_answer, j);
        sekha_params_free(p);
        if (r) {
            pthread_mutex_lock(&j->lock);
            j->req_id = sekha_request_id(r);
            int gone = j->gone;
            pthread_mutex_unlock(&j->lock);
            if (gone) /* left before we started: the final callback still comes */
                sekha_request_cancel(r);
        } else {
            push(j, "done", cJSON_Parse("{\"error\":\"out of memory\"}"), 1);
            job_unref(j);
        }
        j = next;
    }
}

/* ---- the HTTP side (connection threads) ---- */

static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    job *j = cls;
    pthread_mutex_lock(&j->lock);
    /* Blocking here is fine: this connection has its own thread. */
    while (j->sent == j->len && !j->finished)
        pthread_cond_wait(&j->more, &j->lock);
    size_t n = j->len - j->sent < max ? j->len - j->sent : max;
    memcpy(buf, j->out + j->sent, n);
    j->sent += n;
    pthread_mutex_unlock(&j->lock);
    return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

/* The response is done with, or the browser left: stop the workflow if it still runs. */
static void release_job(void *cls)
{
    job *j = cls;
    pthread_mutex_lock(&j->lock);
    j->gone = 1;
    uint64_t id = j->finished ? 0 : j->req_id;
    pthread_mutex_unlock(&j->lock);
    pthread_mutex_lock(&relay.lock);
    if (id && relay.client_alive)
        sekha_client_cancel(relay.client, id);
    pthread_mutex_unlock(&relay.lock);
    job_unref(j);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
                               const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                             MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result start_stream(struct MHD_Connection *conn)
{
    const char *q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "q");
    if (!q || !*q)
        return respond(conn, MHD_HTTP_BAD_REQUEST, "text/plain", "missing ?q=\n");
    job *j = calloc(1, sizeof *j);
    if (!j || !(j->question = strdup(q))) {
        free(j);
        return MHD_NO;
    }
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->more, NULL);
    j->refs = 2;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_events, j, release_job);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    pthread_mutex_lock(&relay.lock);
    j->next = relay.queue;
    relay.queue = j;
    if (relay.client_alive)
        sekha_client_wakeup(relay.client);
    pthread_mutex_unlock(&relay.lock);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

typedef struct upload {
    char *body;
    size_t len;
} upload;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    if (strcmp(method, "POST") == 0 && strcmp(url, "/report") == 0) {
        upload *u = *con_cls;
        if (!u)
            return (*con_cls = calloc(1, sizeof *u)) ? MHD_YES : MHD_NO;
        if (*data_size) { /* the body arrives in pieces before the last call */
            char *p = realloc(u->body, u->len + *data_size + 1);
            if (!p)
                return MHD_NO;
            memcpy(p + u->len, data, *data_size);
            u->body = p;
            u->len += *data_size;
            u->body[u->len] = '\0';
            *data_size = 0;
            return MHD_YES;
        }
        printf("report: %s\n", u->body ? u->body : "");
        fflush(stdout);
        if (relay.once) {
            atomic_store(&quit, 1);
            wake_main();
        }
        return respond(conn, MHD_HTTP_NO_CONTENT, "text/plain", "");
    }
    if (strcmp(method, "GET") != 0)
        return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET or POST /report\n");
    if (strcmp(url, "/") == 0)
        return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", page);
    if (strcmp(url, "/stream") == 0)
        return start_stream(conn);
    return respond(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    upload *u = *con_cls;
    if (u) {
        free(u->body);
        free(u);
    }
}

int main(int argc, char **argv)
{
    long port = 8090;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0)
            relay.once = 1;
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [--port N] [--once]\n", argv[0]);
            return 2;
        }
    }
    sekha_options *opts = sekha_options_new();
    if (!opts || sekha_options_from_env(opts) != SEKHA_OK) {
        fprintf(stderr, "bad environment: %s\n", sekha_options_last_error(opts));
        return 2;
    }
    sekha_error *err = NULL;
    relay.client = sekha_client_new(opts, &err);
    sekha_options_free(opts);
    if (!relay.client) {
        fprintf(stderr, "%s\n", sekha_error_message(err));
        sekha_error_free(err);
        return 2;
    }
    relay.client_alive = 1;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only: this is an example */
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL,
        NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info) {
        fprintf(stderr, "cannot listen on 127.0.0.1:%ld\n", port);
        sekha_client_free(relay.client);
        return 1;
    }
    printf("relay listening on http://127.0.0.1:%u/\n", (unsigned)info->port);
    fflush(stdout);

    while (!atomic_load(&quit)) {
        sekha_client_poll(relay.client, -1); /* woken by new questions, cancels, signals */
        start_queued();
    }
    /* Freeing the client ends every stream with a "done" event, which lets the connection
     * threads finish, so the daemon can then be stopped. */
    signal(SIGINT, SIG_DFL); /* the handlers must not touch the client once it is freed */
    signal(SIGTERM, SIG_DFL);
    pthread_mutex_lock(&relay.lock);
    relay.client_alive = 0;
    job *left = relay.queue;
    relay.queue = NULL;
    pthread_mutex_unlock(&relay.lock);
    sekha_client_free(relay.client);
    for (job *next; left; left = next) {
        next = left->next;
        push(left, "done", cJSON_Parse("{\"error\":\"the relay is stopping\"}"), 1);
        job_unref(left);
    }
    MHD_stop_daemon(d);
    return 0;
}
