/* The bridge's wire formats, without a server: the streaming chunk scanner and decoder held
 * to cJSON (fixed cases, generated and mutated chunks, the learnt template), UTF-8
 * validation, and the chat request body the bridge sends. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "bridge/chunk.h"
#include "bridge/internal.h"
#include "sekha/sekha.h"

/* ================================================================ the chunk scanner */

/* An independent reading of a chunk with cJSON, written from the contract in chunk.h,
 * to hold both decoders to. Returns 0 when cJSON accepts the text as a chunk. */
typedef struct ref_fields {
    int ok;
    char content[512];
    int has_content;
    char role[64], finish[64], model[64], id[64];
    long usage[3];
    int has_usage;
} ref_fields;

static void copy_str(char *dst, size_t cap, const cJSON *v)
{
    dst[0] = '\0';
    if (cJSON_IsString(v))
        snprintf(dst, cap, "%s", v->valuestring);
}

static ref_fields ref_read(const char *json)
{
    ref_fields r = {.usage = {-1, -1, -1}};
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsObject(root) || (error && !cJSON_IsNull(error))) {
        cJSON_Delete(root);
        return r;
    }
    r.ok = 1;
    copy_str(r.model, sizeof r.model, cJSON_GetObjectItemCaseSensitive(root, "model"));
    copy_str(r.id, sizeof r.id, cJSON_GetObjectItemCaseSensitive(root, "id"));
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(u)) {
        const char *names[3] = {"prompt_tokens", "completion_tokens", "total_tokens"};
        r.has_usage = 1;
        for (int i = 0; i < 3; i++) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(u, names[i]);
            if (cJSON_IsNumber(n) && n->valuedouble == floor(n->valuedouble))
                r.usage[i] = (long)n->valuedouble;
        }
    }
    /* the first choice whose index is 0 or absent; a delta, else a whole message */
    const cJSON *c0 = NULL, *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "choices")) {
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(c, "index");
        if (!idx || (cJSON_IsNumber(idx) && idx->valuedouble == 0)) {
            c0 = c;
            break;
        }
    }
    copy_str(r.finish, sizeof r.finish, cJSON_GetObjectItemCaseSensitive(c0, "finish_reason"));
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(c0, "delta");
    if (!cJSON_IsObject(d))
        d = cJSON_GetObjectItemCaseSensitive(c0, "message");
    copy_str(r.role, sizeof r.role, cJSON_GetObjectItemCaseSensitive(d, "role"));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(d, "content");
    r.has_content = cJSON_IsString(content);
    copy_str(r.content, sizeof r.content, content);
    cJSON_Delete(root);
    return r;
}

static void span_str(char *dst, size_t cap, sekha__span s)
{
    snprintf(dst, cap, "%.*s", s.p ? (int)s.n : 0, s.p ? s.p : "");
}

/* Decodes with the library's pipeline (through tpl when given) into the same shape. */
static sekha__chunk_rc lib_read(const char *json, ref_fields *out, sekha__chunk_rc *scan_rc,
                                sekha__chunk_tpl *tpl)
{
    sekha_buf text = {0};
    sekha__chunk_fields f;
    sekha__buf_puts(&text, "prefix:");
    if (scan_rc) {
        sekha_buf t2 = {0};
        *scan_rc = sekha__chunk_scan(json, strlen(json), &t2, &f);
        sekha__buf_free(&t2);
    }
    cJSON *root = NULL; /* the spans of the full path point into it */
    sekha__chunk_rc rc = sekha__chunk_decode_tpl(tpl, json, strlen(json), &text, &f, &root);
    memset(out, 0, sizeof *out);
    if (rc == SEKHA__CHUNK_OK) {
        out->ok = 1;
        out->has_content = f.has_content;
        cr_assert_eq(memcmp(text.data, "prefix:", 7), 0, "text before the chunk was kept");
        if (f.has_content) {
            cr_assert_eq(f.content_off, 7);
            cr_assert_eq(text.len, 7 + f.content_len);
            snprintf(out->content, sizeof out->content, "%s", text.data + 7);
        }
        span_str(out->role, sizeof out->role, f.role);
        span_str(out->finish, sizeof out->finish, f.finish);
        span_str(out->model, sizeof out->model, f.model);
        span_str(out->id, sizeof out->id, f.id);
        out->has_usage = f.has_usage;
        memcpy(out->usage, f.usage, sizeof out->usage);
    } else {
        cr_assert_eq(text.len, 7, "a rejected chunk left text behind: %s", json);
    }
    cJSON_Delete(root);
    sekha__buf_free(&text);
    return rc;
}

