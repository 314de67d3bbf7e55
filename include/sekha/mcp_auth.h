/** @file mcp_auth.h
 * @brief OAuth 2.1 authorization for MCP sessions over HTTP (the MCP authorization
 * specification, 2025-03-26 to 2025-11-25).
 *
 * A ::sekha_mcp_auth holds one OAuth configuration and its state (client identity, tokens).
 * Attach it to a Streamable HTTP or legacy SSE session with sekha_mcp_session_set_auth()
 * before the session's first call. From then on every request of the session carries
 * "Authorization: Bearer <access token>" once there is one, and:
 *  - a 401 runs discovery (protected resource metadata, then authorization server metadata),
 *    obtains a token (refresh token first when there is one, then the configured grant),
 *    and re-sends the request once;
 *  - a 403 with error="insufficient_scope" asks for the scope the challenge names
 *    (step-up) and re-sends, at most twice per request.
 * Every step is an ordinary request on the session's loop: nothing blocks, except what
 * the application's own authorize callback chooses to do.
 *
 * Grants: the authorization code grant with PKCE (S256) needs an authorize handler
 * (sekha_mcp_auth_set_authorize_handler()); client credentials
 * (sekha_mcp_auth_set_grant()) need a client secret or a private key
 * (sekha_mcp_auth_set_private_key()); cross-app access (sekha_mcp_auth_set_identity())
 * exchanges an identity provider's ID token for an identity assertion (RFC 8693) and
 * presents it to the MCP server's authorization server (RFC 7523).
 *
 * Client identity, in this order: credentials given with sekha_mcp_auth_set_client() (or
 * restored with sekha_mcp_auth_set_state()); a Client ID Metadata Document URL when the
 * authorization server supports them; dynamic client registration (RFC 7591).
 *
 * Tokens, client secrets, authorization codes and the PKCE verifier live in guarded memory
 * and never appear in log lines or trace events. A failed flow fails the MCP call with
 * ::SEKHA_E_AUTH (or the transport code of the step that failed) and a message naming the
 * step, e.g. "authorization server metadata: ..." or "token endpoint: HTTP 400
 * invalid_grant ...".
 *
 * Threads: an auth object belongs to the thread of the sessions it is attached to.
 */
#ifndef SEKHA_MCP_AUTH_H
#define SEKHA_MCP_AUTH_H

#include "mcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One OAuth configuration and its state (opaque). */
typedef struct sekha_mcp_auth sekha_mcp_auth;

/** One pending interactive authorization step (opaque): owned by the library, answered
 * exactly once with sekha_mcp_authorization_complete() or sekha_mcp_authorization_fail(),
 * which release it. */
typedef struct sekha_mcp_authorization sekha_mcp_authorization;

/** The grants an auth object can use to obtain a token. */
typedef enum sekha_mcp_grant {
    SEKHA_MCP_GRANT_AUTHORIZATION_CODE = 0, /**< interactive, with PKCE (the default) */
    SEKHA_MCP_GRANT_CLIENT_CREDENTIALS = 1, /**< a client secret or a private key JWT */
    SEKHA_MCP_GRANT_CROSS_APP = 2           /**< token exchange of an ID token, then the
                                                 JWT bearer grant (set by
                                                 sekha_mcp_auth_set_identity()) */
} sekha_mcp_grant;

/** Creates an empty auth object: authorization code grant, no client, no tokens.
 * @return the object, to free with sekha_mcp_auth_free(); NULL when out of memory. */
SEKHA_API sekha_mcp_auth *sekha_mcp_auth_new(void);

/** Frees an auth object and wipes its secrets. It must outlive every session it is
 * attached to: free the sessions first.
 * @param a the object (NULL is a no-op). */
SEKHA_API void sekha_mcp_auth_free(sekha_mcp_auth *a);

