/* sekha mcp login URL: the OAuth authorization-code flow of the library with a loopback
 * redirect listener (RFC 8252): a socket on 127.0.0.1 with a port of the kernel's choosing,
 * the authorization URL printed (and opened with xdg-open only when asked), the browser's
 * redirect answered with a small page. The library's state (client registration, tokens)
 * goes to a per-user file, one entry per server URL, that `sekha mcp tools|call --url URL`
 * reads and updates when tokens are refreshed; `sekha mcp logout URL` removes the entry.
 *
 * The file: $SEKHA_MCP_AUTH_FILE, else $XDG_CONFIG_HOME/sekha/mcp-auth.json, else
 * ~/.config/sekha/mcp-auth.json; {"servers": {"<url>": <the library's state>}}. It holds
 * secrets: created 0600 in a 0700 directory, replaced as a whole (temporary file in the
 * same directory, then rename), and no token is ever printed, even with --verbose. */
#include "cli_mcp_auth.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define STORE_MAX ((size_t)4 << 20) /* a token file larger than this is not ours */
#define REQUEST_HEAD_MAX 8192
#define CLIENT_READ_MS 5000         /* a connection that sends no request in time is dropped */

extern char **environ;

/* ---- the token file ---- */

/* Frees a string that held secrets, wiping it first. */
static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* The token file's path; mkdirs: whether its directory is ours to create. -1 when no home. */
static int store_path(char *out, size_t cap, int *mkdirs)
{
    const char *env = getenv("SEKHA_MCP_AUTH_FILE");
    *mkdirs = 0;
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return 0;
    }
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    *mkdirs = 1;
    if (xdg && xdg[0] == '/')
        snprintf(out, cap, "%s/sekha/mcp-auth.json", xdg);
    else if (home && *home)
        snprintf(out, cap, "%s/.config/sekha/mcp-auth.json", home);
    else
        return -1;
    return 0;
}

/* The key of a server: the URL with scheme and host in lower case and no trailing slash, so
 * spellings of one URL share their tokens. NULL when it is not an http(s) URL. */
static char *url_key(const char *url)
{
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return NULL;
    char *k = strdup(url);
    if (!k)
        return NULL;
    size_t host_end = (size_t)(strstr(k, "://") - k) + 3;
    host_end += strcspn(k + host_end, "/?#");
    for (size_t i = 0; i < host_end; i++)
        k[i] = (char)tolower((unsigned char)k[i]);
    size_t n = strlen(k);
    if (n > host_end && k[n - 1] == '/')
        k[n - 1] = '\0';
    return k;
}

/* Reads the store: {"servers":{}} when the file does not exist; NULL after saying why. */
static cJSON *store_load(cli *c, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        cJSON *root = cJSON_CreateObject();
        if (root && !cJSON_AddObjectToObject(root, "servers")) {
            cJSON_Delete(root);
            root = NULL;
        }
        return root;
    }
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > STORE_MAX) {
        fprintf(stderr, "%s: cannot read the token file %s: %s\n", c->prog, path,
                fd < 0 ? strerror(errno) : "not a regular file of sensible size");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (st.st_mode & 077)
        fprintf(stderr, "%s: warning: the token file %s is readable by others (chmod 600 it)\n",
                c->prog, path);
    char *text = malloc((size_t)st.st_size + 1);
    size_t len = 0;
    while (text && len < (size_t)st.st_size) {
        ssize_t n = read(fd, text + len, (size_t)st.st_size - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    cJSON *root = NULL;
    if (text) {
        text[len] = '\0';
        root = cJSON_ParseWithLength(text, len);
        explicit_bzero(text, len);
        free(text);
    }
    if (!cJSON_IsObject(root) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "servers"))) {
        cJSON_Delete(root);
        fprintf(stderr, "%s: the token file %s is not what sekha wrote (a JSON object with "
                        "\"servers\"); move it away or fix it\n", c->prog, path);
        return NULL;
    }
    return root;
}

