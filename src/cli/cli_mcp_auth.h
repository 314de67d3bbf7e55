/* sekha mcp login / logout, and the stored OAuth state that `sekha mcp tools|call --url`
 * uses (cli_mcp_auth.c). */
#ifndef SEKHA_CLI_MCP_AUTH_H
#define SEKHA_CLI_MCP_AUTH_H

#include "cli.h"

/* How long login waits for the browser's redirect by default, in seconds. */
#define CLI_LOGIN_WAIT_S 300

/* Runs the authorization-code flow against the MCP server at url with a loopback redirect
 * listener and stores the resulting state; open_browser runs xdg-open on the URL. Returns
 * the exit status. */
int cli_mcp_login(cli *c, const char *url, int open_browser, long wait_s);

/* Forgets what is stored for url. Returns the exit status. */
int cli_mcp_logout(cli *c, const char *url);

/* The stored state of one server, attached to a session (refreshed tokens are saved back). */
typedef struct cli_mcp_auth cli_mcp_auth;

/* Attaches what is stored for url to s: NULL when nothing is stored. Sets *status to a
 * failure exit status (after saying why) when the token file cannot be used, else 0. */
cli_mcp_auth *cli_mcp_auth_attach(cli *c, sekha_mcp_session *s, const char *url, int *status);

/* Frees it (after the session it was attached to). NULL is a no-op. */
void cli_mcp_auth_free(cli_mcp_auth *a);

#endif
