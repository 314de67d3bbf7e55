/* Bridge sub-client internals shared by its files (and reachable from the tests). */
#ifndef SEKHA_BRIDGE_INTERNAL_H
#define SEKHA_BRIDGE_INTERNAL_H

#include <stdatomic.h>

#include "core/call.h"
#include "core/ref.h"
#include "bridge/chunk.h"
#include "shared/shared.h"

#define SEKHA__CHAT_PATH "/v1/chat/completions"

/* ---- messages.c ---- */

/* Appends s[0..n) as a JSON string literal (quotes included). s must be valid UTF-8. */
int sekha__json_put_string(sekha_buf *b, const char *s, size_t n);

/* Builds the body of a chat request (stream: for sekha_bridge_stream_complete) after
 * checking the call's params and messages; NULL on success, else the (local) error. */
sekha_error *sekha__bridge_chat_body(sekha_buf *out, const sekha_messages *msgs,
                                     const sekha_params *params, int stream);

/* ---- completion.c ---- */

/* One assembled tool call: fragments with the same index go together. */
typedef struct sekha__tool_call {
    int index;
    char *id, *type, *name; /* NULL until sent */
    sekha_buf args;         /* the argument fragments, concatenated */
} sekha__tool_call;

struct sekha_completion {
    sekha__ref ref;       /* owners: the request while it assembles, then each copy */
    sekha_buf text;       /* the content; always NUL-terminated once allocated */
    sekha__tool_call *calls; /* sorted by index */
    size_t ncalls, calls_cap;
    size_t tool_bytes;    /* the tool calls' strings, counted against the response limit */
    char *role, *finish, *model, *id;
    long usage[3];
    int has_usage;
    int streamed;         /* arrived as SSE chunks */
    int complete;         /* a whole completion, or a stream that reached [DONE] */
    size_t chunks;
    /* The body as received; for a stream, built on first use and published once with a
     * compare-exchange, so readers on several threads agree on one text. */
    _Atomic(char *) json;
};

struct sekha_chunk {
    const char *content;
    size_t content_len;
    const char *role, *finish;
    const char *data;
    size_t data_len;
    size_t index;
    int synthetic;
};

sekha_completion *sekha__completion_new(void);

/* Replaces *dst with a copy of span (kept when span is absent). Returns 0, -1 on no
 * memory. */
int sekha__set_span(char **dst, sekha__span span);

/* The bytes the tool-call deltas of a chunk (a checked tool_calls array) would add. */
size_t sekha__tool_calls_size(const cJSON *calls);

/* Merges tool-call deltas (a checked tool_calls array) into c as the OpenAI clients do:
 * by index (the position when absent), id, type and name replaced when sent, arguments
 * appended. Returns 0, -1 on no memory. */
int sekha__completion_add_tool_calls(sekha_completion *c, const cJSON *calls);

/* Releases c's tool calls. */
void sekha__tool_calls_free(sekha_completion *c);

/* Writes "tool_calls":[...] in the non-streaming OpenAI shape. Returns 0, -1 on no
 * memory. */
int sekha__tool_calls_put_json(sekha_buf *b, const sekha_completion *c);

/* Fills *spec for a chat request (non-streaming or streaming) after checking the
 * arguments; the body is written into *body, which must outlive sekha__start (the core
 * copies it). */
sekha_error *sekha__bridge_chat_spec(sekha__spec *spec, sekha_buf *body,
                                     const sekha_messages *msgs, const sekha_params *params,
                                     int stream);

/* Fills c from a chat.completion JSON body (the whole answer). Returns NULL or a
 * service-layer error: SEKHA_E_SERVICE for an "error" member, SEKHA_E_BAD_RESPONSE for
 * anything that is not a completion. `what` labels the message (may be NULL). */
sekha_error *sekha__completion_from_body(sekha_completion *c, const char *body, size_t len,
                                         const char *what);

/* ---- embed.c ---- */

/* The typed-call decoder, visible to the fuzz targets. Its dctx packs (number of inputs
 * << 2 | sekha_embed_api). */
extern const sekha__call_spec sekha__bridge_embeddings_call;

/* A service-layer SEKHA_E_SERVICE built from an error body ({"error":{message,code}}...). */
sekha_error *sekha__bridge_service_error(const char *body, size_t len, const char *what);

#endif
