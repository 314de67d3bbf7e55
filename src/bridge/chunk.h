/* Decoding one streamed chat-completion chunk (the data of one SSE event).
 *
 * Two decoders with one meaning:
 *  - sekha__chunk_scan(): the hot path. A single validating pass over the known OpenAI
 *    chunk shape, without building a tree. It answers OK only when the input is valid
 *    JSON (RFC 8259, strings valid UTF-8) and every field it reports is certain. For shapes
 *    it does not handle (tool calls, errors, a "message" instead of a "delta", a choice
 *    other than index 0 first, duplicate or escaped keys, non-integer usage numbers, very
 *    deep nesting) it answers FALLBACK without deciding anything; for input that is
 *    certainly not JSON it answers INVALID.
 *  - sekha__chunk_parse_full(): the reference. cJSON builds the tree, then the same fields
 *    are looked up. It decides what FALLBACK left open.
 * sekha__chunk_decode() runs the first and, on FALLBACK, the second.
 *
 * A stream repeats itself: every chunk carries the same id, model, created and layout, and
 * only the content string changes. A template (sekha__chunk_tpl) remembers the bytes
 * before and after the content string of the last chunk the scanner accepted. A new chunk
 * that starts with exactly those prefix bytes, continues with a valid JSON string, and
 * ends with exactly those suffix bytes is the same JSON text with one string token
 * replaced by another: it is valid, and every field but the content is what the template
 * chunk said. Checking that costs two memcmp calls and a scan of the content alone.
 *
 * What is extracted, from the first element of "choices" whose "index" is 0 or absent:
 * delta.content (or message.content), delta.role (or message.role), finish_reason,
 * delta.tool_calls (or message.tool_calls; full path only, the scanner defers); from
 * the top level: id, model, usage.{prompt,completion,total}_tokens, and whether an
 * "error" member (not null) makes the chunk an in-band error.
 *
 * Known difference: "\u0000" inside content becomes a NUL byte on the fast path (the
 * length counts it), while cJSON's strings end there. */
#ifndef SEKHA_BRIDGE_CHUNK_H
#define SEKHA_BRIDGE_CHUNK_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/internal.h"

typedef enum sekha__chunk_rc {
    SEKHA__CHUNK_OK = 0,
    SEKHA__CHUNK_FALLBACK, /* scan only: undecided, use the full parser */
    SEKHA__CHUNK_INVALID,  /* not JSON, or strings that are not UTF-8 */
    SEKHA__CHUNK_ERROR,    /* a JSON object with a non-null "error" member */
    SEKHA__CHUNK_BAD       /* JSON, but not a chunk (why says what is wrong) */
} sekha__chunk_rc;

/* A piece of text that is not NUL-terminated; p == NULL when absent (or JSON null). */
typedef struct sekha__span {
    const char *p;
    size_t n;
} sekha__span;

/* The most tool calls one completion may hold: a tool call's index must be below it. */
#define SEKHA__MAX_TOOL_CALLS 1024

typedef struct sekha__chunk_fields {
    int has_content;           /* content was a string (possibly empty) */
    size_t content_off;        /* where it starts in the text buffer */
    size_t content_len;
    sekha__span role, finish, model, id;
    size_t content_at;         /* fast path: where the content's JSON string body starts */
    size_t content_raw;        /* and its length as escaped in the input */
    int has_usage;
    long usage[3];             /* prompt, completion, total; -1 when not an integer */
    const cJSON *tool_calls;   /* full path: the choice's tool_calls array, checked to have
                                * the OpenAI shape (points into *root); NULL when none */
    size_t error_at;           /* INVALID: byte offset where the input broke */
    const char *why;           /* BAD: static reason */
} sekha__chunk_fields;

/* The fast path. On OK the content (unescaped) is appended to text (NUL-terminated) and
 * the spans point into data. On any other answer text may hold a partial append: the
 * caller restores its length. */
sekha__chunk_rc sekha__chunk_scan(const char *data, size_t len, sekha_buf *text,
                                  sekha__chunk_fields *f);

/* The reference path. On OK the content is appended to text and the spans point into
 * *root (which the caller frees with cJSON_Delete, also on other answers). */
sekha__chunk_rc sekha__chunk_parse_full(const char *data, size_t len, sekha_buf *text,
                                        sekha__chunk_fields *f, cJSON **root);

/* What a stream remembers of its last fully scanned chunk (see above). Zero-initialise;
 * release with sekha__chunk_tpl_free. */
typedef struct sekha__chunk_tpl {
    char *buf;                 /* the prefix bytes, then the suffix bytes */
    size_t cap, plen, slen;
    sekha__chunk_fields f;     /* its fields; spans hold offsets in the template chunk */
    int valid;
    size_t hits;               /* chunks decoded through it (for tests and the bench) */
} sekha__chunk_tpl;

void sekha__chunk_tpl_free(sekha__chunk_tpl *t);

/* Scan, then the full parser when the scan is undecided. *root is NULL unless the full
 * parser ran. text is restored to its length on entry unless the answer is OK. */
sekha__chunk_rc sekha__chunk_decode(const char *data, size_t len, sekha_buf *text,
                                    sekha__chunk_fields *f, cJSON **root);

/* sekha__chunk_decode() with a template tried first and learnt from chunks the scanner
 * accepts. Same answers as sekha__chunk_decode(); t may be NULL. */
sekha__chunk_rc sekha__chunk_decode_tpl(sekha__chunk_tpl *t, const char *data, size_t len,
                                        sekha_buf *text, sekha__chunk_fields *f, cJSON **root);


#endif
