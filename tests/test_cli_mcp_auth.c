/* sekha mcp login / tools / logout against sekha-devserver --mcp-oauth, end to end: the test
 * plays the browser (GET the authorization URL the CLI prints, without following, then GET
 * the Location, which is the CLI's loopback listener). The token file is 0600 in a 0700
 * directory, tools works with the stored tokens and saves refreshed ones back, no token or
 * secret of the file appears in any --verbose output, and logout removes the entry. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_runner.h"
#include "devserver.h"

static ds_proc ds;
static char dir[256], cfg_home[300], token_file[400];

static void setup(void)
{
    const char *args[] = {"--mcp-oauth", NULL};
    cr_assert_eq(ds_proc_start(&ds, args), 0, "devserver did not start");
    snprintf(dir, sizeof dir, "/tmp/sekha-cli-auth-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cfg_home, sizeof cfg_home, "%s/config", dir);
    snprintf(token_file, sizeof token_file, "%s/sekha/mcp-auth.json", cfg_home);
    setenv("XDG_CONFIG_HOME", cfg_home, 1);
    unsetenv("SEKHA_MCP_AUTH_FILE");
}

static void teardown(void)
{
    ds_proc_stop(&ds);
    char path[512];
    unlink(token_file);
    snprintf(path, sizeof path, "%s.lock", token_file);
    unlink(path);
    snprintf(path, sizeof path, "%s/sekha", cfg_home);
    rmdir(path);
    rmdir(cfg_home);
    rmdir(dir);
}

TestSuite(cli_mcp_auth, .init = setup, .fini = teardown, .timeout = 120);

/* ---- the CLI as a child whose stderr is read while it runs ---- */

typedef struct child {
    pid_t pid;
    int out, err;
    char o[32768], e[32768];
    size_t olen, elen;
} child;

