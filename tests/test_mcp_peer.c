/* The MCP client against a server nobody here wrote: @modelcontextprotocol/server-everything
 * over Streamable HTTP, the legacy HTTP+SSE transport and stdio (initialize, tools/list,
 * echo, get-sum, structured content, progress of a long-running operation), a stream cut
 * in the middle and resumed with Last-Event-ID, and DELETE ending the session. The peers
 * must be installed (tests/peers, scripts/test does it): without them these tests fail. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "everything.h"

TestSuite(mcp_peer, .timeout = 90);

/* ---- what every transport must do ---- */

typedef struct progress_seen {
    int count;
    double last, total;
    int went_back;
} progress_seen;

static void on_progress(sekha_request *req, double progress, double total, const char *message,
                        void *ud)
{
    (void)req;
    (void)message;
    progress_seen *p = ud;
    if (progress < p->last)
        p->went_back = 1;
    p->count++;
    p->last = progress;
    p->total = total;
}

static sekha_mcp_tool_result *call(sekha_mcp_session *s, const char *name, const char *args)
{
    sekha_mcp_tool_result *r = NULL;
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_call_tool_sync(s, name, args, NULL, &r, &err), SEKHA_OK,
                 "%s: %s", name, sekha_error_message(err));
    return r;
}

static void exercise(sekha_mcp_session *s)
{
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    cr_assert_str_eq(sekha_mcp_session_server_name(s), "mcp-servers/everything");
    cr_assert_str_eq(sekha_mcp_session_protocol_version(s), "2025-11-25");
    cr_assert_not_null(sekha_mcp_session_instructions(s));

    int seen = 0;
    char *cursor = NULL;
    sekha_params *page = sekha_params_new();
    do {
        sekha_mcp_tools *t = NULL;
        cr_assert_eq(sekha_params_set_text(page, SEKHA_PARAM_CURSOR, cursor), SEKHA_OK);
        cr_assert_eq(sekha_mcp_session_list_tools_sync(s, page, &t, &err), SEKHA_OK, "%s",
                     sekha_error_message(err));
        for (size_t i = 0; i < sekha_mcp_tools_count(t); i++) {
            const char *n = sekha_mcp_tools_name(t, i);
            seen += !strcmp(n, "echo") + !strcmp(n, "get-sum") +
                    !strcmp(n, "trigger-long-running-operation");
        }
        free(cursor);
        cursor = sekha_mcp_tools_next_cursor(t) ? strdup(sekha_mcp_tools_next_cursor(t)) : NULL;
        sekha_mcp_tools_free(t);
    } while (cursor);
    sekha_params_free(page);
    cr_assert_eq(seen, 3);

    sekha_mcp_tool_result *r = call(s, "echo", "{\"message\":\"hello from libsekha\"}");
    cr_assert_eq(sekha_mcp_tool_result_is_error(r), 0);
    cr_assert_str_eq(sekha_mcp_tool_result_content_type(r, 0), "text");
    cr_assert_str_eq(sekha_mcp_tool_result_content_text(r, 0), "Echo: hello from libsekha");
    sekha_mcp_tool_result_free(r);

    r = call(s, "get-sum", "{\"a\":2,\"b\":40}");
    cr_assert_not_null(strstr(sekha_mcp_tool_result_content_text(r, 0), "42"));
    sekha_mcp_tool_result_free(r);

    r = call(s, "get-structured-content", "{\"location\":\"Chicago\"}");
    cr_assert_not_null(sekha_mcp_tool_result_structured(r));
    cr_assert_not_null(strstr(sekha_mcp_tool_result_structured(r), "\"temperature\":36"));
    sekha_mcp_tool_result_free(r);

    r = call(s, "no-such-tool", NULL);
    cr_assert_eq(sekha_mcp_tool_result_is_error(r), 1, "server-everything reports unknown tools as results");
    sekha_mcp_tool_result_free(r);

    progress_seen p = {0};
    sekha_params *with_progress = sekha_params_new();
    cr_assert_eq(sekha_params_set_on_progress(with_progress, on_progress, &p), SEKHA_OK);
    cr_assert_eq(sekha_mcp_session_call_tool_sync(s, "trigger-long-running-operation",
                                                  "{\"duration\":0.3,\"steps\":3}", with_progress,
                                                  &r, &err), SEKHA_OK, "%s", sekha_error_message(err));
    sekha_params_free(with_progress);
    cr_assert_not_null(strstr(sekha_mcp_tool_result_content_text(r, 0), "completed"));
    sekha_mcp_tool_result_free(r);
    cr_assert_eq(p.count, 3);
    cr_assert_eq(p.last, 3);
    cr_assert_eq(p.total, 3);
    cr_assert_eq(p.went_back, 0);
    cr_assert_eq(sekha_mcp_session_ping_sync(s, NULL), SEKHA_OK);
    cr_assert_eq(sekha_mcp_session_close_sync(s, &err), SEKHA_OK, "%s", sekha_error_message(err));
}

