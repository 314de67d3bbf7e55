/* `sekha CMD --help` texts of the controller subcommands: arguments, every flag with its
 * default, and what --json prints. The defaults named here are the library's documented ones
 * (include/sekha/controller.h). */
#include "cli_controller.h"

/* Said by every command that takes an ID. */
#define ID_ARG "  ID                     a conversation's UUID (anything else exits 2, nothing sent)\n"
/* Said by every command: where the controller is. */
#define CTL_ENV                                                                             \
    "  Controller: --controller-url or SEKHA_CONTROLLER_URL; key: --api-key or SEKHA_API_KEY.\n"
#define WHEN_DONE(what)                                                                     \
    "  Prints \"" what " ID\"; with --json one object {\"id\", \"action\", ..., \"ok\": true}.\n"

const char cctl_help_store[] =
    "  Arguments: none; everything comes from flags.\n"
    "  --label L              the conversation's label (required; may be \"\")\n"
    "  --folder F             its folder, e.g. /work/notes (required; may be \"\")\n"
    "  --message ROLE:TEXT    one message, in order; repeat for more (at least one). ROLE is\n"
    "                         user, assistant, system or tool; TEXT is everything after the\n"
    "                         first colon, kept exactly (later colons included)\n"
    "  --message ROLE:@FILE   the message text is the whole content of FILE (up to 64 MiB)\n"
    "  --message ROLE:@-      the message text is all of stdin (one such --message at most)\n"
    "  --message ROLE:@@TEXT  the literal text \"@TEXT\": \"@@\" escapes a leading \"@\"\n"
    "  --importance N         1..10 (default: not sent). Accepted, but the controller ignores\n"
    "                         it when storing and keeps 5; a warning on stderr says so. Use\n"
    "                         `sekha pin ID` to set 10.\n"
    "  Message text must be UTF-8 without NUL bytes; anything else exits 2 and nothing is\n"
    "    sent. Prints the new conversation's id; with --json the controller's answer (one\n"
    "    object: id, label, folder, status, message_count, created_at).\n"
    CTL_ENV;

const char cctl_help_get[] =
    ID_ARG
    "  Prints id, label, folder, status, message count and creation time (naive UTC); with\n"
    "    --json the controller's answer as one object. An unknown id exits 1 (HTTP 404).\n"
    CTL_ENV;

const char cctl_help_list[] =
    "  --label L              only conversations with this label (default: any)\n"
    "  --folder F             only conversations in this folder (default: any)\n"
    "  --pinned               only pinned ones (default: pinned or not)\n"
    "  --archived             only archived ones (default: archived or not)\n"
    "  --page N               page N, from 1 (default 1); at most 4294967295\n"
    "  --page-size N          N conversations a page, 1..4294967295 (default 50)\n"
    "  Prints one line per conversation (id, label, folder, status, importance, last update),\n"
    "    then the page, its size and the total; with --json the controller's answer as one\n"
    "    object (results, total, page, page_size). Note: the real controller's filters are\n"
    "    known to match nothing; sekha-devserver filters as intended.\n"
    CTL_ENV;

const char cctl_help_count[] =
    "  --label L              count only conversations with this label\n"
    "  --folder F             count only conversations in this folder\n"
    "    (default: count all; --label and --folder together exit 2, the controller cannot)\n"
    "  Prints the number; with --json the controller's answer as one object.\n"
    CTL_ENV;

const char cctl_help_label[] =
    ID_ARG
    "  LABEL                  the new label (required; may be \"\")\n"
    "  FOLDER                 the new folder (required: the controller sets both at once)\n"
    WHEN_DONE("relabelled")
    "    The object also has \"label\" and \"folder\". An unknown id exits 1 (HTTP 404).\n"
    CTL_ENV;

const char cctl_help_folder[] =
    ID_ARG
    "  FOLDER                 the new folder\n"
    WHEN_DONE("moved")
    "    The object also has \"folder\". An unknown id exits 1.\n"
    CTL_ENV;

const char cctl_help_pin[] =
    ID_ARG
    "  Sets the conversation's importance to 10 (pinned conversations are always offered to\n"
    "    `sekha context`).\n"
    WHEN_DONE("pinned")
    "    An unknown id exits 1 (the controller answers 500 \"Entity not found\").\n"
    CTL_ENV;

const char cctl_help_archive[] =
    ID_ARG
    "  Sets the conversation's status to \"archived\" (it stays stored and searchable).\n"
    WHEN_DONE("archived")
    "    An unknown id exits 1.\n"
    CTL_ENV;

