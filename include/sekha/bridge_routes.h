/** @file bridge_routes.h
 * @brief The bridge's routes beyond chat, embeddings and health: its model registry
 * (models, tasks, routing, provider health) and its memory helpers (summaries, entity
 * extraction, importance scores).
 *
 * | call | route | result |
 * |---|---|---|
 * | sekha_bridge_models() | GET /api/v1/models | ::sekha_models of ::sekha_model |
 * | sekha_bridge_tasks() | GET /api/v1/tasks | ::sekha_tasks |
 * | sekha_bridge_route() | POST /api/v1/route | ::sekha_route |
 * | sekha_bridge_providers() | GET /api/v1/health/providers | ::sekha_providers of ::sekha_provider |
 * | sekha_bridge_summarize() | POST /api/v1/summarize | ::sekha_text_summary |
 * | sekha_bridge_extract() | POST /api/v1/extract | ::sekha_entities |
 * | sekha_bridge_score() | POST /api/v1/score | ::sekha_importance |
 *
 * Every call has the shape of docs/API.md: an async form (final callback and userdata
 * last, one final callback per request) and a `_sync` form; optional arguments are
 * ::sekha_params keys, and a key a call does not read makes it fail with
 * ::SEKHA_E_INVALID_ARG before anything is sent.
 *
 * Reading answers: a result exists only with what it cannot do without (a model's id, a
 * route's provider and model, a summary's text, a score); anything else the bridge leaves
 * out reads as absent (NULL text, -1 numbers), so a bridge that drops an optional field
 * still answers. A field sent with the wrong JSON type is ::SEKHA_E_BAD_RESPONSE naming
 * the field. None of these calls changes anything on the bridge, so all are sent as
 * idempotent requests (retried within the client's retry settings), except
 * sekha_bridge_providers(), a probe, which is never retried.
 *
 * Ownership: a result given to a callback is lent until the callback returns;
 * `_copy` gives one you own, `_free` releases it. Items reached through `_at` live as
 * long as their list. Results are immutable and may be read and freed on any thread.
 */
#ifndef SEKHA_BRIDGE_ROUTES_H
#define SEKHA_BRIDGE_ROUTES_H

#include "client.h"
#include "params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ models */

/** The bridge's model list (opaque). */
typedef struct sekha_models sekha_models;
/** One model of a ::sekha_models (opaque; lives as long as its list). */
typedef struct sekha_model sekha_model;

/** The final callback of sekha_bridge_models().
 * @param req the request.
 * @param err NULL on success, else the error; lent until the callback returns.
 * @param models the list when err is NULL, else NULL; lent until the callback returns.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_models_cb)(sekha_request *req, const sekha_error *err,
                                const sekha_models *models, void *userdata);

/** Lists the models of every provider the bridge knows (GET /api/v1/models).
 * @param client the client.
 * @param params NULL: the call reads no key.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL or out of memory (cb is then not
 *         called). */
SEKHA_API sekha_request *sekha_bridge_models(sekha_client *client, const sekha_params *params,
                                             sekha_models_cb cb, void *userdata);

/** The sync form of sekha_bridge_models().
 * @param client the client.
 * @param params as for sekha_bridge_models().
 * @param out receives the list on success (free it with sekha_models_free()); may be NULL.
 * @param err receives the error on failure (free it with sekha_error_free()); may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_models_sync(sekha_client *client, const sekha_params *params,
                                              sekha_models **out, sekha_error **err);

/** The number of models.
 * @param m the list.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_models_count(const sekha_models *m);

/** Model i.
 * @param m the list.
 * @param i its position.
 * @return the model (valid while m is), NULL when out of range. */
SEKHA_API const sekha_model *sekha_models_at(const sekha_models *m, size_t i);

/** The list as received.
 * @param m the list.
 * @return the body (JSON text, valid while m is), NULL for NULL. */
SEKHA_API const char *sekha_models_json(const sekha_models *m);

/** Gives you a list you own.
 * @param m the list.
 * @return the same list, now also yours (sekha_models_free()); NULL for NULL. */