static void assert_same(const ref_fields *a, const ref_fields *b, const char *json)
{
    cr_assert_eq(a->ok, b->ok, "acceptance differs on %s", json);
    cr_assert_eq(a->has_content, b->has_content, "content presence differs on %s", json);
    cr_assert_str_eq(a->content, b->content, "content differs on %s", json);
    cr_assert_str_eq(a->role, b->role, "role differs on %s", json);
    cr_assert_str_eq(a->finish, b->finish, "finish differs on %s", json);
    cr_assert_str_eq(a->model, b->model, "model differs on %s", json);
    cr_assert_str_eq(a->id, b->id, "id differs on %s", json);
    cr_assert_eq(a->has_usage, b->has_usage, "usage presence differs on %s", json);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(a->usage[i], b->usage[i], "usage %d differs on %s", i, json);
}

#define OPENAI_CHUNK                                                                      \
    "{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"  \
    "\"model\":\"gpt-4o\",\"system_fingerprint\":\"fp_1\",\"choices\":[{\"index\":0,"      \
    "\"delta\":{\"content\":\" word\"},\"logprobs\":null,\"finish_reason\":null}]}"

Test(chunk, the_usual_chunk_takes_the_fast_path)
{
    ref_fields lib;
    sekha__chunk_rc scan;
    cr_assert_eq(lib_read(OPENAI_CHUNK, &lib, &scan, NULL), SEKHA__CHUNK_OK);
    cr_assert_eq(scan, SEKHA__CHUNK_OK);
    cr_assert_str_eq(lib.content, " word");
    cr_assert_str_eq(lib.model, "gpt-4o");
    cr_assert_str_eq(lib.id, "chatcmpl-9");
    cr_assert_str_eq(lib.finish, "");
    ref_fields ref = ref_read(OPENAI_CHUNK);
    assert_same(&lib, &ref, OPENAI_CHUNK);
}

/* Valid chunks of many shapes: the fast path (or the fallback) must read exactly what
 * cJSON reads. expect_scan: 'o' the scanner decides alone, 'f' it must defer. */
static const struct {
    char expect_scan;
    const char *json;
} valid_cases[] = {
    {'o', "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"index\":0}]}"},
    {'o', "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
          "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}"},
    {'o', " \t\r\n{ \"choices\" : [ { \"delta\" : { \"content\" : \"a b\" } } ] } \n"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\"}}]}"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":\"\\u00e9\\u20AC\\ud83d\\ude00\\u0041\"}}]}"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":\"raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}}]}"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":null,\"role\":null},\"finish_reason\":null}]}"},
    {'o', "{\"extra\":{\"nested\":[1,2.5e-3,-0,true,false,null,{\"k\":\"v\"}]},"
          "\"choices\":[{\"delta\":{\"content\":\"x\",\"refusal\":null}}],\"model\":\"m\"}"},
    {'o', "{\"choices\":[{\"finish_reason\":\"length\",\"delta\":{\"content\":\"late\"},"
          "\"index\":0},{\"index\":1,\"delta\":{\"content\":\"other\"}}]}"},
    {'o', "{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
          "\"total_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":0}}}"},
    {'o', "{\"usage\":null,\"id\":\"x\",\"model\":null}"},
    {'o', "{}"},
    {'o', "{\"choices\":[{\"delta\":{\"content\":\"0123456789abcdefghijklmnopqrstuvwxyz "
          "long enough to use the eight-byte loop several times over\"}}]}"},
    {'f', "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":"
          "\"f\"}}]},\"index\":0}]}"},
    {'f', "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"m\"}}]}"},
    {'f', "{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}"},
    {'f', "{\"choices\":[{\"delta\":{\"c\\u006fntent\":\"escaped key\"}}]}"},
    {'f', "{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"total_tokens\":1.5}}"},
    {'f', "{\"choices\":[{\"delta\":{\"role\":\"assist\\u0061nt\",\"content\":\"y\"}}]}"},
    {'f', "{\"model\":\"m\\u00e9\",\"choices\":[{\"delta\":{\"content\":\"z\"}}]}"},
    {'f', "{\"choices\":null}"},
    {'f', "{\"choices\":[{\"delta\":{\"content\":\"w\"}}],\"usage\":[]}"},
};

