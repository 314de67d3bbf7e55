/* libsekha: the mcp sub-client (filled in by its issue). */
#ifndef SEKHA_MCP_H
#define SEKHA_MCP_H

#include "client.h"

#endif
