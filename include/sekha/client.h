/* libsekha: the client, its event loop, and request handles.
 *
 * Threading: a client belongs to one thread at a time. Only sekha_client_wakeup() and
 * sekha_client_cancel() may be called from other threads. libsekha starts no threads.
 *
 * Requests: every async call takes (callback, userdata) last and returns a request handle.
 * Exactly one final callback is made per request: on success, error, cancel, timeout, or
 * when the client is freed. It is always made from the loop (sekha_client_run/poll, the
 * hook entry points, or sekha_client_free), never from inside the call that started the
 * request. After the final callback returns, the handle is stale and libsekha never touches
 * the userdata again: that is the place to free it. A stale handle names no request, ever:
 * the functions below ignore it (or read 0), and it is never equal to a later request's
 * handle, so keeping one by mistake cannot reach another request (sekha_request_valid()
 * tells). To cancel from elsewhere or later, keep the id (sekha_request_id()) and use
 * sekha_client_cancel(). Results and errors passed to callbacks are lent until the
 * callback returns.
 *
 * Cancel and free may be called anywhere, including inside callbacks: they are deferred.
 *
 * Two ways to drive a client:
 *  (A) let it run its own loop: sekha_client_run() or sekha_client_poll(), woken early by
 *      sekha_client_wakeup() from any thread;
 *  (B) drive it from your event loop: sekha_client_set_loop_hooks() tells you which file
 *      descriptors to watch and when to call back; you call sekha_client_socket_ready() and
 *      sekha_client_timer_expired(). See examples/event_loop_poll.c.
 * Sync calls (the *_sync forms) never need either: they run a private loop of their own
 * until their request ends, and fail with SEKHA_E_IN_CALLBACK inside a callback.
 */
#ifndef SEKHA_CLIENT_H
#define SEKHA_CLIENT_H

#include "common.h"
#include "error.h"
#include "options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates a client from a deep copy of opts (NULL = defaults). On failure returns NULL and,
 * when err is not NULL, stores an error the caller frees with sekha_error_free(). */
SEKHA_API sekha_client *sekha_client_new(const sekha_options *opts, sekha_error **err);

/* Frees the client. Each pending request first gets its final callback with
 * SEKHA_E_CLOSED. Legal inside a callback: the free then completes when the outermost
 * callback returns. NULL is a no-op. */
SEKHA_API void sekha_client_free(sekha_client *client);

/* The client's own copy of its options (read-only; valid while the client lives). */
SEKHA_API const sekha_options *sekha_client_options(const sekha_client *client);

/* Runs the loop until no request is pending. Returns SEKHA_OK, or SEKHA_E_IN_CALLBACK,
 * or SEKHA_E_INVALID_ARG when loop hooks are installed (mode B), or SEKHA_E_INTERNAL when
 * the poller itself failed (every pending request has then ended with that error). */
SEKHA_API sekha_code sekha_client_run(sekha_client *client);

/* Waits up to timeout_ms (-1 = until something happens) for network or timer events,
 * handles them, and returns the number of requests still pending (negative sekha_code
 * on misuse, -SEKHA_E_INTERNAL when the poller failed and ended every pending request).
 * sekha_client_wakeup() makes a waiting poll return early. */
SEKHA_API int sekha_client_poll(sekha_client *client, int timeout_ms);

/* Makes a sekha_client_poll() in another thread return early. Thread-safe, and also
 * async-signal-safe (it is one write(2) to an eventfd), so a signal handler may call it to
 * wake the loop, which then acts on a flag the handler set. */
SEKHA_API void sekha_client_wakeup(sekha_client *client);

/* Number of requests that have not had their final callback yet. */
SEKHA_API size_t sekha_client_pending(const sekha_client *client);

/* Bits for sekha_watch_fn and sekha_client_socket_ready(). */
#define SEKHA_WATCH_READ 1
#define SEKHA_WATCH_WRITE 2

/* Mode B: watch fd for `events` (SEKHA_WATCH_* bits); events == 0 means stop watching it. */
typedef void (*sekha_watch_fn)(sekha_client *client, int fd, int events, void *userdata);

/* Mode B: call sekha_client_timer_expired() after timeout_ms; -1 cancels the timer.
 * A new call replaces the previous timer. 0 means "as soon as possible", from your loop. */
typedef void (*sekha_timer_fn)(sekha_client *client, long timeout_ms, void *userdata);

/* Switches the client to mode B. Must be called before the first request. The hooks are
 * called from within libsekha calls; they must not call back into the client. When the
 * client is freed, every fd it asked to watch gets a final watch(fd, 0) and the timer a
 * final timer(-1), before the fds are closed. */
SEKHA_API sekha_code sekha_client_set_loop_hooks(sekha_client *client, sekha_watch_fn watch,
                                                 sekha_timer_fn timer, void *userdata);

/* Mode B: fd became ready for `events` (SEKHA_WATCH_* bits; 0 if unknown). */
SEKHA_API void sekha_client_socket_ready(sekha_client *client, int fd, int events);

/* Mode B: the timer requested through sekha_timer_fn fired. */
SEKHA_API void sekha_client_timer_expired(sekha_client *client);

/* Cancels the request with this id if it is still pending; its final callback reports
 * SEKHA_E_CANCELLED. Thread-safe: from another thread it takes effect on the client's
 * next loop iteration (the loop is woken). Unknown or finished ids are ignored. */
SEKHA_API void sekha_client_cancel(sekha_client *client, uint64_t request_id);

/* Cancels a pending request from the client's own thread, including from inside any
 * callback. Its final callback (SEKHA_E_CANCELLED) comes later from the loop, never from
 * inside this call. Cancelling a request that is already ending (a second cancel, or from
 * its own final callback) does nothing, and so does a stale handle (see above). */
SEKHA_API void sekha_request_cancel(sekha_request *req);

/* A client-unique id for the request, usable with sekha_client_cancel() from any thread
 * and after the handle is stale. 0 for a stale handle. */
SEKHA_API uint64_t sekha_request_id(const sekha_request *req);

/* HTTP attempts made so far (first try plus retries); 0 for a stale handle. */
SEKHA_API int sekha_request_attempts(const sekha_request *req);

/* 1 while the handle names a request that has not finished its final callback, 0 for a
 * stale handle (its request ended, or its client was freed) or NULL. */
SEKHA_API int sekha_request_valid(const sekha_request *req);

/* Streaming backpressure: stop reading the response until sekha_request_resume().
 * Nothing is buffered beyond what was already received. A stale handle is ignored. */
SEKHA_API void sekha_request_pause(sekha_request *req);

/* Resumes a paused stream; events already received are delivered first. */
SEKHA_API void sekha_request_resume(sekha_request *req);

#ifdef __cplusplus
}
#endif

#endif
