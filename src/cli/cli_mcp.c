/* sekha subcommands of the mcp area (filled in by its issue). */
#include "cli.h"

const cli_command cli_mcp_commands[] = {
    {0, 0, 0, 0},
};
