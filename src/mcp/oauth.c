/* MCP authorization: the public configuration API (stubs until the flow lands). */
#include "mcp/mcp_internal.h"
#include "sekha/mcp_auth.h"

sekha_mcp_auth *sekha_mcp_auth_new(void) { return NULL; }
void sekha_mcp_auth_free(sekha_mcp_auth *a) { (void)a; }
sekha_code sekha_mcp_auth_set_redirect_uri(sekha_mcp_auth *a, const char *uri)
{ (void)a; (void)uri; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_auth_set_client(sekha_mcp_auth *a, const char *id, const char *secret)
{ (void)a; (void)id; (void)secret; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_auth_set_client_metadata_url(sekha_mcp_auth *a, const char *url)
{ (void)a; (void)url; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_auth_set_client_name(sekha_mcp_auth *a, const char *name)
{ (void)a; (void)name; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_auth_set_grant(sekha_mcp_auth *a, int grant)
{ (void)a; (void)grant; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_auth_set_private_key(sekha_mcp_auth *a, const char *pem, const char *alg)
{ (void)a; (void)pem; (void)alg; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_auth_set_identity(sekha_mcp_auth *a, const char *ep, const char *cid,
                                       const char *tok)
{ (void)a; (void)ep; (void)cid; (void)tok; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_auth_set_authorize_handler(sekha_mcp_auth *a, sekha_mcp_authorize_cb cb,
                                                void *ud)
{ (void)a; (void)cb; (void)ud; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_authorization_complete(sekha_mcp_authorization *az, const char *url)
{ (void)az; (void)url; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_authorization_fail(sekha_mcp_authorization *az, const char *msg)
{ (void)az; (void)msg; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_auth_set_save_handler(sekha_mcp_auth *a, sekha_mcp_auth_save_cb cb, void *ud)
{ (void)a; (void)cb; (void)ud; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_auth_set_state(sekha_mcp_auth *a, const char *json)
{ (void)a; (void)json; return SEKHA_E_INVALID_ARG; }
sekha_code sekha_mcp_session_set_auth(sekha_mcp_session *s, sekha_mcp_auth *a)
{ (void)s; (void)a; return SEKHA_E_INVALID_ARG; }
