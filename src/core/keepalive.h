/* Writes on kept-alive connections without giving up at-most-once (docs/keepalive.md has
 * the reasoning). request.c calls these at fixed points of an attempt. */
#ifndef SEKHA_CORE_KEEPALIVE_H
#define SEKHA_CORE_KEEPALIVE_H

#include "core/internal.h"

/* Sets the connection options of an attempt: which pooled connections a write may take
 * (by idle age), and the guard that stops libcurl from re-sending it on its own. */
void sekha__ka_configure(CURL *e, sekha_request *r);

/* A response header line (as libcurl hands it over, CRLF included): notes the server's
 * "Keep-Alive: timeout=N" for this attempt. */
void sekha__ka_header(sekha_request *r, const char *line, size_t n);

/* The attempt ended: what the server announced becomes the service's known timeout. */
void sekha__ka_learn(sekha_request *r);

/* The error of a write whose re-send the guard stopped: it had been sent on a connection
 * that then died without an answer, so it may have been applied. */
sekha_error *sekha__ka_unknown_error(void);

#endif
