/* Controller routes #1-#9: creating, reading, listing, changing, deleting and counting
 * conversations. Each call checks its arguments, builds the path (user strings
 * percent-encoded) and body, and hands a typed call to the core; the _sync forms run the
 * same start function on the client's private loop. */
#include "controller/ctl.h"
#include "core/jwrite.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- #1 create ---- */

sekha_code ctl_create_body(sekha_buf *b, const char *label, const char *folder,
                           const sekha_message_builder *messages, int importance, char *why,
                           size_t why_len)
{
    cJSON *msgs = NULL;
    sekha_code rc = ctl_builder_messages(messages, &msgs, why, why_len);
    if (rc != SEKHA_OK)
        return rc;
    cJSON *body = cJSON_CreateObject();
    int ok = body && cJSON_AddStringToObject(body, "label", label) &&
             cJSON_AddStringToObject(body, "folder", folder);
    if (ok)
        cJSON_AddItemToObject(body, "messages", msgs);
    else
        cJSON_Delete(msgs);
    if (ok && importance)
        ok = cJSON_AddNumberToObject(body, "importance_score", importance) != NULL;
    int w = ok ? sekha__jw_tree(b, body, why, why_len) : SEKHA_JW_NOMEM;
    cJSON_Delete(body);
    return w == 0 ? SEKHA_OK : w == SEKHA_JW_NOMEM ? SEKHA_E_NOMEM : SEKHA_E_INVALID_ARG;
}

typedef struct create_args {
    const char *label, *folder;
    const sekha_message_builder *messages;
    int importance;
} create_args;

static sekha_request *start_create(sekha_client *c, void *p, sekha__fn cb, void *ud)
{
    const create_args *a = p;
    const sekha__call_spec *cs = &ctl_conversation_call;
    static const char fn[] = "sekha_controller_create_conversation";
    if (!a->label || !a->folder)
        return ctl_reject(c, cs, cb, ud, "%s: label and folder are required", fn);
    if (a->importance < 0 || a->importance > 10)
        return ctl_reject(c, cs, cb, ud, "%s: importance must be 0 (default) or 1..10, got %d",
                          fn, a->importance);
    if (!c)
        return NULL;
    char why[320];
    sekha_buf *body = sekha__client_scratch(c);
    sekha_code rc = ctl_create_body(body, a->label, a->folder, a->messages, a->importance, why,
                                    sizeof why);
    if (rc == SEKHA_E_INVALID_ARG)
        return ctl_reject(c, cs, cb, ud, "%s: %s", fn, why);
    if (rc != SEKHA_OK)
        return ctl_nomem(c, cs, cb, ud);
    /* Not SEKHA_HTTP_IDEMPOTENT: a second POST would store a second conversation. */
    ctl_send_args s = {"POST", "/api/v1/conversations", NULL, 0,
                       "controller POST /api/v1/conversations", NULL, body, fn};
    return ctl_send(c, &s, cs, cb, ud);
}

