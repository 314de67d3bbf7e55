/* HTTPS against the devserver with a CA made for this test run: verification is on by
 * default, an unknown CA or a wrong host name fails with a TLS error, the CA file option
 * makes it pass, and the explicitly named insecure option skips verification. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char dir[] = "/tmp/sekha-tls-XXXXXX";

static void sh(const char *fmt, const char *arg)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, arg, arg, arg, arg, arg, arg, arg, arg);
    cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

/* A CA and two server certificates signed by it: one valid for localhost and 127.0.0.1,
 * one only for another name. EC keys: fast to generate. */
static void make_pki(void)
{
    cr_assert_not_null(mkdtemp(dir));
    sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
       "-keyout ca.key -out ca.pem -days 2 -subj /CN=libsekha-test-ca 2>/dev/null", dir);
    const char *names[] = {"good", "DNS:localhost,IP:127.0.0.1", "wrong", "DNS:other.test"};
    for (int i = 0; i < 4; i += 2) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "cd %s && printf 'subjectAltName=%s\\n' > %s.ext && "
                 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                 "-keyout %s.key -out %s.csr -subj /CN=%s 2>/dev/null && "
                 "openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                 "-out %s.pem -days 2 -extfile %s.ext 2>/dev/null",
                 dir, names[i + 1], names[i], names[i], names[i], names[i], names[i], names[i], names[i]);
        cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
    }
}

static void drop_pki(void)
{
    sh("rm -rf %s", dir);
}

TestSuite(tls, .init = make_pki, .fini = drop_pki, .timeout = 60);

static void start_tls(ds_proc *p, const char *which)
{
    char cert[256], key[256];
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, which);
    snprintf(key, sizeof key, "%s/%s.key", dir, which);
    const char *args[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    start_devserver(p, args);
    cr_assert_eq(strncmp(p->controller_url, "https://", 8), 0, "ready line: %s", p->controller_url);
}

static sekha_code get_health(const char *url, const char *ca, int insecure, sekha_error **err)
{
    sekha_options *o = sekha_options_new();
    cr_assert_eq(sekha_options_set_url(o, SEKHA_SERVICE_CONTROLLER, url), SEKHA_OK);
    cr_assert_eq(sekha_options_set_backoff(o, 1, 10), SEKHA_OK);
    if (ca)
        cr_assert_eq(sekha_options_set_ca_file(o, ca), SEKHA_OK);
    cr_assert_eq(sekha_options_set_tls_insecure_skip_verify(o, insecure), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_code rc = sekha_http_request_sync(c, SEKHA_SERVICE_CONTROLLER, "GET /health",
                                            NULL, NULL, err);
    sekha_client_free(c);
    sekha_options_free(o);
    return rc;
}

Test(tls, unknown_ca_fails_by_default)
{
    ds_proc p;
    start_tls(&p, "good");
    sekha_error *err = NULL;
    cr_assert_eq(get_health(p.controller_url, NULL, 0, &err), SEKHA_E_TLS, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_TRANSPORT);
    cr_assert_eq(sekha_error_attempts(err), 1, "a certificate failure is not retried");
    sekha_error_free(err);
    ds_proc_stop(&p);
}

Test(tls, trusted_ca_file_succeeds)
{
    ds_proc p;
    start_tls(&p, "good");
    char ca[256];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    sekha_error *err = NULL;
    cr_assert_eq(get_health(p.controller_url, ca, 0, &err), SEKHA_OK, "%s", sekha_error_message(err));
    /* the same certificate reached by its other name, localhost */
    char url[160];
    snprintf(url, sizeof url, "https://localhost:%s", strrchr(p.controller_url, ':') + 1);
    cr_assert_eq(get_health(url, ca, 0, &err), SEKHA_OK, "%s", sekha_error_message(err));
    ds_proc_stop(&p);
}

Test(tls, wrong_host_name_fails_even_with_the_ca)
{
    ds_proc p;
    start_tls(&p, "wrong");
    char ca[256];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    sekha_error *err = NULL;
    cr_assert_eq(get_health(p.controller_url, ca, 0, &err), SEKHA_E_TLS, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_error_layer(err), SEKHA_LAYER_TRANSPORT);
    sekha_error_free(err);
    ds_proc_stop(&p);
}

Test(tls, insecure_option_skips_verification)
{
    ds_proc p;
    start_tls(&p, "wrong");
    sekha_error *err = NULL;
    cr_assert_eq(get_health(p.controller_url, NULL, 1, &err), SEKHA_OK, "%s", sekha_error_message(err));
    ds_proc_stop(&p);
}

/* A body many times libsekha's 16 KiB upload buffer (through which libcurl copies HTTPS
 * requests) arrives whole: stored, then found by the word at its very end, unchanged. */
Test(tls, body_larger_than_the_upload_buffer_arrives_whole)
{
    ds_proc p;
    start_tls(&p, "good");
    char ca[256];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    sekha_options *o = test_options(&p);
    cr_assert_eq(sekha_options_set_ca_file(o, ca), SEKHA_OK);
    sekha_client *c = test_client(o);
    sekha_options_free(o);
    size_t n = 200 * 1024;
    char *text = malloc(n + 32);
    cr_assert_not_null(text);
    for (size_t i = 0; i < n; i++)
        text[i] = i % 64 == 63 ? ' ' : (char)('a' + i % 26);
    strcpy(text + n, " zebratailmarker");
    sekha_messages *m = msgs_of(NULL, text);
    sekha_error *err = NULL;
    cr_assert_eq(sekha_controller_create_conversation_sync(c, m, NULL, NULL, &err), SEKHA_OK,
                 "%s", sekha_error_message(err));
    sekha_stored_messages *found = NULL;
    cr_assert_eq(sekha_controller_full_text_search_sync(c, "zebratailmarker", NULL, &found, &err),
                 SEKHA_OK, "%s", sekha_error_message(err));
    cr_assert_eq(sekha_stored_messages_count(found), 1);
    const char *got = sekha_stored_message_content(sekha_stored_messages_at(found, 0));
    cr_assert(got && strcmp(got, text) == 0, "the stored text differs (%zu bytes of %zu)",
              got ? strlen(got) : 0, strlen(text));
    sekha_stored_messages_free(found);
    sekha_messages_free(m);
    free(text);
    sekha_client_free(c);
    ds_proc_stop(&p);
}
