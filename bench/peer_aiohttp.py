#!/usr/bin/python3
"""Peer client for the small-request bench: aiohttp.ClientSession keeping N POST
/api/v1/query in flight on one event loop for SECONDS, each reply decoded with .json() and
read. Prints the bench_requests result line. Usage: peer_aiohttp.py URL IN_FLIGHT SECONDS"""
import asyncio
import resource
import sys
import time

import aiohttp

QUERY = ("what did we decide about the retry budget for the controller client last week, and "
         "which pull request changed the backoff cap for streaming completions in the bridge")


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def main(base, n, secs):
    done = errors = 0
    # One pooled connection per request in flight, as the C clients have.
    conn = aiohttp.TCPConnector(limit=n)
    async with aiohttp.ClientSession(base, connector=conn) as session:
        deadline = time.monotonic() + secs

        async def worker():
            nonlocal done, errors
            while time.monotonic() < deadline:
                async with session.post("/api/v1/query",
                                        json={"query": QUERY, "limit": 10}) as r:
                    body = await r.json()
                    if r.status == 200 and body["results"][0]["content"]:
                        done += 1
                    else:
                        errors += 1

        await asyncio.gather(*(worker() for _ in range(n)))
    return done, errors


if __name__ == "__main__":
    base, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    c0, t0 = cpu(), time.monotonic()
    done, errors = asyncio.run(main(base, n, secs))
    print(f"requests={done} wall={time.monotonic() - t0:.6f} cpu={cpu() - c0:.6f} errors={errors}")
    sys.exit(2 if errors else 0)
