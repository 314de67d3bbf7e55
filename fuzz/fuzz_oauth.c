/* libFuzzer target: what servers and redirects hand the MCP authorization client:
 * WWW-Authenticate challenges, redirect query strings, resource URLs and saved state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/oauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    oauth_challenge ch = {0};
    oauth_challenge_parse(text, &ch);
    if (ch.scope && strlen(ch.scope) > size)
        abort();
    oauth_challenge_clear(&ch);
    char *code = oauth_query_param(text, "code", 1);
    if (code && strlen(code) > size)
        abort();
    sekha__secret_free(code);
    free(oauth_query_param(text, "state", 0));
    char *nl = strchr(text, '\n');
    if (nl) {
        *nl = '\0';
        (void)oauth_resource_matches(text, nl + 1);
    }
    free(oauth_origin(text));
    (void)oauth_path(text);
    (void)oauth_scope_has(text, "offline_access");
    sekha_mcp_auth *a = sekha_mcp_auth_new();
    (void)sekha_mcp_auth_set_state(a, text);
    sekha_mcp_auth_free(a);
    free(text);
    return 0;
}
