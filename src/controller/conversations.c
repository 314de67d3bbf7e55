/* Controller routes #1-#9: creating, reading, listing, changing, deleting and counting
 * conversations. Each call checks its arguments, builds the path (user strings
 * percent-encoded) and body, and hands a typed call to the core; the _sync forms run the
 * async call on the client's private loop (sekha__sync_*). */
#include "controller/ctl.h"
#include "core/jwrite.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- #1 create ---- */

/* Written directly, not through a cJSON tree: the messages were checked when added. */
sekha_code ctl_create_body(sekha_buf *b, const char *label, const char *folder,
                           const sekha_messages *messages, int importance, char *why,
                           size_t why_len)
{
    static const char *const keys[] = {"{\"label\":", ",\"folder\":"};
    static const char *const names[] = {"label", "folder"};
    const char *const values[] = {label, folder};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = sekha__buf_puts(b, keys[i]) == 0 ? sekha__jw_string(b, values[i]) : SEKHA_JW_NOMEM;
        if (rc == SEKHA_JW_NOT_UTF8) {
            sekha__jw_why_utf8(why, why_len, names[i], values[i]);
            return SEKHA_E_INVALID_ARG;
        }
    }
    if (rc == 0 && (sekha__buf_puts(b, ",\"messages\":") != 0 ||
                    sekha__messages_write(b, messages) != 0))
        rc = SEKHA_JW_NOMEM;
    if (rc == 0 && importance &&
        (sekha__buf_puts(b, ",\"importance_score\":") != 0 || sekha__jw_long(b, importance) != 0))
        rc = SEKHA_JW_NOMEM;
    if (rc == 0 && sekha__buf_puts(b, "}") != 0)
        rc = SEKHA_JW_NOMEM;
    return rc == 0 ? SEKHA_OK : SEKHA_E_NOMEM;
}

static const sekha_param create_keys[] = {SEKHA_PARAM_LABEL, SEKHA_PARAM_FOLDER,
                                          SEKHA_PARAM_IMPORTANCE, 0};

sekha_request *sekha_controller_create_conversation(sekha_client *client,
                                                    const sekha_messages *messages,
                                                    const sekha_params *params,
                                                    sekha_conversation_cb cb, void *userdata)
{
    const sekha__call_spec *cs = sekha__messages_have_parts(messages) ? &ctl_create_parts_call
                                                                      : &ctl_conversation_call;
    sekha__fn f = (sekha__fn)cb;
    static const char fn[] = "sekha_controller_create_conversation";
    if (!client)
        return NULL;
    sekha_error *e = sekha__params_check(params, fn, create_keys);
    if (!e)
        e = sekha__messages_check(messages, fn);
    if (e)
        return ctl_fail(client, cs, f, userdata, e);
    /* The store_and_query workflow's defaults, so both store the same conversation. */
    const char *label = sekha__params_text(params, SEKHA_PARAM_LABEL);
    const char *folder = sekha__params_text(params, SEKHA_PARAM_FOLDER);
    int64_t importance = 0; /* unset: not sent */
    sekha__params_int(params, SEKHA_PARAM_IMPORTANCE, &importance);
    char why[320];
    sekha_buf *body = sekha__client_scratch(client);
    sekha_code rc = ctl_create_body(body, label ? label : "Conversation", folder ? folder : "/",
                                    messages, (int)importance, why, sizeof why);
    if (rc == SEKHA_E_INVALID_ARG)
        return ctl_reject(client, cs, f, userdata, "%s: %s", fn, why);
    if (rc != SEKHA_OK)
        return ctl_nomem(client, cs, f, userdata);
    /* Not SEKHA_HTTP_IDEMPOTENT: a second POST would store a second conversation. */
    ctl_send_args s = {"POST", "/api/v1/conversations", NULL, 0,
                       "controller POST /api/v1/conversations", NULL, body, fn};
    return ctl_send(client, &s, cs, f, userdata);
}

SEKHA__SYNC_CB(conversation_sync_cb, sekha_conversation, sekha_conversation_copy)