/* mkdir -p of path's directory, 0700 for what it creates. */
static int make_dirs(char *dir)
{
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(dir, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* Writes root to path atomically (temporary file + rename), mode 0600. 0 or -1 after
 * saying why. */
static int store_write(cli *c, const char *path, int mkdirs, const cJSON *root)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, "%s", slash ? "/" : ".");
    if (mkdirs && make_dirs(dir) != 0) {
        fprintf(stderr, "%s: cannot create %s: %s\n", c->prog, dir, strerror(errno));
        return -1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/.mcp-auth.XXXXXX", dir);
    mode_t old = umask(077);
    int fd = mkostemp(tmp, O_CLOEXEC);
    umask(old);
    char *text = cJSON_PrintUnformatted(root);
    int ok = fd >= 0 && text && fchmod(fd, 0600) == 0;
    for (size_t off = 0, n = text ? strlen(text) : 0; ok && off < n;) {
        ssize_t w = write(fd, text + off, n - off);
        if (w <= 0)
            ok = 0;
        else
            off += (size_t)w;
    }
    ok = ok && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    int saved_errno = errno;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    wipe_free(text);
    if (ok && rename(tmp, path) != 0) {
        saved_errno = errno;
        ok = 0;
    }
    if (!ok) {
        if (fd >= 0)
            unlink(tmp);
        fprintf(stderr, "%s: cannot write the token file %s: %s\n", c->prog, path,
                text || fd < 0 ? strerror(saved_errno) : "out of memory");
        return -1;
    }
    return 0;
}

/* The stored state of key (JSON text to wipe_free), NULL when none; *status 0, or the exit
 * status after saying why the file cannot be used. */
static char *store_get(cli *c, const char *key, int *status)
{
    char path[4096];
    int mkdirs;
    *status = 0;
    if (store_path(path, sizeof path, &mkdirs) != 0)
        return NULL; /* no home: nothing can be stored either */
    cJSON *root = store_load(c, path);
    if (!root) {
        *status = CLI_FAILED;
        return NULL;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(root, "servers"), key);
    char *text = cJSON_IsObject(v) ? cJSON_PrintUnformatted(v) : NULL;
    cJSON_Delete(root);
    return text;
}

static int store_update(cli *c, const char *path, int mkdirs, const char *key, const char *state);

/* Stores state (JSON text; NULL removes the entry) for key. 0, 1 when there was nothing to
 * remove, -1 after saying why it failed. */
static int store_put(cli *c, const char *key, const char *state)
{
    char path[4096];
    int mkdirs;
    if (store_path(path, sizeof path, &mkdirs) != 0) {
        fprintf(stderr, "%s: no place for the token file: set HOME, XDG_CONFIG_HOME or "
                        "SEKHA_MCP_AUTH_FILE\n", c->prog);
        return -1;
    }
    /* Another sekha may be saving a refreshed token for another server right now: the
     * read-modify-write below holds a lock so neither update is lost. */
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0 && mkdirs && state && errno == ENOENT) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            if (make_dirs(dir) == 0)
                lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        }
    }
    if (lock >= 0)
        flock(lock, LOCK_EX); /* without a lock file (read-only dir) the write fails anyway */
    int rc = store_update(c, path, mkdirs, key, state);
    if (lock >= 0)
        close(lock);
    return rc;
}

