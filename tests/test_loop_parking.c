/* Idle pooled connections stay in the client's epoll set between requests (parked, so a
 * request on a kept-alive connection costs no epoll_ctl), leave it when the server closes
 * them, and go with their socket when the client is freed. Checked against the kernel's
 * own list of the set's registrations: /proc/self/fdinfo of the client's epoll fd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include "testutil.h"

static ds_proc ds;

static void teardown(void)
{
    ds_proc_stop(&ds);
}

TestSuite(loop_parking, .fini = teardown, .timeout = 120);

static int link_starts(int fd, const char *prefix)
{
    char path[64], target[128];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, prefix, strlen(prefix)) == 0;
}

/* The highest-numbered epoll fd of this process above `above`: the client made just now. */
static int newest_epoll_fd(int above)
{
    int found = -1;
    for (int fd = above + 1; fd < 1024; fd++)
        if (link_starts(fd, "anon_inode:[eventpoll]"))
            found = fd;
    return found;
}

/* The sockets registered in epfd; the first one's fd goes to *first. */
static int registered_sockets(int epfd, int *first)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        int fd;
        if (sscanf(line, "tfd: %d", &fd) == 1 && link_starts(fd, "socket:")) {
            if (n++ == 0 && first)
                *first = fd;
        }
    }
    fclose(f);
    return n;
}

static sekha_client *client_with_epfd(int *epfd)
{
    int before = newest_epoll_fd(2);
    sekha_options *o = test_options(&ds);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    *epfd = newest_epoll_fd(before < 0 ? 2 : before);
    cr_assert_geq(*epfd, 0, "no epoll fd appeared for the client");
    return c;
}

static void on_created(sekha_request *req, const sekha_error *err, const sekha_conversation *cv,
                       void *ud)
{
    (void)req;
    (void)cv;
    *(int *)ud = err ? (int)sekha_error_code(err) : 0;
}

/* One create on the client's own loop (mode A), run to its end. */
static void create(sekha_client *c)
{
    sekha_messages *m = msgs_of(NULL, "parked");
    int rc = -1;
    cr_assert_not_null(sekha_controller_create_conversation(c, m, NULL, on_created, &rc));
    cr_assert_eq(sekha_client_run(c), SEKHA_OK);
    sekha_messages_free(m);
    cr_assert_eq(rc, 0, "create failed: %d", rc);
}

Test(loop_parking, idle_connection_stays_registered_and_goes_with_its_socket)
{
    start_devserver(&ds, NULL);
    int epfd, sock = -1, again = -1;
    sekha_client *c = client_with_epfd(&epfd);
    create(c);
    cr_assert_eq(registered_sockets(epfd, &sock), 1, "the pooled connection is not parked");
    create(c);
    cr_assert_eq(registered_sockets(epfd, &again), 1);
    cr_assert_eq(again, sock, "the second create did not reuse the parked connection");
    sekha_client_free(c);
    cr_assert(fcntl(sock, F_GETFD) == -1 || !link_starts(sock, "socket:"),
              "the connection's socket outlived the client");
}

Test(loop_parking, connection_closed_by_the_server_while_parked_leaves_the_set)
{
    const char *const args[] = {"--keepalive-timeout", "1", NULL};
    start_devserver(&ds, args);
    int epfd;
    sekha_client *c = client_with_epfd(&epfd);
    create(c);
    cr_assert_eq(registered_sockets(epfd, NULL), 1);
    /* The server closes the idle connection after a second: the parked socket turns
     * readable, the poll wakes and lets it go (a level-triggered registration left in
     * place would wake every poll from then on). */
    for (int i = 0; i < 50 && registered_sockets(epfd, NULL) > 0; i++)
        cr_assert_geq(sekha_client_poll(c, 200), 0);
    cr_assert_eq(registered_sockets(epfd, NULL), 0, "a closed idle connection stays watched");
    create(c); /* and the next create opens a new connection */
    cr_assert_eq(registered_sockets(epfd, NULL), 1);
    sekha_client_free(c);
}