sekha_code sekha_controller_create_conversation_sync(sekha_client *client,
                                                     const sekha_messages *messages,
                                                     const sekha_params *params,
                                                     sekha_conversation **out,
                                                     sekha_error **err)
{
    SEKHA__SYNC_RETURN(client,
                       sekha_controller_create_conversation(client, messages, params,
                                                            conversation_sync_cb, SEKHA__SYNC_SLOT),
                       out, sekha_conversation_free, err);
}

/* ---- #2, #4-#8: the routes on one conversation ---- */

typedef enum { BODY_NONE, BODY_LABEL_FOLDER, BODY_FOLDER } body_kind;

typedef struct conv_op {
    const char *fn;     /* the public name, for messages */
    const char *method;
    const char *suffix; /* after the id */
    const char *what;
    const sekha__call_spec *cs;
    body_kind body;
} conv_op;

static const conv_op op_get = {"sekha_controller_get_conversation", "GET", "",
                               "controller GET /api/v1/conversations/{id}",
                               &ctl_conversation_call, BODY_NONE};
static const conv_op op_label = {"sekha_controller_update_label", "PUT", "/label",
                                 "controller PUT /api/v1/conversations/{id}/label",
                                 &ctl_done_call, BODY_LABEL_FOLDER};
static const conv_op op_folder = {"sekha_controller_update_folder", "PUT", "/folder",
                                  "controller PUT /api/v1/conversations/{id}/folder",
                                  &ctl_done_call, BODY_FOLDER};
static const conv_op op_pin = {"sekha_controller_pin_conversation", "PUT", "/pin",
                               "controller PUT /api/v1/conversations/{id}/pin", &ctl_done_call,
                               BODY_NONE};
static const conv_op op_archive = {"sekha_controller_archive_conversation", "PUT", "/archive",
                                   "controller PUT /api/v1/conversations/{id}/archive",
                                   &ctl_done_call, BODY_NONE};
static const conv_op op_delete = {"sekha_controller_delete_conversation", "DELETE", "",
                                  "controller DELETE /api/v1/conversations/{id}",
                                  &ctl_done_call, BODY_NONE};

static sekha_request *start_conv_op(const conv_op *op, sekha_client *c, const char *id,
                              const char *label, const char *folder, sekha__fn cb, void *ud)
{
    if (!sekha__is_uuid(id))
        return ctl_reject(c, op->cs, cb, ud, "%s: id must be a UUID, got \"%.40s\"", op->fn,
                          id ? id : "(null)");
    if ((op->body == BODY_LABEL_FOLDER && !label) || (op->body != BODY_NONE && !folder))
        return ctl_reject(c, op->cs, cb, ud, "%s: %s required", op->fn,
                          op->body == BODY_FOLDER ? "folder is" : "label and folder are");
    cJSON *body = NULL;
    int ok = 1;
    if (op->body != BODY_NONE) {
        body = cJSON_CreateObject();
        ok = body && (op->body != BODY_LABEL_FOLDER ||
                      cJSON_AddStringToObject(body, "label", label)) &&
             cJSON_AddStringToObject(body, "folder", folder);
    }
    char *path = ok ? ctl_conversation_path(id, op->suffix) : NULL;
    if (!path) {
        cJSON_Delete(body);
        return ctl_nomem(c, op->cs, cb, ud);
    }
    /* GET, PUT and DELETE are idempotent to the core already: each of these may be re-sent
     * (setting the same label twice, pinning twice, ... changes nothing more). */
    ctl_send_args s = {op->method, path, body, 0, op->what, NULL, NULL, op->fn};
    sekha_request *req = ctl_send(c, &s, op->cs, cb, ud);
    free(path);
    return req;
}

/* The sync form of a route on one conversation whose callback is a sekha_done_cb. */
static sekha_code conv_op_sync(const conv_op *op, sekha_client *c, const char *id,
                               const char *label, const char *folder, sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        c, start_conv_op(op, c, id, label, folder, (sekha__fn)ctl_done_sync_cb, SEKHA__SYNC_SLOT),
        NULL, NULL, err);
}