sekha_request *sekha_controller_create_conversation(sekha_client *client, const char *label,
                                                    const char *folder,
                                                    const sekha_message_builder *messages,
                                                    int importance, sekha_conversation_cb cb,
                                                    void *userdata)
{
    create_args a = {label, folder, messages, importance};
    return start_create(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_create_conversation_sync(sekha_client *client, const char *label,
                                                     const char *folder,
                                                     const sekha_message_builder *messages,
                                                     int importance, sekha_conversation **out,
                                                     sekha_error **err)
{
    create_args a = {label, folder, messages, importance};
    return ctl_sync(client, start_create, &a, out, err);
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

typedef struct conv_args {
    const conv_op *op;
    const char *id, *label, *folder;
} conv_args;

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

static sekha_request *start_conv_op(sekha_client *c, void *p, sekha__fn cb, void *ud)
{
    const conv_args *a = p;
    const conv_op *op = a->op;
    if (!sekha__is_uuid(a->id))
        return ctl_reject(c, op->cs, cb, ud, "%s: id must be a UUID, got \"%.40s\"", op->fn,
                          a->id ? a->id : "(null)");
    if ((op->body == BODY_LABEL_FOLDER && !a->label) || (op->body != BODY_NONE && !a->folder))
        return ctl_reject(c, op->cs, cb, ud, "%s: %s required", op->fn,
                          op->body == BODY_FOLDER ? "folder is" : "label and folder are");
    cJSON *body = NULL;
    int ok = 1;
    if (op->body != BODY_NONE) {
        body = cJSON_CreateObject();
        ok = body && (op->body != BODY_LABEL_FOLDER ||
                      cJSON_AddStringToObject(body, "label", a->label)) &&
             cJSON_AddStringToObject(body, "folder", a->folder);
    }
    char *path = ok ? ctl_conversation_path(a->id, op->suffix) : NULL;
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

static sekha_request *conv_op_async(const conv_op *op, sekha_client *c, const char *id,
                                    const char *label, const char *folder, sekha__fn cb,
                                    void *ud)
{
    conv_args a = {op, id, label, folder};
    return start_conv_op(c, &a, cb, ud);
}

static sekha_code conv_op_sync(const conv_op *op, sekha_client *c, const char *id,
                               const char *label, const char *folder, void *out,
                               sekha_error **err)
{
    conv_args a = {op, id, label, folder};
    return ctl_sync(c, start_conv_op, &a, out, err);
}

sekha_request *sekha_controller_get_conversation(sekha_client *client, const char *id,
                                                 sekha_conversation_cb cb, void *userdata)
{
    return conv_op_async(&op_get, client, id, NULL, NULL, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_get_conversation_sync(sekha_client *client, const char *id,
                                                  sekha_conversation **out, sekha_error **err)
{
    return conv_op_sync(&op_get, client, id, NULL, NULL, out, err);
}

sekha_request *sekha_controller_update_label(sekha_client *client, const char *id,
                                             const char *label, const char *folder,
                                             sekha_done_cb cb, void *userdata)
{
    return conv_op_async(&op_label, client, id, label, folder, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_update_label_sync(sekha_client *client, const char *id,
                                              const char *label, const char *folder,
                                              sekha_error **err)
{
    return conv_op_sync(&op_label, client, id, label, folder, NULL, err);
}

sekha_request *sekha_controller_update_folder(sekha_client *client, const char *id,
                                              const char *folder, sekha_done_cb cb,
                                              void *userdata)
{
    return conv_op_async(&op_folder, client, id, NULL, folder, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_update_folder_sync(sekha_client *client, const char *id,
                                               const char *folder, sekha_error **err)
{
    return conv_op_sync(&op_folder, client, id, NULL, folder, NULL, err);
}

sekha_request *sekha_controller_pin_conversation(sekha_client *client, const char *id,
                                                 sekha_done_cb cb, void *userdata)
{
    return conv_op_async(&op_pin, client, id, NULL, NULL, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_pin_conversation_sync(sekha_client *client, const char *id,
                                                  sekha_error **err)
{
    return conv_op_sync(&op_pin, client, id, NULL, NULL, NULL, err);
}

sekha_request *sekha_controller_archive_conversation(sekha_client *client, const char *id,
                                                     sekha_done_cb cb,
                                                     void *userdata)
{
    return conv_op_async(&op_archive, client, id, NULL, NULL, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_archive_conversation_sync(sekha_client *client, const char *id,
                                                      sekha_error **err)
{
    return conv_op_sync(&op_archive, client, id, NULL, NULL, NULL, err);
}

sekha_request *sekha_controller_delete_conversation(sekha_client *client, const char *id,
                                                    sekha_done_cb cb, void *userdata)
{
    return conv_op_async(&op_delete, client, id, NULL, NULL, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_delete_conversation_sync(sekha_client *client, const char *id,
                                                     sekha_error **err)
{
    return conv_op_sync(&op_delete, client, id, NULL, NULL, NULL, err);
}

/* ---- #3 list and #9 count: GET with a query string ---- */

typedef struct list_args {
    const char *label, *folder;
    int pinned, archived;
    long page, page_size;
    int count; /* count_conversations instead of list */
} list_args;

static int add_filter(sekha_buf *path, const char *name, int v)
{
    return v == SEKHA_FILTER_ANY ? 0 : sekha__url_query_add(path, name, v ? "true" : "false");
}

static int add_number(sekha_buf *path, const char *name, long v)
{
    char num[24];
    snprintf(num, sizeof num, "%ld", v);
    return v ? sekha__url_query_add(path, name, num) : 0;
}

static sekha_request *start_list(sekha_client *c, void *p, sekha__fn cb, void *ud)
{
    const list_args *a = p;
    const sekha__call_spec *cs = a->count ? &ctl_count_call : &ctl_search_results_call;
    const char *fn = a->count ? "sekha_controller_count_conversations"
                              : "sekha_controller_list_conversations";
    if (a->count && a->label && a->folder)
        return ctl_reject(c, cs, cb, ud, "%s: give label or folder, not both", fn);
    if (a->pinned < SEKHA_FILTER_ANY || a->pinned > 1 || a->archived < SEKHA_FILTER_ANY ||
        a->archived > 1)
        return ctl_reject(c, cs, cb, ud, "%s: pinned and archived must be 0, 1 or "
                          "SEKHA_FILTER_ANY", fn);
    /* Page 0 would make the real controller's (page-1)*page_size underflow. */
    if (!ctl_check_u32(a->page) || !ctl_check_u32(a->page_size))
        return ctl_reject(c, cs, cb, ud, "%s: page and page_size must be >= 1 (0 = default), "
                          "got %ld and %ld", fn, a->page, a->page_size);
    sekha_buf path = {0};
    int rc = sekha__buf_puts(&path, a->count ? "/api/v1/conversations/count"
                                             : "/api/v1/conversations");
    if (rc == 0 && a->label)
        rc = sekha__url_query_add(&path, "label", a->label);
    if (rc == 0 && a->folder)
        rc = sekha__url_query_add(&path, "folder", a->folder);
    if (rc == 0)
        rc = add_filter(&path, "pinned", a->pinned) || add_filter(&path, "archived", a->archived) ||
             add_number(&path, "page", a->page) || add_number(&path, "page_size", a->page_size);
    if (rc != 0) {
        sekha__buf_free(&path);
        return ctl_nomem(c, cs, cb, ud);
    }
    ctl_send_args s = {"GET", sekha__buf_str(&path), NULL, 0,
                       a->count ? "controller GET /api/v1/conversations/count"
                                : "controller GET /api/v1/conversations",
                       NULL, NULL, fn};
    sekha_request *req = ctl_send(c, &s, cs, cb, ud);
    sekha__buf_free(&path);
    return req;
}

sekha_request *sekha_controller_list_conversations(sekha_client *client, const char *label,
                                                   const char *folder, int pinned, int archived,
                                                   long page, long page_size,
                                                   sekha_search_results_cb cb, void *userdata)
{
    list_args a = {label, folder, pinned, archived, page, page_size, 0};
    return start_list(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_list_conversations_sync(sekha_client *client, const char *label,
                                                    const char *folder, int pinned,
                                                    int archived, long page, long page_size,
                                                    sekha_search_results **out,
                                                    sekha_error **err)
{
    list_args a = {label, folder, pinned, archived, page, page_size, 0};
    return ctl_sync(client, start_list, &a, out, err);
}

sekha_request *sekha_controller_count_conversations(sekha_client *client, const char *label,
                                                    const char *folder, sekha_count_cb cb,
                                                    void *userdata)
{
    list_args a = {label, folder, SEKHA_FILTER_ANY, SEKHA_FILTER_ANY, 0, 0, 1};
    return start_list(client, &a, (sekha__fn)cb, userdata);
}

sekha_code sekha_controller_count_conversations_sync(sekha_client *client, const char *label,
                                                     const char *folder,
                                                     sekha_count_result **out,
                                                     sekha_error **err)
{
    list_args a = {label, folder, SEKHA_FILTER_ANY, SEKHA_FILTER_ANY, 0, 0, 1};
    return ctl_sync(client, start_list, &a, out, err);
}
