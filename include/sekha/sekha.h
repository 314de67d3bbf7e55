/* libsekha: a C client for the Sekha AI memory stack (controller, bridge, MCP).
 * Include this one header. */
#ifndef SEKHA_H
#define SEKHA_H

#include "sekha/version.h"
#include "sekha/common.h"
#include "sekha/error.h"
#include "sekha/options.h"
#include "sekha/client.h"
#include "sekha/params.h"
#include "sekha/messages.h"
#include "sekha/health.h"
#include "sekha/http.h"
#include "sekha/controller.h"
#include "sekha/bridge.h"
#include "sekha/mcp.h"
#include "sekha/workflows.h"

#endif
