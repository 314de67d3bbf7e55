"""The bench report: a markdown table per workload (medians over rounds, min-max
spread, per-round comparison with raw libcurl) and the Targets table for the issue's
"Reach" section. Used by bench/harness.py."""
import dataclasses
import datetime
import json
import os
import subprocess

from harness_lib import HERE, PY, QUERY_BODY, ROOT, TTFT_EVENTS, first_line

def rps(r):
    return r["requests"] / r["wall"]


def cpu_1k_requests(r):
    return r["cpu"] * 1e6 / r["requests"]


def conns_1k(r):
    return r["conns"] * 1e3 / r["requests"]


def median_ms(r):
    return r["median_us"] / 1000


def events_per_s(events):
    return lambda r: events / r["wall"]


def cpu_10k_events(events):
    return lambda r: r["cpu"] * 1e7 / events


def kb_per_stream(streams):
    return lambda r: (r["rss_peak_kb"] - r["rss_base_kb"]) / streams


def rate(x):
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e4:
        return f"{x / 1e3:.0f}k"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def f1(x):
    return f"{x:,.1f}"


def f3(x):
    return f"{x:.3f}"


@dataclasses.dataclass
class Col:
    head: str
    f: object                    # result -> value
    fmt: object
    vs: str = "ratio"            # compared with the group's raw row: ratio, diff (ms), or ""


def table(w, cols, group_head=None, extras=()):
    """Markdown: per row the median, min-max over rounds and the comparison with raw libcurl
    of the same group; EXTRAS: (head, row -> text) columns without statistics."""
    head = ["client"] + ([group_head] if group_head else []) + ["rounds"]
    for c in cols:
        head += [c.head, "min–max"] + (["vs raw"] if c.vs else [])
    head += [h for h, _ in extras]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for row in w.rows:
        cells = [row.label] + ([row.group] if group_head else [])
        if not row.ok():
            what = (f"FAILED: {row.failed}" if row.failed else
                    f"skipped: {row.skip}" if row.skip else "not run")
            lines.append("| " + " | ".join(cells + ["-", what.replace("|", "/")]
                                           + [""] * (len(head) - len(cells) - 2)) + " |")
            continue
        cells.append(str(len(row.results)))
        base = next((r for r in w.rows if r.id == "raw" and r.group == row.group), None)
        for c in cols:
            v = row.med(c.f)
            lo, hi = row.span(c.f)
            cells += [c.fmt(v), f"{c.fmt(lo)}–{c.fmt(hi)}"]
            if c.vs:
                x = row.vs(base, c.f, c.vs == "diff") if base and base.ok() else None
                if x is None:
                    cells.append("-")
                else:
                    cells.append(f"{x:+.3f} ms" if c.vs == "diff" else f"{x:.2f}x")
        cells += [fn(row) for _, fn in extras]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {r.label}{f' [{r.group}]' if r.group else ''}: {m}"
             for r in w.rows for m in r.warnings]
    if notes:
        lines += ["", "Warnings:"] + notes
    return lines


