/* sekha subcommands of the bridge area (filled in by its issue). */
#include "cli.h"

const cli_command cli_bridge_commands[] = {
    {0, 0, 0, 0},
};