static int store_update(cli *c, const char *path, int mkdirs, const char *key, const char *state)
{
    cJSON *root = store_load(c, path);
    if (!root)
        return -1;
    cJSON *servers = cJSON_GetObjectItemCaseSensitive(root, "servers");
    int rc = 0;
    if (!state) {
        if (!cJSON_GetObjectItemCaseSensitive(servers, key)) {
            cJSON_Delete(root);
            return 1;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(servers, key);
    } else {
        cJSON *v = cJSON_Parse(state);
        if (!cJSON_IsObject(v)) {
            cJSON_Delete(v);
            cJSON_Delete(root);
            fprintf(stderr, "%s: the library gave a state that is not a JSON object\n", c->prog);
            return -1;
        }
        if (cJSON_GetObjectItemCaseSensitive(servers, key))
            cJSON_ReplaceItemInObjectCaseSensitive(servers, key, v);
        else
            cJSON_AddItemToObject(servers, key, v);
    }
    if (store_write(c, path, mkdirs, root) != 0)
        rc = -1;
    cJSON_Delete(root);
    return rc;
}

/* ---- what a session with stored state carries ---- */

struct cli_mcp_auth {
    cli *c;
    sekha_mcp_auth *auth;
    char *key;
    int saves, save_failed;
    int hold;     /* login: keep the state until the flow succeeded */
    char *held;   /* the last state given, while hold */
};

static void on_save(const char *state_json, void *ud)
{
    cli_mcp_auth *a = ud;
    a->saves++;
    if (a->hold) {
        /* A login that fails must not replace what a previous one stored. */
        wipe_free(a->held);
        if (!(a->held = strdup(state_json)))
            a->save_failed = 1;
    } else if (store_put(a->c, a->key, state_json) < 0) {
        a->save_failed = 1;
    }
}

static cli_mcp_auth *auth_new(cli *c, const char *key)
{
    cli_mcp_auth *a = calloc(1, sizeof *a);
    if (!a || !(a->key = strdup(key)) || !(a->auth = sekha_mcp_auth_new()) ||
        sekha_mcp_auth_set_client_name(a->auth, "sekha-cli") != SEKHA_OK ||
        sekha_mcp_auth_set_save_handler(a->auth, on_save, a) != SEKHA_OK) {
        cli_mcp_auth_free(a);
        fprintf(stderr, "%s: out of memory\n", c->prog);
        return NULL;
    }
    a->c = c;
    return a;
}

void cli_mcp_auth_free(cli_mcp_auth *a)
{
    if (!a)
        return;
    sekha_mcp_auth_free(a->auth);
    wipe_free(a->held);
    free(a->key);
    free(a);
}

cli_mcp_auth *cli_mcp_auth_attach(cli *c, sekha_mcp_session *s, const char *url, int *status)
{
    *status = 0;
    char *key = url ? url_key(url) : NULL;
    if (!key)
        return NULL;
    char *state = store_get(c, key, status);
    cli_mcp_auth *a = state ? auth_new(c, key) : NULL;
    free(key);
    if (state && !a)
        *status = CLI_FAILED;
    if (a && (sekha_mcp_auth_set_state(a->auth, state) != SEKHA_OK ||
              sekha_mcp_session_set_auth(s, a->auth) != SEKHA_OK)) {
        fprintf(stderr, "%s: the stored authorization for %s is unusable: run sekha mcp "
                        "login %s again\n", c->prog, url, url);
        cli_mcp_auth_free(a);
        a = NULL;
        *status = CLI_FAILED;
    }
    wipe_free(state);
    return a;
}

/* ---- the loopback redirect listener ---- */

typedef struct login_ctx {
    cli *c;
    int lfd, port;
    int open_browser;
    int64_t deadline_ms;
    long wait_s;
    int answered; /* the redirect arrived (whatever it said) */
} login_ctx;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void respond(int fd, int status, const char *title, const char *text)
{
    char body[1024], head[256];
    int blen = snprintf(body, sizeof body,
                        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title>"
                        "</head><body><h1>%s</h1><p>%s</p></body></html>\n", title, title, text);
    int hlen = snprintf(head, sizeof head,
                        "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                        "Content-Length: %d\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                        status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request",
                        blen);
    send_all(fd, head, (size_t)hlen);
    send_all(fd, body, (size_t)blen);
}

/* Reads a request head (up to the blank line) into buf within ms; its length, or -1. */
static ssize_t read_head(int fd, char *buf, size_t cap, int ms)
{
    size_t len = 0;
    int64_t end = now_ms() + ms;
    while (len + 1 < cap) {
        int left = (int)(end - now_ms());
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return -1;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
            return (ssize_t)len;
    }
    return -1;
}

/* Handles one connection: 1 when it was the redirect (az then answered). */
static int serve_one(login_ctx *l, int fd, sekha_mcp_authorization *az)
{
    char head[REQUEST_HEAD_MAX];
    if (read_head(fd, head, sizeof head, CLIENT_READ_MS) < 0)
        return 0;
    size_t tlen = strncmp(head, "GET ", 4) == 0 ? strcspn(head + 4, " \r\n") : 0;
    const char *target = head + 4;
    int ok = tlen > 0 && strncmp(target + tlen, " HTTP/1.", 8) == 0;
    for (size_t i = 0; ok && i < tlen; i++)
        ok = (unsigned char)target[i] > 0x20 && (unsigned char)target[i] < 0x7f;
    if (!ok) {
        respond(fd, 400, "Bad request", "sekha expected the browser's redirect here.");
        explicit_bzero(head, sizeof head);
        return 0;
    }
    if (!(tlen == 9 || target[9] == '?') || strncmp(target, "/callback", 9) != 0) {
        respond(fd, 404, "Not found", "sekha is waiting for the authorization redirect.");
        explicit_bzero(head, sizeof head);
        return 0;
    }
    size_t cap = tlen + 64;
    char *full = malloc(cap);
    sekha_code rc = SEKHA_E_NOMEM;
    if (full) {
        snprintf(full, cap, "http://127.0.0.1:%d%.*s", l->port, (int)tlen, target);
        rc = sekha_mcp_authorization_complete(az, full);
        wipe_free(full);
    } else {
        sekha_mcp_authorization_fail(az, "out of memory");
    }
    explicit_bzero(head, sizeof head);
    if (rc == SEKHA_OK)
        respond(fd, 200, "sekha is authorized",
                "You can close this tab and return to the terminal.");
    else
        respond(fd, 200, "sekha was not authorized",
                "The authorization did not succeed; the terminal says why. You can close "
                "this tab.");
    return 1;
}

static void open_browser(cli *c, const char *url)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"xdg-open", (char *)url, NULL};
    pid_t pid;
    if (posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ) != 0)
        fprintf(stderr, "%s: could not run xdg-open; open the URL yourself\n", c->prog);
    posix_spawn_file_actions_destroy(&fa);
}

