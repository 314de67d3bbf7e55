/* A read-only JSON document for decoders on hot paths: one validating pass turns the text
 * into a flat array of values (no allocation per value, unlike a cJSON DOM), strings are
 * decoded only when asked for, into an arena that also serves the decoder's own
 * allocations and is freed with the document in one go. The text must outlive the
 * document and be NUL-terminated (numbers are read in place). */
#ifndef SEKHA_CORE_JDOC_H
#define SEKHA_CORE_JDOC_H

#include <stddef.h>
#include <stdint.h>

typedef enum sekha_jtype {
    SEKHA_J_NULL = 1,
    SEKHA_J_FALSE,
    SEKHA_J_TRUE,
    SEKHA_J_NUMBER,
    SEKHA_J_STRING,
    SEKHA_J_ARRAY,
    SEKHA_J_OBJECT,
} sekha_jtype;

typedef struct sekha_jv {
    const char *p;   /* string: after the opening quote; others: the first byte */
    const char *key; /* member of an object: the key's text after its quote, else NULL */
    uint32_t len;    /* string: bytes between the quotes; container: through its closer */
    uint32_t klen;
    uint32_t next;   /* index of the next sibling in the document, 0 for the last one */
    uint32_t count;  /* containers: number of members or elements */
    uint8_t type;    /* sekha_jtype */
    uint8_t esc;     /* the string has backslash escapes */
    uint8_t kesc;    /* the key has backslash escapes */
} sekha_jv;

typedef struct sekha_jblock sekha_jblock;
typedef struct sekha_jcache sekha_jcache;

typedef struct sekha_jdoc {
    sekha_jv *v;
    uint32_t n, cap;
    sekha_jblock *arena;
    sekha_jcache *cache; /* the thread's value table, while this document holds it */
} sekha_jdoc;

/* Nesting deeper than this is refused (as cJSON refuses beyond its own limit). */
#define SEKHA_JDOC_MAX_DEPTH 512

/* Parses text[0..len) (text[len] must be '\0'), which must hold exactly one JSON value
 * with optional whitespace around it, in UTF-8 (RFC 8259). Returns 0; -1 on a syntax
 * error and -3 on a byte that is not UTF-8, with *err_at set to the byte offset where it
 * broke; -2 when out of memory. *d starts zeroed and is released with sekha__jdoc_free
 * whatever the outcome. */
int sekha__jdoc_parse(sekha_jdoc *d, const char *text, size_t len, size_t *err_at);
void sekha__jdoc_free(sekha_jdoc *d);
/* Gives up the values (sekha__jroot and the lookups see an empty document after it) and
 * keeps what was decoded into the arena. A decoder calls this once it has read all it
 * needs: the values of a small document live in a table the thread reuses, so that
 * parsing allocates nothing for them, and this hands the table back. Must run on the
 * thread that parsed; sekha__jdoc_free does it too. */
void sekha__jdoc_drop_values(sekha_jdoc *d);

/* The top-level value (NULL before a successful parse). */
const sekha_jv *sekha__jroot(const sekha_jdoc *d);
/* The member of obj named key (the first one when repeated), NULL when absent or obj is
 * NULL or not an object. */
const sekha_jv *sekha__jget(const sekha_jdoc *d, const sekha_jv *obj, const char *key);
/* The first element or member of a container (NULL when empty or not a container), and
 * the one after v (NULL after the last). */
const sekha_jv *sekha__jfirst(const sekha_jdoc *d, const sekha_jv *c);
const sekha_jv *sekha__jnext(const sekha_jdoc *d, const sekha_jv *v);

/* A string value decoded into the arena, NUL-terminated. NULL when v is not a string,
 * when it holds U+0000 (which a C string cannot carry) or when out of memory. */
const char *sekha__jstr(sekha_jdoc *d, const sekha_jv *v);
/* The key of an object member, decoded like sekha__jstr; NULL when v has no key. */
const char *sekha__jkey(sekha_jdoc *d, const sekha_jv *v);
/* The value of a number; 0 when v is not one, else -1. */
int sekha__jnum(const sekha_jv *v, double *out);
/* v as compact JSON text in the arena ("null" for NULL), its strings as they were sent.
 * NULL only when out of memory. */
char *sekha__jcompact(sekha_jdoc *d, const sekha_jv *v);
/* n zeroed bytes from the arena, aligned for any type; NULL when out of memory. */
void *sekha__jalloc(sekha_jdoc *d, size_t n);

/* ---- JSON string primitives, shared with the bridge's chunk scanner ---- */

/* Validates one escape at p (just after the backslash) and returns its length after the
 * backslash (1, 5 or 11), 0 when invalid; *cp gets the code point of \u escapes. A high
 * surrogate must be followed by an escaped low one, and a low one never stands alone. */
size_t sekha__json_escape_len(const unsigned char *p, const unsigned char *end, unsigned *cp);
/* Decodes a string body already validated (escapes checked) into out, which has room for
 * n bytes (escapes never expand). Returns the decoded length; *nul is set when the text
 * holds U+0000 (which a C string cannot carry). */
size_t sekha__json_unescape(const unsigned char *p, size_t n, unsigned char *out, int *nul);

#endif