const char cctl_help_delete[] =
    ID_ARG
    "  Deletes the conversation and its messages; there is no undo.\n"
    WHEN_DONE("deleted")
    "    An unknown id exits 1 (HTTP 404).\n"
    CTL_ENV;

const char cctl_help_query[] =
    "  TEXT                   what to look for; several words are joined with spaces. A lone\n"
    "                         \"-\" reads the text from stdin (its final newline dropped).\n"
    "  --limit N              at most N results, 1..4294967295 (default 0: the server's\n"
    "                         default, 10)\n"
    "  Semantic (embedding) search over stored messages, best match first: one entry per hit\n"
    "    with score, conversation id, label and folder, and the first 200 bytes of the text.\n"
    "    With --json the controller's answer as one object (results, total, page, page_size).\n"
    CTL_ENV;

const char cctl_help_search[] =
    "  TEXT                   an SQLite FTS5 MATCH expression (words, \"phrases\", AND, OR,\n"
    "                         NOT, prefix*); several words are joined with spaces. A lone\n"
    "                         \"-\" reads it from stdin (its final newline dropped).\n"
    "  --limit N              at most N messages, 1..4294967295 (default 0: the server's\n"
    "                         default, 10)\n"
    "  Prints \"conversation-id  role: text\" per message, best rank first (text cut at 200\n"
    "    bytes); with --json the controller's answer as one object (results, total). FTS5\n"
    "    syntax it cannot parse exits 1 (the controller answers 500).\n"
    CTL_ENV;

const char cctl_help_context[] =
    "  QUERY                  what the context is for; several words are joined with spaces.\n"
    "                         A lone \"-\" reads it from stdin (its final newline dropped).\n"
    "  --budget N             token budget, 1..4294967295 (default 0: the server's default,\n"
    "                         4000); messages are packed into 85 % of it, at 4 chars a token\n"
    "  --label L              PREFER conversations labelled L (repeatable): they are recalled\n"
    "                         and ranked higher. This reorders, it does not filter: other\n"
    "                         labels still appear.\n"
    "  --exclude-folder F     leave out conversations whose folder starts with F (repeatable)\n"
    "  Prints the budget, then \"[label] role: text\" per message (whole text) and a token\n"
    "    estimate; with --json the controller's answer: one JSON array of messages.\n"
    CTL_ENV;

const char cctl_help_summarize[] =
    ID_ARG
    "  --level L              daily, weekly or monthly (default daily); anything else exits 2\n"
    "  Prints the summary text; with --json the controller's answer as one object.\n"
    CTL_ENV;

const char cctl_help_prune[] =
    "  --days N               required: conversations not updated for N days (0 = all\n"
    "                         active ones; the SDKs use 90), at most 365000000\n"
    "  --execute              then archive those recommended for archiving (default: only\n"
    "                         list, change nothing)\n"
    "  --all                  with --execute: archive every listed one, \"keep\" ones too\n"
    "  Prints one line per idle conversation (id, recommendation, label, messages, tokens,\n"
    "    importance, last access), then with --execute \"archived N conversations\". Nothing is\n"
    "    printed before everything succeeded. With --json: the controller's dry-run answer as\n"
    "    one object, or with --execute {\"suggestions\": <that answer>, \"archived\": [ids]}.\n"
    CTL_ENV;

const char cctl_help_suggest_labels[] =
    ID_ARG
    "  Prints one line per idea: label, confidence, existing or new, reason; with --json the\n"
    "    controller's answer as one object. An unknown id exits 1.\n"
    CTL_ENV;

const char cctl_help_metrics[] =
    "  Arguments: none.\n"
    "  Prints the controller's metrics as received (Prometheus text). With --json one object\n"
    "    {\"name{labels}\": value, ...} made from the samples (comments dropped; NaN, +Inf and\n"
    "  -Inf as strings, timestamps dropped), or the body itself when it already is JSON;\n"
    "    a body that is neither exits 1.\n"
    CTL_ENV;

const char cctl_help_rebuild[] =
    "  Arguments: none.\n"
    "  Asks the controller to recompute every message's embedding (it answers 202 at once; the\n"
    "    real controller currently does nothing more). Prints \"embedding rebuild accepted\";\n"
    "    with --json {\"action\": \"rebuild-embeddings\", \"accepted\": true, \"ok\": true}.\n"
    CTL_ENV;
