/* Writing JSON straight into a buffer, for request bodies: strings and integers on hot
 * paths where building a cJSON tree only to print it would cost more than the request's
 * own work, and whole cJSON trees elsewhere. JSON text is UTF-8 (RFC 8259), so every
 * string is checked on the way out: a caller's bytes that are not UTF-8 fail here, before
 * anything is sent, and the caller names the field. */
#ifndef SEKHA_CORE_JWRITE_H
#define SEKHA_CORE_JWRITE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/buf.h"

#define SEKHA_JW_NOMEM (-1)
#define SEKHA_JW_NOT_UTF8 (-2)   /* a string is not UTF-8 */
#define SEKHA_JW_NOT_JSON (-3)   /* JSON text (a caller's, or a raw cJSON item) is invalid */

/* Appends s as a JSON string: quoted, with '"', '\\' and control characters escaped, other
 * bytes copied. Returns 0, SEKHA_JW_NOMEM, or SEKHA_JW_NOT_UTF8 when s is not UTF-8
 * (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF); b is left as it
 * was on failure. ASCII costs what it did before the check: the block scan stops on bytes
 * >= 0x80 as well, and only those are decoded. */
int sekha__jw_string(sekha_buf *b, const char *s);
/* The same for the n bytes at s. */
int sekha__jw_string_n(sekha_buf *b, const char *s, size_t n);
/* Appends v as a JSON integer. Returns 0 or SEKHA_JW_NOMEM. */
int sekha__jw_long(sekha_buf *b, long v);
/* Appends v as a JSON number in the "C" locale: an integer when it is one (below 1e15),
 * else the shortest text that reads back as v; null when not finite (as cJSON writes it).
 * Returns 0 or SEKHA_JW_NOMEM. */
int sekha__jw_double(sekha_buf *b, double v);

/* Appends the tree v (cJSON's unformatted layout; numbers as sekha__jw_double). Returns 0,
 * SEKHA_JW_NOMEM, or SEKHA_JW_NOT_UTF8 / SEKHA_JW_NOT_JSON with why saying where, as a path
 * from the root: "messages[0].content is not valid UTF-8 (at byte 4)", "a key in
 * metadata is not valid UTF-8 (...)". b is left as it was on failure. */
int sekha__jw_tree(sekha_buf *b, const cJSON *v, char *why, size_t why_len);

/* Checks a caller's JSON text before it is parsed and sent on: exactly one RFC 8259 value
 * in UTF-8 (cJSON_Parse would take "{} junk" and raw bytes that are not UTF-8). Returns 0,
 * SEKHA_JW_NOMEM, SEKHA_JW_NOT_UTF8 or SEKHA_JW_NOT_JSON with why naming it: "<name> is
 * not valid JSON (broken at byte 7)". */
int sekha__jw_check_text(const char *text, const char *name, char *why, size_t why_len);

/* Writes "<name> is not valid UTF-8 (at byte N)" about s into why. */
void sekha__jw_why_utf8(char *why, size_t why_len, const char *name, const char *s);

/* The offset of the first byte of s[0..n) that does not begin a valid UTF-8 sequence; n
 * when all of it is UTF-8. */
size_t sekha__utf8_invalid_at(const char *s, size_t n);
/* A malloc'd copy of s whose bytes that are not UTF-8 are each replaced by U+FFFD, for
 * text from elsewhere (a server, the C library) that the library reports as JSON. NULL
 * when out of memory. */
char *sekha__utf8_repair(const char *s);

#endif
