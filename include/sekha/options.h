/** @file options.h
 * @brief Client configuration: URLs, keys, timeouts, retries, rate limits, TLS, limits,
 * logging.
 *
 * An options object is filled with validating setters and deep-copied into each client by
 * sekha_client_new(), so it can be changed or freed afterwards. Every setter returns
 * ::SEKHA_OK or ::SEKHA_E_INVALID_ARG; on failure sekha_options_last_error() says why and
 * the previous value is kept. Strings are copied; API keys are copied into
 * libsodium-guarded memory and wiped when replaced or freed. An options object belongs to
 * one thread at a time.
 */
#ifndef SEKHA_OPTIONS_H
#define SEKHA_OPTIONS_H

#include "common.h"
#include "error.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Levels of the debug log (sekha_options_set_log()), from most to least severe. */
typedef enum sekha_log_level {
    SEKHA_LOG_ERROR = 0, /**< errors only */
    SEKHA_LOG_WARN = 1,  /**< also warnings: every failed request, dropped peer messages */
    SEKHA_LOG_INFO = 2,  /**< one line per attempt and per outcome, local rate-limit waits */
    SEKHA_LOG_DEBUG = 3  /**< also request and response headers (Authorization redacted) */
} sekha_log_level;

/** Receives one log line. Called on the client's thread, from inside libsekha calls.
 * @param level the line's level.
 * @param line the text, without a trailing newline, secrets redacted (lent until the
 *        callback returns).
 * @param userdata the pointer given to sekha_options_set_log(). */
typedef void (*sekha_log_fn)(sekha_log_level level, const char *line, void *userdata);

/** Creates options with the defaults:
 *  - controller http://localhost:8080, bridge http://localhost:5001, MCP = the controller
 *    URL; no keys;
 *  - call timeout 300 s (total, retries included); attempt timeout 30 s; connect timeout
 *    10 s; stream idle timeout 30 s;
 *  - 3 retries, backoff base 250 ms, cap 8 s, total retry budget 60 s, Retry-After cap
 *    60 s;
 *  - controller rate limit 1000 requests per 60 s (the controller's own limit), bridge and
 *    MCP unlimited;
 *  - user agent "libsekha/<version>"; TLS verification on; response limit 64 MiB; SSE
 *    event limit 1 MiB.
 * @return the options, to free with sekha_options_free(); NULL when out of memory. */
SEKHA_API sekha_options *sekha_options_new(void);

/** Frees options, wiping the keys.
 * @param opts the options; NULL is a no-op. */
SEKHA_API void sekha_options_free(sekha_options *opts);

/** A deep copy.
 * @param opts the options.
 * @return the copy, to free with sekha_options_free(); NULL when out of memory. */
SEKHA_API sekha_options *sekha_options_copy(const sekha_options *opts);

/** Why the last failed setter on these options failed.
 * @param opts the options.
 * @return the reason, "" when none failed; valid until the next setter or the free. */
SEKHA_API const char *sekha_options_last_error(const sekha_options *opts);

/** Sets a service's base URL: http:// or https://, a host, an optional port and path
 * prefix; no query, fragment, credentials, spaces or control characters. A trailing '/'
 * is removed.
 * @param opts the options.
 * @param svc the service.
 * @param url the base URL.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_url(sekha_options *opts, sekha_service svc,
                                           const char *url);

/** The base URL of a service as stored.
 * @param opts the options.
 * @param svc the service.
 * @return the URL (MCP falls back to the controller URL when unset); valid until the URL
 *         is set again or the options are freed. */
SEKHA_API const char *sekha_options_get_url(const sekha_options *opts, sekha_service svc);

/** Sets a service's API key, sent as "Authorization: Bearer <key>".
 *
 * Keys must be printable ASCII without spaces, at most 4096 bytes. The MCP key falls back
 * to the controller key when unset, as the reference SDKs do.
 * @param opts the options.
 * @param svc the service.
 * @param key the key; NULL or "" clears it.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_api_key(sekha_options *opts, sekha_service svc,
                                               const char *key);

/** Whether a key is set for a service (after the MCP fallback). Keys are never readable.
 * @param opts the options.
 * @param svc the service.
 * @return 1 when a key is set, else 0. */
SEKHA_API int sekha_options_has_api_key(const sekha_options *opts, sekha_service svc);