def report_workload(w, ctx):
    a = ctx.args
    out = [f"## {w.title}", ""] + ([f"**{w.note}**", ""] if w.note else [])

    def describe(*parts):
        if not w.note:  # the sizes are unknown when the stream could not be made
            out.extend(["".join(parts), ""])

    def p10_p90(row):  # medians over rounds of each run's percentiles
        return (f"{row.med(lambda r: r['p10_us']) / 1000:.3f}–"
                f"{row.med(lambda r: r['p90_us']) / 1000:.3f}")

    def peak_open(row):
        return f"{min(r['peak_open'] for r in row.results):g}"

    if w.key == "requests":
        describe(f"POST /api/v1/query, a {len(QUERY_BODY)}-byte JSON body, a 614-byte ",
                 "QueryResponse (libsekha decodes it into the typed result, the Python peers ",
                 "with .json(); raw libcurl, curl and wrk discard it); ",
                 f"{a.seconds} s per run. CPU = the client's user+sys per 1,000 requests ",
                 "(wrk and curl: their rusage; curl's time includes its process start).")
        out += table(w, [Col("req/s", rps, rate), Col("CPU ms / 1k req", cpu_1k_requests, f1)],
                     "in flight")
    elif w.key == "stream":
        s = ctx.streams.get("big") or {"events": 0, "bytes": 0}
        ev = s["events"] or 1
        describe(f"POST /v1/chat/completions answered by {s['events']:,} OpenAI-style chunks ",
                 f"({s['bytes'] / 1e6:.1f} MB of SSE); every client but raw assembles the ",
                 "delta text and is checked against its length. CPU = the client's user+sys ",
                 "per 10,000 events.")
        out += table(w, [Col("events/s", events_per_s(ev), rate),
                         Col("CPU ms / 10k ev", cpu_10k_events(ev), f1)])
    elif w.key == "ttft":
        describe("From starting the request to the first delta text delivered, on a ",
                 f"{TTFT_EVENTS}-chunk stream, {a.ttft_repeats} samples per run; the median ",
                 "of each run, then the median over rounds; \"vs raw\" is the difference. ",
                 "warm: on a kept-alive connection; new: a new connection per sample.")
        out += table(w, [Col("median ms", median_ms, f3, "diff")],
                     "connection", [("p10–p90 ms", p10_p90)])
    elif w.key == "many":
        m = ctx.streams.get("medium") or {"events": 0, "bytes": 0}
        ev = (m["events"] or 1) * a.streams
        describe(f"{a.streams:,} streams of {m['events']} chunks ({m['bytes'] / 1e3:.0f} KB) ",
                 "at once on one thread (the peers: one event loop), each with its text ",
                 "assembled (raw: counted). /many: nginx throttles each stream to ",
                 f"{ctx.many_rate:,} bytes/s so that all are open at the same time: memory ",
                 "per stream = (peak RSS - RSS before the first) / streams, and events/s is ",
                 "the throttle's. /burst: full speed (throughput). peak open: the most ",
                 "streams open at once (from first text to end), the lowest over rounds.")
        out += table(w, [Col("events/s", events_per_s(ev), rate),
                         Col("CPU ms / 10k ev", cpu_10k_events(ev), f1),
                         Col("KB / stream", kb_per_stream(a.streams), f1)],
                     "route", [("peak open", peak_open)])
    elif w.key == "coldstart":
        describe("Fork and exec to exit, each one complete query against nginx, ",
                 f"{a.cold_runs} runs per round (bench_coldstart).")
        out += table(w, [Col("median ms", median_ms, f3)], None, [("p10–p90 ms", p10_p90)])
    elif w.key == "creates":
        describe("POST /api/v1/conversations with a two-message turn, answered 201 by nginx ",
                 "with the controller's body (libsekha decodes it into the stored ",
                 "conversation; raw libcurl discards it and keeps its connections alive), ",
                 f"{a.seconds} s per run, at 1 and 64 in flight, over http and over https ",
                 "(TLS 1.3, the run's CA, verification on). CPU = the client's user+sys per ",
                 "1,000 creates; new conns = the connections nginx accepted during the run, ",
                 "per 1,000 creates (one per create: a new connection, and over https a ",
                 "handshake, for each).")
        cols = [Col("creates/s", rps, rate), Col("CPU ms / 1k", cpu_1k_requests, f1)]
        if all("conns" in r for row in w.rows for r in row.results):
            cols.append(Col("new conns / 1k", conns_1k, f1, ""))
        out += table(w, cols, "transport, in flight")
    elif w.key == "tls":
        big = ctx.streams.get("big") or {"events": 0}
        ev = big["events"] or 1
        describe("The same nginx routes over HTTPS: TLS 1.3 with a P-256 certificate from a CA ",
                 "the run makes with the openssl CLI (build/bench/tls), trusted by every ",
                 "client through its CA option, verification on. Creates over https are in ",
                 "workload 6. Queries: as workload 1. Stream: as workload 2 ",
                 f"({big['events']:,} chunks). TTFT: as workload 3; new = a new connection ",
                 "with a full TLS handshake per sample.")
        part = lambda pre: dataclasses.replace(w, rows=[r for r in w.rows
                                                       if r.group.startswith(pre)])
        out += table(part("query"), [Col("req/s", rps, rate),
                                     Col("CPU ms / 1k req", cpu_1k_requests, f1)], "what")
        out += [""] + table(part("stream"), [Col("events/s", events_per_s(ev), rate),
                                             Col("CPU ms / 10k ev", cpu_10k_events(ev), f1)])
        out += [""] + table(part("ttft"), [Col("median ms", median_ms, f3, "diff")],
                            "connection", [("p10–p90 ms", p10_p90)])
    else:
        how = ctx.delay.how if ctx.delay else ""
        describe(f"Over {how or 'a delayed transport'}. One request at a time for ",
                 f"{max(1, a.seconds // 2)} s (create, query: the latency of each, start to final ",
                 f"callback) or {a.latency_repeats} TTFT samples (warm: one kept-alive ",
                 "connection; new: a new connection, and over https a full handshake, per ",
                 "sample). Median of each run, then the median over rounds; \"vs raw\" is ",
                 "the difference.")
        out += table(w, [Col("median ms", median_ms, f3, "diff")], "what",
                     [("p10–p90 ms", p10_p90)])
    return out + [""]


