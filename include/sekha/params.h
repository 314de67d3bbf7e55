/** @file params.h
 * @brief Optional parameters of a call: one keyed object for every call.
 *
 * A call takes its required arguments positionally and everything that has a default in a
 * ::sekha_params, as libcurl's easy options work: a key that is not set is "not set" (the
 * server's or libsekha's default applies), whatever its type, so 0 stays a real value
 * (a temperature of 0 is sent as 0). New options are new keys: no signature ever changes.
 * Passing NULL where a call takes parameters means "all defaults".
 *
 * Each call documents the keys it reads. A key the call does not read is an error
 * (::SEKHA_E_INVALID_ARG naming the key), so a misspelt intent never goes unnoticed.
 * Values are checked twice: by type and range when set (the setter returns
 * ::SEKHA_E_INVALID_ARG and keeps the previous value), and against the call when used.
 * The first failed setter is remembered: a call given such parameters fails with that
 * message, so setters may be chained without checking each one.
 *
 * Ownership: setters copy their values; a call reads the parameters before it returns,
 * so they may be changed, reused for another call or freed right after it. A parameters
 * object belongs to one thread at a time; calls only read it, so one object may be
 * passed to many calls in turn.
 */
#ifndef SEKHA_PARAMS_H
#define SEKHA_PARAMS_H

#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The optional parameters of a call (opaque). */
typedef struct sekha_params sekha_params;

/** Parameter keys. The comment of each key gives its type (the setter to use) and range;
 * the comment of each call lists the keys it reads and what they mean there. */
typedef enum sekha_param {
    /* ---- text (sekha_params_set_text) ---- */
    SEKHA_PARAM_MODEL = 1,            /**< text: the model to ask for ("" = the server's default) */
    SEKHA_PARAM_EXTRA_JSON = 2,       /**< text: a JSON object merged into a chat request body */
    SEKHA_PARAM_LABEL = 3,            /**< text: a conversation label */
    SEKHA_PARAM_FOLDER = 4,           /**< text: a conversation folder */
    SEKHA_PARAM_STATUS = 5,           /**< text: a conversation status ("active", "archived") */
    SEKHA_PARAM_LEVEL = 6,            /**< text: a summary level: "daily", "weekly" or "monthly" */
    SEKHA_PARAM_FILTERS_JSON = 7,     /**< text: a JSON value used as a vector-store filter */
    SEKHA_PARAM_FORMAT = 8,           /**< text: an export format: "json" or "markdown" */
    SEKHA_PARAM_CONTEXT_QUERY = 9,    /**< text: what to recall context for (default: the prompt) */
    SEKHA_PARAM_SEARCH_QUERY = 10,    /**< text: what to search memory for (default: the prompt) */
    SEKHA_PARAM_CONTENT_TYPE = 11,    /**< text: the Content-Type of a raw request body */
    SEKHA_PARAM_CURSOR = 12,          /**< text: a pagination cursor from an earlier page */
    /* ---- integers (sekha_params_set_int) ---- */
    SEKHA_PARAM_MAX_TOKENS = 100,     /**< int >= 1: the longest reply, in tokens */
    SEKHA_PARAM_IMPORTANCE = 101,     /**< int 1..10: a conversation's importance */
    SEKHA_PARAM_PINNED = 102,         /**< int 0/1: only (un)pinned conversations */
    SEKHA_PARAM_ARCHIVED = 103,       /**< int 0/1: only (un)archived conversations */
    SEKHA_PARAM_PAGE = 104,           /**< int >= 1: the page to return */
    SEKHA_PARAM_PAGE_SIZE = 105,      /**< int >= 1: results per page */
    SEKHA_PARAM_LIMIT = 106,          /**< int >= 1: the most results to return */
    SEKHA_PARAM_OFFSET = 107,         /**< int >= 0: results to skip */
    SEKHA_PARAM_BUDGET = 108,         /**< int >= 1: a context budget, in tokens */
    SEKHA_PARAM_THRESHOLD_DAYS = 109, /**< int >= 0: the age, in days, that makes a
                                           conversation a pruning candidate */
    SEKHA_PARAM_INCLUDE_METADATA = 110, /**< int 0/1: include metadata in an export */
    SEKHA_PARAM_EMBED_API = 111,      /**< int: a ::sekha_embed_api value */
    SEKHA_PARAM_TIMEOUT_MS = 112,     /**< int >= 1: a per-call time limit, in ms */
    SEKHA_PARAM_HTTP_FLAGS = 113,     /**< int: SEKHA_HTTP_* bits of a raw request */
    SEKHA_PARAM_REQUIRE_VISION = 114, /**< int 0/1: route only to a model that takes images */
    SEKHA_PARAM_CONTEXT_SIZE = 115,   /**< int >= 1: the context window a route needs, in tokens */
    /* ---- real numbers (sekha_params_set_real) ---- */
    SEKHA_PARAM_TEMPERATURE = 200,    /**< real, finite, >= 0: sampling temperature (the
                                       *   bridge calls take at most 2) */
    SEKHA_PARAM_IMPORTANCE_THRESHOLD = 201, /**< real, finite, >= 0: prune below this */
    SEKHA_PARAM_MAX_COST = 202,       /**< real, finite, >= 0: the most a routed request may cost, USD */
    /* ---- text lists (sekha_params_set_list) ---- */
    SEKHA_PARAM_PREFERRED_LABELS = 300, /**< list: labels to prefer when recalling context */
    SEKHA_PARAM_EXCLUDED_FOLDERS = 301, /**< list: folder prefixes to leave out */
    SEKHA_PARAM_LABELS = 302,         /**< list: only results with one of these labels */
    SEKHA_PARAM_HEADERS = 303,        /**< list: extra "Name: value" request headers */
    /* ---- bytes (sekha_params_set_bytes) ---- */
    SEKHA_PARAM_BODY = 400,           /**< bytes: a raw request body */
    /* ---- callbacks (their own setters, declared with their types) ---- */
    SEKHA_PARAM_ON_CHUNK = 500,       /**< callback: sekha_params_set_on_chunk() (bridge.h) */
    SEKHA_PARAM_ON_EVENT = 501,       /**< callback: sekha_params_set_on_event() (http.h) */
    SEKHA_PARAM_ON_PROGRESS = 502     /**< callback: sekha_params_set_on_progress() (mcp.h) */
} sekha_param;

