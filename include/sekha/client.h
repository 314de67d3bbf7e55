/** @file client.h
 * @brief The client, its event loop, and request handles.
 *
 * **Ownership, the one rule of every header** (docs/API.md, section 4): a result or error
 * given to a callback is lent until the callback returns; `sekha_<result>_copy()` gives
 * one the caller owns, on any thread; `sekha_<result>_free()` releases one the caller owns
 * (sync results and copies), NULL being a no-op. Items reached through `_at(i)` live as
 * long as their list, strings returned by accessors as long as the object they came from,
 * and arguments (strings, messages, parameters) are copied or read before the call
 * returns. The other headers refer to this as "the one ownership rule".
 *
 * **Threads**: a client belongs to one thread at a time. Only sekha_client_wakeup() and
 * sekha_client_cancel() may be called from other threads. libsekha starts no threads.
 * Results the caller owns may be moved to and freed on any thread.
 *
 * **Requests**: every async call takes (callback, userdata) last and returns a request
 * handle. Exactly one final callback is made per request: on success, error, cancel,
 * timeout, or when the client is freed. It is always made from the loop
 * (sekha_client_run() or sekha_client_poll(), the mode-B entry points, or
 * sekha_client_free()), never from inside the call that started the request. After the
 * final callback returns, the handle is stale and libsekha never touches the userdata
 * again: that is the place to free it. A stale handle names no request, ever: the
 * functions below ignore it (or read 0), and it never equals a later request's handle, so
 * keeping one by mistake cannot reach another request (sekha_request_valid() tells). To
 * cancel from elsewhere or later, keep the id (sekha_request_id()) and use
 * sekha_client_cancel(). Cancel and free may be called anywhere, including inside
 * callbacks: they are deferred.
 *
 * **Two ways to drive a client**:
 *  - (A) let it run its own loop: sekha_client_run() or sekha_client_poll(), woken early
 *    by sekha_client_wakeup() from any thread;
 *  - (B) drive it from your event loop: sekha_client_set_loop_hooks() tells you which file
 *    descriptors to watch and when to call back; you call sekha_client_socket_ready() and
 *    sekha_client_timer_expired(). See examples/event_loop_poll.c.
 *
 * Sync calls (the `_sync` forms) need neither: they run a private loop of their own until
 * their request ends (other requests do not progress meanwhile), and fail with
 * ::SEKHA_E_IN_CALLBACK inside a callback.
 */
#ifndef SEKHA_CLIENT_H
#define SEKHA_CLIENT_H

#include "common.h"
#include "error.h"
#include "options.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Creates a client from a deep copy of the options.
 * @param opts the options (NULL = defaults); they may be changed or freed afterwards.
 * @param err on failure receives an error the caller owns (sekha_error_free()); may be NULL.
 * @return the client, to free with sekha_client_free(); NULL on failure. */
SEKHA_API sekha_client *sekha_client_new(const sekha_options *opts, sekha_error **err);

/** Frees the client.
 *
 * Each pending request first gets its final callback with ::SEKHA_E_CLOSED, from inside
 * this call. Legal inside a callback: the free then completes when the outermost callback
 * returns.
 * @param client the client; NULL is a no-op. */
SEKHA_API void sekha_client_free(sekha_client *client);

/** The client's own copy of its options.
 * @param client the client.
 * @return the options, read-only, valid while the client lives. */
SEKHA_API const sekha_options *sekha_client_options(const sekha_client *client);

/** Runs the loop until no request is pending (mode A). Final callbacks are made from
 * inside this call.
 * @param client the client.
 * @return ::SEKHA_OK; ::SEKHA_E_IN_CALLBACK inside a callback; ::SEKHA_E_INVALID_ARG for
 *         NULL or when loop hooks are installed (mode B); ::SEKHA_E_INTERNAL when the
 *         poller itself failed (every pending request has then ended with that error). */
SEKHA_API sekha_code sekha_client_run(sekha_client *client);

/** Waits for network or timer events, handles them and returns (mode A). Final callbacks
 * are made from inside this call. sekha_client_wakeup() makes a waiting poll return early.
 * @param client the client.
 * @param timeout_ms the longest wait, -1 to wait until something happens.
 * @return the number of requests still pending; on misuse a negative ::sekha_code
 *         (-::SEKHA_E_IN_CALLBACK, -::SEKHA_E_INVALID_ARG), -::SEKHA_E_INTERNAL when the
 *         poller failed and ended every pending request. */
SEKHA_API int sekha_client_poll(sekha_client *client, int timeout_ms);

/** Makes a sekha_client_poll() in another thread return early.
 *
 * Thread-safe, and also async-signal-safe (it is one write(2) to an eventfd), so a signal
 * handler may call it to wake the loop, which then acts on a flag the handler set.
 * @param client the client (NULL is ignored). */
SEKHA_API void sekha_client_wakeup(sekha_client *client);

