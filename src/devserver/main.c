/* sekha-devserver: a local stand-in for the Sekha stack (controller + MCP tools on one port,
 * LLM bridge on another), for tests and offline development. It binds 127.0.0.1 only.
 *
 * Once both listeners are up it prints one JSON line on stdout, e.g.
 *   {"controller_url":"http://127.0.0.1:8080","bridge_url":"http://127.0.0.1:5001",
 *    "mcp_url":"http://127.0.0.1:8080","mcp_jsonrpc_url":"http://127.0.0.1:8080/mcp",
 *    "mcp_api_key":"dev_default_key_change_me_1234567890"}
 * so a parent that asked for port 0 learns the real ports. Each key holds the value for the
 * SEKHA_* variable of that meaning: mcp_url is SEKHA_MCP_URL, the base of the
 * /mcp/tools/<tool> routes (the controller itself); mcp_jsonrpc_url is the JSON-RPC
 * endpoint an MCP client connects to; mcp_api_key is the SEKHA_MCP_API_KEY it accepts.
 * With --upstream the line ends with "upstream":"<version>".
 * SIGTERM or SIGINT stops it cleanly (exit 0), stalled and endless connections included. */
#include "faults.h"
#include "replay.h"

#include <sodium.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static void usage(FILE *f)
{
    fputs("usage: sekha-devserver [options]\n"
          "  --port N            controller port (default 8080, 0 = any free port)\n"
          "  --bridge-port N     bridge port (default 5001, 0 = any free port)\n"
          "  --db FILE           SQLite database file (default: in memory)\n"
          "  --faults            enable fault injection and the /_devserver/* routes\n"
          "  --rate-limit N      controller requests per minute (default: unlimited)\n"
          "  --api-key KEY       require 'Authorization: Bearer KEY' on controller REST routes\n"
          "  --mcp-api-key KEY   MCP tool key (default dev_default_key_change_me_1234567890)\n"
          "  --no-stream         the bridge ignores \"stream\": true, like the real bridge\n"
          "  --upstream VERSION  behave like the deployed stack of that version, quirks\n"
          "                      included: 2026-01 or 2026-02 (default: the devserver's own,\n"
          "                      kinder behaviour; see sekha-devserver(1))\n"
          "  --tls-cert FILE     serve HTTPS with this PEM certificate (needs --tls-key)\n"
          "  --tls-key FILE      the certificate's PEM private key\n"
          "  --replay FILE       answer only from this cassette, a recorded run (JSON lines,\n"
          "                      see docs/cassette.md); no store, no faults\n"
          "  --mcp-oauth         the MCP endpoint takes OAuth access tokens from a built-in\n"
          "                      authorization server (metadata, /register, /authorize that\n"
          "                      approves at once, /token with PKCE) instead of the MCP key\n"
          "  --mcp-oauth-ttl S   access token lifetime in seconds (default 300)\n"
          "  --keepalive-timeout N  close connections idle N seconds (1-3600; default: never)\n"
          "                      and announce it in a 'Keep-Alive: timeout=N' header\n"
          "  --keepalive-announce N  announce N instead (0: no Keep-Alive header), to play\n"
          "                      a server that does not say or misstates its timeout\n"
          "  --keepalive-drop MS  reset, unanswered, a request that arrives on a connection\n"
          "                      idle MS milliseconds (a middlebox that forgot it)\n"
          "  --verbose           log libmicrohttpd errors to stderr\n"
          "  --help              show this help\n"
          "Listens on 127.0.0.1 only; prints one JSON line with the URLs when ready.\n",
          f);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Prints "key":"value" with value escaped as a JSON string (an --mcp-api-key may hold any
 * byte but NUL). */
static void print_json_string(const char *key, const char *v)
{
    printf("\"%s\":\"", key);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* The whole file as a NUL-terminated string (PEM files are small), NULL on failure. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *p = cap <= (1u << 20) ? realloc(buf, cap) : NULL;
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n < 4096)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Returns 0 to run, 1 after --help, 2 on a bad command line. */
static int parse_args(int argc, char **argv, ds_config *cfg, int *verbose)
{
    int rate_limit_given = 0;
    int announce = -1; /* --keepalive-announce, -1: the timeout itself */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--faults")) {
            cfg->faults = 1;
        } else if (!strcmp(a, "--mcp-oauth")) {
            cfg->mcp_oauth = 1;
        } else if (!strcmp(a, "--mcp-oauth-ttl")) {
            if (!val || parse_long(val, 1, 86400, &cfg->mcp_oauth_ttl)) {
                fprintf(stderr, "sekha-devserver: --mcp-oauth-ttl needs seconds 1-86400\n");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--no-stream")) {
            cfg->no_stream = 1;
        } else if (!strcmp(a, "--verbose")) {
            *verbose = 1;
        } else if (!strcmp(a, "--port") || !strcmp(a, "--bridge-port")) {
            if (!val || parse_long(val, 0, 65535, &n)) {
                fprintf(stderr, "sekha-devserver: %s needs a port number 0-65535\n", a);
                return 2;
            }
            *(a[2] == 'p' ? &cfg->port : &cfg->bridge_port) = (int)n;
            i++;
        } else if (!strcmp(a, "--rate-limit")) {
            if (!val || parse_long(val, 1, 1000000000L, &n)) {
                fprintf(stderr, "sekha-devserver: --rate-limit needs a positive number\n");
                return 2;
            }
            cfg->rate_limit = n;
            rate_limit_given = 1;
            i++;
        } else if (!strcmp(a, "--upstream")) {
            if (val && !strcmp(val, "2026-01")) {
                cfg->upstream = DS_UP_2026_01;
            } else if (val && !strcmp(val, "2026-02")) {
                cfg->upstream = DS_UP_2026_02;
            } else {
                fprintf(stderr, "sekha-devserver: --upstream needs a stack version: 2026-01 "
                                "(January controller) or 2026-02 (February controller)%s%s%s\n",
                        val ? "; '" : "", val ? val : "", val ? "' is not one" : "");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--keepalive-timeout") || !strcmp(a, "--keepalive-announce")) {
            int timeout = !strcmp(a, "--keepalive-timeout");
            if (!val || parse_long(val, timeout ? 1 : 0, 3600, &n)) {
                fprintf(stderr, "sekha-devserver: %s needs seconds, %d-3600\n", a,
                        timeout ? 1 : 0);
                return 2;
            }
            if (timeout)
                cfg->keepalive_timeout = (int)n;
            else
                announce = (int)n;
            i++;
        } else if (!strcmp(a, "--keepalive-drop")) {
            if (!val || parse_long(val, 1, 3600000L, &n)) {
                fprintf(stderr, "sekha-devserver: --keepalive-drop needs milliseconds, "
                                "1-3600000\n");
                return 2;
            }
            cfg->keepalive_drop_ms = n;
            i++;
        } else if (!strcmp(a, "--tls-cert") || !strcmp(a, "--tls-key")) {
            char *pem = val ? read_file(val) : NULL;
            if (!pem) {
                fprintf(stderr, "sekha-devserver: %s needs a readable PEM file\n", a);
                return 2;
            }
            char **slot = a[6] == 'c' ? &cfg->tls_cert_pem : &cfg->tls_key_pem;
            free(*slot);
            *slot = pem;
            i++;
        } else if (!strcmp(a, "--db") || !strcmp(a, "--api-key") || !strcmp(a, "--mcp-api-key")
                   || !strcmp(a, "--replay")) {
            if (!val || !*val) {
                fprintf(stderr, "sekha-devserver: %s needs a value\n", a);
                return 2;
            }
            if (!strcmp(a, "--db"))
                cfg->db_path = val;
            else if (!strcmp(a, "--api-key"))
                cfg->api_key = val;
            else if (!strcmp(a, "--replay"))
                cfg->replay_path = val;
            else
                cfg->mcp_api_key = val;
            i++;
        } else {
            fprintf(stderr, "sekha-devserver: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!cfg->tls_cert_pem != !cfg->tls_key_pem) {
        fprintf(stderr, "sekha-devserver: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (cfg->replay_path && cfg->faults) {
        fprintf(stderr, "sekha-devserver: --replay answers from the cassette only; "
                        "it does not combine with --faults\n");
        return 2;
    }
    if (cfg->replay_path && cfg->upstream != DS_UP_NONE) {
        fprintf(stderr, "sekha-devserver: --replay answers from the cassette only; "
                        "it does not combine with --upstream\n");
        return 2;
    }
    if (cfg->upstream == DS_UP_2026_02 && rate_limit_given) {
        fprintf(stderr, "sekha-devserver: --rate-limit: the 2026-02 controller has no rate "
                        "limiter\n");
        return 2;
    }
    if (cfg->upstream != DS_UP_NONE) {
        /* No bridge version streams. The January controller limits every caller without
         * X-Forwarded-For to one shared window of 1000 requests a minute by default. */
        cfg->no_stream = 1;
        if (cfg->upstream == DS_UP_2026_01 && !rate_limit_given)
            cfg->rate_limit = 1000;
    }
    cfg->keepalive_announce = announce >= 0 ? announce : cfg->keepalive_timeout;
    if (cfg->port != 0 && cfg->port == cfg->bridge_port) {
        fprintf(stderr, "sekha-devserver: --port and --bridge-port must differ\n");
        return 2;
    }
    return 0;
}

/* One thread per connection and 1,000+ concurrent clients need more than the usual 1024. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && rl.rlim_max > 1048576) {
        rl.rlim_cur = 1048576;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    ds_config cfg = {
        .port = 8080,
        .bridge_port = 5001,
        .mcp_api_key = "dev_default_key_change_me_1234567890",
        .mcp_oauth_ttl = 300,
    };
    int verbose = 0;
    int rc = parse_args(argc, argv, &cfg, &verbose);
    if (rc) {
        free(cfg.tls_cert_pem);
        free(cfg.tls_key_pem);
        return rc == 1 ? 0 : 2;
    }
    /* The OAuth endpoint's random codes and tokens and its PKCE hashes come from libsodium. */
    if (cfg.mcp_oauth && sodium_init() < 0) {
        fprintf(stderr, "sekha-devserver: libsodium failed to initialise\n");
        return 1;
    }

    /* Blocked before any thread exists so every MHD thread inherits the mask and the
     * signals are only ever taken by sigwait below. */
    /* A parent (nohup, a non-interactive shell's background job) may have left these
     * ignored; sigwait must still see them. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigset_t stop_sigs;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGTERM);
    sigaddset(&stop_sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    char *err = NULL;
    if (cfg.replay_path) {
        char why[512];
        if (ds_replay_load(cfg.replay_path, why, sizeof why) != 0) {
            fprintf(stderr, "sekha-devserver: %s\n", why);
            free(cfg.tls_cert_pem);
            free(cfg.tls_key_pem);
            return 2;
        }
    }
    /* Replay answers everything from the cassette, so it needs no store. */
    ds_store *st = cfg.replay_path ? NULL : ds_store_open(cfg.db_path, &err);
    if (!st && !cfg.replay_path) {
        fprintf(stderr, "sekha-devserver: cannot open the store: %s\n", err ? err : "?");
        free(err);
        free(cfg.tls_cert_pem);
        free(cfg.tls_key_pem);
        return 1;
    }
    ds_http_init(&cfg, st, verbose);

    int cport = 0, bport = 0;
    struct MHD_Daemon *ctl = ds_http_start(DS_SRV_CONTROLLER, cfg.port, &cport);
    struct MHD_Daemon *br = ctl ? ds_http_start(DS_SRV_BRIDGE, cfg.bridge_port, &bport) : NULL;
    if (!ctl || !br) {
        fprintf(stderr, "sekha-devserver: cannot listen on 127.0.0.1:%d (%s)\n",
                ctl ? cfg.bridge_port : cfg.port, ctl ? "bridge" : "controller");
        ds_http_stop(ctl);
        ds_store_close(st);
        ds_replay_free();
        free(cfg.tls_cert_pem);
        free(cfg.tls_key_pem);
        return 1;
    }
    const char *scheme = cfg.tls_cert_pem ? "https" : "http";
    printf("{\"controller_url\":\"%s://127.0.0.1:%d\",\"bridge_url\":\"%s://127.0.0.1:%d\","
           "\"mcp_url\":\"%s://127.0.0.1:%d\",\"mcp_jsonrpc_url\":\"%s://127.0.0.1:%d/mcp\",",
           scheme, cport, scheme, bport, scheme, cport, scheme, cport);
    print_json_string("mcp_api_key", cfg.mcp_api_key);
    if (cfg.upstream != DS_UP_NONE)
        printf(",\"upstream\":\"%s\"", cfg.upstream == DS_UP_2026_01 ? "2026-01" : "2026-02");
    fputs("}\n", stdout);
    fflush(stdout);

    int sig = 0;
    while (sigwait(&stop_sigs, &sig) != 0) {
    }
    /* Wait loops notice this within 50 ms, which lets MHD_stop_daemon join every
     * connection thread, stalled and streaming ones included. */
    ds_set_stopping();
    ds_http_stop(ctl);
    ds_http_stop(br);
    ds_store_close(st);
    ds_replay_free();
    ds_faults_shutdown();
    ds_http_shutdown();
    ds_oauth_shutdown();
    free(cfg.tls_cert_pem);
    free(cfg.tls_key_pem);
    return 0;
}
