/** @file sekha.h
 * @brief libsekha, a C client for the Sekha AI memory stack (controller, bridge, MCP):
 * include this one header.
 *
 * Start with client.h (the client, its loop and the one ownership rule), options.h (its
 * configuration) and error.h; params.h holds the optional parameters every call takes, and
 * controller.h, bridge.h, mcp.h and workflows.h the typed calls. http.h is the raw request
 * for anything the typed calls do not cover; trace.h the events that show every attempt.
 */
#ifndef SEKHA_H
#define SEKHA_H

#include "sekha/version.h"
#include "sekha/common.h"
#include "sekha/error.h"
#include "sekha/trace.h"
#include "sekha/options.h"
#include "sekha/client.h"
#include "sekha/params.h"
#include "sekha/messages.h"
#include "sekha/health.h"
#include "sekha/http.h"
#include "sekha/controller.h"
#include "sekha/bridge.h"
#include "sekha/bridge_routes.h"
#include "sekha/mcp.h"
#include "sekha/mcp_auth.h"
#include "sekha/workflows.h"

#endif