/** The number of requests that have not had their final callback yet.
 * @param client the client.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_client_pending(const sekha_client *client);

/** Event bit for ::sekha_watch_fn and sekha_client_socket_ready(): readable. */
#define SEKHA_WATCH_READ 1
/** Event bit for ::sekha_watch_fn and sekha_client_socket_ready(): writable. */
#define SEKHA_WATCH_WRITE 2

/** Mode B: watch a file descriptor.
 * @param client the client.
 * @param fd the descriptor.
 * @param events SEKHA_WATCH_* bits; 0 means stop watching fd.
 * @param userdata the pointer given to sekha_client_set_loop_hooks(). */
typedef void (*sekha_watch_fn)(sekha_client *client, int fd, int events, void *userdata);

/** Mode B: call sekha_client_timer_expired() after a delay. A new call replaces the
 * previous timer.
 * @param client the client.
 * @param timeout_ms the delay; 0 means "as soon as possible, from your loop"; -1 cancels
 *        the timer.
 * @param userdata the pointer given to sekha_client_set_loop_hooks(). */
typedef void (*sekha_timer_fn)(sekha_client *client, long timeout_ms, void *userdata);

/** Switches the client to mode B: your event loop drives it.
 *
 * Must be called before the first request. The hooks are called from within libsekha
 * calls (this one included: the client's wake descriptor is announced at once); they
 * must not call back into the client. When the client is freed, every descriptor it asked
 * to watch gets a final watch(fd, 0) and the timer a final timer(-1), before the
 * descriptors are closed.
 * @param client the client.
 * @param watch the watch hook (required).
 * @param timer the timer hook (required).
 * @param userdata handed to both hooks.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG (NULL argument, hooks already set, or a
 *         request was already made). */
SEKHA_API sekha_code sekha_client_set_loop_hooks(sekha_client *client, sekha_watch_fn watch,
                                                 sekha_timer_fn timer, void *userdata);

/** Mode B: a watched descriptor became ready. Final callbacks may be made from inside
 * this call. Ignored inside a callback.
 * @param client the client.
 * @param fd the descriptor.
 * @param events the SEKHA_WATCH_* bits that are ready (0 if unknown). */
SEKHA_API void sekha_client_socket_ready(sekha_client *client, int fd, int events);

/** Mode B: the timer requested through ::sekha_timer_fn fired. Final callbacks may be made
 * from inside this call.
 * @param client the client. */
SEKHA_API void sekha_client_timer_expired(sekha_client *client);

/** Cancels the request with this id if it is still pending; its final callback reports
 * ::SEKHA_E_CANCELLED.
 *
 * Thread-safe: from another thread it takes effect on the client's next loop iteration
 * (the loop is woken). Unknown or finished ids are ignored.
 * @param client the client.
 * @param request_id the id from sekha_request_id(). */
SEKHA_API void sekha_client_cancel(sekha_client *client, uint64_t request_id);

/** Sets the W3C trace context that calls started from now on continue: their requests
 * take its trace id (and flags) instead of a new random one, and each still gets its own
 * span id (see trace.h).
 * @param client the client.
 * @param traceparent a W3C `traceparent` value, "00-<32 hex>-<16 hex>-<2 hex>" (lowercase,
 *        neither id all zeros), copied; NULL to go back to a new trace id per top-level
 *        call.
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG when client is NULL or the value is not in
 *         that format (nothing is then changed). */
SEKHA_API sekha_code sekha_client_set_trace_parent(sekha_client *client,
                                                   const char *traceparent);

/** Cancels a pending request from the client's own thread, including from inside any
 * callback.
 *
 * Its final callback (::SEKHA_E_CANCELLED) comes later from the loop, never from inside
 * this call. Cancelling a request that is already ending (a second cancel, or from its
 * own final callback) does nothing, and so does a stale handle.
 * @param req the request. */
SEKHA_API void sekha_request_cancel(sekha_request *req);

/** A client-unique id for the request, usable with sekha_client_cancel() from any thread
 * and after the handle is stale.
 * @param req the request.
 * @return the id, 0 for a stale handle. */
SEKHA_API uint64_t sekha_request_id(const sekha_request *req);

/** The HTTP attempts made so far (first try plus retries).
 * @param req the request.
 * @return the attempts, 0 for a stale handle. */
SEKHA_API int sekha_request_attempts(const sekha_request *req);

/** Whether a handle still names a request.
 * @param req the handle (may be NULL).
 * @return 1 while the request has not finished its final callback; 0 for a stale handle
 *         (its request ended, or its client was freed) or NULL. */
SEKHA_API int sekha_request_valid(const sekha_request *req);

/** Streaming backpressure: stop reading the response until sekha_request_resume().
 * Nothing is buffered beyond what was already received. A stale handle is ignored.
 * @param req the request. */
SEKHA_API void sekha_request_pause(sekha_request *req);

/** Resumes a paused stream; events already received are delivered first, from the loop.
 * @param req the request. */
SEKHA_API void sekha_request_resume(sekha_request *req);

#ifdef __cplusplus
}
#endif

#endif