Test(chunk, valid_shapes_read_like_cjson)
{
    for (size_t i = 0; i < sizeof valid_cases / sizeof *valid_cases; i++) {
        const char *json = valid_cases[i].json;
        ref_fields lib;
        sekha__chunk_rc scan;
        cr_assert_eq(lib_read(json, &lib, &scan, NULL), SEKHA__CHUNK_OK, "rejected: %s", json);
        cr_assert_eq(scan, valid_cases[i].expect_scan == 'o' ? SEKHA__CHUNK_OK
                                                             : SEKHA__CHUNK_FALLBACK,
                     "scan said %d on %s", scan, json);
        ref_fields ref = ref_read(json);
        assert_same(&lib, &ref, json);
    }
}

/* Certainly not JSON (or not UTF-8): both paths reject; cjson_too says cJSON agrees. */
static const struct {
    int cjson_too;
    const char *json;
} invalid_cases[] = {
    {1, ""}, {1, "   "}, {1, "{"}, {1, "{\"a\":1,}"}, {1, "{\"a\" 1}"}, {1, "{'a':1}"},
    {1, "{a:1}"}, {0, "{\"a\":01}"}, {0, "{\"a\":1.}"}, {1, "{\"a\":-}"}, {1, "{\"a\":.5}"},
    {1, "{\"a\":tru}"}, {1, "{\"a\":NaN}"}, {1, "{\"a\":\"\\x\"}"}, {1, "{\"a\":\"\\u12\"}"},
    {1, "{\"a\":\"\\ud83d\"}"}, {1, "{\"a\":\"\\ude00\"}"}, {1, "{\"a\":\"\\ud83d\\u0041\"}"},
    {0, "{\"a\":\"tab\there\"}"}, {0, "{\"a\":\"\xc0\x80\"}"}, {0, "{\"a\":\"\xed\xa0\x80\"}"},
    {0, "{\"a\":\"\xf4\x90\x80\x80\"}"}, {0, "{\"a\":\"\xe2\x82\"}"}, {0, "{\"a\":\"\xff\"}"},
    {1, "{} x"}, {1, "{}{}"}, {1, "[1,2"}, {0, "\xef\xbb\xbf{}"},
    {1, "{\"choices\":[{\"delta\":{\"content\":\"abc}}]}"},
    {1, "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]"},
    {0, "{\"choices\":[{\"delta\":{\"content\":\"x\xc3\"}}]}"},
    {1, "{\"choices\":[{\"delta\":{\"content\":\"x\"}},]}"},
    {0, "{\"choices\":[{\"index\":00,\"delta\":{\"content\":\"x\"}}]}"},
    {1, "{\"choices\":[{\"delta\":{\"content\":\"x\"} \"finish_reason\":null}]}"},
};

Test(chunk, malformed_input_is_never_accepted)
{
    for (size_t i = 0; i < sizeof invalid_cases / sizeof *invalid_cases; i++) {
        const char *json = invalid_cases[i].json;
        ref_fields lib;
        sekha__chunk_rc scan;
        cr_assert_eq(lib_read(json, &lib, &scan, NULL), SEKHA__CHUNK_INVALID, "accepted: %s", json);
        cr_assert_eq(scan, SEKHA__CHUNK_INVALID, "scan did not reject: %s", json);
        cJSON *v = cJSON_ParseWithOpts(json, NULL, 1);
        cr_assert_eq(v == NULL, invalid_cases[i].cjson_too, "cJSON verdict changed: %s", json);
        cJSON_Delete(v);
    }
}

Test(chunk, json_that_is_not_a_chunk_or_is_an_error)
{
    static const char *const bad[] = {
        "[1,2]", "\"str\"", "{\"choices\":{}}", "{\"choices\":[1]}",
        "{\"choices\":[{\"delta\":{\"content\":5}}]}",
        "{\"choices\":[{\"delta\":{\"content\":[\"a\"]}}]}", "{\"choices\":[{\"delta\":\"x\"}]}",
        "{\"choices\":[{\"finish_reason\":3}]}", "{\"choices\":[{\"index\":\"0\"}]}"};
    static const char *const errors[] = {
        "{\"error\":{\"message\":\"boom\",\"code\":500}}", "{\"error\":\"plain\"}",
        "{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"error\":{\"message\":\"late\"}}"};
    ref_fields lib;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(lib_read(bad[i], &lib, NULL, NULL), SEKHA__CHUNK_BAD, "%s", bad[i]);
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
        cr_assert_eq(lib_read(errors[i], &lib, NULL, NULL), SEKHA__CHUNK_ERROR, "%s", errors[i]);
    const char *null_error = "{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}";
    cr_assert_eq(lib_read(null_error, &lib, NULL, NULL), SEKHA__CHUNK_OK);
    cr_assert_str_eq(lib.content, "ok");
}