SEKHA_API sekha_models *sekha_models_copy(const sekha_models *m);

/** Releases a list you own. NULL is a no-op.
 * @param m the list. */
SEKHA_API void sekha_models_free(sekha_models *m);

/** The model's id ("llama3.1:8b"); never NULL for a model of a list.
 * @param m the model.
 * @return the id (valid while its list is). */
SEKHA_API const char *sekha_model_id(const sekha_model *m);

/** The provider serving the model.
 * @param m the model.
 * @return the provider id, NULL when not sent. */
SEKHA_API const char *sekha_model_provider(const sekha_model *m);

/** The task the model is registered for ("embedding", "chat_small", ...).
 * @param m the model.
 * @return the task, NULL when not sent. */
SEKHA_API const char *sekha_model_task(const sekha_model *m);

/** The model's context window, in tokens.
 * @param m the model.
 * @return the size, -1 when not sent. */
SEKHA_API long sekha_model_context_window(const sekha_model *m);

/** An embedding model's vector length.
 * @param m the model.
 * @return the dimension, -1 when not sent or null (chat models). */
SEKHA_API long sekha_model_dimension(const sekha_model *m);

/** Whether the model takes images.
 * @param m the model.
 * @return 1 yes, 0 no, -1 when not sent. */
SEKHA_API int sekha_model_supports_vision(const sekha_model *m);

/** Whether the model takes audio.
 * @param m the model.
 * @return 1 yes, 0 no, -1 when not sent. */
SEKHA_API int sekha_model_supports_audio(const sekha_model *m);

/* ------------------------------------------------------------------------- tasks */

/** The task names the bridge routes by (opaque). */
typedef struct sekha_tasks sekha_tasks;

/** The final callback of sekha_bridge_tasks().
 * @param req the request.
 * @param err NULL on success, else the error; lent until the callback returns.
 * @param tasks the names when err is NULL, else NULL; lent until the callback returns.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_tasks_cb)(sekha_request *req, const sekha_error *err,
                               const sekha_tasks *tasks, void *userdata);

/** Lists the task names sekha_bridge_route() accepts (GET /api/v1/tasks).
 * @param client the client.
 * @param params NULL: the call reads no key.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_bridge_tasks(sekha_client *client, const sekha_params *params,
                                            sekha_tasks_cb cb, void *userdata);

/** The sync form of sekha_bridge_tasks().
 * @param client the client.
 * @param params as for sekha_bridge_tasks().
 * @param out receives the names on success (sekha_tasks_free()); may be NULL.
 * @param err receives the error on failure; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_tasks_sync(sekha_client *client, const sekha_params *params,
                                             sekha_tasks **out, sekha_error **err);

/** The number of task names.
 * @param t the names.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_tasks_count(const sekha_tasks *t);

/** Task name i.
 * @param t the names.
 * @param i its position.
 * @return the name (valid while t is), NULL when out of range. */
SEKHA_API const char *sekha_tasks_at(const sekha_tasks *t, size_t i);

/** The answer as received.
 * @param t the names.
 * @return the body (JSON text, valid while t is), NULL for NULL. */
SEKHA_API const char *sekha_tasks_json(const sekha_tasks *t);

/** Gives you a list you own.
 * @param t the names.
 * @return the same list, now also yours (sekha_tasks_free()); NULL for NULL. */
SEKHA_API sekha_tasks *sekha_tasks_copy(const sekha_tasks *t);

/** Releases a list you own. NULL is a no-op.
 * @param t the names. */
SEKHA_API void sekha_tasks_free(sekha_tasks *t);

/* ------------------------------------------------------------------------- route */

/** The bridge's choice of provider and model for a task (opaque). */
typedef struct sekha_route sekha_route;

