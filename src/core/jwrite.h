/* Writing JSON straight into a buffer, for request bodies on hot paths where building a
 * cJSON tree only to print it would cost more than the request's own work. */
#ifndef SEKHA_CORE_JWRITE_H
#define SEKHA_CORE_JWRITE_H

#include "core/buf.h"

/* Appends s as a JSON string: quoted, with '"', '\\' and control characters escaped (other
 * bytes are copied, so s should be UTF-8). Returns 0, or -1 when out of memory. */
int sekha__jw_string(sekha_buf *b, const char *s);
/* Appends v as a JSON integer. Returns 0 or -1. */
int sekha__jw_long(sekha_buf *b, long v);

#endif
