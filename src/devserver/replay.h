/* sekha-devserver --replay: answers requests from a recorded cassette (docs/cassette.md)
 * instead of the controller store and the bridge. */
#ifndef SEKHA_DEVSERVER_REPLAY_H
#define SEKHA_DEVSERVER_REPLAY_H

#include <stddef.h>
#include "ds.h"

/* Loads the cassette at path (JSON lines). Returns 0, or -1 with err set to
 * "FILE:LINE: what is wrong" (or why the file cannot be read). Call once, before the
 * listeners start; the cassette is read-only afterwards except for the per-request
 * cursors, which are locked. */
int ds_replay_load(const char *path, char *err, size_t errlen);

/* Answers one request from the cassette: the recorded answer of the next unused matching
 * exchange (the last one again once they are used up), a 404 naming the request when none
 * matches, or a closed connection for a recorded transport failure. server is the
 * DS_SRV_* listener it came to; uri is the path with its query as sent (NULL: rq->path).
 * Returns the MHD_Result to hand back to libmicrohttpd. */
int ds_replay_answer(int server, const ds_request *rq, const char *uri);

/* Releases the cassette; call after the listeners have stopped. */
void ds_replay_free(void);

#endif