sekha_request *sekha_controller_get_conversation(sekha_client *client, const char *id,
                                                 sekha_conversation_cb cb, void *userdata)
{
    return start_conv_op(&op_get, client, id, NULL, NULL, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_get_conversation_sync(sekha_client *client, const char *id,
                                                  sekha_conversation **out, sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        client,
        sekha_controller_get_conversation(client, id, conversation_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_conversation_free, err);
}

sekha_request *sekha_controller_update_label(sekha_client *client, const char *id,
                                             const char *label, const char *folder,
                                             sekha_done_cb cb, void *userdata)
{
    return start_conv_op(&op_label, client, id, label, folder, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_update_label_sync(sekha_client *client, const char *id,
                                              const char *label, const char *folder,
                                              sekha_error **err)
{
    return conv_op_sync(&op_label, client, id, label, folder, err);
}

sekha_request *sekha_controller_update_folder(sekha_client *client, const char *id,
                                              const char *folder, sekha_done_cb cb,
                                              void *userdata)
{
    return start_conv_op(&op_folder, client, id, NULL, folder, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_update_folder_sync(sekha_client *client, const char *id,
                                               const char *folder, sekha_error **err)
{
    return conv_op_sync(&op_folder, client, id, NULL, folder, err);
}

sekha_request *sekha_controller_pin_conversation(sekha_client *client, const char *id,
                                                 sekha_done_cb cb, void *userdata)
{
    return start_conv_op(&op_pin, client, id, NULL, NULL, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_pin_conversation_sync(sekha_client *client, const char *id,
                                                  sekha_error **err)
{
    return conv_op_sync(&op_pin, client, id, NULL, NULL, err);
}

sekha_request *sekha_controller_archive_conversation(sekha_client *client, const char *id,
                                                     sekha_done_cb cb, void *userdata)
{
    return start_conv_op(&op_archive, client, id, NULL, NULL, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_archive_conversation_sync(sekha_client *client, const char *id,
                                                      sekha_error **err)
{
    return conv_op_sync(&op_archive, client, id, NULL, NULL, err);
}

sekha_request *sekha_controller_delete_conversation(sekha_client *client, const char *id,
                                                    sekha_done_cb cb, void *userdata)
{
    return start_conv_op(&op_delete, client, id, NULL, NULL, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_delete_conversation_sync(sekha_client *client, const char *id,
                                                     sekha_error **err)
{
    return conv_op_sync(&op_delete, client, id, NULL, NULL, err);
}

/* ---- #3 list and #9 count: GET with a query string ---- */

static const sekha_param list_keys[] = {SEKHA_PARAM_LABEL, SEKHA_PARAM_FOLDER,
                                        SEKHA_PARAM_PINNED, SEKHA_PARAM_ARCHIVED,
                                        SEKHA_PARAM_PAGE, SEKHA_PARAM_PAGE_SIZE, 0};
static const sekha_param count_keys[] = {SEKHA_PARAM_LABEL, SEKHA_PARAM_FOLDER, 0};

/* Adds name=true/false when the key is set (unset: no filter). */
static int add_filter(sekha_buf *path, const sekha_params *p, sekha_param key,
                      const char *name)
{
    int64_t v;
    return sekha__params_int(p, key, &v) ? sekha__url_query_add(path, name, v ? "true" : "false")
                                         : 0;
}

/* Adds name=v when the key is set (unset: the controller's default). */
static int add_number(sekha_buf *path, const sekha_params *p, sekha_param key,
                      const char *name)
{
    int64_t v;
    char num[24];
    if (!sekha__params_int(p, key, &v))
        return 0;
    snprintf(num, sizeof num, "%lld", (long long)v);
    return sekha__url_query_add(path, name, num);
}

static sekha_request *list_or_count(sekha_client *c, const sekha_params *p, int count,
                                    sekha__fn cb, void *ud)
{
    const sekha__call_spec *cs = count ? &ctl_count_call : &ctl_search_results_call;
    const char *fn = count ? "sekha_controller_count_conversations"
                           : "sekha_controller_list_conversations";
    if (!c)
        return NULL;
    sekha_error *e = sekha__params_check(p, fn, count ? count_keys : list_keys);
    if (e)
        return ctl_fail(c, cs, cb, ud, e);
    const char *label = sekha__params_text(p, SEKHA_PARAM_LABEL);
    const char *folder = sekha__params_text(p, SEKHA_PARAM_FOLDER);
    if (count && label && folder)
        return ctl_reject(c, cs, cb, ud, "%s: give label or folder, not both", fn);
    /* The controller reads page and page_size as u32 (page 0 is refused by the setter: the
     * real controller's (page-1)*page_size would underflow). */
    int64_t page = 1, page_size = 1;
    sekha__params_int(p, SEKHA_PARAM_PAGE, &page);
    sekha__params_int(p, SEKHA_PARAM_PAGE_SIZE, &page_size);
    if (!ctl_fits_u32(page) || !ctl_fits_u32(page_size))
        return ctl_reject(c, cs, cb, ud, "%s: page and page_size must be 1..4294967295, got "
                          "%lld and %lld", fn, (long long)page, (long long)page_size);
    sekha_buf path = {0};
    int rc = sekha__buf_puts(&path, count ? "/api/v1/conversations/count"
                                          : "/api/v1/conversations");
    if (rc == 0 && label)
        rc = sekha__url_query_add(&path, "label", label);
    if (rc == 0 && folder)
        rc = sekha__url_query_add(&path, "folder", folder);
    if (rc == 0)
        rc = add_filter(&path, p, SEKHA_PARAM_PINNED, "pinned") ||
             add_filter(&path, p, SEKHA_PARAM_ARCHIVED, "archived") ||
             add_number(&path, p, SEKHA_PARAM_PAGE, "page") ||
             add_number(&path, p, SEKHA_PARAM_PAGE_SIZE, "page_size");
    if (rc != 0) {
        sekha__buf_free(&path);
        return ctl_nomem(c, cs, cb, ud);
    }
    ctl_send_args s = {"GET", sekha__buf_str(&path), NULL, 0,
                       count ? "controller GET /api/v1/conversations/count"
                             : "controller GET /api/v1/conversations",
                       NULL, NULL, fn};
    sekha_request *req = ctl_send(c, &s, cs, cb, ud);
    sekha__buf_free(&path);
    return req;
}

sekha_request *sekha_controller_list_conversations(sekha_client *client,
                                                   const sekha_params *params,
                                                   sekha_search_results_cb cb, void *userdata)
{
    return list_or_count(client, params, 0, (sekha__fn)cb, userdata);
}

SEKHA__SYNC_CB(search_results_sync_cb, sekha_search_results, sekha_search_results_copy)

sekha_code sekha_controller_list_conversations_sync(sekha_client *client,
                                                    const sekha_params *params,
                                                    sekha_search_results **out,
                                                    sekha_error **err)
{
    SEKHA__SYNC_RETURN(client,
                       sekha_controller_list_conversations(client, params, search_results_sync_cb,
                                                           SEKHA__SYNC_SLOT),
                       out, sekha_search_results_free, err);
}

sekha_request *sekha_controller_count_conversations(sekha_client *client,
                                                    const sekha_params *params,
                                                    sekha_count_cb cb, void *userdata)
{
    return list_or_count(client, params, 1, (sekha__fn)cb, userdata);
}

SEKHA__SYNC_CB(count_sync_cb, sekha_count_result, sekha_count_result_copy)

sekha_code sekha_controller_count_conversations_sync(sekha_client *client,
                                                     const sekha_params *params,
                                                     sekha_count_result **out,
                                                     sekha_error **err)
{
    SEKHA__SYNC_RETURN(
        client,
        sekha_controller_count_conversations(client, params, count_sync_cb, SEKHA__SYNC_SLOT), out,
        sekha_count_result_free, err);
}
