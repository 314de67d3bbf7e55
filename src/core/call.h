/* Typed calls: the glue every sub-client uses to turn a raw request into a typed result
 * with a typed callback. The sub-client supplies how to decode a 2xx
 * response, how to free the result, and how to invoke its user's typed callback; the core
 * keeps the one-final-callback rule and attempts; results are lent to callbacks (the
 * sync forms keep a copy: see sekha__sync_begin in core/internal.h). Nothing here knows
 * Sekha shapes. */
#ifndef SEKHA_CORE_CALL_H
#define SEKHA_CORE_CALL_H

#include <cjson/cJSON.h>

#include "core/internal.h"

/* Any function pointer, stored untyped and cast back by the sub-client's deliver(). */
typedef void (*sekha__fn)(void);

typedef struct sekha__call_spec {
    /* Decodes a successful response. Returns the result (owned by the caller) or NULL
     * with *err set; returning NULL without an error means "no result object" (empty
     * answers such as 200-with-empty-body). */
    void *(*decode)(const sekha_response *resp, void *dctx, sekha_error **err);
    /* Frees a result returned by decode (may be NULL). */
    void (*free_result)(void *result);
    /* Calls the user's typed callback: ((typed)cb)(req, err, result, ud). */
    void (*deliver)(sekha__fn cb, sekha_request *req, const sekha_error *err, void *result,
                    void *ud);
} sekha__call_spec;

/* Starts a typed call. `dctx` is handed to decode (e.g. what the caller asked for);
 * `dctx_free` releases it with the request (may be NULL). Returns NULL only when out of
 * memory (nothing is called then). */
sekha_request *sekha__call(sekha_client *c, const sekha__spec *http, const sekha__call_spec *cs,
                           void *dctx, void (*dctx_free)(void *), sekha__fn cb, void *ud);

/* A typed call that fails before sending (validation): err is taken, and the typed
 * callback reports it from the loop. */
sekha_request *sekha__call_fail(sekha_client *c, sekha_request *parent, const sekha__call_spec *cs,
                                sekha_error *err, sekha__fn cb, void *ud);

/* ---- JSON helpers for decoders and request builders ---- */

/* Parses the body as JSON; on failure returns NULL and sets *err (SEKHA_E_BAD_RESPONSE,
 * service layer) quoting where it broke. Empty bodies are errors too. */
cJSON *sekha__json_parse(const sekha_response *resp, const char *what, sekha_error **err);
/* A service-layer SEKHA_E_BAD_RESPONSE naming the missing or mistyped field. */
sekha_error *sekha__json_bad(const char *what, const char *field, const char *expected);
/* Typed lookups: NULL / fallback when absent or of another type. */
const char *sekha__json_str(const cJSON *obj, const char *key);
double sekha__json_num(const cJSON *obj, const char *key, double fallback);
int sekha__json_bool(const cJSON *obj, const char *key, int fallback);

#endif