/* The interactive step: show the URL, wait for the browser's redirect on the listener.
 * Blocking here is allowed by the library (nothing else of the session runs meanwhile). */
static void on_authorize(sekha_mcp_authorization *az, const char *url, void *ud)
{
    login_ctx *l = ud;
    cli_spinner_stop();
    fprintf(stderr, "Open this URL in a browser to authorize sekha:\n\n  %s\n\n"
                    "Waiting up to %ld s for the redirect to http://127.0.0.1:%d/callback ...\n",
            url, l->wait_s, l->port);
    fflush(stderr);
    if (l->open_browser)
        open_browser(l->c, url);
    for (;;) {
        int64_t left = l->deadline_ms - now_ms();
        struct pollfd p = {.fd = l->lfd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)(left > 60000 ? 60000 : left)) < 0) {
            char why[160];
            snprintf(why, sizeof why, "no browser redirect reached http://127.0.0.1:%d/callback "
                     "within %ld s", l->port, l->wait_s);
            sekha_mcp_authorization_fail(az, why);
            return;
        }
        if (!(p.revents & POLLIN))
            continue;
        int fd = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int done = serve_one(l, fd, az);
        close(fd);
        if (done) {
            l->answered = 1;
            return;
        }
    }
}

/* ---- the commands ---- */

