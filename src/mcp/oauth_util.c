/* MCP authorization helpers: WWW-Authenticate challenges, form encoding, PKCE, URL pieces
 * and ES256 client assertions (OpenSSL libcrypto: libsodium has no P-256). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "mcp/oauth.h"

/* ---- WWW-Authenticate ---- */

/* Reads one auth-param value (quoted-string or token) at p into a malloc'd string. */
static const char *param_value(const char *p, char **out)
{
    sekha_buf b = {0};
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            sekha__buf_append(&b, p, 1);
        }
        if (*p == '"')
            p++;
    } else {
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            sekha__buf_append(&b, p++, 1);
    }
    free(*out);
    *out = b.data ? b.data : strdup("");
    return p;
}

void oauth_challenge_parse(const char *h, oauth_challenge *ch)
{
    if (!h)
        return;
    /* Only the Bearer challenge counts; its params run until the next scheme. */
    const char *p = strcasestr(h, "bearer");
    if (!p)
        return;
    p += 6;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ' ' && *p != ',')
            p++;
        size_t n = (size_t)(p - name);
        while (*p == ' ')
            p++;
        if (*p != '=') {
            if (n > 0 && *p && *p != ',')
                break; /* a new scheme begins */
            continue;
        }
        p++;
        while (*p == ' ')
            p++;
        char **slot = NULL, *ignored = NULL;
        if (n == 17 && strncasecmp(name, "resource_metadata", n) == 0)
            slot = &ch->resource_metadata;
        else if (n == 5 && strncasecmp(name, "scope", n) == 0)
            slot = &ch->scope;
        else if (n == 5 && strncasecmp(name, "error", n) == 0)
            slot = &ch->error;
        p = param_value(p, slot ? slot : &ignored);
        free(ignored);
    }
}

void oauth_challenge_clear(oauth_challenge *ch)
{
    free(ch->resource_metadata);
    free(ch->scope);
    free(ch->error);
    memset(ch, 0, sizeof *ch);
}

/* ---- forms and URLs ---- */

static int encode(sekha_buf *b, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        int plain = isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (sekha__buf_append(b, plain ? (const char *)p : e, plain ? 1 : 3) != 0)
            return -1;
    }
    return 0;
}

int oauth_form_add(sekha_buf *b, const char *name, const char *value)
{
    if (!value)
        return 0;
    if ((b->len && sekha__buf_puts(b, "&") != 0) || encode(b, name) != 0 ||
        sekha__buf_puts(b, "=") != 0 || encode(b, value) != 0)
        return -1;
    return 0;
}

static int unhex(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *oauth_query_param(const char *url, const char *name, int secret)
{
    const char *q = strchr(url, '?');
    size_t nlen = strlen(name);
    for (const char *p = q ? q + 1 : NULL; p && *p && *p != '#';) {
        const char *end = p + strcspn(p, "&#");
        if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            const char *v = p + nlen + 1;
            size_t max = (size_t)(end - v);
            char *out = secret ? sekha__secret_alloc(max) : malloc(max + 1);
            if (!out)
                return NULL;
            size_t o = 0;
            for (const char *s = v; s < end; s++) {
                if (*s == '%' && s + 2 < end && unhex(s[1]) >= 0 && unhex(s[2]) >= 0) {
                    out[o++] = (char)(unhex(s[1]) * 16 + unhex(s[2]));
                    s += 2;
                } else {
                    out[o++] = *s == '+' ? ' ' : *s;
                }
            }
            out[o] = '\0';
            return out;
        }
        p = *end == '&' ? end + 1 : NULL;
    }
    return NULL;
}

char *oauth_origin(const char *url)
{
    const char *s = strstr(url, "://");
    if (!s)
        return NULL;
    s += 3;
    size_t n = (size_t)(s - url) + strcspn(s, "/?#");
    char *o = malloc(n + 1);
    if (o) {
        memcpy(o, url, n);
        o[n] = '\0';
    }
    return o;
}

const char *oauth_path(const char *url)
{
    const char *s = strstr(url, "://");
    if (!s)
        return "";
    s += 3;
    s += strcspn(s, "/?#");
    return *s == '/' && s[1] && s[1] != '?' && s[1] != '#' ? s : "";
}

int oauth_resource_matches(const char *resource, const char *server_url)
{
    char *ro = oauth_origin(resource), *so = oauth_origin(server_url);
    int same = ro && so && strcasecmp(ro, so) == 0;
    free(ro);
    free(so);
    if (!same)
        return 0;
    const char *rp = oauth_path(resource), *sp = oauth_path(server_url);
    size_t rn = strcspn(rp, "?#"), sn = strcspn(sp, "?#");
    while (rn > 0 && rp[rn - 1] == '/')
        rn--;
    if (rn == 0)
        return 1;
    return sn >= rn && strncmp(rp, sp, rn) == 0 && (sn == rn || sp[rn] == '/');
}