/* Usage numbers at the edges of a 32-bit long (ILP32, LLP64) and of the scanner's 15 digits:
 * both decoders report a number exactly or as -1 (never a wrapped value), and agree. */
Test(chunk, large_usage_numbers_fit_a_long_or_are_unknown)
{
    static const struct {
        const char *num;
        long long v;
    } cases[] = {
        {"2147483647", 2147483647LL},       {"2147483648", 2147483648LL},
        {"-2147483649", -2147483649LL},     {"4294967296", 4294967296LL},
        {"999999999999999", 999999999999999LL}, {"-999999999999999", -999999999999999LL},
        {"9007199254740992", 9007199254740992LL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":{\"prompt_tokens\":%s,"
                 "\"completion_tokens\":1,\"total_tokens\":%s}}", cases[i].num, cases[i].num);
        long want = cases[i].v >= LONG_MIN && cases[i].v <= LONG_MAX ? (long)cases[i].v : -1;
        sekha_buf t1 = {0}, t2 = {0};
        sekha__chunk_fields fs, ff;
        cJSON *root = NULL;
        sekha__chunk_rc scan = sekha__chunk_scan(json, strlen(json), &t1, &fs);
        cr_assert_eq(sekha__chunk_parse_full(json, strlen(json), &t2, &ff, &root),
                     SEKHA__CHUNK_OK);
        cr_assert_eq(ff.usage[0], want, "full parser on %s: %ld", cases[i].num, ff.usage[0]);
        cr_assert_eq(ff.usage[2], want);
        if (scan == SEKHA__CHUNK_OK)
            cr_assert_eq(fs.usage[0], want, "scanner on %s: %ld", cases[i].num, fs.usage[0]);
        else
            cr_assert_eq(scan, SEKHA__CHUNK_FALLBACK);
        cr_assert_eq(scan == SEKHA__CHUNK_OK, strlen(cases[i].num) - (cases[i].v < 0) <= 15 &&
                                                  want != -1,
                     "the scanner decides exactly the numbers that fit: %s", cases[i].num);
        cJSON_Delete(root);
        sekha__buf_free(&t1);
        sekha__buf_free(&t2);
    }
}

Test(chunk, escaped_nul_survives_on_the_fast_path)
{
    const char *json = "{\"choices\":[{\"delta\":{\"content\":\"a\\u0000b\"}}]}";
    sekha_buf text = {0};
    sekha__chunk_fields f;
    cr_assert_eq(sekha__chunk_scan(json, strlen(json), &text, &f), SEKHA__CHUNK_OK);
    cr_assert_eq(f.content_len, 3);
    cr_assert_eq(memcmp(text.data, "a\0b", 3), 0);
    sekha__buf_free(&text);
}

/* ---- generated chunks: random order, whitespace, escapes and unicode ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static void ws(sekha_buf *b)
{
    static const char *const w[] = {"", "", "", " ", "\n", "\t ", "\r\n  "};
    sekha__buf_puts(b, w[rnd(7)]);
}

static void put_cp(sekha_buf *b, unsigned cp)
{
    unsigned char u[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        u[i] = (unsigned char)(0x80 | (cp & 0x3F));
    u[0] = (unsigned char)(lead[n] | cp);
    sekha__buf_append(b, u, n);
}

/* A random content string: its JSON form goes to b, its decoded bytes to plain. */
static void gen_content(sekha_buf *b, sekha_buf *plain)
{
    static const char *const words[] = {" the", "quick", " brown fox", " 42",
                                        "jumps over the lazy dog; ", "a"};
    static const char *const esc[][2] = {{"\\n", "\n"}, {"\\\"", "\""}, {"\\\\", "\\"},
                                         {"\\/\\t", "/\t"}};
    sekha__buf_puts(b, "\"");
    unsigned pieces = rnd(12);
    for (unsigned i = 0; i < pieces; i++) {
        char tmp[16];
        unsigned cp, k = rnd(9);
        if (k < 4) {
            sekha__buf_puts(b, esc[k][0]);
            sekha__buf_puts(plain, esc[k][1]);
        } else if (k == 4) { /* a BMP escape, away from surrogates and NUL */
            do
                cp = 0x20 + rnd(0xFFDF);
            while (cp >= 0xD800 && cp <= 0xDFFF);
            snprintf(tmp, sizeof tmp, rnd(2) ? "\\u%04x" : "\\u%04X", cp);
            sekha__buf_puts(b, tmp);
            put_cp(plain, cp);
        } else if (k == 5) { /* a surrogate pair */
            cp = 0x10000 + rnd(0x100000);
            snprintf(tmp, sizeof tmp, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
                     0xDC00 + ((cp - 0x10000) & 0x3FF));
            sekha__buf_puts(b, tmp);
            put_cp(plain, cp);
        } else if (k == 6) { /* raw UTF-8 */
            cp = rnd(3) == 0 ? 0x10000 + rnd(0x100000) : 0x80 + rnd(0xF000);
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xE9;
            put_cp(b, cp);
            put_cp(plain, cp);
        } else {
            const char *w = words[rnd(6)];
            sekha__buf_puts(b, w);
            sekha__buf_puts(plain, w);
        }
    }
    sekha__buf_puts(b, "\"");
}