static int print_done(cli *c, const char *what, const char *url, const char *path)
{
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, what, url);
        if (path)
            cJSON_AddStringToObject(o, "token_file", path);
        char *text = cJSON_PrintUnformatted(o);
        cli_print_json(text ? text : "{}");
        cJSON_free(text);
        cJSON_Delete(o);
    } else if (path) {
        printf("%s %s (token file %s)\n", !strcmp(what, "logged_in") ? "logged in to"
                                          : "logged out of", url, path);
    } else {
        printf("not logged in to %s (nothing stored)\n", url);
    }
    return CLI_OK;
}

int cli_mcp_login(cli *c, const char *url, int open_it, long wait_s)
{
    char *key = url_key(url);
    if (!key)
        return cli_usage(c, cli_find_command("mcp"), "login needs an http(s) URL, not %s", url);
    char path[4096];
    int mkdirs;
    if (store_path(path, sizeof path, &mkdirs) != 0) {
        free(key);
        fprintf(stderr, "%s: no place for the token file: set HOME, XDG_CONFIG_HOME or "
                        "SEKHA_MCP_AUTH_FILE\n", c->prog);
        return CLI_FAILED;
    }
    sekha_client *client = cli_client(c);
    if (!client) {
        free(key);
        return CLI_FAILED;
    }
    login_ctx l = {.c = c, .open_browser = open_it, .wait_s = wait_s,
                   .deadline_ms = now_ms() + (int64_t)wait_s * 1000};
    l.lfd = listen_loopback(&l.port);
    if (l.lfd < 0) {
        free(key);
        fprintf(stderr, "%s: cannot listen on 127.0.0.1 for the redirect: %s\n", c->prog,
                strerror(errno));
        return CLI_FAILED;
    }
    char redirect[64];
    snprintf(redirect, sizeof redirect, "http://127.0.0.1:%d/callback", l.port);
    cli_mcp_auth *a = auth_new(c, key);
    free(key);
    if (a)
        a->hold = 1;
    sekha_error *err = NULL;
    sekha_mcp_session *s = a ? sekha_mcp_session_new_http(client, url, &err) : NULL;
    int status = CLI_FAILED;
    if (a && !s) {
        status = cli_fail(c, err);
    } else if (s) {
        sekha_mcp_session_set_client_info(s, "sekha-cli", sekha_version());
        if (sekha_mcp_auth_set_redirect_uri(a->auth, redirect) != SEKHA_OK ||
            sekha_mcp_auth_set_authorize_handler(a->auth, on_authorize, &l) != SEKHA_OK ||
            sekha_mcp_session_set_auth(s, a->auth) != SEKHA_OK) {
            fprintf(stderr, "%s: could not set up the authorization\n", c->prog);
        } else if (sekha_mcp_session_initialize_sync(s, NULL, &err) != SEKHA_OK) {
            status = cli_fail(c, err);
        } else if (a->save_failed) {
            fprintf(stderr, "%s: out of memory\n", c->prog);
        } else if (a->saves == 0) {
            fprintf(stderr, "%s: %s did not ask for authorization: nothing to store\n", c->prog,
                    url);
            status = CLI_OK;
        } else if (store_put(c, a->key, a->held) == 0) {
            /* Later refreshes (the close below) go straight to the file. */
            a->hold = 0;
            status = print_done(c, "logged_in", url, path);
        }
        sekha_error_free(err);
        err = NULL;
        sekha_mcp_session_close_sync(s, &err);
    }
    sekha_error_free(err);
    sekha_mcp_session_free(s);
    cli_mcp_auth_free(a);
    close(l.lfd);
    return status;
}

int cli_mcp_logout(cli *c, const char *url)
{
    char *key = url_key(url);
    if (!key)
        return cli_usage(c, cli_find_command("mcp"), "logout needs an http(s) URL, not %s", url);
    char path[4096];
    int mkdirs;
    int rc = store_path(path, sizeof path, &mkdirs) == 0 ? store_put(c, key, NULL) : 1;
    free(key);
    if (rc < 0)
        return CLI_FAILED;
    return print_done(c, "logged_out", url, rc == 0 ? path : NULL);
}
