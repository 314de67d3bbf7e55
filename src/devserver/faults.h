/* sekha-devserver plumbing internals shared by main.c, http.c, faults.c and bridge.c.
 * The controller side (store.c, controller.c, ...) only sees ds.h; nothing here is part of
 * that contract. */
#ifndef SEKHA_DEVSERVER_FAULTS_H
#define SEKHA_DEVSERVER_FAULTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "ds.h"

struct MHD_Daemon;

/* Which listener a request arrived on; rules and request counts are kept per listener so a
 * test that posts a rule to the bridge cannot disturb the controller. */
enum ds_server_kind { DS_SRV_CONTROLLER = 0, DS_SRV_BRIDGE = 1 };

/* ---- lifecycle ---- */

/* Set once by main on SIGTERM/SIGINT; every wait loop polls it so that stalls, delays and
 * endless streams let MHD_stop_daemon join their threads promptly. */
void ds_set_stopping(void);
int ds_is_stopping(void);

/* Sleeps up to ms milliseconds (ms < 0: forever) in slices of at most 50 ms. Returns 0 when
 * the time passed, -1 as soon as the server is stopping or the peer of socket fd (ignored
 * when fd < 0) has closed or reset the connection. */
int ds_wait(int fd, long ms);

/* ---- fault rules (faults.c) ---- */

enum ds_close_mode {
    DS_CLOSE_NONE = 0,
    DS_CLOSE_BEFORE_STATUS,
    DS_CLOSE_MID_HEADERS,
    DS_CLOSE_MID_BODY,
    DS_CLOSE_AFTER_HANDLING,
};

/* How an SSE answer is written out. Zero values mean "normal". */
typedef struct ds_stream_opts {
    size_t chunk_size;       /* write in pieces of at most this many bytes (0 = as produced) */
    long chunk_delay_ms;     /* sleep between pieces */
    long truncate_after;     /* stop after this many events, no [DONE] (-1 = off) */
    int clean_close;         /* truncate with a proper end of body instead of an abort */
    int cut_mid_event;       /* abort in the middle of the second event */
    int endless;             /* never finish; one event per chunk_delay_ms (default 100) */
    int inband_error;        /* after the first event send an error event and end */
    int cut_after_done;      /* abort the connection right after "data: [DONE]" */
    size_t event_bytes;      /* make the first event's data this many bytes long */
    int malformed_json;      /* first event's data is truncated JSON */
    int invalid_utf8;        /* first event's data carries invalid UTF-8 */
} ds_stream_opts;

/* One step of a rule, as consumed by one request. Strings are owned by the step. */
typedef struct ds_step {
    int status;              /* 0 = none */
    char retry_after[64];
    char *body;              /* NULL = default error body */
    char *content_type;      /* NULL = application/json */
    char *location;          /* Location header of a status answer, NULL = none */
    long delay_ms;
    int stall;
    enum ds_close_mode close_mode;
    int malformed_json;
    int invalid_utf8;
    int redirect_loop;
    ds_stream_opts stream;
} ds_step;

/* Parses one rule object or an array of rules and appends them for listener `server`.
 * Returns 0, or -1 with a message in err. */
int ds_faults_add(int server, const char *json, size_t len, char *err, size_t errlen);
/* Removes every rule of every listener. */
void ds_faults_clear(void);
/* Number of rules still active. */
size_t ds_faults_count(void);
/* Consumes the next step of the first rule matching (server, method, path); returns 1 and
 * fills *out (release with ds_step_clear), 0 when no rule matches. */
int ds_faults_take(int server, const char *method, const char *path, ds_step *out);
void ds_step_clear(ds_step *st);

/* ---- request counters (faults.c) ---- */
void ds_count_hit(int server, const char *path);
long ds_count_get(int server, const char *path);

/* Releases rules and counters at shutdown. */
void ds_faults_shutdown(void);

/* ---- SSE answers (faults.c) ---- */

/* Produces the data payload of event k (without "data: " and the blank line), malloc'd, or
 * NULL when the events are over and [DONE] follows. With want_bytes > 0 the payload should be
 * padded to that length; with endless set it must never return NULL. */
typedef char *(*ds_event_fn)(void *ctx, size_t k, size_t want_bytes, int endless);

typedef struct ds_stream ds_stream;

/* Takes ownership of ctx (released with free_ctx, which may be NULL). */
ds_stream *ds_stream_new(ds_event_fn fn, void *ctx, void (*free_ctx)(void *));
void ds_stream_free(ds_stream *s);
/* Applies a fault step's stream options and the connection socket (for disconnect checks). */
void ds_stream_configure(ds_stream *s, const ds_stream_opts *o, int fd);
/* MHD content reader callback and its free callback; cls is the ds_stream. */
ssize_t ds_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void ds_stream_release(void *cls);

/* Serialises root compactly; when want is larger than the natural length, the string member
 * `key` of the object `holder` (inside root) is extended with 'x' characters so the text is
 * exactly want bytes long. Releases root; returns malloc'd text or NULL. */
char *ds_dump_padded(json_t *root, json_t *holder, const char *key, size_t want);

/* Copy of a JSON text with bytes 0xFF 0xFE inserted at the start of every string value that
 * follows a ':' (so keys stay readable). Returns NULL when there is no such value. */
char *ds_inject_invalid_utf8(const char *json, size_t len, size_t *out_len);

/* ---- listeners (http.c) ---- */

/* Makes the configuration and store available to every handler; call before ds_http_start.
 * verbose turns on libmicrohttpd's own error log. */
void ds_http_init(const ds_config *cfg, ds_store *st, int verbose);
/* Starts the listener of the given kind on 127.0.0.1:port (0 = any); *bound gets the port. */
struct MHD_Daemon *ds_http_start(int kind, int port, int *bound);
void ds_http_stop(struct MHD_Daemon *d);
/* Releases what http.c keeps (rate-limiter windows). */
void ds_http_shutdown(void);

/* ---- bridge (bridge.c) ---- */

/* Handles the bridge routes. Returns 1 when the path is a bridge route (rs filled, or
 * *stream set for an SSE answer), 0 when it is not. */
int ds_bridge_handle(const ds_config *cfg, const ds_request *rq, ds_response *rs,
                     ds_stream **stream);
/* The registry and LLM-helper routes (bridge_routes.c): 1 when the path is one of them. */
int ds_bridge_routes_handle(const ds_config *cfg, const ds_request *rq, ds_response *rs);

#endif
