/** @file messages.h
 * @brief The one message-list type: a conversation to send.
 *
 * ::sekha_messages is what every call that sends chat messages takes: a bridge completion
 * or stream, storing a conversation in the controller, the MCP memory_store tool and the
 * store_and_query workflow. Each message has a role ("system", "user", "assistant" or
 * "tool") and either text content or a list of content parts (text and image_url parts,
 * for multimodal models). An assistant message may carry the tool calls it made and a
 * tool message the id of the call it answers.
 *
 * Building: the first failed add is remembered (sekha_messages_error()) and every call
 * given the list then fails with ::SEKHA_E_INVALID_ARG and that message, so adds may be
 * chained without checking each one. Strings are copied and must be valid UTF-8.
 *
 * A tool round trip: send the conversation with the tools described in
 * ::SEKHA_PARAM_EXTRA_JSON ({"tools":[{"type":"function","function":{...}}]}); when the
 * reply calls tools (sekha_completion_tool_call_count() > 0), append the assistant
 * message (sekha_messages_add() then one sekha_messages_add_tool_call() per call), then
 * one sekha_messages_add_tool_result() per call with what the tool returned, and send the
 * conversation again for the final answer.
 *
 * Ownership: a call copies what it needs before it returns, so the list may be changed
 * or freed right after. A list belongs to one thread at a time; reading it from several
 * threads at once is safe.
 */
#ifndef SEKHA_MESSAGES_H
#define SEKHA_MESSAGES_H

#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An ordered list of chat messages to send (opaque). */
typedef struct sekha_messages sekha_messages;

/** Creates an empty message list.
 * @return the list, to free with sekha_messages_free(); NULL when out of memory. */
SEKHA_API sekha_messages *sekha_messages_new(void);

/** Frees a message list. NULL is a no-op.
 * @param msgs the list (may be NULL). */
SEKHA_API void sekha_messages_free(sekha_messages *msgs);

/** Returns a deep copy (the remembered error included).
 * @param msgs the list to copy.
 * @return the copy, to free with sekha_messages_free(); NULL when msgs is NULL or out of
 *         memory. */
SEKHA_API sekha_messages *sekha_messages_copy(const sekha_messages *msgs);

/** Appends a message with text content.
 * @param msgs the list.
 * @param role "system", "user", "assistant" or "tool" (case-sensitive).
 * @param content UTF-8 text (copied; may be empty).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG (NULL argument, unknown role, content that is
 *         not UTF-8; remembered, see sekha_messages_error()) or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_messages_add(sekha_messages *msgs, const char *role,
                                        const char *content);

/** Appends a message whose content is a list of parts, added next with
 * sekha_messages_add_text_part() and sekha_messages_add_image_part(). It must get at
 * least one part before the list is sent.
 * @param msgs the list.
 * @param role as for sekha_messages_add().
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_messages_add_parts(sekha_messages *msgs, const char *role);

/** Adds {"type":"text","text":text} to the last message, which must have been started
 * with sekha_messages_add_parts().
 * @param msgs the list.
 * @param text UTF-8 text (copied).
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_messages_add_text_part(sekha_messages *msgs, const char *text);

/** Adds {"type":"image_url","image_url":{"url":url,"detail":detail}} to the last message,
 * which must have been started with sekha_messages_add_parts().
 * @param msgs the list.
 * @param url a non-empty URL (an http(s) or data: URL; copied).
 * @param detail NULL (left out), "low", "high" or "auto".
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_messages_add_image_part(sekha_messages *msgs, const char *url,
                                                   const char *detail);

/** Adds a tool call to the last message, which must be an assistant message: sent as
 * {"id":id,"type":"function","function":{"name":name,"arguments":arguments}} in its
 * tool_calls.
 * @param msgs the list.
 * @param id the call's id, non-empty.
 * @param name the function's name, non-empty.
 * @param arguments the JSON text the model wrote (not checked beyond UTF-8); NULL = "{}".
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG (bad argument, no assistant message last) or
 *         ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_messages_add_tool_call(sekha_messages *msgs, const char *id,
                                                  const char *name, const char *arguments);

/** Appends a tool message answering a tool call:
 * {"role":"tool","content":content,"tool_call_id":tool_call_id}.
 * @param msgs the list.
 * @param tool_call_id the id of the call answered (sekha_completion_tool_call_id()),
 *        non-empty.
 * @param content what the tool returned, UTF-8 text.
 * @return ::SEKHA_OK, ::SEKHA_E_INVALID_ARG or ::SEKHA_E_NOMEM. */
SEKHA_API sekha_code sekha_messages_add_tool_result(sekha_messages *msgs,
                                                    const char *tool_call_id,
                                                    const char *content);

/** The number of messages.
 * @param msgs the list (NULL counts as empty).
 * @return the count. */
SEKHA_API size_t sekha_messages_count(const sekha_messages *msgs);

/** The role of a message.
 * @param msgs the list.
 * @param i the message's position.
 * @return the role (static), NULL when i is out of range. */
SEKHA_API const char *sekha_messages_role(const sekha_messages *msgs, size_t i);

/** The text of a message: its text content, or for a message made of parts the text of
 * its text parts joined with one space.
 * @param msgs the list.
 * @param i the message's position.
 * @return the text, valid until the list is changed or freed; NULL when out of range. */
SEKHA_API const char *sekha_messages_content(const sekha_messages *msgs, size_t i);

/** Why the first failed add failed.
 * @param msgs the list.
 * @return a message ("messages[2].content is not valid UTF-8 (at byte 4)"), "" when no
 *         add failed; valid until the list is changed or freed. */
SEKHA_API const char *sekha_messages_error(const sekha_messages *msgs);

#ifdef __cplusplus
}
#endif

#endif
