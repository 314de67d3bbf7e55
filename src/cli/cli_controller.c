/* sekha subcommands of the controller area (filled in by its issue). */
#include "cli.h"

const cli_command cli_controller_commands[] = {
    {0, 0, 0, 0},
};
