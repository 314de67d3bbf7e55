#!/usr/bin/python3
"""Python peer clients for the bench, run by bench/harness.py: what a Python user
would write on httpx.AsyncClient or aiohttp.ClientSession, one event loop, one thread.

Usage:
  peer_python.py httpx|aiohttp requests BASE IN_FLIGHT SECONDS
      keep IN_FLIGHT POST /api/v1/query in flight for SECONDS, each reply decoded (.json())
      and read; prints "requests=R wall=S cpu=S errors=E"
  peer_python.py httpx|aiohttp stream OPENAI_BASE
      one streamed chat completion from OPENAI_BASE/v1/chat/completions, the SSE split as it
      arrives, json.loads per chunk, the delta text assembled;
      prints "events=N wall=S cpu=S text_bytes=T errors=E" (T: UTF-8 bytes of the text)
  peer_python.py httpx|aiohttp ttft OPENAI_BASE REPEATS warm|new
      time from starting the request to the first delta text, REPEATS times; warm: one
      kept-alive connection (primed once, not counted), new: a new client per sample;
      prints "samples=N median_us=X p10_us=X p90_us=X errors=E"
  peer_python.py httpx|aiohttp many OPENAI_BASE STREAMS
      STREAMS streamed chat completions at once, each on its own connection, read as in
      stream mode; prints "streams=N events=E wall=S cpu=S rss_base_kb=K rss_peak_kb=K
      peak_open=P text_bytes=T errors=E" (as bench_many: T per stream, P the most streams
      open at once, the RSS from /proc/self/status before the first and at its peak)
  peer_python.py httpx|aiohttp once BASE
      one query, for cold start timing (the import of the library included)
The libraries are imported only when used, so each mode pays for exactly one of them.
"""
import asyncio
import importlib
import json
import resource
import sys
import time

QUERY = ("what did we decide about the retry budget for the controller client last week, and "
         "which pull request changed the backoff cap for streaming completions in the bridge")
QUERY_BODY = {"query": QUERY, "limit": 10}
QUERY_PATH = "/api/v1/query"
CHAT_BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "bench"}],
             "stream": True}
CHAT_PATH = "/v1/chat/completions"
TIMEOUT = 30  # seconds without progress before a request counts as failed


class Httpx:
    """The three things the modes need from a library: a session, a JSON POST, a body
    streamed as byte chunks. Everything else is shared, so both libraries run the same code."""

    def __init__(self):
        self.m = importlib.import_module("httpx")

    def session(self, n=1):
        limits = self.m.Limits(max_connections=n, max_keepalive_connections=n)
        return self.m.AsyncClient(limits=limits, timeout=TIMEOUT)

    async def post_json(self, s, url, body):
        r = await s.post(url, json=body)
        return r.status_code, r.json()

    async def stream(self, s, url, body):
        async with s.stream("POST", url, json=body) as r:
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}")
            async for chunk in r.aiter_bytes():
                yield chunk


class Aiohttp:
    def __init__(self):
        self.m = importlib.import_module("aiohttp")

    def session(self, n=1):
        timeout = self.m.ClientTimeout(total=None, sock_connect=TIMEOUT, sock_read=TIMEOUT)
        return self.m.ClientSession(connector=self.m.TCPConnector(limit=n), timeout=timeout)

    async def post_json(self, s, url, body):
        async with s.post(url, json=body) as r:
            return r.status, await r.json()

    async def stream(self, s, url, body):
        async with s.post(url, json=body) as r:
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}")
            async for chunk in r.content.iter_any():
                yield chunk


LIBS = {"httpx": Httpx, "aiohttp": Aiohttp}


class Sse:
    """Incremental SSE decoder for chat completion chunks: events end with a blank line;
    the data lines of an event are joined; [DONE] ends the stream. on_text() is called once,
    as soon as the first non-empty delta text is decoded (the TTFT clock stops there, the
    same rule as the C and Node clients: not after the rest of the read is parsed)."""

    def __init__(self, on_text=None):
        self.on_text = on_text
        self.rest = b""
        self.parts = []
        self.events = 0
        self.done = False

    def feed(self, chunk):
        """Takes the next bytes."""
        *blocks, self.rest = (self.rest + chunk).split(b"\n\n")
        for block in blocks:
            if block.startswith(b"data: ") and b"\n" not in block:
                data = block[6:]  # the common shape: one data line
            else:
                data = b"\n".join(line[5:].removeprefix(b" ") for line in block.split(b"\n")
                                  if line.startswith(b"data:"))
                if not data:
                    continue  # comments, event names, keep-alives
            if data == b"[DONE]":
                self.done = True
                continue
            choices = json.loads(data.decode()).get("choices") or [{}]
            text = (choices[0].get("delta") or {}).get("content")
            if text:
                self.parts.append(text)
                if self.on_text:
                    self.on_text()
                    self.on_text = None
            self.events += 1

    def text_bytes(self):
        return len("".join(self.parts).encode())


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def query_ok(status, body):
    return status == 200 and bool(body["results"][0]["content"])


def note(err):
    print(f"peer_python: {type(err).__name__}: {err}", file=sys.stderr)