/** Creates an empty parameters object (every key unset).
 * @return the object, to free with sekha_params_free(); NULL when out of memory. */
SEKHA_API sekha_params *sekha_params_new(void);

/** Frees a parameters object. NULL is a no-op.
 * @param p the object (may be NULL). */
SEKHA_API void sekha_params_free(sekha_params *p);

/** Returns a deep copy (values, callbacks and the remembered error).
 * @param p the object to copy.
 * @return the copy, to free with sekha_params_free(); NULL when p is NULL or out of memory. */
SEKHA_API sekha_params *sekha_params_copy(const sekha_params *p);

/** Sets a text key. The text is copied; it must be valid UTF-8, and for the *_JSON keys
 * one valid JSON value (an object for ::SEKHA_PARAM_EXTRA_JSON).
 * @param p the parameters.
 * @param key a text key.
 * @param value the text; NULL unsets the key.
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG (wrong key type or bad value; the previous
 *         value is kept and sekha_params_error() says why) or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_params_set_text(sekha_params *p, sekha_param key, const char *value);

/** Sets an integer key.
 * @param p the parameters.
 * @param key an integer key.
 * @param value the value, within the key's range.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG (wrong key type or out of range; the
 *         previous value is kept). */
SEKHA_API sekha_code sekha_params_set_int(sekha_params *p, sekha_param key, int64_t value);

/** Sets a real-number key.
 * @param p the parameters.
 * @param key a real key.
 * @param value the value: finite and within the key's range.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG (the previous value is kept). */
SEKHA_API sekha_code sekha_params_set_real(sekha_params *p, sekha_param key, double value);

/** Sets a list-of-text key. The strings are copied and must be valid UTF-8.
 * @param p the parameters.
 * @param key a list key.
 * @param values a NULL-terminated array of strings; NULL unsets the key (an empty array is
 *        an empty list, which differs from unset only where the call says so).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_params_set_list(sekha_params *p, sekha_param key,
                                           const char *const *values);

/** Sets a bytes key. The bytes are copied.
 * @param p the parameters.
 * @param key a bytes key.
 * @param data the bytes (may be NULL when len is 0); NULL with len 0 unsets the key.
 * @param len their length.
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_params_set_bytes(sekha_params *p, sekha_param key, const void *data,
                                            size_t len);

/** Unsets a key of any type, callbacks included.
 * @param p the parameters.
 * @param key the key.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG for an unknown key. */
SEKHA_API sekha_code sekha_params_unset(sekha_params *p, sekha_param key);

/** Whether a key is set.
 * @param p the parameters (NULL: nothing is set).
 * @param key the key.
 * @return 1 when set, else 0. */
SEKHA_API int sekha_params_isset(const sekha_params *p, sekha_param key);

/** Why the first failed setter failed.
 * @param p the parameters.
 * @return a message naming the key (e.g. "out of memory setting model" when a copy could not be
 *         made), "" when every setter succeeded; valid until p is
 *         changed or freed. */
SEKHA_API const char *sekha_params_error(const sekha_params *p);

/** Clears the remembered error, so the parameters can be used again after a failed setter.
 * @param p the parameters. */
SEKHA_API void sekha_params_clear_error(sekha_params *p);

/** The name of a key as used in messages ("model", "max_tokens", ...).
 * @param key the key.
 * @return a static string, "unknown" for a value that is not a key. */
SEKHA_API const char *sekha_param_name(sekha_param key);

#ifdef __cplusplus
}
#endif

#endif