def at_least(v, goal, fmt, pct=True):
    if v >= goal:
        return True, f"met ({fmt(v - goal)} to spare)"
    return False, f"missed by {fmt(goal - v)}" + (f" ({(goal - v) / goal:.0%})" if pct else "")


def at_most(v, goal, fmt, pct=True):
    if v <= goal:
        return True, f"met ({fmt(goal - v)} to spare)"
    return False, f"missed by {fmt(v - goal)}" + (f" ({(v - goal) / goal:.0%} over)" if pct else "")


def targets(ws, ctx):
    """The issue's "Reach" section, measured: (goal, measured, target, verdict, met)."""
    a = ctx.args

    def get(wkey, rid, group=""):
        """(row, None) when the row has results, else (None, why)."""
        w = ws.get(wkey)
        row = w and w.row(rid, group)
        if w is None:
            return None, "workload not run (--only)"
        if row is None or not row.ok():
            why = row and (row.failed and f"FAILED: {row.failed}" or row.skip) or "no result"
            return None, f"{row.label if row else rid}: {why}"
        return row, None

    out = []

    def unmeasured(goal_text, why):
        out.append((goal_text, "-", "", f"not measured: {why}", None))

    def ratio(goal_text, wkey, rid, base_id, group, f, unit, goal, better):
        r, why = get(wkey, rid, group)
        b, why_b = get(wkey, base_id, group)
        if why or why_b:
            unmeasured(goal_text, why or why_b)
            return
        v, bv = r.med(f), b.med(f)
        x = r.vs(b, f)
        if x is None:
            unmeasured(goal_text, "no round has both")
            return
        met, verdict = (at_least if better == "high" else at_most)(x, goal, lambda d: f"{d:.2f}x")
        out.append((goal_text, f"{x:.2f}x ({unit(v)} vs {unit(bv)})",
                    f"{'>=' if better == 'high' else '<='} {goal:.2f}x", verdict, met))

    for n, goal in (("1", 0.97), ("64", 1.0)):
        ratio(f"Small requests, {n} in flight: libsekha req/s vs raw libcurl", "requests",
              "sekha", "raw", n, rps, lambda v: f"{rate(v)} req/s", goal, "high")
    for n in ("1", "64"):
        ratio(f"Small requests, {n} in flight: client CPU per request vs raw libcurl",
              "requests", "sekha", "raw", n, cpu_1k_requests, lambda v: f"{v:.1f} ms/1k",
              1.15, "low")

    big = (ctx.streams.get("big") or {"events": 1})["events"]
    eps = events_per_s(big)
    r, why = get("stream", "stream")
    if why:
        unmeasured("Streaming: events/s with the text assembled (libsekha stream_complete)", why)
    else:
        v = r.med(eps)
        met, verdict = at_least(v, 3e6, lambda d: f"{rate(d)}/s")
        out.append(("Streaming: events/s with the text assembled (libsekha stream_complete)",
                    f"{rate(v)}/s", ">= 3.00M/s", verdict, met))
    ratio("Streaming: libsekha vs libcurl + cJSON DOM per chunk", "stream", "stream", "cjson",
          "", eps, lambda v: f"{rate(v)}/s", 2.0, "high")
    ratio("Streaming: libsekha vs Node undici", "stream", "stream", "undici", "", eps,
          lambda v: f"{rate(v)}/s", 5.0, "high")
    if not why:
        v = r.med(cpu_10k_events(big))
        met, verdict = at_most(v, 4.0, lambda d: f"{d:.2f} ms")
        out.append(("Streaming: client CPU per 10k events", f"{v:.2f} ms", "<= 4 ms", verdict, met))
    else:
        unmeasured("Streaming: client CPU per 10k events", why)

    r, why = get("ttft", "sekha", "warm")
    b, why_b = get("ttft", "raw", "warm")
    goal = "Time to first token, warm: libsekha minus raw libcurl"
    if why or why_b:
        unmeasured(goal, why or why_b)
    else:
        f = median_ms
        d = r.vs(b, f, diff=True)
        if d is None:
            d = r.med(f) - b.med(f)
        met, verdict = at_most(d, 0.02, lambda x: f"{x:.3f} ms", pct=False)
        out.append((goal, f"{d:+.3f} ms ({r.med(f):.3f} vs {b.med(f):.3f} ms)", "<= +0.020 ms",
                    verdict, met))

    goal = f"{a.streams:,} concurrent streams: all complete, all open at once (libsekha)"
    rows = [get("many", "sekha", g) for g in ("/many", "/burst")]
    bad = next((why for _, why in rows if why), None)
    if bad and "many" in ws and "FAILED" in bad:
        out.append((goal, "-", f"{a.streams} done, {a.streams} open", f"missed: {bad}", False))
    elif bad:
        unmeasured(goal, bad)
    else:
        done = min(x["streams"] for row, _ in rows for x in row.results)
        peak = min(x["peak_open"] for x in rows[0][0].results)
        met = done == a.streams and peak == a.streams
        out.append((goal, f"{done:g} of {a.streams} completed; peak open {peak:g}",
                    f"{a.streams} done, {a.streams} open",
                    "met" if met else f"missed: peak open {a.streams - peak:g} short", met))
    ratio(f"{a.streams:,} streams: memory per stream vs raw libcurl", "many", "sekha", "raw",
          "/many", kb_per_stream(a.streams),
          lambda v: f"{v:.1f} KB", 1.5, "low")

    for g in ("http, 1", "http, 64", "https, 1", "https, 64"):
        scheme, n = g.split(", ")
        ratio(f"Creates over {scheme}, {n} in flight: libsekha creates/s vs raw keep-alive "
              "libcurl", "creates", "sekha", "raw", g, rps, lambda v: f"{rate(v)}/s", 0.90,
              "high")

    r, why = get("coldstart", "sekha")
    goal = "sekha CLI cold start, one query end to end"
    if why:
        unmeasured(goal, why)
    else:
        v = r.med(median_ms)
        met, verdict = at_most(v, 10.0, lambda d: f"{d:.2f} ms")
        out.append((goal, f"{v:.2f} ms", "< 10 ms", verdict, met))
    return out


