"""The bench's transport workloads (run by bench/harness.py): creates over http and https,
HTTPS (TLS 1.3) beside plain HTTP, and a network with a round trip of 2 x --delay-ms; and
what they need: a local CA made for the run with the openssl CLI, and the delay, from a
network namespace whose loopback has a netem qdisc where the kernel has one, else from
bench/delay_proxy.py.

Every client here is raw libcurl beside libsekha doing the same over the same transport.
HTTPS clients trust the run's CA through their CA option (BENCH_CA_FILE for the bench
programs, see bench/bench.h): verification stays on."""
import os
import secrets
import select
import signal
import subprocess
import time

from harness_lib import (HERE, PY, Workload, expect, first_line, kill_group, log, make_row,
                         pin, spawn)

REQ_NEED = ("requests", "wall", "cpu")
LAT_NEED = ("requests", "median_us", "p10_us", "p90_us")
TTFT_NEED = ("samples", "median_us", "p10_us", "p90_us")
STREAM_NEED = ("events", "wall", "cpu", "text_bytes")

# ------------------------------------------------------------------ the CA


def make_tls(tls_dir):
    """A CA and a server certificate for 127.0.0.1 signed by it, both P-256, written to
    TLS_DIR (ca.pem, server.pem, server.key). None on success, else why not."""
    os.makedirs(tls_dir, exist_ok=True)
    p = lambda name: os.path.join(tls_dir, name)
    ext = p("server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    steps = [
        ["openssl", "req", "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.pem"),
         "-days", "2", "-subj", "/CN=libsekha bench CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["openssl", "req", "-new", *ec, "-keyout", p("server.key"), "-out", p("server.csr"),
         "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"),
         "-CAkey", p("ca.key"), "-set_serial", "0x" + secrets.token_hex(8), "-days", "2",
         "-extfile", ext, "-out", p("server.pem")],
    ]
    for argv in steps:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"cannot make the bench CA: {argv[0]} {argv[1]}: {e}"
        if r.returncode:
            return (f"cannot make the bench CA: openssl {argv[1]} failed: "
                    f"{first_line(r.stderr) or 'exit %d' % r.returncode}")
    return None


def tls(ctx, pair):
    """(argv, reason) for a bench program over HTTPS: it trusts the run's CA."""
    argv, reason = pair
    if reason or ctx.tls_error:
        return None, reason or f"no HTTPS: {ctx.tls_error}"
    return ["env", f"BENCH_CA_FILE={ctx.ca_file}"] + argv, None


# ------------------------------------------------------------------ the delay

def netem_missing():
    """None when a netem qdisc can be put on a loopback (tried in a throwaway network
    namespace, so nothing outside it changes), else why not."""
    argv = ["unshare", "--net", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay",
            "1ms"]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{' '.join(argv[:3])}: {e}"
    if r.returncode:
        return f"tc qdisc add ... netem: {first_line(r.stderr) or 'exit %d' % r.returncode}"
    return None


class Delay:
    """The delayed transport of the latency workload: bases (scheme -> URL root), wrap
    (argv -> argv run inside it), how (what the report says), error (why there is none)."""

    def __init__(self):
        self.bases, self.how, self.error = {}, "", None
        self.procs, self.netns = [], None

    def wrap(self, pair):
        argv, reason = pair
        if reason or self.error:
            return None, reason or self.error
        return (["ip", "netns", "exec", self.netns] + argv if self.netns else argv), None

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)  # nginx: fast shutdown, its worker with it
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            kill_group(p)
        self.procs = []
        if self.netns:
            subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
            self.netns = None


def wait_ready(proc, timeout):
    """True once PROC prints its "ready" line (delay_proxy.py, the namespace's probe)."""
    end = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < end and proc.poll() is None:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            chunk = os.read(proc.stdout.fileno(), 256)
            if not chunk:
                break
            buf += chunk
            if b"ready" in buf:
                return True
    return False


