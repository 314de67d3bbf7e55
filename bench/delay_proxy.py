#!/usr/bin/python3
"""A TCP proxy on 127.0.0.1 that delays every chunk by D ms in each direction: the bench's
stand-in for a network with a 2*D ms round trip when the kernel has no netem qdisc.

    delay_proxy.py DELAY_MS LISTEN_PORT:UPSTREAM_PORT [LISTEN_PORT:UPSTREAM_PORT ...]

Prints "ready" on stdout once every listener is open, then runs until killed.

What it models: each chunk read from one side is written to the other D ms after it was
read (order kept), as netem delays each packet. A client's connect() to the proxy completes
at once on loopback, where over a real network the handshake costs a round trip first: so
what a new connection sends first is held until 3*D after it was accepted (the SYN, the
SYN-ACK and the first bytes' one-way trips), which puts a new connection's first answer at
2 round trips, and a TLS one's at 3, as on the wire. Not modelled: bandwidth, packet sizes,
loss. End of stream is passed on after the data before it, with the same delay.
"""
import asyncio
import socket
import sys


async def pump(reader, writer, delay, floor, loop):
    """Copies reader to writer, each chunk written DELAY seconds after it was read (and
    not before FLOOR)."""
    queue = asyncio.Queue()

    async def read_side():
        try:
            while True:
                data = await reader.read(65536)
                queue.put_nowait((max(loop.time() + delay, floor), data))
                if not data:
                    return
        except (ConnectionError, OSError):
            queue.put_nowait((loop.time(), None))

    task = asyncio.ensure_future(read_side())
    try:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:  # the other side failed: a reset, not an orderly end
                writer.transport.abort()
                return
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        writer.transport.abort()
    finally:
        task.cancel()


async def serve(listen_port, upstream_port, delay):
    loop = asyncio.get_running_loop()

    async def on_client(c_reader, c_writer):
        accepted = loop.time()
        try:
            u_reader, u_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            c_writer.transport.abort()
            return
        await asyncio.gather(pump(c_reader, u_writer, delay, accepted + 3 * delay, loop),
                             pump(u_reader, c_writer, delay, 0.0, loop),
                             return_exceptions=True)
        for w in (c_writer, u_writer):
            w.close()

    return await asyncio.start_server(on_client, "127.0.0.1", listen_port, backlog=1024,
                                      reuse_address=True, family=socket.AF_INET)


async def main(argv):
    if len(argv) < 2:
        sys.exit("usage: delay_proxy.py DELAY_MS LISTEN_PORT:UPSTREAM_PORT ...")
    delay = float(argv[0]) / 1000.0
    servers = []
    for pair in argv[1:]:
        listen, upstream = (int(x) for x in pair.split(":"))
        servers.append(await serve(listen, upstream, delay))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1:]))
    except KeyboardInterrupt:
        pass