/** The final callback of sekha_bridge_route().
 * @param req the request.
 * @param err NULL on success, else the error (an unknown task is the bridge's HTTP 400,
 *        no provider for it a 503); lent until the callback returns.
 * @param route the choice when err is NULL, else NULL; lent until the callback returns.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_route_cb)(sekha_request *req, const sekha_error *err,
                               const sekha_route *route, void *userdata);

/** Asks the bridge which provider and model it would use for a task (POST /api/v1/route).
 * Keys read:
 * - ::SEKHA_PARAM_MODEL: the preferred model (sent as preferred_model).
 * - ::SEKHA_PARAM_REQUIRE_VISION: 1 to need a model that takes images.
 * - ::SEKHA_PARAM_MAX_COST: the most the request may cost, in USD.
 * - ::SEKHA_PARAM_CONTEXT_SIZE: the context window needed, in tokens.
 * @param client the client.
 * @param task the task ("chat_small", "embedding", ...; sekha_bridge_tasks() lists them);
 *        not checked locally, so a newer bridge's tasks work: an unknown one is the
 *        bridge's 400, whose message lists the valid ones.
 * @param params optional keys (above), NULL for none.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_bridge_route(sekha_client *client, const char *task,
                                            const sekha_params *params, sekha_route_cb cb,
                                            void *userdata);

/** The sync form of sekha_bridge_route().
 * @param client the client.
 * @param task as for sekha_bridge_route().
 * @param params as for sekha_bridge_route().
 * @param out receives the choice on success (sekha_route_free()); may be NULL.
 * @param err receives the error on failure; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_route_sync(sekha_client *client, const char *task,
                                             const sekha_params *params, sekha_route **out,
                                             sekha_error **err);

/** The chosen provider's id; never NULL for a route.
 * @param r the route.
 * @return the id (valid while r is). */
SEKHA_API const char *sekha_route_provider(const sekha_route *r);

/** The chosen model's id; never NULL for a route.
 * @param r the route.
 * @return the id (valid while r is). */
SEKHA_API const char *sekha_route_model(const sekha_route *r);

/** The chosen provider's type ("ollama", "openai", ...).
 * @param r the route.
 * @return the type, NULL when not sent. */
SEKHA_API const char *sekha_route_provider_type(const sekha_route *r);

/** Why the bridge chose this model.
 * @param r the route.
 * @return the reason, NULL when not sent. */
SEKHA_API const char *sekha_route_reason(const sekha_route *r);

/** The estimated cost of a request, in USD.
 * @param r the route.
 * @return the estimate (>= 0), -1 when not sent. */
SEKHA_API double sekha_route_estimated_cost(const sekha_route *r);

/** The answer as received.
 * @param r the route.
 * @return the body (JSON text, valid while r is), NULL for NULL. */
SEKHA_API const char *sekha_route_json(const sekha_route *r);

/** Gives you a route you own.
 * @param r the route.
 * @return the same route, now also yours (sekha_route_free()); NULL for NULL. */
SEKHA_API sekha_route *sekha_route_copy(const sekha_route *r);

/** Releases a route you own. NULL is a no-op.
 * @param r the route. */
SEKHA_API void sekha_route_free(sekha_route *r);

/* -------------------------------------------------------------- provider health */

/** The health of the bridge's providers (opaque). */
typedef struct sekha_providers sekha_providers;
/** One provider of a ::sekha_providers (opaque; lives as long as its list). */
typedef struct sekha_provider sekha_provider;

/** The final callback of sekha_bridge_providers().
 * @param req the request.
 * @param err NULL on success, else the error; lent until the callback returns.
 * @param providers the report when err is NULL, else NULL; lent until the callback
 *        returns.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_providers_cb)(sekha_request *req, const sekha_error *err,
                                   const sekha_providers *providers, void *userdata);

/** The state of every provider's circuit breaker (GET /api/v1/health/providers). A probe:
 * never retried.
 * @param client the client.
 * @param params NULL: the call reads no key.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_bridge_providers(sekha_client *client, const sekha_params *params,
                                                sekha_providers_cb cb, void *userdata);

/** The sync form of sekha_bridge_providers().
 * @param client the client.
 * @param params as for sekha_bridge_providers().
 * @param out receives the report on success (sekha_providers_free()); may be NULL.
 * @param err receives the error on failure; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_providers_sync(sekha_client *client,
                                                 const sekha_params *params,
                                                 sekha_providers **out, sekha_error **err);

/** The number of providers reported.
 * @param p the report.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_providers_count(const sekha_providers *p);

/** Provider i, in the order the bridge sent them.
 * @param p the report.
 * @param i its position.
 * @return the provider (valid while p is), NULL when out of range. */