/** Sets the redirect URI of the authorization code grant (e.g. the loopback listener
 * "http://127.0.0.1:PORT/callback"). Required for that grant.
 * @param a the auth object.
 * @param uri an absolute http or https URL (copied).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_auth_set_redirect_uri(sekha_mcp_auth *a, const char *uri);

/** Sets pre-registered client credentials.
 * @param a the auth object.
 * @param client_id the client id (copied).
 * @param client_secret the secret (copied into guarded memory), or NULL for a public client.
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_auth_set_client(sekha_mcp_auth *a, const char *client_id,
                                               const char *client_secret);

/** Sets the URL of this client's Client ID Metadata Document, used as the client id by
 * authorization servers that support them (client_id_metadata_document_supported).
 * @param a the auth object.
 * @param url an https URL with a path (copied); plain http is accepted for loopback hosts.
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_auth_set_client_metadata_url(sekha_mcp_auth *a, const char *url);

/** Sets the client_name sent with dynamic client registration (default "libsekha").
 * @param a the auth object.
 * @param name the name (non-empty UTF-8, copied).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_auth_set_client_name(sekha_mcp_auth *a, const char *name);

/** Selects the grant used when no usable token or refresh token exists.
 * @param a the auth object.
 * @param grant a ::sekha_mcp_grant (::SEKHA_MCP_GRANT_CROSS_APP needs
 *        sekha_mcp_auth_set_identity() too).
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_mcp_auth_set_grant(sekha_mcp_auth *a, int grant);

/** Sets a private key for private_key_jwt client authentication (RFC 7523): the client
 * signs a short-lived assertion instead of sending a secret. Used with the client
 * credentials grant.
 * @param a the auth object.
 * @param private_key_pem the key in PEM (PKCS#8 or SEC1 EC), copied into guarded memory.
 * @param alg the JWS algorithm: "ES256" (the only one supported).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG (unsupported algorithm, unreadable key) or
 *         ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_auth_set_private_key(sekha_mcp_auth *a,
                                                    const char *private_key_pem,
                                                    const char *alg);

/** Configures cross-app access (Enterprise-managed authorization): the ID token is
 * exchanged at the identity provider's token endpoint (RFC 8693) for an identity assertion
 * grant for the MCP server's authorization server, which is then presented there with the
 * JWT bearer grant using the credentials of sekha_mcp_auth_set_client(). Selects
 * ::SEKHA_MCP_GRANT_CROSS_APP.
 * @param a the auth object.
 * @param idp_token_endpoint the identity provider's token endpoint (copied).
 * @param idp_client_id this client's id at the identity provider (copied; NULL = none).
 * @param id_token the ID token (copied into guarded memory).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_auth_set_identity(sekha_mcp_auth *a,
                                                 const char *idp_token_endpoint,
                                                 const char *idp_client_id,
                                                 const char *id_token);

/** Receives the authorization URL of the interactive step.
 *
 * The application shows or opens url, receives the redirect, and calls
 * sekha_mcp_authorization_complete() with the full redirect URL, or
 * sekha_mcp_authorization_fail(). Either may be called from inside the callback (blocking
 * there is allowed) or later from the loop's thread.
 * @param az the pending step.
 * @param url the authorization URL (lent until the callback returns).
 * @param userdata the pointer given to sekha_mcp_auth_set_authorize_handler(). */
typedef void (*sekha_mcp_authorize_cb)(sekha_mcp_authorization *az, const char *url,
                                       void *userdata);

/** Installs the handler of the interactive step (authorization code grant).
 * @param a the auth object.
 * @param cb the handler (NULL removes it: that grant then fails with ::SEKHA_E_AUTH).
 * @param userdata passed to cb.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_mcp_auth_set_authorize_handler(sekha_mcp_auth *a,
                                                          sekha_mcp_authorize_cb cb,
                                                          void *userdata);

/** Completes the interactive step with the redirect the application received: the code
 * is taken from it and the state checked, and the flow goes on. Releases az.
 * @param az the pending step.
 * @param redirect_url the full redirect URL (with ?code=...&state=... or ?error=...).
 * @return ::SEKHA_OK when the flow goes on; ::SEKHA_E_AUTH when the redirect carries an
 *         error, no code or the wrong state (the flow then fails); ::SEKHA_E_INVALID_ARG
 *         for NULL arguments. */
SEKHA_API sekha_code sekha_mcp_authorization_complete(sekha_mcp_authorization *az,
                                                      const char *redirect_url);

/** Fails the interactive step (the user declined, the redirect never came). Releases az.
 * @param az the pending step.
 * @param message why (copied into the error's message; NULL = "authorization failed").
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_mcp_authorization_fail(sekha_mcp_authorization *az,
                                                  const char *message);

/** Receives the whole state as JSON whenever it changes.
 * @param state_json one JSON object (client id and secret, tokens, expiry, scope, issuer,
 *        resource), lent from guarded memory until the callback returns: store it
 *        privately (it holds secrets).
 * @param userdata the pointer given to sekha_mcp_auth_set_save_handler(). */
typedef void (*sekha_mcp_auth_save_cb)(const char *state_json, void *userdata);

/** Installs the persistence handler.
 * @param a the auth object.
 * @param cb the handler (NULL removes it).
 * @param userdata passed to cb.
 * @return ::SEKHA_OK or ::SEKHA_E_INVALID_ARG. */
SEKHA_API sekha_code sekha_mcp_auth_set_save_handler(sekha_mcp_auth *a,
                                                     sekha_mcp_auth_save_cb cb,
                                                     void *userdata);

/** Restores a state saved earlier by the save handler.
 * @param a the auth object.
 * @param state_json the JSON object text.
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG (not such a JSON object) or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_mcp_auth_set_state(sekha_mcp_auth *a, const char *state_json);

/** Attaches an auth object to an HTTP or legacy SSE session, before its first call. The
 * auth object must outlive the session; one auth object serves one server URL.
 * @param s the session.
 * @param a the auth object (NULL detaches).
 * @return ::SEKHA_OK, or ::SEKHA_E_INVALID_ARG (stdio session, too late). */
SEKHA_API sekha_code sekha_mcp_session_set_auth(sekha_mcp_session *s, sekha_mcp_auth *a);

#ifdef __cplusplus
}
#endif

#endif
