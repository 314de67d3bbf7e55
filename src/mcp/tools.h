/* The bodies of the Sekha memory tools that take a caller's JSON text or messages,
 * written apart from sending so that the fuzzer can check them. */
#ifndef SEKHA_MCP_TOOLS_H
#define SEKHA_MCP_TOOLS_H

#include <stdint.h>

#include "core/buf.h"
#include "sekha/sekha.h"

/* What memory_store sends when the caller sets no label or folder (the defaults of the
 * store_and_query workflow). */
#define MCP_DEFAULT_LABEL "Conversation"
#define MCP_DEFAULT_FOLDER "/"

/* memory_search: {query, limit?, filters?} into b (limit 0: left out). SEKHA_E_INVALID_ARG with the reason in
 * why (filters_json not one JSON object in UTF-8, a string that is not UTF-8),
 * SEKHA_E_NOMEM. */
sekha_code mcp_search_body(sekha_buf *b, const char *query, const char *filters_json,
                           int64_t limit, char *why, size_t why_len);

/* memory_store: {label, folder, messages, importance_score?} into b (importance 0: left
 * out); errors as for mcp_search_body (messages must pass sekha__messages_check). */
sekha_code mcp_store_body(sekha_buf *b, const char *label, const char *folder,
                          const sekha_messages *messages, int64_t importance, char *why,
                          size_t why_len);

#endif