SEKHA_API const sekha_provider *sekha_providers_at(const sekha_providers *p, size_t i);

/** How many providers the bridge counts as healthy (circuit breaker closed).
 * @param p the report.
 * @return the count as sent, -1 when not sent. */
SEKHA_API long sekha_providers_healthy(const sekha_providers *p);

/** How many models the providers serve in all.
 * @param p the report.
 * @return the count as sent, -1 when not sent. */
SEKHA_API long sekha_providers_total_models(const sekha_providers *p);

/** The report as received.
 * @param p the report.
 * @return the body (JSON text, valid while p is), NULL for NULL. */
SEKHA_API const char *sekha_providers_json(const sekha_providers *p);

/** Gives you a report you own.
 * @param p the report.
 * @return the same report, now also yours (sekha_providers_free()); NULL for NULL. */
SEKHA_API sekha_providers *sekha_providers_copy(const sekha_providers *p);

/** Releases a report you own. NULL is a no-op.
 * @param p the report. */
SEKHA_API void sekha_providers_free(sekha_providers *p);

/** The provider's id ("ollama_local"); never NULL for a provider of a report.
 * @param p the provider.
 * @return the id (valid while its report is). */
SEKHA_API const char *sekha_provider_id(const sekha_provider *p);

/** The provider's type ("ollama", "openai", ...).
 * @param p the provider.
 * @return the type, NULL when not sent. */
SEKHA_API const char *sekha_provider_type(const sekha_provider *p);

/** Its circuit breaker's state: "closed" (working), "open" (failing, not used) or
 * "half_open" (being tried again).
 * @param p the provider.
 * @return the state, NULL when not sent. */
SEKHA_API const char *sekha_provider_state(const sekha_provider *p);

/** The number of models the provider serves.
 * @param p the provider.
 * @return the count, -1 when not sent. */
SEKHA_API long sekha_provider_models_count(const sekha_provider *p);

/** The failures its circuit breaker counted.
 * @param p the provider.
 * @return the count, -1 when not sent. */
SEKHA_API long sekha_provider_failure_count(const sekha_provider *p);

/** When the provider last failed, as sent (ISO 8601).
 * @param p the provider.
 * @return the time, NULL when it never failed or it was not sent. */
SEKHA_API const char *sekha_provider_last_failure(const sekha_provider *p);

/* ---------------------------------------------------------------------- summaries */

/** A summary of plain texts, made by the bridge's LLM (opaque). The controller's summary
 * of a stored conversation is a ::sekha_summary (controller.h). */
typedef struct sekha_text_summary sekha_text_summary;

/** The final callback of sekha_bridge_summarize().
 * @param req the request.
 * @param err NULL on success, else the error; lent until the callback returns.
 * @param summary the summary when err is NULL, else NULL; lent until the callback returns.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_text_summary_cb)(sekha_request *req, const sekha_error *err,
                                      const sekha_text_summary *summary, void *userdata);

/** Summarizes texts (POST /api/v1/summarize {messages: [texts], level, model?}).
 * Keys read:
 * - ::SEKHA_PARAM_LEVEL: "daily" (the bridge's default), "weekly" or "monthly"; another
 *   level is the bridge's 400.
 * - ::SEKHA_PARAM_MODEL: the model ("" = the bridge's default).
 * @param client the client.
 * @param texts the texts (UTF-8), each one message.
 * @param n how many, at least 1.
 * @param params optional keys (above), NULL for none.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_bridge_summarize(sekha_client *client, const char *const *texts,
                                                size_t n, const sekha_params *params,
                                                sekha_text_summary_cb cb, void *userdata);

/** The sync form of sekha_bridge_summarize().
 * @param client the client.
 * @param texts as for sekha_bridge_summarize().
 * @param n as for sekha_bridge_summarize().
 * @param params as for sekha_bridge_summarize().
 * @param out receives the summary on success (sekha_text_summary_free()); may be NULL.
 * @param err receives the error on failure; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_summarize_sync(sekha_client *client, const char *const *texts,
                                                 size_t n, const sekha_params *params,
                                                 sekha_text_summary **out, sekha_error **err);

/** The summary's text; never NULL for a summary.
 * @param s the summary.
 * @return the text (valid while s is). */
