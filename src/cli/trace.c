/* --trace, --trace-summary and --record: what the library saw, for the person at the
 * terminal. Trace events come from the library's trace callback (one per attempt, one per
 * request end); the summary keeps one row per request end and prints them once the client
 * is freed, so every request has ended. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct summary_row {
    char stage[96];
    int attempts;
    double ttfb_ms, total_ms;
    int status;
} summary_row;

static summary_row *rows;
static size_t nrows, caprows;

static void on_trace(const sekha_trace_event *ev, void *ud)
{
    cli *c = ud;
    if (c->trace_out) {
        fprintf(c->trace_out, "%s\n", sekha_trace_event_json(ev));
        fflush(c->trace_out);
    }
    if (!c->trace_summary || sekha_trace_event_kind(ev) != SEKHA_TRACE_END)
        return;
    if (nrows == caprows) {
        size_t cap = caprows ? caprows * 2 : 8;
        summary_row *r = realloc(rows, cap * sizeof *r);
        if (!r)
            return;
        rows = r;
        caprows = cap;
    }
    summary_row *r = &rows[nrows++];
    const char *method = sekha_trace_event_method(ev);
    snprintf(r->stage, sizeof r->stage, "%s%s%s", method, *method ? " " : "",
             sekha_trace_event_path(ev)); /* a workflow has no method: its name only */
    r->attempts = sekha_trace_event_attempt(ev);
    r->ttfb_ms = sekha_trace_event_ttfb_ms(ev);
    r->total_ms = sekha_trace_event_total_ms(ev);
    r->status = sekha_trace_event_status(ev);
}

int cli_trace_flag(cli *c, const char *flag, const char *value)
{
    if (strcmp(flag, "--record") == 0) {
        if (sekha_options_set_record(c->opts, value) != SEKHA_OK)
            return cli_usage(c, NULL, "--record: %s", sekha_options_last_error(c->opts));
        return 0;
    }
    /* --trace */
    if (c->trace_out && c->trace_out != stderr)
        fclose(c->trace_out);
    c->trace_out = strcmp(value, "-") == 0 ? stderr : fopen(value, "w");
    if (!c->trace_out)
        return cli_usage(c, NULL, "--trace: cannot write %s", value);
    return 0;
}

int cli_trace_setup(cli *c)
{
    if (!c->trace_out && !c->trace_summary)
        return 0;
    if (sekha_options_set_trace(c->opts, on_trace, c) != SEKHA_OK)
        return cli_usage(c, NULL, "--trace: %s", sekha_options_last_error(c->opts));
    return 0;
}

void cli_trace_finish(cli *c)
{
    if (c->trace_summary && nrows) {
        fprintf(stderr, "%-48s %8s %10s %10s %6s\n", "stage", "attempts", "ttfb ms", "total ms",
                "status");
        for (size_t i = 0; i < nrows; i++) {
            const summary_row *r = &rows[i];
            char ttfb[32] = "-";
            if (r->ttfb_ms >= 0)
                snprintf(ttfb, sizeof ttfb, "%.1f", r->ttfb_ms);
            fprintf(stderr, "%-48s %8d %10s %10.1f %6d\n", r->stage, r->attempts, ttfb,
                    r->total_ms, r->status);
        }
    }
    free(rows);
    rows = NULL;
    nrows = caprows = 0;
    if (c->trace_out && c->trace_out != stderr)
        fclose(c->trace_out);
    c->trace_out = NULL;
}
