/* One loop = one libcurl multi handle driven through curl_multi_socket_action, plus a timer
 * heap for request states (queued, rate-wait, backoff, idle checks, deferred finishes).
 * Mode A and sync loops watch sockets with a built-in epoll instance; in mode B the same
 * socket and timer notifications go to the user's hooks instead. */
#include "core/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 64

static sekha_request *request_of_timer(sekha_timer *t)
{
    return (sekha_request *)((char *)t - offsetof(sekha_request, timer));
}

/* Registrations of libcurl's sockets in the built-in epoll set. A request that ends hands
 * its connection back to libcurl's pool with CURL_POLL_REMOVE, and the next request on that
 * connection asks for CURL_POLL_IN again: deregistering and registering each time is two
 * epoll_ctl calls per request, a measurable share of a small request's cost. So a socket
 * that leaves with read interest only stays registered, PARKED, when it is one of ours
 * (opened through sekha__loop_open_socket, so its close comes through
 * sekha__loop_close_socket, which deregisters it first). A parked socket that becomes
 * readable (the server closed the idle connection) is deregistered then: libcurl finds the
 * connection dead when it next looks. Sockets libcurl closes out of our sight (its resolver's
 * socket pair) are deregistered at once, as before. Stale state cannot mislead: a number
 * reused by a new socket is reset when that socket is opened. */
enum { FD_IN = 1, FD_OUT = 2, FD_PARKED = 4, FD_OURS = 8 };
#define FD_TABLE_MAX (1u << 20) /* beyond, sockets are simply not parked */

static uint8_t fd_bits(const sekha_loop *l, int fd)
{
    return fd >= 0 && (size_t)fd < l->fds_cap ? l->fds[fd] : 0;
}

/* The slot for fd, growing the table; NULL when it cannot (then nothing is parked). */
static uint8_t *fd_slot(sekha_loop *l, int fd)
{
    if (fd < 0 || (size_t)fd >= FD_TABLE_MAX)
        return NULL;
    if ((size_t)fd >= l->fds_cap) {
        size_t cap = l->fds_cap ? l->fds_cap : 64;
        while (cap <= (size_t)fd)
            cap *= 2;
        uint8_t *p = realloc(l->fds, cap);
        if (!p)
            return NULL;
        memset(p + l->fds_cap, 0, cap - l->fds_cap);
        l->fds = p;
        l->fds_cap = cap;
    }
    return &l->fds[fd];
}

static void fd_deregister(sekha_loop *l, int fd)
{
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    if (fd_bits(l, fd))
        l->fds[fd] &= FD_OURS;
}

static void fd_register(sekha_loop *l, int fd, int want)
{
    uint8_t had = fd_bits(l, fd);
    if ((had & (FD_IN | FD_OUT)) == want) {
        l->fds[fd] = had & ~FD_PARKED; /* taken back from the pool: nothing to tell epoll */
        return;
    }
    struct epoll_event ee = {0};
    ee.data.fd = fd;
    ee.events = (want & FD_IN ? EPOLLIN : 0) | (want & FD_OUT ? EPOLLOUT : 0);
    int rc;
    if (had & (FD_IN | FD_OUT)) {
        if ((rc = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ee)) != 0 && errno == ENOENT)
            rc = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ee);
    } else if ((rc = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ee)) != 0 && errno == EEXIST) {
        rc = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ee);
    }
    uint8_t *slot = fd_slot(l, fd);
    if (slot)
        *slot = (uint8_t)((had & FD_OURS) | (rc == 0 ? want : 0));
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    sekha_loop *l = userp;
    if (l->external) {
        int ev = 0;
        if (what != CURL_POLL_REMOVE) {
            if (what & CURL_POLL_IN)
                ev |= SEKHA_WATCH_READ;
            if (what & CURL_POLL_OUT)
                ev |= SEKHA_WATCH_WRITE;
        }
        l->watch(l->client, (int)s, ev, l->hook_ud);
        return 0;
    }
    if (what == CURL_POLL_REMOVE) {
        /* write interest would wake every poll: only a reader is parked */
        if ((fd_bits(l, s) & ~FD_PARKED) == (FD_OURS | FD_IN))
            l->fds[s] |= FD_PARKED;
        else
            fd_deregister(l, s);
        return 0;
    }
    fd_register(l, s, (what & CURL_POLL_IN ? FD_IN : 0) | (what & CURL_POLL_OUT ? FD_OUT : 0));
    return 0;
}

static void loop_socket_opened(sekha_loop *l, int fd)
{
    uint8_t *slot = l && !l->external ? fd_slot(l, fd) : NULL;
    if (slot)
        *slot = FD_OURS; /* whatever the number held before is gone */
}

static void loop_socket_closing(sekha_loop *l, int fd)
{
    uint8_t b = l ? fd_bits(l, fd) : 0;
    if (b & (FD_IN | FD_OUT))
        fd_deregister(l, fd); /* before close: a forked child may still hold the socket */
    if (b)
        l->fds[fd] = 0;
}