def start_delay(ctx, core, nginx_conf, free_port):
    """The delayed transport to the same nginx routes, on the server core. NGINX_CONF(name,
    port, tls_port) writes an nginx configuration and returns its path (the netem path
    starts a second nginx inside the namespace)."""
    a, d = ctx.args, Delay()
    ms = a.delay_ms
    why = netem_missing() if a.latency in ("auto", "netem") else "--latency proxy"
    if why is None:
        d.netns = f"sekha-bench-{os.getpid()}"
        port, tls_port = free_port(), free_port()
        conf = nginx_conf("nginx-netem", port, tls_port)
        steps = [["ip", "netns", "add", d.netns],
                 ["ip", "-n", d.netns, "link", "set", "lo", "up"],
                 ["ip", "netns", "exec", d.netns, "tc", "qdisc", "add", "dev", "lo", "root",
                  "netem", "delay", f"{ms:g}ms"]]
        for argv in steps:
            r = subprocess.run(argv, capture_output=True, text=True)
            if r.returncode:
                d.error = f"{' '.join(argv[:4])}: {first_line(r.stderr)}"
                break
        if not d.error:
            d.procs.append(spawn(pin(core, ["ip", "netns", "exec", d.netns, "nginx", "-c", conf]),
                                 signal.SIGTERM, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL))
            probe = ("import socket, time\nfor _ in range(200):\n  try:\n"
                     f"    socket.create_connection(('127.0.0.1', {port}), 1).close()\n"
                     "    print('ready'); break\n  except OSError:\n    time.sleep(0.05)\n")
            p = spawn(["ip", "netns", "exec", d.netns, PY, "-c", probe], signal.SIGKILL,
                      stdout=subprocess.PIPE)
            ok = wait_ready(p, 15)
            kill_group(p)
            if not ok:
                d.error = "nginx did not start in the network namespace"
        d.bases = {"http": f"http://127.0.0.1:{port}", "https": f"https://127.0.0.1:{tls_port}"}
        d.how = (f"a network namespace whose loopback has a netem qdisc delaying each packet "
                 f"{ms:g} ms ({2 * ms:g} ms round trip), with its own nginx")
        if d.error:
            d.stop()
            d.netns = None
            log(f"latency: netem set-up failed ({d.error}); using the delaying proxy")
            d.error, why = None, f"netem set-up failed: {d.error}"
        else:
            return d
    if a.latency == "netem":
        d.error = f"no netem here ({why})"
        return d
    lh, ls = free_port(), free_port()
    p = spawn(pin(core, [PY, "-B", os.path.join(HERE, "delay_proxy.py"), f"{ms:g}",
                         f"{lh}:{ctx.port}", f"{ls}:{ctx.tls_port}"]),
              signal.SIGKILL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    d.procs.append(p)
    if not wait_ready(p, 15):
        d.stop()
        d.error = "bench/delay_proxy.py did not start"
        return d
    d.bases = {"http": f"http://127.0.0.1:{lh}", "https": f"https://127.0.0.1:{ls}"}
    d.how = (f"bench/delay_proxy.py, a user-space TCP proxy on 127.0.0.1 that delays every "
             f"chunk {ms:g} ms each way ({2 * ms:g} ms round trip; a new connection's first "
             f"bytes are held one more round trip, as the TCP handshake would), because "
             f"netem is not available here ({why})")
    return d


# ------------------------------------------------------------------ the workloads

def w_creates(ctx):
    a, secs = ctx.args, str(ctx.args.seconds)
    rows = []
    for scheme, base in (("http", ctx.base), ("https", ctx.tls_base)):
        wrap = (lambda pair: tls(ctx, pair)) if scheme == "https" else (lambda pair: pair)
        for n in ("1", "64"):
            g = f"{scheme}, {n}"
            rows += [
                make_row("raw", "raw libcurl multi, keep-alive",
                         wrap(ctx.c_row("bench_requests", "raw-create", base, n, secs)),
                         group=g, fail_missing=True),
                make_row("sekha", "libsekha create_conversation",
                         wrap(ctx.c_row("bench_requests", "sekha-create", base, n, secs)),
                         group=g, fail_missing=True),
            ]
    return Workload("creates", "6. Creates: storing a conversation", rows, a.rounds, REQ_NEED,
                    timeout=a.seconds + 60, conns=True)


def w_tls(ctx):
    a, b = ctx.args, ctx.tls_base
    secs, reps = str(a.seconds), str(a.ttft_repeats)
    rows = []
    for n in ("1", "64"):
        g = f"query, {n} in flight"
        rows += [make_row("raw", "raw libcurl multi",
                          tls(ctx, ctx.c_row("bench_requests", "raw", b, n, secs)), group=g,
                          need=REQ_NEED, fail_missing=True),
                 make_row("sekha", "libsekha controller_query (typed)",
                          tls(ctx, ctx.c_row("bench_requests", "sekha", b, n, secs)), group=g,
                          need=REQ_NEED, fail_missing=True)]
    rows += [make_row("raw", "raw libcurl (no parsing)",
                      tls(ctx, ctx.c_row("bench_stream", "raw", b)), group="stream",
                      need=STREAM_NEED, fail_missing=True, **expect(ctx, "big", False)),
             make_row("sekha", "libsekha stream_complete",
                      tls(ctx, ctx.c_row("bench_stream", "stream", b)), group="stream",
                      need=STREAM_NEED, fail_missing=True, **expect(ctx, "big", True))]
    for mode in ("warm", "new"):
        g = f"ttft {mode}"
        rows += [make_row("raw", "raw libcurl",
                          tls(ctx, ctx.c_row("bench_ttft", "raw", b + "/ttft", reps, mode)),
                          group=g, need=TTFT_NEED, fail_missing=True),
                 make_row("sekha", "libsekha stream_complete",
                          tls(ctx, ctx.c_row("bench_ttft", "sekha", b + "/ttft", reps, mode)),
                          group=g, need=TTFT_NEED, fail_missing=True)]

    def check(row, res):
        if row.group == "stream":
            want = ctx.streams["big"]["events"]
            if row.id != "raw" and abs(res["events"] - want) > 1:
                return f"reported events={res['events']:g}, the stream has {want}"
        elif row.group.startswith("ttft") and res["samples"] != a.ttft_repeats:
            return f"{res['samples']:g} of {a.ttft_repeats} samples"
        return None
    return Workload("tls", "7. HTTPS (TLS 1.3)", rows, a.rounds, (), timeout=300, check=check)


def w_latency(ctx):
    a, d = ctx.args, ctx.delay
    # Half the small-request time: at tens of ms per request that is still 20+ samples.
    secs, reps = str(max(1, a.seconds // 2)), str(a.latency_repeats)
    rows = []
    for scheme in ("http", "https"):
        base = d.bases.get(scheme, "")

        def wrap(pair, scheme=scheme):
            pair = d.wrap(pair)
            return tls(ctx, pair) if scheme == "https" else pair
        for what, raw, sekha, label in (("create", "raw-create", "sekha-create",
                                         "libsekha create_conversation"),
                                        ("query", "raw", "sekha", "libsekha controller_query")):
            g = f"{scheme} {what}"
            rows += [make_row("raw", "raw libcurl, keep-alive",
                              wrap(ctx.c_row("bench_requests", raw, base, "1", secs)), group=g,
                              need=LAT_NEED, fail_missing=True),
                     make_row("sekha", label,
                              wrap(ctx.c_row("bench_requests", sekha, base, "1", secs)),
                              group=g, need=LAT_NEED, fail_missing=True)]
        for mode in ("warm", "new"):
            g = f"{scheme} ttft {mode}"
            rows += [make_row("raw", "raw libcurl",
                              wrap(ctx.c_row("bench_ttft", "raw", base + "/ttft", reps, mode)),
                              group=g, need=TTFT_NEED, fail_missing=True),
                     make_row("sekha", "libsekha stream_complete",
                              wrap(ctx.c_row("bench_ttft", "sekha", base + "/ttft", reps, mode)),
                              group=g, need=TTFT_NEED, fail_missing=True)]

    def check(row, res):
        if "ttft" in row.group and res["samples"] != a.latency_repeats:
            return f"{res['samples']:g} of {a.latency_repeats} samples"
        return None
    return Workload("latency", f"8. Latency: a {2 * a.delay_ms:g} ms round trip", rows,
                    min(a.rounds, a.slow_rounds), (), timeout=a.seconds + 60, check=check,
                    note=f"Not run: {d.error}" if d.error else "")
