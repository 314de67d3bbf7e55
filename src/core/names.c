/* Static names of the enums every service shares. */
#include "core/internal.h"

const char *sekha_service_status_name(sekha_service_status s)
{
    switch (s) {
    case SEKHA_STATUS_HEALTHY: return "healthy";
    case SEKHA_STATUS_DEGRADED: return "degraded";
    case SEKHA_STATUS_UNHEALTHY: return "unhealthy";
    case SEKHA_STATUS_UNREACHABLE: return "unreachable";
    }
    return "unknown";
}

const char *sekha_service_name(sekha_service svc)
{
    switch (svc) {
    case SEKHA_SERVICE_CONTROLLER: return "controller";
    case SEKHA_SERVICE_BRIDGE: return "bridge";
    case SEKHA_SERVICE_MCP: return "mcp";
    }
    return "unknown";
}
