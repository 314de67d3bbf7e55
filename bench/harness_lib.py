"""What the bench harness's parts share (bench/harness.py runs the workloads,
bench/harness_report.py writes the report): the sizes of a run, the rows a workload's table
is made of, and reading a client's result line."""
import ctypes
import dataclasses
import os
import re
import signal
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"  # Debian's, with python3-httpx and python3-aiohttp
# ---- The sizes of the run, in one place.
BIG_EVENTS = 200_000   # workload 2: chunks in the big stream (--events)
TTFT_EVENTS = 3        # workload 3: the short stream
MEDIUM_EVENTS = 500    # workload 4: chunks in each of the concurrent streams
STREAMS = 1000         # workload 4: concurrent streams (--streams)
# /many is throttled with nginx's limit_rate so that every stream stays open a few seconds,
# and so all of them are open at once (nginx meters in whole seconds and sends the first
# second's share at once: a stream of B bytes at B/N bytes/s takes about N-1 seconds). The
# slower peers need about 4 s to get all 1,000 going while the first are still open.
MANY_SECONDS = 5
TTFT_REPEATS = 200     # samples per TTFT process (--ttft-repeats)
COLD_RUNS = 20         # process starts per cold start measurement (--cold-runs)
DELAY_MS = 10          # latency: one-way delay, so a 20 ms round trip (--delay-ms)
LATENCY_REPEATS = 20   # latency: TTFT samples per run (--latency-repeats)

# The one-shot raw libcurl query timed for cold start (bench_requests ARGS).
RAW_ONCE_ARGS = ["raw", "{base}", "1", "once"]

QUERY = ("what did we decide about the retry budget for the controller client last week, and "
         "which pull request changed the backoff cap for streaming completions in the bridge")
QUERY_BODY = '{"query":"%s","limit":10}' % QUERY

WORKLOADS = ["requests", "stream", "ttft", "many", "coldstart", "creates", "tls", "latency"]

# ------------------------------------------------------------------ rows and results

@dataclasses.dataclass
class Row:
    """One client in one workload: its command, and the results of its rounds."""
    id: str                      # stable key (targets and baselines look rows up by it)
    label: str
    argv: list = None
    group: str = ""              # rows are compared within a group (in flight, warm/new, route)
    kind: str = "line"           # line: the contract's result line; wrk, curl: parsed here
    need: tuple = None           # the keys its result line must have (None: the workload's)
    rounds: int = 0              # 0: every round of the workload
    # What the result line must say, from the generated stream (None: unchecked). A client
    # that does not parse (raw libcurl) reports events=-1, text_bytes=-1 and the body's
    # bytes: its bytes are checked and its events taken from the stream (events_from).
    text: int = None             # text_bytes (the assembled delta text)
    bytes: int = None            # bytes (the body, per stream)
    events_from: int = None      # events, when the client reports -1
    skip: str = None
    failed: str = None
    results: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)
    count: int = 0               # curl: requests per run, calibrated to --seconds
    retried: bool = False        # one failed run was run again (a shared machine hiccups)

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
    conns: bool = False          # count the connections nginx accepts during each run

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


# ------------------------------------------------------------------ processes

LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def pin(core, argv):
    return argv if core is None else ["taskset", "-c", str(core)] + argv


def dies_with_us(sig):
    """A preexec_fn: the child gets SIG when the harness dies, however it dies (SIGKILL
    included), so that no nginx or client outlives a run."""
    def arm():
        if LIBC.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0 or os.getppid() == 1:
            os._exit(125)  # the harness is already gone (or prctl failed): do not start
    return arm


def spawn(argv, sig, **kw):
    """Popen in a process group of its own (Ctrl-C reaches the harness, which stops the
    group: a client's own children, such as the commands bench_coldstart starts, too)."""
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, process_group=0,
                            preexec_fn=dies_with_us(sig), **kw)


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()  # a stuck pipe writer: the process itself is gone already
        p.wait()


def make_row(rid, label, pair, **kw):
    """A Row from (argv, reason): a C program of this project that is missing FAILS (the
    build should have made it); a peer that is not installed is skipped."""
    argv, reason = pair
    fail = kw.pop("fail_missing", False)
    return Row(rid, label, argv, skip=None if fail else reason,
               failed=reason if fail else None, **kw)


def expect(ctx, name, parses, streams=1):
    """What a client of the generated stream NAME must report: a parsing client the
    assembled text's length; a raw one (parses=False) the body's bytes, its events then
    taken from the stream (STREAMS of them). Nothing when the stream was not made."""
    s = ctx.streams.get(name)
    if not s:
        return {}
    if parses:
        return {"text": s["text_bytes"]}
    return {"bytes": s["bytes"], "events_from": s["events"] * streams}


def log(msg):
    print(msg, file=sys.stderr, flush=True)
