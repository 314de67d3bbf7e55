/* A deliberately minimal HTTP/1.1 server for the stream bench: it answers every request
 * with the same pre-generated text/event-stream body (Content-Length, keep-alive), so the
 * client under test, not the server, is the bottleneck. */
#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

int bench_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads one request (headers, then Content-Length bytes of body). 0 on success, -1 when
 * the client went away. */
static int read_request(int fd, char *buf, size_t cap, size_t *have)
{
    for (;;) {
        char *end = memmem(buf, *have, "\r\n\r\n", 4);
        if (end) {
            size_t head = (size_t)(end - buf) + 4, body = 0;
            for (char *l = buf; l < end; l = strstr(l, "\r\n") + 2)
                if (strncasecmp(l, "content-length:", 15) == 0)
                    body = strtoul(l + 15, NULL, 10);
            while (*have < head + body) {
                ssize_t k = read(fd, buf + *have, cap - *have);
                if (k <= 0)
                    return -1;
                *have += (size_t)k;
            }
            memmove(buf, buf + head + body, *have - head - body); /* pipelined rest */
            *have -= head + body;
            return 0;
        }
        if (*have == cap)
            return -1;
        ssize_t k = read(fd, buf + *have, cap - *have);
        if (k <= 0)
            return -1;
        *have += (size_t)k;
    }
}

void bench_serve(int lfd, const char *body, size_t len)
{
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                      "Cache-Control: no-cache\r\nContent-Length: %zu\r\n\r\n", len);
    static char req[1 << 16];
    signal(SIGCHLD, SIG_IGN); /* connection processes reap themselves */
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        /* A process per connection: clients keep theirs alive between requests. */
        if (fork() != 0) {
            close(c);
            continue;
        }
        close(lfd);
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        size_t have = 0;
        while (read_request(c, req, sizeof req, &have) == 0)
            if (write_all(c, head, (size_t)hn) != 0 || write_all(c, body, len) != 0)
                break;
        _exit(0);
    }
}