SEKHA_API const char *sekha_text_summary_text(const sekha_text_summary *s);

/** The level the summary was made at.
 * @param s the summary.
 * @return the level, NULL when not sent. */
SEKHA_API const char *sekha_text_summary_level(const sekha_text_summary *s);

/** The model that wrote it.
 * @param s the summary.
 * @return the model, NULL when not sent. */
SEKHA_API const char *sekha_text_summary_model(const sekha_text_summary *s);

/** The tokens the bridge counted (its estimate: characters / 4).
 * @param s the summary.
 * @return the count, -1 when not sent. */
SEKHA_API long sekha_text_summary_tokens(const sekha_text_summary *s);

/** The number of texts summarized, as the bridge counted them.
 * @param s the summary.
 * @return the count, -1 when not sent. */
SEKHA_API long sekha_text_summary_message_count(const sekha_text_summary *s);

/** The answer as received.
 * @param s the summary.
 * @return the body (JSON text, valid while s is), NULL for NULL. */
SEKHA_API const char *sekha_text_summary_json(const sekha_text_summary *s);

/** Gives you a summary you own.
 * @param s the summary.
 * @return the same summary, now also yours (sekha_text_summary_free()); NULL for NULL. */
SEKHA_API sekha_text_summary *sekha_text_summary_copy(const sekha_text_summary *s);

/** Releases a summary you own. NULL is a no-op.
 * @param s the summary. */
SEKHA_API void sekha_text_summary_free(sekha_text_summary *s);

/* ----------------------------------------------------------------------- entities */

/** Entities found in a text, grouped by kind (opaque). */
typedef struct sekha_entities sekha_entities;

/** The final callback of sekha_bridge_extract().
 * @param req the request.
 * @param err NULL on success, else the error; lent until the callback returns.
 * @param entities the entities when err is NULL, else NULL; lent until the callback
 *        returns.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_entities_cb)(sekha_request *req, const sekha_error *err,
                                  const sekha_entities *entities, void *userdata);

/** Extracts named entities from a text (POST /api/v1/extract {text, model?}). The kinds
 * are what the bridge's model returns (usually "people", "organizations",
 * "technical_terms", "concepts").
 * Keys read: ::SEKHA_PARAM_MODEL (the model, "" = the bridge's default).
 * @param client the client.
 * @param text the text (UTF-8).
 * @param params optional keys, NULL for none.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_bridge_extract(sekha_client *client, const char *text,
                                              const sekha_params *params, sekha_entities_cb cb,
                                              void *userdata);

/** The sync form of sekha_bridge_extract().
 * @param client the client.
 * @param text as for sekha_bridge_extract().
 * @param params as for sekha_bridge_extract().
 * @param out receives the entities on success (sekha_entities_free()); may be NULL.
 * @param err receives the error on failure; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_extract_sync(sekha_client *client, const char *text,
                                               const sekha_params *params,
                                               sekha_entities **out, sekha_error **err);

/** The number of kinds of entity.
 * @param e the entities.
 * @return the count, 0 for NULL. */
SEKHA_API size_t sekha_entities_kind_count(const sekha_entities *e);

/** The name of kind i ("people").
 * @param e the entities.
 * @param i the kind's position.
 * @return the name (valid while e is), NULL when out of range. */
SEKHA_API const char *sekha_entities_kind(const sekha_entities *e, size_t i);

/** The number of entities of kind i.
 * @param e the entities.
 * @param i the kind's position.
 * @return the count, 0 when out of range. */
