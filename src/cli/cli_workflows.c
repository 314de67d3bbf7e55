/* sekha subcommands of the workflows area (filled in by its issue). */
#include "cli.h"

const cli_command cli_workflow_commands[] = {
    {0, 0, 0, 0},
};