/** The total time a call may take, from the call to its final callback.
 *
 * Rate-limit waits, every attempt, the backoff between them and the whole of a stream are
 * included. When it runs out the call ends with ::SEKHA_E_TIMEOUT ("timed out"), a stream
 * keeping what it already delivered. A composed call (a workflow) shares one deadline
 * among its steps.
 * @param opts the options.
 * @param ms 1 ms to 1 day, or 0 for no total limit; the default is 300 s (5 minutes).
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_call_timeout_ms(sekha_options *opts, long ms);

/** The time one attempt of a non-streaming request may take (connect, send, receive).
 * A timed-out attempt may be retried while the call timeout allows. Streams have the idle
 * timeout instead.
 * @param opts the options.
 * @param ms 1 ms to 1 day; the default is 30 s.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_attempt_timeout_ms(sekha_options *opts, long ms);

/** The time allowed for establishing a connection (DNS, TCP and TLS).
 * @param opts the options.
 * @param ms 1 ms to 1 day; the default is 10 s.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_connect_timeout_ms(sekha_options *opts, long ms);

/** For streams: the longest silence allowed between two received bytes.
 * @param opts the options.
 * @param ms 1 ms to 1 day; the default is 30 s.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_stream_idle_timeout_ms(sekha_options *opts, long ms);

/** The retries after the first attempt.
 * @param opts the options.
 * @param retries 0 to 100 (0 disables retrying); the default is 3.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_max_retries(sekha_options *opts, int retries);

/** Exponential backoff with full jitter: the n-th retry waits a uniform random time in
 * [0, min(cap, base * 2^(n-1))].
 * @param opts the options.
 * @param base_ms 1 ms up to cap_ms; the default is 250 ms.
 * @param cap_ms 1 ms to 1 hour; the default is 8 s.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_backoff(sekha_options *opts, long base_ms, long cap_ms);

/** The total time from the first attempt after which no retry starts.
 * @param opts the options.
 * @param ms 1 ms to 1 day; the default is 60 s.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_retry_budget_ms(sekha_options *opts, long ms);

/** The longest Retry-After that is honoured. A longer one ends the request with the HTTP
 * error, whose sekha_error_retry_after_ms() tells the caller how long to wait.
 * @param opts the options.
 * @param ms 0 to 1 day; the default is 60 s.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_max_retry_after_ms(sekha_options *opts, long ms);

/** A token bucket per service: at most `requests` per `window_ms` on average, in bursts
 * of up to `requests`. When the limiter makes a request wait, an INFO log line says so.
 * @param opts the options.
 * @param svc the service.
 * @param requests the requests per window; 0 disables limiting for that service.
 * @param window_ms the window, in ms.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_rate_limit(sekha_options *opts, sekha_service svc,
                                                  long requests, long window_ms);

/** The same as sekha_options_set_rate_limit(), from text as SEKHA_RATE_LIMIT and the CLI's
 * --rate-limit spell it.
 * @param opts the options.
 * @param svc the service.
 * @param text "N" for N requests per minute, "N/SECONDS" for N per that many seconds (may
 *        be fractional, at most 86400), "0" for no limit.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG for anything else (nothing changed). */
SEKHA_API sekha_code sekha_options_set_rate_limit_text(sekha_options *opts, sekha_service svc,
                                                       const char *text);

/** The User-Agent header value.
 * @param opts the options.
 * @param ua printable ASCII, at most 256 bytes ("libsekha/VERSION" by default); NULL sends
 *        no User-Agent at all, which saves libcurl about 4% of the CPU of a small request
 *        (it formats every header line it sends).
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_user_agent(sekha_options *opts, const char *ua);

/** Turns TLS peer and host-name verification off (it is on by default). Off, every HTTPS
 * connection accepts any certificate: only for local testing.
 * @param opts the options.
 * @param insecure non-zero to skip verification, 0 to verify.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG (NULL options). */
SEKHA_API sekha_code sekha_options_set_tls_insecure_skip_verify(sekha_options *opts,
                                                                int insecure);