curl_socket_t sekha__loop_open_socket(void *client, curlsocktype purpose,
                                      struct curl_sockaddr *address)
{
    (void)purpose;
    sekha_client *c = client;
    int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    loop_socket_opened(&c->main, fd);
    loop_socket_opened(c->sync_loop, fd);
    return fd;
}

int sekha__loop_close_socket(void *client, curl_socket_t fd)
{
    sekha_client *c = client;
    loop_socket_closing(&c->main, fd);
    loop_socket_closing(c->sync_loop, fd);
    return close(fd);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    sekha_loop *l = userp;
    l->curl_deadline = timeout_ms < 0 ? -1 : sekha__now_ms() + timeout_ms;
    return 0;
}

int sekha__loop_init(sekha_loop *l, sekha_client *c)
{
    *l = (sekha_loop){0};
    l->client = c;
    l->curl_deadline = -1;
    l->hook_deadline = -2;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->multi = curl_multi_init();
    if (l->epfd < 0 || !l->multi) {
        sekha__loop_cleanup(l);
        return -1;
    }
    /* Cross-thread wakeups and cancels arrive on the client's eventfd, which every loop
     * watches, so whichever loop is waiting wakes up. */
    struct epoll_event ee = {.events = EPOLLIN, .data.fd = c->wake_fd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, c->wake_fd, &ee) != 0) {
        sekha__loop_cleanup(l);
        return -1;
    }
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
    return 0;
}

void sekha__loop_cleanup(sekha_loop *l)
{
    if (l->multi)
        curl_multi_cleanup(l->multi);
    if (l->epfd >= 0)
        close(l->epfd);
    sekha__heap_free(&l->timers);
    free(l->watches);
    free(l->fds);
    l->fds = NULL;
    l->fds_cap = 0;
    l->watches = NULL;
    l->nwatches = l->watches_cap = 0;
    l->multi = NULL;
    l->epfd = -1;
}

static int64_t next_deadline(const sekha_loop *l)
{
    sekha_timer *t = sekha__heap_top(&l->timers);
    int64_t d = l->curl_deadline;
    if (t && (d < 0 || t->deadline < d))
        d = t->deadline;
    return d;
}

/* Mode B: tell the user's timer hook when to call back, only when that changed. */
static void refresh_hook(sekha_loop *l)
{
    if (!l->external || l->dispatching)
        return;
    int64_t d = next_deadline(l);
    if (d == l->hook_deadline)
        return;
    l->hook_deadline = d;
    long ms = -1;
    if (d >= 0) {
        int64_t left = d - sekha__now_ms();
        ms = left < 0 ? 0 : (long)left;
    }
    l->timer(l->client, ms, l->hook_ud);
}

void sekha__loop_arm(sekha_loop *l, sekha_timer *t, int64_t deadline)
{
    if (sekha__heap_arm(&l->timers, t, deadline) != 0) {
        /* Out of memory growing the heap: nothing can be scheduled. The request would
         * never finish, which breaks the one-callback promise; abort loudly instead. */
        abort();
    }
    refresh_hook(l);
}

void sekha__loop_disarm(sekha_loop *l, sekha_timer *t)
{
    sekha__heap_disarm(&l->timers, t);
}

void sekha__timer_start(sekha_loop *l, sekha_timer *t, int64_t deadline,
                        void (*fire)(sekha_timer *t))
{
    t->fire = fire;
    sekha__loop_arm(l, t, deadline);
}

void sekha__timer_stop(sekha_loop *l, sekha_timer *t)
{
    sekha__heap_disarm(&l->timers, t);
}

static void read_completions(sekha_loop *l)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(l->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *e = msg->easy_handle;
        CURLcode rc = msg->data.result;
        sekha_request *r = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
        if (r)
            sekha__request_on_done(r, rc);
        else
            curl_multi_remove_handle(l->multi, e);
    }
}

static void socket_action(sekha_loop *l, curl_socket_t fd, int flags)
{
    int running;
    l->in_curl++;
    CURLMcode mc = curl_multi_socket_action(l->multi, fd, flags, &running);
    l->in_curl--;
    if (mc != CURLM_OK) /* only a bug of ours (a re-entrant call) gets here: say so */
        sekha__log(l->client, SEKHA_LOG_WARN, "curl_multi_socket_action: %s",
                   curl_multi_strerror(mc));
}

