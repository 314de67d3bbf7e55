/* libsekha: client configuration.
 *
 * An options object is filled with validating setters and deep-copied into each client by
 * sekha_client_new(), so it can be changed or freed afterwards. Every setter returns
 * SEKHA_OK or SEKHA_E_INVALID_ARG; on failure sekha_options_last_error() says why and the
 * previous value is kept. Strings are copied; API keys are copied into libsodium-guarded
 * memory and wiped when replaced or freed.
 */
#ifndef SEKHA_OPTIONS_H
#define SEKHA_OPTIONS_H

#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels of the debug-log callback. */
typedef enum sekha_log_level {
    SEKHA_LOG_ERROR = 0,
    SEKHA_LOG_WARN = 1,
    SEKHA_LOG_INFO = 2,    /* one line per attempt and per outcome */
    SEKHA_LOG_DEBUG = 3    /* also request and response headers (Authorization redacted) */
} sekha_log_level;

/* Receives one log line (no trailing newline). Secrets are redacted before this is called. */
typedef void (*sekha_log_fn)(sekha_log_level level, const char *line, void *userdata);

/* Creates options with the defaults:
 *   controller http://localhost:8080, bridge http://localhost:5001, MCP = controller URL;
 *   no keys; call timeout 300 s (total, retries included); attempt timeout 30 s;
 *   connect timeout 10 s; stream idle timeout 30 s;
 *   3 retries, backoff base 250 ms, cap 8 s, total retry budget 60 s, Retry-After cap 60 s;
 *   controller rate limit 1000 requests per 60 s (the controller's own limit), bridge and
 *   MCP unlimited; user agent "libsekha/<version>"; TLS verification on; response limit
 *   64 MiB; SSE event limit 1 MiB.
 * Returns NULL on no memory. */
SEKHA_API sekha_options *sekha_options_new(void);

/* Frees options (wiping keys). NULL is a no-op. */
SEKHA_API void sekha_options_free(sekha_options *opts);

/* Returns a deep copy, NULL on no memory. */
SEKHA_API sekha_options *sekha_options_copy(const sekha_options *opts);

/* The reason the last setter on these options failed, "" if none did. */
SEKHA_API const char *sekha_options_last_error(const sekha_options *opts);

/* Sets a service's base URL: http:// or https://, a host, optional port and path prefix;
 * no query, fragment, credentials, spaces or control characters. A trailing '/' is removed. */
SEKHA_API sekha_code sekha_options_set_url(sekha_options *opts, sekha_service svc, const char *url);

/* The base URL of a service as stored (MCP falls back to the controller URL when unset). */
SEKHA_API const char *sekha_options_get_url(const sekha_options *opts, sekha_service svc);

/* Sets a service's API key (sent as "Authorization: Bearer <key>"); NULL or "" clears it.
 * Keys must be printable ASCII without spaces, at most 4096 bytes. The MCP key falls back
 * to the controller key when unset, as the reference SDKs do. */
SEKHA_API sekha_code sekha_options_set_api_key(sekha_options *opts, sekha_service svc, const char *key);

/* Whether a key is set for a service (after the MCP fallback). Keys are never readable. */
SEKHA_API int sekha_options_has_api_key(const sekha_options *opts, sekha_service svc);

/* The total time a call may take, from the call to its final callback: rate-limit waits,
 * every attempt, backoff between them and the whole of a stream included. When it runs
 * out the call ends with SEKHA_E_TIMEOUT ("timed out"), a stream keeping what it already
 * delivered. A composed call (a workflow) shares one deadline among its steps.
 * 1 ms to 1 day, or 0 for no total limit; the default is 300 s (5 minutes). */
SEKHA_API sekha_code sekha_options_set_call_timeout_ms(sekha_options *opts, long ms);

/* The time one attempt of a non-streaming request may take (connect, send, receive);
 * a timed-out attempt may be retried while the call timeout allows. 1 ms to 1 day;
 * the default is 30 s. Streams have the idle timeout instead. */
SEKHA_API sekha_code sekha_options_set_attempt_timeout_ms(sekha_options *opts, long ms);

/* Timeout for establishing a connection (DNS + TCP + TLS), 1 ms to 1 day. */
SEKHA_API sekha_code sekha_options_set_connect_timeout_ms(sekha_options *opts, long ms);