static void gen_value(sekha_buf *b, int depth)
{
    switch (rnd(depth > 2 ? 5 : 7)) {
    case 0: sekha__buf_puts(b, "null"); break;
    case 1: sekha__buf_puts(b, rnd(2) ? "true" : "false"); break;
    case 2: sekha__buf_printf(b, "%d", (int)rnd(100000) - 500); break;
    case 3: sekha__buf_puts(b, rnd(2) ? "-1.25e+3" : "0.5E-2"); break;
    case 4: sekha__buf_puts(b, "\"s\\u00e9\""); break;
    case 5:
        sekha__buf_puts(b, "[");
        ws(b);
        gen_value(b, depth + 1);
        sekha__buf_puts(b, ",");
        gen_value(b, depth + 1);
        sekha__buf_puts(b, "]");
        break;
    default:
        sekha__buf_puts(b, "{\"k\":");
        gen_value(b, depth + 1);
        ws(b);
        sekha__buf_puts(b, "}");
    }
}

/* Emits the members in a random order, separated by commas and random whitespace. */
static void members(sekha_buf *b, int n, void (*one)(sekha_buf *, int, void *), void *ctx)
{
    int order[8];
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rnd((unsigned)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    sekha__buf_puts(b, "{");
    for (int i = 0; i < n; i++) {
        ws(b);
        if (i)
            sekha__buf_puts(b, ",");
        ws(b);
        one(b, order[i], ctx);
        ws(b);
    }
    sekha__buf_puts(b, "}");
}

static void delta_one(sekha_buf *b, int k, void *ctx)
{
    sekha_buf *plain = ctx;
    if (k == 0) {
        sekha__buf_puts(b, "\"content\":");
        ws(b);
        gen_content(b, plain);
    } else if (k == 1) {
        sekha__buf_puts(b, rnd(2) ? "\"role\":\"assistant\"" : "\"role\":null");
    } else {
        sekha__buf_puts(b, "\"x_extra\":");
        gen_value(b, 0);
    }
}

static void choice_one(sekha_buf *b, int k, void *ctx)
{
    if (k == 0) {
        sekha__buf_puts(b, "\"index\":0");
    } else if (k == 1) {
        sekha__buf_puts(b, "\"delta\" :");
        members(b, 3, delta_one, ctx);
    } else if (k == 2) {
        sekha__buf_puts(b, rnd(3) ? "\"finish_reason\":null" : "\"finish_reason\":\"stop\"");
    } else {
        sekha__buf_puts(b, "\"logprobs\":null");
    }
}

static void top_one(sekha_buf *b, int k, void *ctx)
{
    switch (k) {
    case 0: sekha__buf_printf(b, "\"id\":\"chatcmpl-%u\"", rnd(1000)); break;
    case 1: sekha__buf_puts(b, "\"object\":\"chat.completion.chunk\""); break;
    case 2: sekha__buf_puts(b, "\"created\":1700000000"); break;
    case 3: sekha__buf_puts(b, "\"model\":\"gpt-x\""); break;
    case 4:
        sekha__buf_puts(b, "\"choices\":[");
        ws(b);
        members(b, 4, choice_one, ctx);
        sekha__buf_puts(b, "]");
        break;
    case 5:
        sekha__buf_printf(b, "\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,"
                             "\"total_tokens\":%u}", rnd(99), rnd(99), rnd(99));
        break;
    default:
        sekha__buf_puts(b, "\"extra\":");
        gen_value(b, 0);
    }
}

static char *gen_chunk(sekha_buf *plain)
{
    sekha_buf b = {0};
    sekha__buf_clear(plain);
    ws(&b);
    members(&b, 7, top_one, plain);
    ws(&b);
    return sekha__buf_steal(&b, NULL);
}

Test(chunk, generated_chunks_take_the_fast_path_and_agree_with_cjson)
{
    sekha_buf plain = {0};
    for (int i = 0; i < 20000; i++) {
        char *json = gen_chunk(&plain);
        sekha_buf text = {0};
        sekha__chunk_fields f;
        cr_assert_eq(sekha__chunk_scan(json, strlen(json), &text, &f), SEKHA__CHUNK_OK,
                     "not taken by the fast path: %s", json);
        cr_assert_eq(f.content_len, plain.len, "%s", json);
        cr_assert_eq(memcmp(text.data, plain.data ? plain.data : "", plain.len), 0,
                     "content decoded wrongly from %s", json);
        sekha__buf_free(&text);
        ref_fields lib, ref = ref_read(json);
        lib_read(json, &lib, NULL, NULL);
        assert_same(&lib, &ref, json);
        free(json);
    }
    sekha__buf_free(&plain);
}

/* One random damage: a byte replaced, deleted or bit-flipped, or the end cut off. */
static void mutate(char *json)
{
    static const char alphabet[] = "\"\\{}[],:0 -e.nu\x01\x1f\x7f\x80\xbf\xc3\xed\xf4\xff";
    size_t len = strlen(json), at = rnd((unsigned)len);
    switch (rnd(4)) {
    case 0: json[at] = alphabet[rnd(sizeof alphabet - 1)]; break;
    case 1: memmove(json + at, json + at + 1, len - at); break;
    case 2: json[at] = '\0'; break;
    default: json[at] = (char)(json[at] ^ (1 << rnd(8))); break;
    }
    if (!json[0])
        json[0] = ' ';
}

/* Chunks of one layout with different content (some damaged): the first is learnt, the
 * rest go through the template, and every answer must agree with cJSON. */
static char *sibling(const char *json, const sekha__chunk_fields *f)
{
    sekha_buf b = {0}, plain = {0};
    sekha__buf_append(&b, json, f->content_at - 1);
    gen_content(&b, &plain);
    sekha__buf_puts(&b, json + f->content_at + f->content_raw + 1);
    sekha__buf_free(&plain);
    return sekha__buf_steal(&b, NULL);
}

Test(chunk, template_and_mutations_agree_with_cjson)
{
    sekha_buf plain = {0}, scratch = {0};
    size_t hits = 0, checked = 0, rejected = 0;
    for (int i = 0; i < 4000; i++) {
        char *base = gen_chunk(&plain);
        sekha__chunk_fields f;
        sekha__chunk_tpl tpl = {0};
        sekha__buf_clear(&scratch);
        cr_assert_eq(sekha__chunk_scan(base, strlen(base), &scratch, &f), SEKHA__CHUNK_OK);
        for (int k = 0; k < 8; k++) {
            char *json = k == 0 ? strdup(base) : sibling(base, &f);
            if (k >= 5)
                mutate(json);
            ref_fields lib;
            size_t before = tpl.hits;
            sekha__chunk_rc rc = lib_read(json, &lib, NULL, &tpl);
            hits += tpl.hits - before;
            cJSON *v = cJSON_ParseWithOpts(json, NULL, 1);
            if (!v) {
                cr_assert_eq(rc, SEKHA__CHUNK_INVALID, "accepted what cJSON rejects: %s", json);
                rejected++;
            } else if (rc == SEKHA__CHUNK_OK) {
                ref_fields ref = ref_read(json);
                assert_same(&lib, &ref, json);
                checked++;
            }
            cJSON_Delete(v);
            free(json);
        }
        sekha__chunk_tpl_free(&tpl);
        free(base);
    }
    cr_assert_gt(hits, 15000, "the template path was hardly used (%zu hits)", hits);
    cr_assert_gt(checked, 20000);
    cr_assert_gt(rejected, 5000, "the mutations should break most chunks");
    sekha__buf_free(&plain);
    sekha__buf_free(&scratch);
}

Test(chunk, utf8_validation)
{
    cr_assert(sekha__utf8_valid("plain ascii long enough for words", 33));
    cr_assert(sekha__utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", 13));
    static const char *const bad[] = {"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
                                      "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                                      "\x80", "\xc3", "abc\xe2\x82", "\xfe", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_not(sekha__utf8_valid(bad[i], strlen(bad[i])), "accepted case %zu", i);
}

/* ================================================================ the request body */

#define UNSET (-1.0) /* a temperature for body_of: not set */

/* The body of a chat call with these parameters: model NULL, t UNSET, max 0 and extra
 * NULL leave the key unset; a setter that fails is reported as the body's code. */
static char *body_of(const sekha_messages *m, const char *model, double t, long max,
                     const char *extra, int stream, sekha_code *code)
{
    sekha_params *p = sekha_params_new();
    cr_assert_not_null(p);
    if (model)
        sekha_params_set_text(p, SEKHA_PARAM_MODEL, model);
    if (t != UNSET)
        sekha_params_set_real(p, SEKHA_PARAM_TEMPERATURE, t);
    if (max)
        sekha_params_set_int(p, SEKHA_PARAM_MAX_TOKENS, max);
    if (extra)
        sekha_params_set_text(p, SEKHA_PARAM_EXTRA_JSON, extra);
    sekha_buf b = {0};
    sekha_error *e = sekha__bridge_chat_body(&b, m, p, stream);
    sekha_params_free(p);
    *code = sekha_error_code(e);
    sekha_error_free(e);
    if (*code != SEKHA_OK) {
        sekha__buf_free(&b);
        return NULL;
    }
    return sekha__buf_steal(&b, NULL);
}

static sekha_messages *one_message(const char *content)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "user", content), SEKHA_OK);
    return m;
}