/* ---- randomness, PKCE, credentials ---- */

static char *b64url(const unsigned char *p, size_t n, int secret)
{
    size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = secret ? sekha__secret_alloc(len) : malloc(len);
    if (out)
        sodium_bin2base64(out, len, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

char *oauth_random(size_t n, int secret)
{
    unsigned char buf[64];
    if (n > sizeof buf)
        return NULL;
    randombytes_buf(buf, n);
    char *s = b64url(buf, n, secret);
    sodium_memzero(buf, sizeof buf);
    return s;
}

char *oauth_s256(const char *verifier)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
    return b64url(h, sizeof h, 0);
}

static char *prefixed_line(const char *prefix, const char *value)
{
    size_t pl = strlen(prefix), vl = strlen(value);
    char *line = sekha__secret_alloc(pl + vl);
    if (line) {
        memcpy(line, prefix, pl);
        memcpy(line + pl, value, vl);
    }
    return line;
}

char *oauth_bearer_line(const char *token)
{
    return prefixed_line("Authorization: Bearer ", token);
}

char *oauth_basic_line(const char *id, const char *secret)
{
    /* RFC 6749 2.3.1: both parts are form-encoded before they are joined. */
    sekha_buf b = {0};
    int rc = encode(&b, id) | sekha__buf_puts(&b, ":") | encode(&b, secret ? secret : "");
    char *line = NULL;
    if (rc == 0) {
        size_t len = sodium_base64_encoded_len(b.len, sodium_base64_VARIANT_ORIGINAL);
        char *enc = sekha__secret_alloc(len);
        if (enc) {
            sodium_bin2base64(enc, len, (const unsigned char *)b.data, b.len,
                              sodium_base64_VARIANT_ORIGINAL);
            line = prefixed_line("Authorization: Basic ", enc);
            sekha__secret_free(enc);
        }
    }
    if (b.data)
        sodium_memzero(b.data, b.cap);
    sekha__buf_free(&b);
    return line;
}

int oauth_scope_has(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        p += strspn(p, " ");
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, word, n) == 0)
            return 1;
        p += len;
    }
    return 0;
}

/* ---- ES256 ---- */

static EVP_PKEY *load_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (k && (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC || EVP_PKEY_get_bits(k) != 256)) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    return k;
}

int oauth_key_usable(const char *pem)
{
    EVP_PKEY *k = load_key(pem);
    EVP_PKEY_free(k);
    return k != NULL;
}

/* The JOSE form of an ECDSA signature: r and s, 32 bytes each (RFC 7518 3.4). */
static int der_to_jose(const unsigned char *der, size_t len, unsigned char out[64])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (!sig)
        return -1;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    int ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

char *oauth_client_assertion(const char *pem, const char *client_id, const char *audience,
                             char *why, size_t why_len)
{
    EVP_PKEY *k = load_key(pem);
    if (!k) {
        snprintf(why, why_len, "the private key is not a P-256 key in PEM");
        return NULL;
    }
    cJSON *claims = cJSON_CreateObject();
    char *jti = oauth_random(16, 0);
    long long now = (long long)time(NULL);
    cJSON_AddStringToObject(claims, "iss", client_id);
    cJSON_AddStringToObject(claims, "sub", client_id);
    cJSON_AddStringToObject(claims, "aud", audience);
    cJSON_AddNumberToObject(claims, "iat", (double)now);
    cJSON_AddNumberToObject(claims, "exp", (double)(now + 300));
    if (jti)
        cJSON_AddStringToObject(claims, "jti", jti);
    free(jti);
    char *payload = cJSON_PrintUnformatted(claims);
    cJSON_Delete(claims);
    static const char header[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
    char *h64 = b64url((const unsigned char *)header, sizeof header - 1, 0);
    char *p64 = payload ? b64url((const unsigned char *)payload, strlen(payload), 0) : NULL;
    free(payload);
    char *out = NULL;
    sekha_buf input = {0};
    unsigned char der[80], jose[64];
    size_t der_len = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (h64 && p64 && md &&
        sekha__buf_printf(&input, "%s.%s", h64, p64) == 0 &&
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
        EVP_DigestSign(md, der, &der_len, (const unsigned char *)input.data, input.len) == 1 &&
        der_to_jose(der, der_len, jose) == 0) {
        char *s64 = b64url(jose, sizeof jose, 0);
        if (s64 && sekha__buf_printf(&input, ".%s", s64) == 0)
            out = sekha__buf_steal(&input, NULL);
        free(s64);
    }
    if (!out)
        snprintf(why, why_len, "could not sign the client assertion");
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    sekha__buf_free(&input);
    free(h64);
    free(p64);
    return out;
}
