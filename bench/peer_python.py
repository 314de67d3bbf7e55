#!/usr/bin/python3
"""Python peer clients for the small-request bench: httpx.AsyncClient or
aiohttp.ClientSession keeping N POST /api/v1/query in flight on one event loop for SECONDS,
each reply decoded with .json() and read (the Python equivalent of libsekha's typed result).
Prints the bench_requests result line.
Usage: peer_python.py httpx|aiohttp URL IN_FLIGHT SECONDS"""
import asyncio
import importlib
import resource
import sys
import time

QUERY = ("what did we decide about the retry budget for the controller client last week, and "
         "which pull request changed the backoff cap for streaming completions in the bridge")
BODY = {"query": QUERY, "limit": 10}


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def ok(status, body):
    return status == 200 and bool(body["results"][0]["content"])


async def httpx_session(base, n):
    httpx = importlib.import_module("httpx")
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    client = httpx.AsyncClient(base_url=base, limits=limits, timeout=30)

    async def post():
        r = await client.post("/api/v1/query", json=BODY)
        return ok(r.status_code, r.json())
    return client, post


async def aiohttp_session(base, n):
    aiohttp = importlib.import_module("aiohttp")
    session = aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=n))

    async def post():
        async with session.post("/api/v1/query", json=BODY) as r:
            return ok(r.status, await r.json())
    return session, post


async def main(lib, base, n, secs):
    done = errors = 0
    # One pooled connection per request in flight, as the C clients have.
    session, post = await {"httpx": httpx_session, "aiohttp": aiohttp_session}[lib](base, n)
    async with session:
        deadline = time.monotonic() + secs

        async def worker():
            nonlocal done, errors
            while time.monotonic() < deadline:
                if await post():
                    done += 1
                else:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(n)))
    return done, errors


if __name__ == "__main__":
    lib, base, n, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    c0, t0 = cpu(), time.monotonic()
    done, errors = asyncio.run(main(lib, base, n, secs))
    print(f"requests={done} wall={time.monotonic() - t0:.6f} cpu={cpu() - c0:.6f} errors={errors}")
    sys.exit(2 if errors else 0)