SEKHA_API size_t sekha_entities_count(const sekha_entities *e, size_t i);

/** Entity j of kind i.
 * @param e the entities.
 * @param i the kind's position.
 * @param j the entity's position in its kind.
 * @return the entity (valid while e is), NULL when out of range. */
SEKHA_API const char *sekha_entities_at(const sekha_entities *e, size_t i, size_t j);

/** The model that found them.
 * @param e the entities.
 * @return the model, NULL when not sent. */
SEKHA_API const char *sekha_entities_model(const sekha_entities *e);

/** The answer as received.
 * @param e the entities.
 * @return the body (JSON text, valid while e is), NULL for NULL. */
SEKHA_API const char *sekha_entities_json(const sekha_entities *e);

/** Gives you entities you own.
 * @param e the entities.
 * @return the same object, now also yours (sekha_entities_free()); NULL for NULL. */
SEKHA_API sekha_entities *sekha_entities_copy(const sekha_entities *e);

/** Releases entities you own. NULL is a no-op.
 * @param e the entities. */
SEKHA_API void sekha_entities_free(sekha_entities *e);

/* ------------------------------------------------------------------ importance */

/** The bridge's importance score of a conversation (opaque). */
typedef struct sekha_importance sekha_importance;

/** The final callback of sekha_bridge_score().
 * @param req the request.
 * @param err NULL on success, else the error; lent until the callback returns.
 * @param score the score when err is NULL, else NULL; lent until the callback returns.
 * @param userdata the pointer given to the call. */
typedef void (*sekha_importance_cb)(sekha_request *req, const sekha_error *err,
                                    const sekha_importance *score, void *userdata);

/** Scores how important a conversation is, 1 to 10 (POST /api/v1/score {conversation,
 * model?}). When its model fails the bridge still answers, with 5 and the reasoning
 * "Failed to score importance".
 * Keys read: ::SEKHA_PARAM_MODEL (the model, "" = the bridge's default).
 * @param client the client.
 * @param conversation the conversation as one text (UTF-8).
 * @param params optional keys, NULL for none.
 * @param cb the final callback.
 * @param userdata passed to cb.
 * @return the request, NULL when client is NULL or out of memory. */
SEKHA_API sekha_request *sekha_bridge_score(sekha_client *client, const char *conversation,
                                            const sekha_params *params, sekha_importance_cb cb,
                                            void *userdata);

/** The sync form of sekha_bridge_score().
 * @param client the client.
 * @param conversation as for sekha_bridge_score().
 * @param params as for sekha_bridge_score().
 * @param out receives the score on success (sekha_importance_free()); may be NULL.
 * @param err receives the error on failure; may be NULL.
 * @return ::SEKHA_OK or the error's code. */
SEKHA_API sekha_code sekha_bridge_score_sync(sekha_client *client, const char *conversation,
                                             const sekha_params *params,
                                             sekha_importance **out, sekha_error **err);

/** The score, 1 to 10 on a conforming bridge.
 * @param s the score.
 * @return the score as sent, -1 for NULL. */
SEKHA_API double sekha_importance_score(const sekha_importance *s);

/** The model's reasoning.
 * @param s the score.
 * @return the text, NULL when not sent. */
SEKHA_API const char *sekha_importance_reasoning(const sekha_importance *s);

/** The model that scored.
 * @param s the score.
 * @return the model, NULL when not sent. */
SEKHA_API const char *sekha_importance_model(const sekha_importance *s);

/** The answer as received.
 * @param s the score.
 * @return the body (JSON text, valid while s is), NULL for NULL. */
SEKHA_API const char *sekha_importance_json(const sekha_importance *s);

/** Gives you a score you own.
 * @param s the score.
 * @return the same score, now also yours (sekha_importance_free()); NULL for NULL. */
SEKHA_API sekha_importance *sekha_importance_copy(const sekha_importance *s);

/** Releases a score you own. NULL is a no-op.
 * @param s the score. */
SEKHA_API void sekha_importance_free(sekha_importance *s);

#ifdef __cplusplus
}
#endif

#endif
