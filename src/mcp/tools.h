/* The bodies of the Sekha memory tools that take a caller's JSON text, written apart from
 * sending so that the fuzzer can check them. */
#ifndef SEKHA_MCP_TOOLS_H
#define SEKHA_MCP_TOOLS_H

#include "core/buf.h"
#include "sekha/sekha.h"

/* memory_search: {query, limit?, filters?} into b. SEKHA_E_INVALID_ARG with the reason in
 * why (filters_json not one JSON object in UTF-8, a string that is not UTF-8),
 * SEKHA_E_NOMEM. */
sekha_code mcp_search_body(sekha_buf *b, const char *query, const char *filters_json,
                           unsigned limit, char *why, size_t why_len);

/* memory_store: {label, folder, messages, importance_score?} into b (importance -1: left
 * out); errors as for mcp_search_body (messages_json must be a non-empty array of
 * {role, content}). */
sekha_code mcp_store_body(sekha_buf *b, const char *label, const char *folder,
                          const char *messages_json, int importance, char *why, size_t why_len);

#endif