void sekha__loop_dispatch(sekha_loop *l)
{
    sekha_client *c = l->client;
    l->dispatching++;
    /* Bounded, so that a libcurl that keeps asking to be called at once cannot starve the
     * sockets: the next poll comes back at once for what is left. */
    for (int progress = 1, rounds = 0; progress && rounds < 64; rounds++) {
        progress = 0;
        int64_t now = sekha__now_ms();
        if (l->curl_deadline >= 0 && l->curl_deadline <= now) {
            l->curl_deadline = -1;
            socket_action(l, CURL_SOCKET_TIMEOUT, 0);
            progress = 1;
        }
        read_completions(l);
        /* requests started from those callbacks went to libcurl, which wants to act now */
        if (l->curl_deadline >= 0 && l->curl_deadline <= now)
            progress = 1;
        sekha_timer *t;
        while ((t = sekha__heap_top(&l->timers)) && t->deadline <= now) {
            sekha__heap_disarm(&l->timers, t);
            if (t->fire)
                t->fire(t);
            else
                sekha__request_on_timer(request_of_timer(t));
            read_completions(l);
            progress = 1;
        }
        if (c->woken) {
            c->woken = 0;
            sekha__client_drain_cancels(c);
            progress = 1;
        }
    }
    l->dispatching--;
    refresh_hook(l);
}

static sekha__watch *find_watch(const sekha_loop *l, int fd)
{
    for (size_t i = 0; i < l->nwatches; i++)
        if (l->watches[i]->fd == fd)
            return l->watches[i];
    return NULL;
}

static int epoll_set(sekha_loop *l, int fd, int events, int op)
{
    struct epoll_event ee = {0};
    ee.data.fd = fd;
    if (events & SEKHA_WATCH_READ)
        ee.events |= EPOLLIN;
    if (events & SEKHA_WATCH_WRITE)
        ee.events |= EPOLLOUT;
    return epoll_ctl(l->epfd, op, fd, &ee);
}

int sekha__loop_watch(sekha_loop *l, sekha__watch *w)
{
    int known = find_watch(l, w->fd) != NULL;
    if (!known) {
        if (l->nwatches == l->watches_cap) {
            size_t cap = l->watches_cap ? l->watches_cap * 2 : 8;
            sekha__watch **p = realloc(l->watches, cap * sizeof *p);
            if (!p)
                return -1;
            l->watches = p;
            l->watches_cap = cap;
        }
        l->watches[l->nwatches++] = w;
    }
    if (l->external) {
        l->watch(l->client, w->fd, w->events, l->hook_ud);
        return 0;
    }
    if (epoll_set(l, w->fd, w->events, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD) != 0) {
        sekha__loop_unwatch(l, w);
        return -1;
    }
    return 0;
}

void sekha__loop_unwatch(sekha_loop *l, sekha__watch *w)
{
    for (size_t i = 0; i < l->nwatches; i++) {
        if (l->watches[i] != w)
            continue;
        l->watches[i] = l->watches[--l->nwatches];
        if (l->external)
            l->watch(l->client, w->fd, 0, l->hook_ud);
        else
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
        return;
    }
}

void sekha__loop_socket_ready(sekha_loop *l, int fd, int events)
{
    sekha__watch *w = find_watch(l, fd);
    if (w) {
        w->fn(w->ud, fd, events);
        return;
    }
    if (fd == l->client->wake_fd) {
        uint64_t v;
        ssize_t n = read(fd, &v, sizeof v); /* drain; the value does not matter */
        (void)n;
        l->client->woken = 1;
    } else if (fd_bits(l, fd) & FD_PARKED) {
        fd_deregister(l, fd); /* pooled and idle: libcurl is not listening */
    } else {
        int flags = 0;
        if (events & SEKHA_WATCH_READ)
            flags |= CURL_CSELECT_IN;
        if (events & SEKHA_WATCH_WRITE)
            flags |= CURL_CSELECT_OUT;
        l->dispatching++;
        socket_action(l, fd, flags);
        l->dispatching--;
    }
}

static void fail_all(sekha_loop *l, int err)
{
    char why[128];
    snprintf(why, sizeof why, "the event loop's poller failed: epoll_wait: %s", strerror(err));
    for (sekha_request *r = l->client->first; r; r = r->next)
        if (r->loop == l)
            sekha__request_fail_later(r, sekha__error_new(SEKHA_E_INTERNAL, SEKHA_LAYER_LOCAL,
                                                          "%s", why));
}

int sekha__loop_poll(sekha_loop *l, int timeout_ms)
{
    int wait = timeout_ms;
    int64_t d = next_deadline(l);
    if (d >= 0) {
        int64_t left = d - sekha__now_ms();
        if (left < 0)
            left = 0;
        if (wait < 0 || left < wait)
            wait = left > 1000000 ? 1000000 : (int)left;
    }
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(l->epfd, evs, MAX_EVENTS, wait);
    if (n < 0 && errno != EINTR) {
        /* A poller that fails once (EBADF, EINVAL: its fd was closed or replaced under us)
         * fails every time: waiting again would spin. End this loop's requests with the
         * reason so that their callers hear of it. */
        fail_all(l, errno);
        sekha__loop_dispatch(l);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int ev = 0;
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            ev |= SEKHA_WATCH_READ;
        if (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            ev |= SEKHA_WATCH_WRITE;
        sekha__loop_socket_ready(l, evs[i].data.fd, ev);
    }
    sekha__loop_dispatch(l);
    return 0;
}
