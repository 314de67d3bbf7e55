#!/usr/bin/python3
"""Small-request bench (issue 8, workload 1), run by scripts/bench.

Starts nginx on 127.0.0.1 (a free port, one worker, pinned to core 0) serving a fixed
~600-byte controller QueryResponse for POST /api/v1/query, then runs each client pinned to
core 1 in interleaved rounds at 1 and 64 requests in flight, and prints a markdown table of
medians (also written to --out).

Clients: raw libcurl multi and libsekha's typed sekha_controller_query (bench_requests),
wrk as the server's ceiling, and the Python peers httpx and aiohttp (async, 64 in flight
only) when Debian's packages are importable.

Each client reports its own CPU time except wrk, whose CPU is read from this process's
RUSAGE_CHILDREN delta (it runs alone, so the delta is its own).
"""
import argparse
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("requests_bench: nginx did not start listening")


def pin(core, cmd, pinned):
    return (["taskset", "-c", str(core)] + cmd) if pinned else cmd


def run_client(cmd):
    """Runs one client; returns (requests, wall seconds, cpu seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    m = re.search(r"requests=(\d+) wall=([\d.]+) cpu=([\d.]+) errors=(\d+)", out.stdout)
    if m:
        if out.returncode != 0 or int(m.group(4)):
            sys.exit(f"requests_bench: {cmd} had errors:\n{out.stdout}{out.stderr}")
        return int(m.group(1)), float(m.group(2)), float(m.group(3))
    # wrk: "  123456 requests in 2.00s, ..." and no errors line unless some failed
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out.stdout)
    if out.returncode != 0 or not m or "Non-2xx" in out.stdout or "Socket errors" in out.stdout:
        sys.exit(f"requests_bench: {cmd} failed:\n{out.stdout}{out.stderr}")
    wall = float(m.group(2)) / (1000.0 if m.group(3) == "ms" else 1.0)
    return int(m.group(1)), wall, child_cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="the bench build dir (build/bench)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=2, help="whole seconds (wrk takes no fractions)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    # Pinning needs two cores; on one core the numbers would measure the scheduler.
    pinned = len(os.sched_getaffinity(0)) >= 2
    prog = os.path.join(a.build, "bench", "bench_requests")
    secs = str(a.seconds)

    run_dir = tempfile.mkdtemp(prefix="sekha-bench-nginx-")
    port = free_port()
    with open(os.path.join(HERE, "nginx.conf.in")) as f:
        conf = (f.read().replace("@PORT@", str(port))
                .replace("@ROOT@", os.path.join(HERE, "www")).replace("@RUN@", run_dir))
    conf_path = os.path.join(run_dir, "nginx.conf")
    with open(conf_path, "w") as f:
        f.write(conf)
    base = f"http://127.0.0.1:{port}"

    clients = [
        ("raw libcurl multi", lambda n: [prog, "raw", base, str(n), secs], (1, 64)),
        ("libsekha controller_query (typed)",
         lambda n: [prog, "sekha", base, str(n), secs], (1, 64)),
        ("wrk (server ceiling)",
         lambda n: ["wrk", "-t1", f"-c{n}", f"-d{secs}s", "-s",
                    os.path.join(HERE, "wrk_query.lua"), base + "/api/v1/query"], (1, 64)),
    ]
    for mod in ("httpx", "aiohttp"):
        probe = subprocess.run(["/usr/bin/python3", "-c", f"import {mod}"], capture_output=True)
        if probe.returncode == 0:
            clients.append((f"Python {mod} (async)",
                            lambda n, m=mod: ["/usr/bin/python3", os.path.join(HERE, "peer_python.py"),
                                              m, base, str(n), secs], (64,)))
        else:
            print(f"(skipping Python {mod}: not importable by /usr/bin/python3)")

    nginx = subprocess.Popen(pin(0, ["nginx", "-c", conf_path, "-e",
                                     os.path.join(run_dir, "error.log")], pinned))
    samples = {}
    try:
        wait_listening(port)
        for r in range(a.rounds):
            for n in (1, 64):
                for name, cmd, widths in clients:
                    if n not in widths:
                        continue
                    reqs, wall, cpu = run_client(pin(1, cmd(n), pinned))
                    samples.setdefault((name, n), []).append((reqs / wall, cpu * 1e6 / reqs))
            print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(run_dir, ignore_errors=True)

    lines = [
        f"Small JSON requests: POST /api/v1/query, ~200-byte body, 614-byte QueryResponse from "
        f"nginx (1 worker{', core 0' if pinned else ''}); clients{' on core 1' if pinned else ''}, "
        f"one thread; median of {a.rounds} interleaved rounds of {a.seconds:g} s. "
        f"CPU = client user+sys per 1,000 requests.",
        "",
        "| client | in flight | req/s | vs raw | CPU ms / 1k req | vs raw |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for n in (1, 64):
        raw = samples.get(("raw libcurl multi", n))
        raw_rps = statistics.median(s[0] for s in raw)
        raw_cpu = statistics.median(s[1] for s in raw)
        for name, _, widths in clients:
            if n not in widths:
                continue
            s = samples[(name, n)]
            rps = statistics.median(x[0] for x in s)
            cpu = statistics.median(x[1] for x in s)
            lines.append(f"| {name} | {n} | {rps:,.0f} | {rps / raw_rps:.2f}x | "
                         f"{cpu:.1f} | {cpu / raw_cpu:.2f}x |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