/* For streams: the longest silence allowed between two received bytes, 1 ms to 1 day. */
SEKHA_API sekha_code sekha_options_set_stream_idle_timeout_ms(sekha_options *opts, long ms);

/* Retries after the first attempt, 0 to 100 (0 disables retrying). */
SEKHA_API sekha_code sekha_options_set_max_retries(sekha_options *opts, int retries);

/* Exponential backoff with full jitter: the n-th retry waits a uniform random time in
 * [0, min(cap, base * 2^(n-1))]. base 1 ms..cap, cap 1 ms..1 hour. */
SEKHA_API sekha_code sekha_options_set_backoff(sekha_options *opts, long base_ms, long cap_ms);

/* Total time from the first attempt after which no retry starts, 1 ms to 1 day. */
SEKHA_API sekha_code sekha_options_set_retry_budget_ms(sekha_options *opts, long ms);

/* Longest Retry-After that is honoured; a longer one ends the request with the HTTP error
 * (its sekha_error_retry_after_ms() tells the caller how long to wait). 0 to 1 day. */
SEKHA_API sekha_code sekha_options_set_max_retry_after_ms(sekha_options *opts, long ms);

/* Token bucket per service: at most `requests` per `window_ms` on average, bursts of up to
 * `requests`. requests = 0 disables limiting for that service. */
SEKHA_API sekha_code sekha_options_set_rate_limit(sekha_options *opts, sekha_service svc,
                                                  long requests, long window_ms);

/* The same from text, as SEKHA_RATE_LIMIT and the CLI's --rate-limit spell it: "N" is N
 * requests per minute, "N/SECONDS" N per that many seconds (may be fractional, at most
 * 86400), "0" no limit. Anything else is SEKHA_E_INVALID_ARG, nothing changed. */
SEKHA_API sekha_code sekha_options_set_rate_limit_text(sekha_options *opts, sekha_service svc,
                                                       const char *text);

/* User-Agent header value; printable ASCII, at most 256 bytes ("libsekha/VERSION" by
 * default). NULL sends no User-Agent at all, which saves libcurl about 4% of the CPU of a
 * small request (it formats every header line it sends). */
SEKHA_API sekha_code sekha_options_set_user_agent(sekha_options *opts, const char *ua);

/* TLS peer and host-name verification; on by default. Turning it off makes every HTTPS
 * connection accept any certificate: only for local testing. */
SEKHA_API sekha_code sekha_options_set_tls_insecure_skip_verify(sekha_options *opts, int insecure);

/* A PEM file of CA certificates to trust instead of the system store; NULL for the system. */
SEKHA_API sekha_code sekha_options_set_ca_file(sekha_options *opts, const char *path);

/* Largest response body accepted (bytes, 1 KiB to 4 GiB). */
SEKHA_API sekha_code sekha_options_set_max_response_bytes(sekha_options *opts, size_t bytes);

/* Largest SSE event (and line) accepted while streaming (bytes, 64 to 256 MiB). */
SEKHA_API sekha_code sekha_options_set_max_event_bytes(sekha_options *opts, size_t bytes);

/* Installs a debug-log callback, NULL to remove it. Lines never contain API keys. */
SEKHA_API sekha_code sekha_options_set_log(sekha_options *opts, sekha_log_level max_level,
                                           sekha_log_fn fn, void *userdata);

/* Reads the environment, the one place libsekha does so:
 *   SEKHA_CONTROLLER_URL, SEKHA_API_KEY, SEKHA_BRIDGE_URL, SEKHA_BRIDGE_API_KEY,
 *   SEKHA_MCP_URL, SEKHA_MCP_API_KEY, SEKHA_TIMEOUT (the call timeout, i.e. the total
 *   time per call with retries and streaming included, in seconds, may be fractional),
 *   SEKHA_MAX_RETRIES (integer), SEKHA_RATE_LIMIT (the controller's client-side rate
 *   limit, default 1000 per 60 s: "N" per minute, "N/SECONDS", "0" for none; see
 *   sekha_options_set_rate_limit_text). When the limiter makes a request wait, an INFO log
 *   line says so ("rate limited locally, waiting N ms").
 * Unset or empty variables leave the option unchanged. On an invalid value nothing is
 * changed, SEKHA_E_INVALID_ARG is returned and sekha_options_last_error() names the
 * variable. */
SEKHA_API sekha_code sekha_options_from_env(sekha_options *opts);

#ifdef __cplusplus
}
#endif

#endif
