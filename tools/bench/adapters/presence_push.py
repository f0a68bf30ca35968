#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark of the HTTP presence export plugin (issue 7): presence updates pushed to N
Server-Sent-Events listeners, and the latency from a SIP PUBLISH (into confabd) to the event
arriving at each listener.

For each listener count N (default 1000 and 10000): confabd starts with the plugin, N SSE
connections watch the same W publishers, then `--updates` PUBLISHes (round robin over the
publishers, paced at `--rate` per second) each change the note to a unique marker. Every
listener must see every update: one PUBLISH = N events. Reported per N:
  - events/s delivered (N x updates / time from first PUBLISH to last event received),
  - latency PUBLISH sent -> event received at a listener: p50 / p99 / max over all deliveries,
  - CPU seconds confabd used during the push phase (user+system, /proc), and per 1000 events,
  - events missed (must be 0).

usage: presence_push.py [--quick] [--listeners 1000,10000] [--updates 20] [--rate 5] [--json F]
       CONFABD, CONFAB_HTTP_PRESENCE_PLUGIN (or --confabd, --plugin) name the binaries.
"""

import argparse
import json
import os
import resource
import selectors
import socket
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from server import DOMAIN, password_of  # noqa: E402
from sipclient import SipClient  # noqa: E402
from test_http_presence import TOKEN, http_port, pidf, presence_server  # noqa: E402

PUBLISHERS = ["alice", "bob", "carol", "dave", "erin"]


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


class Listener:
    __slots__ = ("sock", "head_done", "tail", "status", "seen")

    def __init__(self, sock):
        self.sock, self.head_done, self.tail, self.status = sock, False, b"", 0
        self.seen = set()


def open_listeners(port, count, users, sel, deadline):
    """Opens `count` SSE connections (in batches, so the accept queue keeps up)."""
    request = ("GET /v1/presence/stream?users=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Accept: text/event-stream\r\nAuthorization: Bearer %s\r\n\r\n"
               % (",".join(users), TOKEN)).encode()
    listeners = []
    opened = 0
    while opened < count:
        batch = min(500, count - opened)
        for _ in range(batch):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(request)
            sock.setblocking(False)
            listener = Listener(sock)
            listeners.append(listener)
            sel.register(sock, selectors.EVENT_READ, listener)
        opened += batch
        # Wait for this batch's heads and snapshots before opening more.
        drain(sel, until=lambda: all(l.head_done for l in listeners), deadline=deadline)
    bad = [l.status for l in listeners if l.status != 200]
    if bad:
        raise SystemExit("listeners refused: %d (statuses %s)" % (len(bad), sorted(set(bad))))
    return listeners


def drain(sel, until, deadline, on_data=None):
    while not until():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        for key, _ in sel.select(min(left, 0.5)):
            listener = key.data
            try:
                data = listener.sock.recv(262144)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(listener.sock)
                listener.head_done = True
                continue
            if not listener.head_done:
                listener.tail += data
                if b"\r\n\r\n" not in listener.tail:
                    continue
                head, _, data = listener.tail.partition(b"\r\n\r\n")
                listener.status = int(head.split()[1])
                listener.head_done = True
                listener.tail = b""
            if on_data is not None:
                on_data(listener, data, time.monotonic())
    return True


def run_one(args, count):
    server = presence_server(path=args.plugin, max_listeners=count + 100,
                             rate_limit_per_token={"requests_per_second": 1e6, "burst": 1e6},
                             heartbeat_s=15)
    result = {"listeners": count, "updates": args.updates}
    try:
        server.start()
        port = http_port(server)
        publishers = []
        for name in PUBLISHERS[:args.watch]:
            ua = SipClient("tcp", server.addr("tcp"), name, password_of(name), domain=DOMAIN)
            if ua.register(expires=600).status != 200:
                raise SystemExit("REGISTER of %s failed" % name)
            publishers.append(ua)
        users = ["%s@%s" % (ua.user, DOMAIN) for ua in publishers]
        sel = selectors.DefaultSelector()
        t0 = time.monotonic()
        listeners = open_listeners(port, count, users, sel, deadline=t0 + 300)
        result["connect_s"] = round(time.monotonic() - t0, 2)
        # Let the snapshots drain.
        drain(sel, until=lambda: False, deadline=time.monotonic() + 1.0)

        sent_at = {}
        latencies = []
        first = {}  # marker -> latency to the first listener that saw it
        last_receive = [0.0]

        def on_data(listener, data, now):
            text = listener.tail + data
            start = 0
            while True:
                i = text.find(b'"statusMessage":"bench-', start)
                if i < 0:
                    break
                j = text.find(b'"', i + 23)
                if j < 0:
                    break
                marker = text[i + 17:j].decode()
                if marker in sent_at and marker not in listener.seen:
                    listener.seen.add(marker)  # the kept tail may show a marker twice
                    latency = now - sent_at[marker]
                    latencies.append(latency)
                    first[marker] = min(first.get(marker, latency), latency)
                    last_receive[0] = now
                start = j
            listener.tail = text[-64:]

        failures = []

        def publish_all():
            # Its own thread, so that reading the listeners never waits for a SIP answer.
            interval = 1.0 / args.rate
            next_at = time.monotonic()
            for k in range(args.updates):
                ua = publishers[k % len(publishers)]
                marker = "bench-%d" % k
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
                sent_at[marker] = time.monotonic()
                resp = ua.request("PUBLISH", "sip:%s@%s" % (ua.user, DOMAIN),
                                  headers=[("Event", "presence"), ("Expires", "600")],
                                  body=pidf(ua.user, activity="busy" if k % 2 else "away",
                                            note=marker),
                                  content_type="application/pidf+xml")
                if resp is None or resp.status != 200:
                    failures.append(str(resp))

        cpu0 = cpu_seconds(server.proc.pid)
        first_sent = time.monotonic()
        publisher = threading.Thread(target=publish_all)
        publisher.start()
        total = count * args.updates
        drain(sel, until=lambda: len(latencies) >= total,
              deadline=first_sent + args.updates / args.rate + 30, on_data=on_data)
        publisher.join()
        if failures:
            raise SystemExit("PUBLISH failed: %s" % failures[0])
        cpu1 = cpu_seconds(server.proc.pid)
        duration = max(1e-9, last_receive[0] - first_sent)
        result.update({
            "events_expected": total,
            "events_received": len(latencies),
            "events_missed": total - len(latencies),
            "events_per_s": round(len(latencies) / duration),
            "push_phase_s": round(duration, 2),
            "latency_p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "latency_p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "latency_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            "first_listener_p50_ms": round(percentile(list(first.values()), 50) * 1000, 1),
            "confabd_cpu_s": round(cpu1 - cpu0, 2),
            "cpu_ms_per_1000_events": round((cpu1 - cpu0) * 1e6 / max(1, len(latencies)), 1),
        })
        for listener in listeners:
            listener.sock.close()
        for ua in publishers:
            ua.close()
    finally:
        try:
            server.stop()
        finally:
            server.cleanup()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1000 listeners, 10 updates")
    parser.add_argument("--listeners", default="1000,10000")
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--rate", type=float, default=5.0, help="PUBLISHes per second")
    parser.add_argument("--watch", type=int, default=5, help="publishers each listener watches")
    parser.add_argument("--confabd", default=os.environ.get("CONFABD"))
    parser.add_argument("--plugin", default=os.environ.get("CONFAB_HTTP_PRESENCE_PLUGIN"))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if args.quick:
        args.listeners, args.updates = "100,1000", 10
    if not args.confabd or not args.plugin:
        raise SystemExit("set CONFABD and CONFAB_HTTP_PRESENCE_PLUGIN (or --confabd/--plugin)")
    os.environ["CONFABD"] = os.path.abspath(args.confabd)
    args.plugin = os.path.abspath(args.plugin)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    counts = [int(c) for c in args.listeners.split(",")]
    need = max(counts) + 1000
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
        soft = min(need, hard)
    if soft < need:
        raise SystemExit("need %d file descriptors, the limit is %d (ulimit -n)" % (need, soft))
    results = []
    for count in counts:
        r = run_one(args, count)
        results.append(r)
        print(json.dumps(r), flush=True)
    print()
    print("| listeners | updates | events/s | first-listener p50 ms | p50 ms | p99 ms | max ms | "
          "missed | confabd CPU s | CPU ms/1000 ev |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print("| %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %d | %.2f | %.1f |" % (
            r["listeners"], r["updates"], r["events_per_s"], r["first_listener_p50_ms"],
            r["latency_p50_ms"],
            r["latency_p99_ms"], r["latency_max_ms"] or 0, r["events_missed"],
            r["confabd_cpu_s"], r["cpu_ms_per_1000_events"]))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