/** A PEM file of CA certificates to trust instead of the system store.
 * @param opts the options.
 * @param path the file (1 to 4096 bytes; read when connecting); NULL for the system store.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_ca_file(sekha_options *opts, const char *path);

/** The largest response body accepted; a larger one ends the request with
 * ::SEKHA_E_TOO_LARGE.
 * @param opts the options.
 * @param bytes 1 KiB to 4 GiB; the default is 64 MiB.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_max_response_bytes(sekha_options *opts, size_t bytes);

/** The largest SSE event (and line) accepted while streaming; a larger one ends the
 * request with ::SEKHA_E_TOO_LARGE.
 * @param opts the options.
 * @param bytes 64 bytes to 256 MiB; the default is 1 MiB.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_options_set_max_event_bytes(sekha_options *opts, size_t bytes);

/** Installs a debug-log callback. Lines never contain API keys.
 * @param opts the options.
 * @param max_level the most verbose level passed to fn.
 * @param fn the callback, NULL to remove it.
 * @param userdata handed to fn.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG (unknown level). */
SEKHA_API sekha_code sekha_options_set_log(sekha_options *opts, sekha_log_level max_level,
                                           sekha_log_fn fn, void *userdata);

/** Installs a trace callback: one ::SEKHA_TRACE_ATTEMPT event per HTTP attempt and one
 * ::SEKHA_TRACE_END event per request (see trace.h). Without one, tracing costs nothing.
 * @param opts the options.
 * @param fn the callback, NULL to remove it.
 * @param userdata handed to fn.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG when opts is NULL. */
SEKHA_API sekha_code sekha_options_set_trace(sekha_options *opts, sekha_trace_fn fn,
                                             void *userdata);

/** When HTTP requests carry a W3C `traceparent` header (see trace.h). */
typedef enum sekha_traceparent_mode {
    /** The default: when a trace is wanted, that is when a trace callback is set
     * (sekha_options_set_trace()) or the client was given a parent
     * (sekha_client_set_trace_parent()). Otherwise requests go without it: libcurl formats
     * every header line it sends byte by byte, and this 68-byte line costs about 9 % of
     * the CPU of a small request, a price for nothing when nobody collects the trace. */
    SEKHA_TRACEPARENT_AUTO = 0,
    /** On every request (to join traces that the servers alone collect). */
    SEKHA_TRACEPARENT_ALWAYS = 1,
    /** Never, even when tracing or given a parent. */
    SEKHA_TRACEPARENT_NEVER = 2
} sekha_traceparent_mode;

/** When HTTP requests carry a W3C `traceparent` header
 * (`00-<trace id>-<span id>-<flags>`, see trace.h).
 * @param opts the options.
 * @param mode ::SEKHA_TRACEPARENT_AUTO (the default), ::SEKHA_TRACEPARENT_ALWAYS or
 *        ::SEKHA_TRACEPARENT_NEVER.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG when opts is NULL or mode is none of
 *         these. */
SEKHA_API sekha_code sekha_options_set_traceparent(sekha_options *opts,
                                                   sekha_traceparent_mode mode);

/** Records every exchange into a cassette: a file of JSON lines, one per HTTP attempt that
 * ended, with the request (service, method, path and query, body) and the response
 * (status, the headers a client reads, body, or a stream's raw bytes with their arrival
 * times), which `sekha-devserver --replay` serves again (docs/cassette.md). The file is
 * created (or truncated, mode 0600) by sekha_client_new(), which fails when it cannot
 * be, and closed by sekha_client_free(). No Authorization header is recorded, and an API
 * key configured in the client is replaced by "[REDACTED]" wherever it would appear.
 * @param opts the options.
 * @param path the file, NULL to record nothing (the default); copied.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG (an empty path or one over 4096 bytes). */
SEKHA_API sekha_code sekha_options_set_record(sekha_options *opts, const char *path);

/** Reads the environment, the one place libsekha does so.
 *
 * Variables: SEKHA_CONTROLLER_URL, SEKHA_API_KEY, SEKHA_BRIDGE_URL, SEKHA_BRIDGE_API_KEY,
 * SEKHA_MCP_URL, SEKHA_MCP_API_KEY, SEKHA_TIMEOUT (the call timeout, i.e. the total time
 * per call with retries and streaming included, in seconds, may be fractional),
 * SEKHA_MAX_RETRIES (an integer), SEKHA_RATE_LIMIT (the controller's client-side rate
 * limit, default 1000 per 60 s: "N" per minute, "N/SECONDS", "0" for none; see
 * sekha_options_set_rate_limit_text()). Unset or empty variables leave the option
 * unchanged. Not thread-safe against setenv() in other threads, as getenv() is not.
 * @param opts the options.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG on an invalid value: nothing is then
 *         changed and sekha_options_last_error() names the variable. */
SEKHA_API sekha_code sekha_options_from_env(sekha_options *opts);

#ifdef __cplusplus
}
#endif

#endif