Test(body, temperature_zero_is_sent_as_zero)
{
    sekha_messages *m = one_message("hi");
    sekha_code code;
    char *b = body_of(m, NULL, 0.0, 0, NULL, 0, &code);
    cJSON *v = cJSON_Parse(b);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "temperature");
    cr_assert(cJSON_IsNumber(t), "temperature 0 was dropped: %s", b);
    cr_assert_eq(t->valuedouble, 0.0);
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(v, "max_tokens"));
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(v, "model"));
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(v, "stream")));
    cJSON_Delete(v);
    free(b);
    b = body_of(m, "", UNSET, 7, NULL, 1, &code);
    cr_assert_str_eq(b, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":7,"
                        "\"stream\":true}");
    free(b);
    /* not set: no temperature member at all (the server's default applies) */
    b = body_of(m, NULL, UNSET, 0, NULL, 0, &code);
    cr_assert_null(strstr(b, "temperature"), "%s", b);
    free(b);
    b = body_of(m, "m", 0.7, 1, NULL, 0, &code);
    cr_assert_not_null(strstr(b, "\"temperature\":0.7,"), "%s", b);
    free(b);
    sekha_messages_free(m);
}

Test(body, content_round_trips_through_json)
{
    const char *tricky = "quote \" backslash \\ nl \n tab \t ctl \x01\x1f del \x7f \xc3\xa9 \xf0\x9f\x98\x80";
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "system", "context"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "user", tricky), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "assistant", ""), SEKHA_OK);
    cr_assert_eq(sekha_messages_add(m, "tool", "{}"), SEKHA_OK);
    cr_assert_eq(sekha_messages_count(m), 4);
    cr_assert_str_eq(sekha_messages_role(m, 3), "tool");
    cr_assert_null(sekha_messages_content(m, 4));
    sekha_code code;
    char *b = body_of(m, "mod\"el", UNSET, 0, NULL, 0, &code);
    cJSON *v = cJSON_Parse(b);
    cr_assert_not_null(v, "not JSON: %s", b);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(v, "messages");
    cr_assert_eq(cJSON_GetArraySize(msgs), 4);
    cr_assert_str_eq(cJSON_GetArrayItem(msgs, 1)->child->next->valuestring, tricky);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(v, "model")->valuestring, "mod\"el");
    cJSON_Delete(v);
    free(b);
    sekha_messages_free(m);
}