async def requests(lib, base, n, secs):
    done = errors = 0
    url = base + QUERY_PATH
    # One pooled connection per request in flight, as the C clients have.
    async with lib.session(n) as s:
        c0, t0 = cpu(), time.monotonic()
        deadline = t0 + secs

        async def worker():
            nonlocal done, errors
            while time.monotonic() < deadline:
                try:
                    ok = query_ok(*await lib.post_json(s, url, QUERY_BODY))
                except Exception as e:  # counted; the first one is shown
                    if not errors:
                        note(e)
                    ok = False
                done += ok
                errors += not ok

        await asyncio.gather(*(worker() for _ in range(n)))
        wall, used = time.monotonic() - t0, cpu() - c0
    return f"requests={done} wall={wall:.6f} cpu={used:.6f} errors={errors}", errors


async def read_stream(lib, s, url, on_text=None):
    """Reads one streamed completion; on_text() is called when the first delta text is
    decoded (the TTFT clock stops there)."""
    sse = Sse(on_text)
    async for chunk in lib.stream(s, url, CHAT_BODY):
        sse.feed(chunk)
    if not sse.done:
        raise RuntimeError("stream ended without data: [DONE]")
    if not sse.parts:
        raise RuntimeError("stream carried no delta text")
    return sse


async def stream(lib, base):
    errors, events, text_bytes = 0, 0, 0
    async with lib.session() as s:
        c0, t0 = cpu(), time.monotonic()
        try:
            sse = await read_stream(lib, s, base + CHAT_PATH)
            events, text_bytes = sse.events, sse.text_bytes()
        except Exception as e:
            note(e)
            errors = 1
        wall, used = time.monotonic() - t0, cpu() - c0
    return (f"events={events} wall={wall:.6f} cpu={used:.6f} text_bytes={text_bytes} "
            f"errors={errors}"), errors


def percentile(sorted_xs, p):
    """Linear between the closest ranks, as the C and Node clients compute it."""
    pos = (len(sorted_xs) - 1) * p
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


async def ttft(lib, base, repeats, mode):
    url = base + CHAT_PATH
    samples, errors = [], 0

    async def sample(s):
        nonlocal errors
        first = []
        t0 = time.perf_counter()
        try:
            await read_stream(lib, s, url, lambda: first.append(time.perf_counter() - t0))
            samples.append(first[0])
        except Exception as e:
            if not errors:
                note(e)
            errors += 1

    if mode == "warm":
        async with lib.session() as s:
            await sample(s)  # opens the connection: not a warm sample
            samples.clear()
            for _ in range(repeats):
                await sample(s)
    else:
        for _ in range(repeats):
            async with lib.session() as s:  # a new client: a new connection
                await sample(s)
    xs = sorted(x * 1e6 for x in samples) or [0.0]
    return (f"samples={len(samples)} median_us={percentile(xs, 0.5):.1f} "
            f"p10_us={percentile(xs, 0.1):.1f} p90_us={percentile(xs, 0.9):.1f} "
            f"errors={errors}"), errors


def status_kb(name):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return -1


async def many(lib, base, n):
    url = base + CHAT_PATH
    started = finished = peak = events = errors = 0
    sizes = set()

    async def one(s):
        nonlocal started, finished, peak, events, errors
        opened = False

        def first_text():  # the stream is open: it delivered its first text
            nonlocal started, peak, opened
            opened = True
            started += 1
            peak = max(peak, started - finished)
        try:
            sse = await read_stream(lib, s, url, first_text)
            events += sse.events
            sizes.add(sse.text_bytes())
        except Exception as e:
            if not errors:
                note(e)
            errors += 1
        finished += opened

    async with lib.session(n) as s:
        rss_base = status_kb("VmRSS")
        c0, t0 = cpu(), time.monotonic()
        await asyncio.gather(*(one(s) for _ in range(n)))
        wall, used = time.monotonic() - t0, cpu() - c0
        rss_peak = status_kb("VmHWM")
    done = n - errors
    if len(sizes) > 1:
        note(RuntimeError(f"streams differ in text length: {sorted(sizes)}"))
        errors += 1
    text = sizes.pop() if len(sizes) == 1 else -1
    return (f"streams={done} events={events} wall={wall:.6f} cpu={used:.6f} "
            f"rss_base_kb={rss_base} rss_peak_kb={rss_peak} peak_open={peak} "
            f"text_bytes={text} errors={errors}"), errors


async def once(lib, base):
    c0, t0 = cpu(), time.monotonic()
    errors = 0
    try:
        async with lib.session() as s:
            errors = int(not query_ok(*await lib.post_json(s, base + QUERY_PATH, QUERY_BODY)))
    except Exception as e:
        note(e)
        errors = 1
    return (f"requests={1 - errors} wall={time.monotonic() - t0:.6f} cpu={cpu() - c0:.6f} "
            f"errors={errors}"), errors


def main(argv):
    modes = {"requests": (5, lambda lib, a: requests(lib, a[2], int(a[3]), float(a[4]))),
             "stream": (3, lambda lib, a: stream(lib, a[2])),
             "ttft": (5, lambda lib, a: ttft(lib, a[2], int(a[3]), a[4])),
             "many": (4, lambda lib, a: many(lib, a[2], int(a[3]))),
             "once": (3, lambda lib, a: once(lib, a[2]))}
    a = argv[1:]
    if (len(a) < 2 or a[0] not in LIBS or a[1] not in modes or len(a) != modes[a[1]][0]
            or (a[1] == "ttft" and a[4] not in ("warm", "new"))):
        print(__doc__.split("Usage:")[1].split("The libraries")[0].rstrip(), file=sys.stderr)
        return 2
    try:
        lib = LIBS[a[0]]()
        line, errors = asyncio.run(modes[a[1]][1](lib, a))
    except (ValueError, ImportError) as e:
        note(e)
        return 2
    print(line)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