def header(ctx, pinned, argv):
    def cmd_out(argv):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            return first_line(p.stdout) or first_line(p.stderr)
        except (OSError, subprocess.TimeoutExpired):
            return ""

    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), "unknown CPU")
    cores = os.cpu_count()
    nginx = cmd_out(["nginx", "-v"]).replace("nginx version: ", "")
    commit = cmd_out(["git", "-C", ROOT, "describe", "--always", "--dirty"])
    peers = []
    mods = [m for m, skip in ctx.py_skip.items() if not skip]
    if mods:
        v = cmd_out([PY, "-c", "import sys, importlib; print(sys.version.split()[0], ' '.join("
                     f"m + ' ' + importlib.import_module(m).__version__ for m in {mods!r}))"])
        peers.append(f"Python {v}")
    if ctx.node:
        vers = []
        for pkg in ("undici", "openai"):
            try:
                with open(os.path.join(HERE, "peers", "node_modules", pkg, "package.json")) as f:
                    vers.append(pkg + " " + json.load(f)["version"])
            except (OSError, ValueError, KeyError):
                pass
        peers.append(f"Node {cmd_out([ctx.node, '--version'])}"
                     + (f" ({', '.join(vers)})" if vers else ""))
    curl = cmd_out(["curl", "--version"]).split(" (")[0]
    where = ("nginx pinned to core {0}, each client pinned to core {1}".format(*pinned)
             if pinned else "unpinned (fewer than two cores, or no taskset)")
    return [
        "# libsekha benchmarks", "",
        f"`scripts/bench{' ' + ' '.join(argv) if argv else ''}` on "
        f"{datetime.date.today().isoformat()}: {cpu}, {cores} cores, Linux "
        f"{os.uname().release}, loopback. Server: {nginx}, one worker; {where}; one client at "
        f"a time, interleaved round-robin within each round. libsekha {commit}, release "
        f"build. Peers: {'; '.join(peers + [curl]) or 'none'}.",
        "",
        "Medians over rounds; min–max is the spread over rounds; \"vs raw\" compares with "
        "the raw libcurl program (no parsing, the floor) of the same round, the median of "
        "those per-round ratios (or differences).",
        "",
    ]


def render(ws, ctx, pinned, argv, stopped):
    """The whole report as markdown, and the rows that FAILED."""
    lines = header(ctx, pinned, argv)
    if stopped:
        lines += ["**Interrupted: this report is partial.**", ""]
    for key in ctx.args.workloads:
        if key in ws:
            lines += report_workload(ws[key], ctx)
    lines += ["## Targets (the issue's \"Reach\")", "",
              "| goal | measured | target | verdict |", "|---|---:|---:|---|"]
    for goal, measured, target, verdict, met in targets(ws, ctx):
        if met is not None:  # the verdict's first word: met / missed
            word, _, rest = verdict.partition(" ")
            verdict = f"**{word}** {rest}".rstrip()
        lines.append(f"| {goal} | {measured} | {target} | {verdict} |")
    failed = [(w.key, r) for w in ws.values() for r in w.rows if r.failed]
    if failed:
        lines += ["", f"**{len(failed)} client run(s) FAILED**: "
                  + "; ".join(f"{k}: {r.label}{f' [{r.group}]' if r.group else ''}"
                              for k, r in failed) + "."]
    return "\n".join(lines) + "\n", failed