Test(body, invalid_arguments_are_rejected)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "robot", "x"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add(m, "user", "bad \xc3"), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add(m, "user", NULL), SEKHA_E_INVALID_ARG);
    cr_assert_eq(sekha_messages_add(NULL, "user", "x"), SEKHA_E_INVALID_ARG);
    sekha_code code;
    cr_assert_null(body_of(m, NULL, UNSET, 0, NULL, 0, &code));
    cr_assert_eq(code, SEKHA_E_INVALID_ARG, "no messages");
    cr_assert_eq(sekha_messages_add(m, "user", "x"), SEKHA_OK);
    const double temps[] = {-0.5, INFINITY, NAN};
    for (int i = 0; i < 3; i++) {
        cr_assert_null(body_of(m, NULL, temps[i], 0, NULL, 0, &code));
        cr_assert_eq(code, SEKHA_E_INVALID_ARG);
    }
    cr_assert_null(body_of(m, NULL, UNSET, -1, NULL, 0, &code));
    cr_assert_eq(code, SEKHA_E_INVALID_ARG);
    static const char *const extras[] = {"[1]", "{\"stream\":true}", "{\"messages\":[]}",
                                         "{\"a\":1,\"a\":2}", "{bad", "{\"s\":\"\xff\"}"};
    for (size_t i = 0; i < sizeof extras / sizeof *extras; i++) {
        cr_assert_null(body_of(m, NULL, UNSET, 0, extras[i], 0, &code));
        cr_assert_eq(code, SEKHA_E_INVALID_ARG, "%s", extras[i]);
    }
    sekha_messages_free(m);
}