/* server-everything in one of its HTTP modes, exercised through the matching session. */
static void over_http(const char *mode, const char *path,
                      sekha_mcp_session *(*open)(sekha_client *, const char *, sekha_error **))
{
    peer_proc p;
    start_everything(&p, mode);
    sekha_client *c = new_client();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", p.port, path);
    sekha_error *err = NULL;
    sekha_mcp_session *s = open(c, url, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    exercise(s);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
    peer_stop(&p);
}

Test(mcp_peer, streamable_http)
{
    over_http("streamableHttp", "/mcp", sekha_mcp_session_new_http);
}

Test(mcp_peer, legacy_sse)
{
    over_http("sse", "/sse", sekha_mcp_session_new_sse);
}

Test(mcp_peer, stdio)
{
    find_peers();
    sekha_client *c = new_client();
    const char *argv[] = {node, everything, "stdio", NULL};
    sekha_error *err = NULL;
    sekha_mcp_session *s = sekha_mcp_session_new_stdio(c, argv, &err);
    cr_assert_not_null(s, "%s", sekha_error_message(err));
    exercise(s);
    sekha_mcp_session_free(s);
    sekha_client_free(c);
}

/* ---- a proxy that cuts a stream in the middle ---- */

/* Forwards loopback TCP to the server; after forwarding the first server bytes that carry
 * a progress notification it closes that connection, like a network failure would. It
 * also notes the Last-Event-ID of the client's requests. One thread, poll-driven. */
typedef struct proxy {
    int lfd, port, target, stop[2];
    pthread_t thread;
    atomic_int cut_armed, cuts;
    pthread_mutex_t lock;
    char last_event_id[256];
    int pairs[64][2];
    int npairs;
} proxy;

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void note_last_event_id(proxy *px, const char *buf, size_t n)
{
    const char *end = buf + n;
    for (const char *p = buf; p + 14 < end; p++) {
        if (strncasecmp(p, "last-event-id:", 14) != 0)
            continue;
        const char *v = p + 14;
        while (v < end && *v == ' ')
            v++;
        size_t len = 0;
        while (v + len < end && v[len] != '\r' && v[len] != '\n')
            len++;
        pthread_mutex_lock(&px->lock);
        snprintf(px->last_event_id, sizeof px->last_event_id, "%.*s", (int)len, v);
        pthread_mutex_unlock(&px->lock);
    }
}

static void drop_pair(proxy *px, int i)
{
    close(px->pairs[i][0]);
    close(px->pairs[i][1]);
    px->pairs[i][0] = px->pairs[px->npairs - 1][0];
    px->pairs[i][1] = px->pairs[px->npairs - 1][1];
    px->npairs--;
}

static void *proxy_main(void *arg)
{
    proxy *px = arg;
    for (;;) {
        struct pollfd fds[2 + 128];
        int n = 0;
        fds[n++] = (struct pollfd){.fd = px->stop[0], .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = px->lfd, .events = POLLIN};
        for (int i = 0; i < px->npairs; i++) {
            fds[n++] = (struct pollfd){.fd = px->pairs[i][0], .events = POLLIN};
            fds[n++] = (struct pollfd){.fd = px->pairs[i][1], .events = POLLIN};
        }
        if (poll(fds, (nfds_t)n, -1) < 0)
            continue;
        if (fds[0].revents)
            break;
        if (fds[1].revents & POLLIN) {
            int cfd = accept4(px->lfd, NULL, NULL, SOCK_CLOEXEC);
            int sfd = cfd >= 0 ? connect_to(px->target) : -1;
            if (sfd >= 0 && px->npairs < 64) {
                px->pairs[px->npairs][0] = cfd;
                px->pairs[px->npairs][1] = sfd;
                px->npairs++;
            } else {
                if (cfd >= 0)
                    close(cfd);
                if (sfd >= 0)
                    close(sfd);
            }
        }
        /* pairs are visited from the end so dropping one does not skip another */
        for (int i = (n - 2) / 2 - 1; i >= 0; i--) {
            for (int side = 0; side < 2; side++) {
                struct pollfd *f = &fds[2 + 2 * i + side];
                if (!f->revents || i >= px->npairs)
                    continue;
                char buf[65536];
                ssize_t got = read(f->fd, buf, sizeof buf);
                if (got <= 0) {
                    drop_pair(px, i);
                    break;
                }
                if (side == 0)
                    note_last_event_id(px, buf, (size_t)got);
                int to = px->pairs[i][1 - side];
                for (ssize_t off = 0; off < got;) {
                    ssize_t w = write(to, buf + off, (size_t)(got - off));
                    if (w <= 0)
                        break;
                    off += w;
                }
                if (side == 1 && atomic_load(&px->cut_armed) &&
                    memmem(buf, (size_t)got, "notifications/progress", 22)) {
                    atomic_store(&px->cut_armed, 0);
                    atomic_fetch_add(&px->cuts, 1);
                    drop_pair(px, i);
                    break;
                }
            }
        }
    }
    while (px->npairs > 0)
        drop_pair(px, 0);
    return NULL;
}

static void proxy_start(proxy *px, int target)
{
    memset(px, 0, sizeof *px);
    pthread_mutex_init(&px->lock, NULL);
    px->target = target;
    px->port = peer_free_port();
    px->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)px->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(px->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    cr_assert_eq(bind(px->lfd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(px->lfd, 16), 0);
    cr_assert_eq(pipe2(px->stop, O_CLOEXEC), 0);
    cr_assert_eq(pthread_create(&px->thread, NULL, proxy_main, px), 0);
}

static void proxy_stop(proxy *px)
{
    cr_assert_eq(write(px->stop[1], "x", 1), 1);
    pthread_join(px->thread, NULL);
    close(px->stop[0]);
    close(px->stop[1]);
    close(px->lfd);
    pthread_mutex_destroy(&px->lock);
}

Test(mcp_peer, cut_stream_is_resumed_with_last_event_id_and_delete_ends_the_session)
{
    peer_proc p;
    start_everything(&p, "streamableHttp");
    proxy px;
    proxy_start(&px, p.port);
    sekha_client *c = new_client();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/mcp", px.port);
    sekha_mcp_session *s = sekha_mcp_session_new_http(c, url, NULL);
    cr_assert_not_null(s);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_mcp_session_initialize_sync(s, NULL, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));

    atomic_store(&px.cut_armed, 1);
    progress_seen prog = {0};
    sekha_mcp_tool_result *r = NULL;
    sekha_params *with_progress = sekha_params_new();
    cr_assert_eq(sekha_params_set_on_progress(with_progress, on_progress, &prog), SEKHA_OK);
    cr_assert_eq(sekha_mcp_session_call_tool_sync(s, "trigger-long-running-operation",
                                                  "{\"duration\":0.6,\"steps\":3}", with_progress,
                                                  &r, &err), SEKHA_OK, "%s",
                 sekha_error_message(err));
    sekha_params_free(with_progress);
    cr_assert_not_null(strstr(sekha_mcp_tool_result_content_text(r, 0), "completed"));
    sekha_mcp_tool_result_free(r);
    cr_assert_eq(atomic_load(&px.cuts), 1, "the stream was cut once");
    cr_assert_eq(prog.last, 3, "every step arrived, the missed ones replayed");
    cr_assert_eq(prog.went_back, 0);
    pthread_mutex_lock(&px.lock);
    cr_assert_neq(px.last_event_id[0], '\0', "the client resumed with Last-Event-ID");
    pthread_mutex_unlock(&px.lock);

    char sid[128];
    snprintf(sid, sizeof sid, "%s", sekha_mcp_session_id(s));
    cr_assert_eq(sekha_mcp_session_close_sync(s, &err), SEKHA_OK, "%s", sekha_error_message(err));
    sekha_mcp_session_free(s);

    /* after DELETE, server-everything no longer knows the session */
    char header[192], origin[64];
    snprintf(origin, sizeof origin, "http://127.0.0.1:%d", px.port);
    snprintf(header, sizeof header, "Mcp-Session-Id: %s", sid);
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_MCP, origin), SEKHA_OK);
    sekha_client *raw = sekha_client_new(o, NULL);
    const char *headers[] = {header, "Accept: application/json, text/event-stream", NULL};
    const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    sekha_response *resp = NULL;
    sekha_params *rp = sekha_params_new();
    cr_assert_eq(sekha_params_set_list(rp, SEKHA_PARAM_HEADERS, headers), SEKHA_OK);
    cr_assert_eq(sekha_params_set_text(rp, SEKHA_PARAM_CONTENT_TYPE, "application/json"), SEKHA_OK);
    cr_assert_eq(sekha_params_set_bytes(rp, SEKHA_PARAM_BODY, ping, strlen(ping)), SEKHA_OK);
    sekha_code rc = sekha_http_request_sync(raw, SEKHA_SERVICE_MCP, "POST /mcp", rp, &resp, &err);
    sekha_params_free(rp);
    cr_assert_eq(rc, SEKHA_E_BAD_REQUEST, "%s", sekha_error_message(err));
    cr_assert_not_null(strstr(sekha_response_body(resp, NULL), "session"));
    sekha_response_free(resp);
    sekha_error_free(err);
    sekha_client_free(raw);
    sekha_options_free(o);
    sekha_client_free(c);
    proxy_stop(&px);
    peer_stop(&p);
}