static void spawn(child *ch, const char *const *args)
{
    const char *bin = getenv("SEKHA_CLI");
    cr_assert_not_null(bin);
    const char *argv[32] = {bin};
    size_t n = 1;
    for (; *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    int o[2], e[2];
    cr_assert_eq(pipe(o), 0);
    cr_assert_eq(pipe(e), 0);
    memset(ch, 0, sizeof *ch);
    ch->pid = fork();
    cr_assert_geq(ch->pid, 0);
    if (ch->pid == 0) {
        dup2(o[1], STDOUT_FILENO);
        dup2(e[1], STDERR_FILENO);
        close(o[0]), close(o[1]), close(e[0]), close(e[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(o[1]);
    close(e[1]);
    ch->out = o[0];
    ch->err = e[0];
}

/* Reads what is there (waiting up to ms); 0 once both pipes are closed. */
static int pump(child *ch, int ms)
{
    struct pollfd p[2] = {{ch->out, POLLIN, 0}, {ch->err, POLLIN, 0}};
    if (ch->out < 0 && ch->err < 0)
        return 0;
    if (poll(p, 2, ms) <= 0)
        return 1;
    for (int i = 0; i < 2; i++) {
        if (!p[i].revents)
            continue;
        int *fd = i ? &ch->err : &ch->out;
        char *buf = i ? ch->e : ch->o;
        size_t *len = i ? &ch->elen : &ch->olen;
        ssize_t k = read(*fd, buf + *len, sizeof ch->o - 1 - *len);
        if (k <= 0) {
            close(*fd);
            *fd = -1;
            p[i].fd = -1;
        } else {
            *len += (size_t)k;
            buf[*len] = '\0';
        }
    }
    return 1;
}

/* Waits (20 s at most) until stderr holds a whole line starting with "  http"; returns it. */
static char *printed_url(child *ch)
{
    time_t end = time(NULL) + 20;
    while (time(NULL) < end && pump(ch, 500)) {
        const char *u = strstr(ch->e, "\n  http");
        if (u && strchr(u + 3, '\n'))
            return strndup(u + 3, strcspn(u + 3, "\n"));
    }
    cr_assert_fail("the CLI printed no authorization URL; stderr: %s\nstdout: %s", ch->e, ch->o);
    return NULL;
}

static int finish(child *ch)
{
    time_t end = time(NULL) + 30;
    while (pump(ch, 500))
        cr_assert_lt(time(NULL), end, "the CLI hangs; stderr: %s", ch->e);
    int st;
    cr_assert_eq(waitpid(ch->pid, &st, 0), ch->pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the browser ---- */

typedef struct page {
    long status;
    char body[4096];
    size_t len;
    char location[2048];
} page;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    page *r = ud;
    size_t k = sz * n, room = sizeof r->body - 1 - r->len;
    memcpy(r->body + r->len, p, k < room ? k : room);
    r->len += k < room ? k : room;
    r->body[r->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    page *r = ud;
    size_t k = sz * n;
    if (k > 10 && strncasecmp(p, "Location: ", 10) == 0)
        snprintf(r->location, sizeof r->location, "%.*s", (int)strcspn(p + 10, "\r\n"), p + 10);
    return k;
}

static void browse(const char *url, page *r)
{
    memset(r, 0, sizeof *r);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    cr_assert_eq(curl_easy_perform(h), CURLE_OK, "GET %s", url);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(h);
}

/* ---- the token file ---- */

static void collect_secrets(const cJSON *v, char secrets[][256], int *n)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, v) {
        if (cJSON_IsString(it) && it->string &&
            (strcasestr(it->string, "token") || strcasestr(it->string, "secret")) &&
            strlen(it->valuestring) >= 16 && *n < 16)
            snprintf(secrets[(*n)++], 256, "%s", it->valuestring);
        else if (cJSON_IsObject(it) || cJSON_IsArray(it))
            collect_secrets(it, secrets, n);
    }
}

/* The token and secret strings stored for the devserver's MCP URL (at least one). */
static int stored_secrets(char secrets[][256])
{
    FILE *f = fopen(token_file, "r");
    cr_assert_not_null(f, "no token file at %s", token_file);
    static char text[65536];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    cJSON *root = cJSON_Parse(text);
    cr_assert_not_null(root, "the token file is not JSON");
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "servers"), ds.mcp_jsonrpc_url);
    int n = 0;
    if (entry)
        collect_secrets(entry, secrets, &n);
    cJSON_Delete(root);
    return n;
}

static void assert_no_secret(const char *text, char secrets[][256], int n, const char *what)
{
    for (int i = 0; i < n; i++)
        cr_assert_null(strstr(text, secrets[i]), "%s shows a stored secret: %s", what, text);
}

static void login(void)
{
    child ch;
    const char *args[] = {"--verbose", "mcp", "login", ds.mcp_jsonrpc_url, "--wait", "60", NULL};
    spawn(&ch, args);
    char *url = printed_url(&ch);
    cr_assert_not_null(strstr(url, "/authorize?"), "%s", url);
    cr_assert_not_null(strstr(url, "code_challenge_method=S256"), "%s", url);
    page p;
    browse(url, &p);
    cr_assert_eq(p.status, 302, "%s", p.body);
    cr_assert_eq(strncmp(p.location, "http://127.0.0.1:", 17), 0, "%s", p.location);
    char back[2048];
    snprintf(back, sizeof back, "%s", p.location);
    browse(back, &p);
    cr_assert_eq(p.status, 200);
    cr_assert_not_null(strstr(p.body, "close this tab"), "%s", p.body);
    int status = finish(&ch);
    cr_assert_eq(status, 0, "login failed; stderr: %s", ch.e);
    cr_assert_not_null(strstr(ch.o, "logged in to"), "%s", ch.o);
    free(url);

    struct stat st;
    cr_assert_eq(stat(token_file, &st), 0, "no token file at %s", token_file);
    cr_assert_eq(st.st_mode & 0777, 0600, "token file mode %o", st.st_mode & 0777);
    char sekha_dir[400];
    snprintf(sekha_dir, sizeof sekha_dir, "%s/sekha", cfg_home);
    cr_assert_eq(stat(sekha_dir, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700, "token directory mode %o", st.st_mode & 0777);
    char secrets[16][256];
    int n = stored_secrets(secrets);
    cr_assert_gt(n, 0, "the token file holds no token for %s", ds.mcp_jsonrpc_url);
    assert_no_secret(ch.o, secrets, n, "login's stdout");
    assert_no_secret(ch.e, secrets, n, "login's --verbose stderr");
}

static void tools_ok(char secrets[][256], int n)
{
    cli_out o;
    const char *args[] = {"--verbose", "mcp", "tools", "--url", ds.mcp_jsonrpc_url, NULL};
    cli_exec(NULL, args, 0, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_not_null(strstr(o.out, "memory_search"), "%s", o.out);
    assert_no_secret(o.out, secrets, n, "tools' stdout");
    assert_no_secret(o.err, secrets, n, "tools' --verbose stderr");
}

Test(cli_mcp_auth, login_tools_refresh_logout)
{
    cli_out o;
    /* before login: refused, with a hint */
    const char *tools[] = {"mcp", "tools", "--url", ds.mcp_jsonrpc_url, NULL};
    cli_exec(NULL, tools, 0, 0, &o);
    cr_assert_eq(o.status, 1, "stderr: %s", o.err);
    cr_assert_not_null(strstr(o.err, "mcp login"), "%s", o.err);

    login();
    char first[16][256];
    int n1 = stored_secrets(first);
    tools_ok(first, n1);
    const char *call[] = {"--verbose", "mcp", "call", "memory_search", "--args",
                          "{\"query\":\"anything\"}", "--url", ds.mcp_jsonrpc_url, NULL};
    cli_exec(NULL, call, 0, 0, &o);
    cr_assert_eq(o.status, 0, "call with the stored token; stderr: %s", o.err);
    assert_no_secret(o.err, first, n1, "call's --verbose stderr");

    /* the access token expires: tools refreshes it and saves the new state back */
    char url[256];
    snprintf(url, sizeof url, "%s/_devserver/oauth/expire", ds.controller_url);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    cr_assert_eq(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    tools_ok(first, n1);
    char second[16][256];
    int n2 = stored_secrets(second);
    cr_assert_gt(n2, 0);
    int changed = 0;
    for (int i = 0; i < n2; i++) {
        int seen = 0;
        for (int j = 0; j < n1; j++)
            seen |= strcmp(second[i], first[j]) == 0;
        changed |= !seen;
    }
    cr_assert(changed, "the refreshed tokens were saved back to the token file");
    tools_ok(second, n2);

    const char *logout[] = {"mcp", "logout", ds.mcp_jsonrpc_url, NULL};
    cli_exec(NULL, logout, 0, 0, &o);
    cr_assert_eq(o.status, 0, "stderr: %s", o.err);
    cr_assert_not_null(strstr(o.out, "logged out of"), "%s", o.out);
    char none[16][256];
    cr_assert_eq(stored_secrets(none), 0, "logout left the entry");
    cli_exec(NULL, logout, 0, 0, &o);
    cr_assert_eq(o.status, 0);
    cr_assert_not_null(strstr(o.out, "not logged in"), "%s", o.out);
    cli_exec(NULL, tools, 0, 0, &o);
    cr_assert_eq(o.status, 1, "after logout the server refuses again; stderr: %s", o.err);
}

Test(cli_mcp_auth, login_times_out_without_a_redirect)
{
    child ch;
    const char *args[] = {"mcp", "login", ds.mcp_jsonrpc_url, "--wait", "1", NULL};
    spawn(&ch, args);
    free(printed_url(&ch));
    int status = finish(&ch);
    cr_assert_eq(status, 1, "stderr: %s", ch.e);
    cr_assert_not_null(strstr(ch.e, "no browser redirect"), "%s", ch.e);
    struct stat st;
    cr_assert_neq(stat(token_file, &st), 0, "nothing is stored after a failed login");
}

Test(cli_mcp_auth, a_redirect_with_an_error_fails_the_login)
{
    child ch;
    const char *args[] = {"mcp", "login", ds.mcp_jsonrpc_url, "--wait", "60", NULL};
    spawn(&ch, args);
    char *url = printed_url(&ch);
    /* the user declines: the browser comes back with error=access_denied */
    const char *port = strstr(ch.e, "redirect to http://127.0.0.1:");
    cr_assert_not_null(port, "%s", ch.e);
    char back[256];
    snprintf(back, sizeof back, "http://127.0.0.1:%d/callback?error=access_denied&state=x",
             atoi(port + 29));
    page p;
    browse(back, &p);
    cr_assert_eq(p.status, 200);
    cr_assert_not_null(strstr(p.body, "close this tab"), "%s", p.body);
    int status = finish(&ch);
    cr_assert_eq(status, 1, "stderr: %s", ch.e);
    free(url);
}

Test(cli_mcp_auth, usage_errors)
{
    cli_out o;
    const char *a[] = {"mcp", "login", "ftp://x", NULL};
    cli_exec(NULL, a, 0, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.err);
    const char *b[] = {"mcp", "tools", "--open", NULL};
    cli_exec(NULL, b, 0, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.err);
    const char *c[] = {"mcp", "login", ds.mcp_jsonrpc_url, "--wait", "0", NULL};
    cli_exec(NULL, c, 0, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.err);
    const char *d[] = {"mcp", "login", NULL};
    cli_exec(NULL, d, 0, 0, &o);
    cr_assert_eq(o.status, 2, "%s", o.err);
}
