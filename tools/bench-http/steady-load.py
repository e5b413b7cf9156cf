#!/usr/bin/env python3
"""Open-loop load at a steady rate: POST /v1/events (one VisitRecorded each) at --rate requests/s
over --connections keep-alive connections for --seconds, to 127.0.0.1 only. Latency is measured
from each request's scheduled start (so a stalled server cannot hide queueing: no coordinated
omission). Prints sent, completed, errors, achieved rate and p50/p90/p99/max in ms."""
import argparse, asyncio, os, time

async def worker(wid, args, queue, latencies, errors, token):
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    n = 0
    while True:
        scheduled = await queue.get()
        if scheduled is None:
            break
        n += 1
        body = ('{"type":"VisitRecorded","customer":"L-%d-%d-%d","store":"S1","actor":"token:bench","channel":"counter",'
                '"occurredAt":"2026-11-20T10:00:00+08:00","payload":{"kind":"walk-in"}}' % (os.getpid(), wid, n)).encode()
        writer.write(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                     + token + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        status = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - scheduled)
        if not status.startswith(b"HTTP/1.1 201"):
            errors.append(status)
    writer.close()

async def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--rate", type=float, default=2000)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--connections", type=int, default=64)
    args = p.parse_args()
    token = os.environ["CLIENTELE_TOKEN"].encode()
    queue: asyncio.Queue = asyncio.Queue()
    latencies, errors = [], []
    workers = [asyncio.create_task(worker(i, args, queue, latencies, errors, token)) for i in range(args.connections)]
    start = time.perf_counter()
    total = int(args.rate * args.seconds)
    for i in range(total):
        at = start + i / args.rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait(at)
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    latencies.sort()
    def pct(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")
    print(f"sent {total} completed {len(latencies)} errors {len(errors)} in {elapsed:.1f} s "
          f"({len(latencies) / elapsed:.0f}/s); latency ms p50 {pct(0.5):.2f} p90 {pct(0.9):.2f} p99 {pct(0.99):.2f} max {latencies[-1] * 1000 if latencies else 0:.2f}")

asyncio.run(main())