Test(body, extra_fields_are_added_and_replace_arguments)
{
    sekha_messages *m = one_message("x");
    sekha_code code;
    char *b = body_of(m, "arg-model", 1.0, 5, "{\"top_p\":0.5,\"model\":\"extra-model\","
                                               "\"stop\":[\"\\n\"],\"max_tokens\":9}", 0, &code);
    cJSON *v = cJSON_Parse(b);
    cr_assert_not_null(v, "%s", b);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(v, "model")->valuestring, "extra-model");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(v, "max_tokens")->valuedouble, 9);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(v, "temperature")->valuedouble, 1.0);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(v, "top_p")->valuedouble, 0.5);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "stop"), 0)->valuestring,
                     "\n");
    cr_assert_null(strstr(b, "arg-model"), "the replaced argument is still there: %s", b);
    cJSON_Delete(v);
    free(b);
    sekha_messages_free(m);
}

Test(body, a_message_of_parts_is_written_in_the_openai_shape)
{
    sekha_messages *m = sekha_messages_new();
    cr_assert_eq(sekha_messages_add(m, "system", "be brief"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_text_part(m, "what is in this picture?"), SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "https://example.test/cat.png", "low"),
                 SEKHA_OK);
    cr_assert_eq(sekha_messages_add_image_part(m, "data:image/png;base64,AAAA", NULL), SEKHA_OK);
    sekha_code code;
    char *b = body_of(m, NULL, UNSET, 0, NULL, 0, &code);
    cr_assert_eq(code, SEKHA_OK);
    cr_assert_str_eq(b, "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                        "{\"role\":\"user\",\"content\":["
                        "{\"type\":\"text\",\"text\":\"what is in this picture?\"},"
                        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                        "\"https://example.test/cat.png\",\"detail\":\"low\"}},"
                        "{\"type\":\"image_url\",\"image_url\":{\"url\":"
                        "\"data:image/png;base64,AAAA\"}}]}],\"stream\":false}");
    free(b);
    /* a parts message without a part is refused, nothing written */
    cr_assert_eq(sekha_messages_add_parts(m, "user"), SEKHA_OK);
    cr_assert_null(body_of(m, NULL, UNSET, 0, NULL, 0, &code));
    cr_assert_eq(code, SEKHA_E_INVALID_ARG);
    sekha_messages_free(m);
}

Test(body, a_key_the_call_does_not_read_is_refused_by_name)
{
    sekha_messages *m = one_message("x");
    sekha_params *p = sekha_params_new();
    cr_assert_eq(sekha_params_set_text(p, SEKHA_PARAM_LABEL, "work"), SEKHA_OK);
    for (int stream = 0; stream < 2; stream++) {
        sekha_buf b = {0};
        sekha_error *e = sekha__bridge_chat_body(&b, m, p, stream);
        cr_assert_eq(sekha_error_code(e), SEKHA_E_INVALID_ARG);
        cr_assert_not_null(strstr(sekha_error_message(e), "label"), "%s", sekha_error_message(e));
        cr_assert_eq(b.len, 0, "nothing written");
        sekha_error_free(e);
        sekha__buf_free(&b);
    }
    /* the chunk callback is a stream's key only */
    cr_assert_eq(sekha_params_unset(p, SEKHA_PARAM_LABEL), SEKHA_OK);
    cr_assert_eq(sekha_params_set_on_chunk(p, NULL, NULL), SEKHA_OK);
    cr_assert_eq(sekha_params_isset(p, SEKHA_PARAM_ON_CHUNK), 0, "NULL unsets the key");
    sekha_params_free(p);
    sekha_messages_free(m);
}
