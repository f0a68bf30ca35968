#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Federation benchmark (issue 6): MESSAGE and NOTIFY throughput across the federation link,
Confab -> Confab (over TCP and over mutual TLS) next to Confab <-> Kamailio, and the cost of
TLS per federation connection (memory and CPU) next to plain TCP, in one run.

Topology (loopback only, as in tests/integration/fedtest.py):

    a.test  confabd on 127.0.0.1        its users connect from 127.0.0.11
    b.test  confabd on 127.0.0.2   or   Kamailio (tests/interop/kamailio/kamailio.cfg) on
            127.0.0.3                   its users connect from 127.0.0.12

Rows, each run in both directions where that makes sense:
  * MESSAGE x -> y: senders on x page receivers registered on y; a closed loop with a fixed
    number in flight; every 200 counts.
  * NOTIFY x -> y: watchers on y subscribe to presentities on x; each presentity PUBLISHes,
    waits for the NOTIFY carrying that publication at its watcher, and publishes again
    (one outstanding per pair, so no change is coalesced away); every NOTIFY counts.
For each row: transactions per second (wall clock) and the CPU time each server spent per
1,000 transactions (all its threads / processes, from /proc).

TLS cost: a fresh a.test opens N outbound federation connections (N peer domains, each with
its own next hop: small asyncio SIP servers), and separately accepts N inbound peer
connections (from 127.0.0.2, each sending one MESSAGE). RSS growth and CPU time of confabd
per connection, TCP next to TLS (TLS: ECDSA P-256 certificates from a throw-away CA, mutual
TLS inbound).

Standard library + openssl(1). Every wait is bounded. See README.md in this directory.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import ssl
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "tests" / "interop" / "kamailio"))

import fedtest  # noqa: E402
from fedtest import (A_CLIENTS, A_DOMAIN, A_HOST, B_CLIENTS, B_DOMAIN, B_HOST,  # noqa: E402
                     KAMAILIO_HOST, FedServer, TestCA, federation, peer)

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
_CL = re.compile(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)", re.I)
_CALLID = re.compile(rb"\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]+)", re.I)
_CSEQ = re.compile(rb"\r\ncseq[ \t]*:[ \t]*(\d+)[ \t]+([A-Za-z]+)", re.I)
_ETAG = re.compile(rb"\r\nsip-etag[ \t]*:[ \t]*([^\r\n]+)", re.I)
_TOTAG = re.compile(rb"\r\n(?:to|t)[ \t]*:[^\r\n]*;tag=([^;\r\n >]+)", re.I)
_CONTACT = re.compile(rb"\r\n(?:contact|m)[ \t]*:[^\r\n]*<([^>]+)>", re.I)
_RR = re.compile(rb"\r\nrecord-route[ \t]*:[ \t]*([^\r\n]+)", re.I)
_SEQ = re.compile(rb"bench-seq-(\d+)")
_ECHO = {b"via", b"v", b"from", b"f", b"call-id", b"i", b"cseq", b"record-route"}
PIDF = "application/pidf+xml"


# Process accounting -------------------------------------------------------------------------

def process_tree(pid: int) -> list[int]:
    """pid and every descendant (Kamailio forks its workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime (all threads)
        except (OSError, IndexError, ValueError):
            continue
    return total / CLK_TCK


def rss_kib(pid: int) -> int:
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE_KIB
        except (OSError, IndexError, ValueError):
            continue
    return total


# A minimal SIP UA over TCP/TLS (asyncio.Protocol, cheap next to the servers it drives) --------

class Ua(asyncio.Protocol):
    def __init__(self, user: str, domain: str, host: str, on_request=None):
        self.user, self.domain, self.host = user, domain, host
        self.aor = f"sip:{user}@{domain}"
        self.tag = f"t{id(self):x}"
        self.on_request = on_request
        self.transport = None
        self.buf = b""
        self.pending: dict[tuple[bytes, int], asyncio.Future] = {}
        self.port = 0
        self.cseq = 0
        self.tls = False

    def connection_made(self, transport):
        self.transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        self.tls = transport.get_extra_info("sslcontext") is not None

    def connection_lost(self, exc):
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(ConnectionError("connection lost"))
        self.pending.clear()

    def data_received(self, data: bytes):
        buf = self.buf + data if self.buf else data
        pos, n = 0, len(buf)
        while pos < n:
            if buf[pos:pos + 2] == b"\r\n":
                pos += 2
                continue
            he = buf.find(b"\r\n\r\n", pos)
            if he < 0:
                break
            head = buf[pos:he]
            m = _CL.search(head)
            end = he + 4 + (int(m.group(1)) if m else 0)
            if end > n:
                break
            self._dispatch(head, buf[he + 4:end])
            pos = end
        self.buf = buf[pos:]

    def _dispatch(self, head: bytes, body: bytes):
        if head.startswith(b"SIP/2.0 "):
            status = int(head[8:11])
            if status < 200:
                return
            cid = _CALLID.search(head)
            cs = _CSEQ.search(head)
            if cid and cs:
                fut = self.pending.pop((cid.group(1).strip(), int(cs.group(1))), None)
                if fut is not None and not fut.done():
                    fut.set_result((status, head, body))
            return
        method = head[:head.find(b" ")]
        if method != b"ACK":
            self.reply(head)
        if self.on_request is not None:
            self.on_request(self, method, head, body)

    def reply(self, head: bytes, code: int = 200):
        out = [b"SIP/2.0 %d OK" % code]
        for line in head.split(b"\r\n")[1:]:
            name = line[:line.find(b":")].strip().lower()
            if name in _ECHO:
                out.append(line)
            elif name in (b"to", b"t"):
                out.append(line if b"tag=" in line else line + b";tag=" + self.tag.encode())
        out.append(b"Content-Length: 0\r\n\r\n")
        self.transport.write(b"\r\n".join(out))

    def contact(self) -> str:
        return f"<sip:{self.user}@{self.host}:{self.port};transport={'tls' if self.tls else 'tcp'}>"

    def send(self, method: str, ruri: str, to: str, headers=(), body: bytes = b"",
             content_type: str | None = None, call_id: str | None = None,
             timeout: float = 10.0):
        self.cseq += 1
        call_id = call_id or f"{self.cseq}-{self.tag}@bench"
        lines = [f"{method} {ruri} SIP/2.0",
                 f"Via: SIP/2.0/{'TLS' if self.tls else 'TCP'} {self.host}:{self.port};"
                 f"branch=z9hG4bK{self.tag}{self.cseq}",
                 "Max-Forwards: 70", f"From: <{self.aor}>;tag={self.tag}", f"To: {to}",
                 f"Call-ID: {call_id}", f"CSeq: {self.cseq} {method}"]
        lines += list(headers)
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}\r\n\r\n")
        fut = asyncio.get_event_loop().create_future()
        self.pending[(call_id.encode(), self.cseq)] = fut
        self.transport.write("\r\n".join(lines).encode() + body)
        return asyncio.wait_for(fut, timeout)

    async def register(self, registrar_domain: str):
        status, _, _ = await self.send("REGISTER", f"sip:{registrar_domain}", f"<{self.aor}>",
                                       headers=[f"Contact: {self.contact()}", "Expires: 3600"])
        if status != 200:
            raise RuntimeError(f"REGISTER {self.aor}: {status}")


async def connect(user, domain, server, source, ssl_ctx=None, on_request=None) -> Ua:
    loop = asyncio.get_event_loop()
    _, ua = await loop.create_connection(
        lambda: Ua(user, domain, source, on_request), server[0], server[1],
        local_addr=(source, 0), ssl=ssl_ctx, server_hostname=domain if ssl_ctx else None)
    return ua


def pidf(entity: str, seq: int) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="%s">'
            '<tuple id="t1"><status><basic>open</basic></status></tuple>'
            '<dm:person id="p1"><dm:note>bench-seq-%d</dm:note></dm:person></presence>'
            % (entity, seq)).encode()


# Domains -----------------------------------------------------------------------------------

class Side:
    """One domain's server as the bench sees it: where its users connect, which process to
    measure, whether it needs REGISTER."""

    def __init__(self, name, domain, server_addr, pid, client_host):
        self.name, self.domain, self.addr, self.pid = name, domain, server_addr, pid
        self.client_host = client_host


async def message_row(src: Side, dst: Side, total: int, pairs: int, window: int):
    receivers = [await connect(f"u{i}", dst.domain, dst.addr, dst.client_host)
                 for i in range(pairs)]
    for r in receivers:
        await r.register(dst.domain)
    senders = [await connect(f"u{i}", src.domain, src.addr, src.client_host)
               for i in range(pairs)]
    ok = failed = 0
    statuses: dict[int, int] = {}
    sem = asyncio.Semaphore(window)

    async def one(i):
        nonlocal ok, failed
        async with sem:
            s = senders[i % pairs]
            try:
                status, _, _ = await s.send("MESSAGE", f"sip:u{i % pairs}@{dst.domain}",
                                            f"<sip:u{i % pairs}@{dst.domain}>",
                                            body=b"federated bench message",
                                            content_type="text/plain")
            except (asyncio.TimeoutError, ConnectionError):
                status = 0
            if status == 200:
                ok += 1
            else:
                failed += 1
                statuses[status] = statuses.get(status, 0) + 1

    result = await measured(src, dst, lambda: asyncio.gather(*(one(i) for i in range(total))))
    for u in receivers + senders:
        u.transport.close()
    result.update(ok=ok, failed=failed, failed_statuses=statuses)  # 0 = no answer
    return result


async def notify_row(src: Side, dst: Side, cycles: int, pairs: int):
    """Presentities on `src`, watchers on `dst`: NOTIFYs cross src -> dst."""
    waiting: dict[tuple[int, int], asyncio.Future] = {}

    def on_request(ua, method, head, body):
        if method == b"NOTIFY":
            m = _SEQ.search(body)
            fut = waiting.pop((int(ua.user[1:]), int(m.group(1))), None) if m else None
            if fut is not None and not fut.done():
                fut.set_result(True)

    watchers = [await connect(f"w{i}", dst.domain, dst.addr, dst.client_host, on_request=on_request)
                for i in range(pairs)]
    presentities = [await connect(f"p{i}", src.domain, src.addr, src.client_host)
                    for i in range(pairs)]
    for w in watchers:
        await w.register(dst.domain)
    for p in presentities:
        await p.register(src.domain)
    etags: list[str | None] = [None] * pairs
    for i, p in enumerate(presentities):  # a first publication to modify afterwards
        status, head, _ = await p.send("PUBLISH", p.aor, f"<{p.aor}>",
                                       headers=["Event: presence", "Expires: 3600"],
                                       body=pidf(p.aor, 0), content_type=PIDF)
        if status != 200:
            raise RuntimeError(f"PUBLISH {p.aor} on {src.name}: {status}")
        etags[i] = _ETAG.search(head).group(1).decode().strip()
    for i, w in enumerate(watchers):
        target = f"sip:p{i}@{src.domain}"
        status, head, _ = await w.send("SUBSCRIBE", target, f"<{target}>",
                                       headers=["Event: presence", f"Accept: {PIDF}",
                                                "Expires: 3600", f"Contact: {w.contact()}"])
        if status not in (200, 202):
            raise RuntimeError(f"SUBSCRIBE {w.aor} -> {target} via {dst.name}: {status}")
    done = failed = 0
    per_pair = max(1, cycles // pairs)

    async def pair(i):
        nonlocal done, failed
        p = presentities[i]
        for seq in range(1, per_pair + 1):
            fut = asyncio.get_event_loop().create_future()
            waiting[(i, seq)] = fut
            try:
                status, head, _ = await p.send("PUBLISH", p.aor, f"<{p.aor}>",
                                               headers=["Event: presence", "Expires: 3600",
                                                        f"SIP-If-Match: {etags[i]}"],
                                               body=pidf(p.aor, seq), content_type=PIDF)
                m = _ETAG.search(head)
                if m:
                    etags[i] = m.group(1).decode().strip()
                await asyncio.wait_for(fut, 5.0)
                done += 1
            except (asyncio.TimeoutError, ConnectionError):
                # A lost NOTIFY ends this pair's run: the rest would only wait as long.
                failed += per_pair - seq + 1
                waiting.pop((i, seq), None)
                return

    result = await measured(src, dst, lambda: asyncio.gather(*(pair(i) for i in range(pairs))))
    for u in watchers + presentities:
        u.transport.close()
    result.update(ok=done, failed=failed)
    return result


async def measured(src: Side, dst: Side, work):
    c0 = {s.name: cpu_seconds(s.pid) for s in (src, dst)}
    t0 = time.perf_counter()
    await work()
    wall = time.perf_counter() - t0
    cpu = {s.name: cpu_seconds(s.pid) - c0[s.name] for s in (src, dst)}
    return {"seconds": wall, "cpu": cpu}


# Setups ------------------------------------------------------------------------------------

def users(n):
    return [f"u{i}" for i in range(n)] + [f"p{i}" for i in range(n)] + [f"w{i}" for i in range(n)]


def bench_overrides():
    # Throughput, not policy: no digest, no per-sender IM flood limit (100 per 10 s by
    # default: every sender here sends far more), no per-subscription NOTIFY pacing
    # (min_notify_interval_ms, 200 ms by default, would cap each pair at 5 NOTIFYs/s).
    return {"auth": {"register": False, "requests": False},
            "im": {"flood_max_messages": 0},
            "presence": {"publish_min_expires": 1, "subscribe_min_expires": 1,
                         "min_notify_interval_ms": 0}}


def confab_pair(ca, link, n):
    a_cert, b_cert = ca.issue("a", [A_DOMAIN]), ca.issue("b", [B_DOMAIN])
    a = FedServer(A_DOMAIN, A_HOST, tls_cert=a_cert[0], tls_key=a_cert[1], users=users(n),
                  **bench_overrides())
    b = FedServer(B_DOMAIN, B_HOST, tls_cert=b_cert[0], tls_key=b_cert[1], users=users(n),
                  **bench_overrides())
    opts = {"require_tls": True, "mutual_tls": True} if link == "tls" else {}
    a.set_federation(federation(
        [peer(B_DOMAIN, b.hop(link), sources=[f"{B_HOST}/32"], presence="allow", **opts)],
        requests_per_second_per_peer=1000000,
        tls={"ca_file": ca.cert, "certificate": a_cert[0], "private_key": a_cert[1]}))
    b.set_federation(federation(
        [peer(A_DOMAIN, a.hop(link), sources=[f"{A_HOST}/32"], presence="allow", **opts)],
        requests_per_second_per_peer=1000000,
        tls={"ca_file": ca.cert, "certificate": b_cert[0], "private_key": b_cert[1]}))
    return a, b


def run_link_rows(a_side: Side, b_side: Side, args, label: str, rows: list):
    loop = asyncio.new_event_loop()
    try:
        for name, coro in (
                (f"MESSAGE a.test -> b.test ({label})",
                 lambda: message_row(a_side, b_side, args.messages, args.pairs, args.window)),
                (f"MESSAGE b.test -> a.test ({label})",
                 lambda: message_row(b_side, a_side, args.messages, args.pairs, args.window)),
                (f"NOTIFY a.test -> b.test ({label})",
                 lambda: notify_row(a_side, b_side, args.notifies, args.pairs)),
                (f"NOTIFY b.test -> a.test ({label})",
                 lambda: notify_row(b_side, a_side, args.notifies, args.pairs))):
            print(f"  {name} ...", flush=True)
            try:
                r = loop.run_until_complete(asyncio.wait_for(coro(), args.row_timeout))
            except Exception as e:  # a broken row is reported, the others still run
                r = {"error": f"{type(e).__name__}: {e}"}
            r["row"] = name
            r["sides"] = {"a": a_side.name, "b": b_side.name}
            rows.append(r)
            print("   ", summarize(r), flush=True)
    finally:
        loop.close()


def summarize(r):
    if "error" in r:
        return f"ERROR {r['error']}"
    tx = r["ok"]
    rate = tx / r["seconds"] if r["seconds"] > 0 else 0
    cpu = ", ".join(f"{k} {1e6 * v / max(1, tx):.0f} ms/1k" for k, v in r["cpu"].items())
    why = f" {r['failed_statuses']}" if r.get("failed_statuses") else ""
    return f"{tx} ok, {r['failed']} failed{why}, {rate:.0f}/s, CPU {cpu}"


def bench_confab_confab(args, ca, link, rows):
    print(f"Confab -> Confab over {link.upper()}", flush=True)
    a, b = confab_pair(ca, link, args.pairs)
    try:
        a.start()
        b.start()
        run_link_rows(Side(f"confab a.test", A_DOMAIN, a.tcp, a.proc.pid, A_CLIENTS),
                      Side(f"confab b.test", B_DOMAIN, b.tcp, b.proc.pid, B_CLIENTS),
                      args, f"Confab-Confab {link.upper()}", rows)
    finally:
        a.cleanup()
        b.cleanup()


def bench_confab_kamailio(args, ca, rows):
    try:
        from test_kamailio_federation import Kamailio, kamailio_missing
    except ImportError as e:
        print(f"Kamailio rows skipped: {e}")
        return
    if kamailio_missing():
        print(f"Kamailio rows skipped: {kamailio_missing()}")
        return
    print("Confab <-> Kamailio over TCP", flush=True)
    a_cert = ca.issue("a", [A_DOMAIN])
    a = FedServer(A_DOMAIN, A_HOST, tls_cert=a_cert[0], tls_key=a_cert[1], users=users(args.pairs),
                  **bench_overrides())
    # 1 GiB of shared memory: tm keeps finished transactions for its 5 s wait timer, and
    # at these rates 256 MiB runs out (Kamailio then answers 500).
    k = Kamailio(KAMAILIO_HOST, a.port("tcp"), trace=False, children=args.kamailio_children,
                 shm_mb=1024)
    a.set_federation(federation(
        [peer(B_DOMAIN, {"host": KAMAILIO_HOST, "port": k.port, "transport": "tcp"},
              sources=[f"{KAMAILIO_HOST}/32"], presence="allow")],
        requests_per_second_per_peer=1000000))
    try:
        a.start()
        k.start()
        run_link_rows(Side("confab a.test", A_DOMAIN, a.tcp, a.proc.pid, A_CLIENTS),
                      Side("kamailio b.test", B_DOMAIN, (KAMAILIO_HOST, k.port), k.proc.pid,
                           B_CLIENTS),
                      args, "Confab-Kamailio TCP", rows)
    finally:
        k.stop()
        a.cleanup()


# TLS cost per connection -------------------------------------------------------------------

class Answer200(asyncio.Protocol):
    """A far peer: answers every request with 200."""

    def connection_made(self, transport):
        self.ua = Ua("peer", "x.test", B_HOST)
        self.ua.connection_made(transport)

    def data_received(self, data):
        self.ua.data_received(data)


async def outbound_cost(a, link, n, ports, server_ctx):
    loop = asyncio.get_event_loop()
    tls = server_ctx if link == "tls" else None
    servers = [await loop.create_server(Answer200, B_HOST, p, ssl=tls) for p in ports]
    alice = await connect("alice", A_DOMAIN, a.tcp, A_CLIENTS)
    sem = asyncio.Semaphore(16)
    ok = 0

    async def one(i):
        nonlocal ok
        async with sem:
            try:
                status, _, _ = await alice.send("MESSAGE", f"sip:x@d{i}.test", f"<sip:x@d{i}.test>",
                                                body=b"hi", content_type="text/plain", timeout=20)
                ok += status == 200
            except (asyncio.TimeoutError, ConnectionError):
                pass

    await one(0)  # warm-up: first-use allocations are not per-connection costs
    rss0, cpu0 = rss_kib(a.proc.pid), cpu_seconds(a.proc.pid)
    ok = 0
    await asyncio.gather(*(one(i) for i in range(1, n + 1)))
    rss1, cpu1 = rss_kib(a.proc.pid), cpu_seconds(a.proc.pid)
    alice.transport.close()
    for s in servers:
        s.close()
    return {"ok": ok, "rss_kib": rss1 - rss0, "cpu": cpu1 - cpu0}


async def inbound_cost(a, link, n, client_ctx):
    loop = asyncio.get_event_loop()
    addr = a.tls if link == "tls" else a.tcp
    ok = 0
    conns = []
    sem = asyncio.Semaphore(16)

    async def one(i):
        nonlocal ok
        async with sem:
            try:
                _, ua = await loop.create_connection(
                    lambda: Ua(f"zoe{i}", B_DOMAIN, B_HOST), addr[0], addr[1],
                    local_addr=(B_HOST, 0), ssl=client_ctx if link == "tls" else None,
                    server_hostname=A_DOMAIN if link == "tls" else None)
                conns.append(ua)
                status, _, _ = await ua.send("MESSAGE", f"sip:nobody{i}@{A_DOMAIN}",
                                             f"<sip:nobody{i}@{A_DOMAIN}>", body=b"hi",
                                             content_type="text/plain", timeout=20)
                ok += status in (200, 202, 404, 480)
            except (asyncio.TimeoutError, ConnectionError, OSError, ssl.SSLError):
                pass

    await one(n)  # warm-up, as above
    rss0, cpu0 = rss_kib(a.proc.pid), cpu_seconds(a.proc.pid)
    ok = 0
    await asyncio.gather(*(one(i) for i in range(n)))
    rss1, cpu1 = rss_kib(a.proc.pid), cpu_seconds(a.proc.pid)
    for c in conns:
        c.transport.close()
    return {"ok": ok, "rss_kib": rss1 - rss0, "cpu": cpu1 - cpu0}


def bench_tls_cost(args, ca, rows):
    n = args.connections
    print(f"TLS cost per connection ({n} connections)", flush=True)
    domains = [f"d{i}.test" for i in range(n + 1)]  # d0: the warm-up peer
    peer_cert = ca.issue("dpeers", domains)
    a_cert = ca.issue("a", [A_DOMAIN])
    b_cert = ca.issue("b", [B_DOMAIN])
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(*peer_cert)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    client_ctx.load_cert_chain(*b_cert)
    for link in ("tcp", "tls"):
        ports = [fedtest.free_port(B_HOST, kinds=()) for _ in range(n + 1)]
        peers = [peer(d, {"host": B_HOST, "port": p, "transport": link},
                      **({"require_tls": True} if link == "tls" else {"sources": []}))
                 for d, p in zip(domains, ports)]
        b_opts = ({"require_tls": True, "mutual_tls": True} if link == "tls"
                  else {"sources": [f"{B_HOST}/32"]})
        peers.append(peer(B_DOMAIN, {"host": B_HOST, "port": fedtest.closed_port(B_HOST),
                                     "transport": link}, **b_opts))
        a = FedServer(A_DOMAIN, A_HOST, tls_cert=a_cert[0], tls_key=a_cert[1], users=["alice"],
                      **bench_overrides())
        a.set_federation(federation(peers, requests_per_second_per_peer=1000000,
                                    tls={"ca_file": ca.cert, "certificate": a_cert[0],
                                         "private_key": a_cert[1]}))
        try:
            a.start()
            loop = asyncio.new_event_loop()
            try:
                out = loop.run_until_complete(asyncio.wait_for(
                    outbound_cost(a, link, n, ports, server_ctx), args.row_timeout))
                inn = loop.run_until_complete(asyncio.wait_for(
                    inbound_cost(a, link, n, client_ctx), args.row_timeout))
            finally:
                loop.close()
        except Exception as e:
            out = inn = {"error": f"{type(e).__name__}: {e}"}
        finally:
            a.cleanup()
        for direction, r in (("outbound", out), ("inbound", inn)):
            r.update(row=f"{direction} {link.upper()}", connections=n)
            rows.append(r)
            print("   ", r, flush=True)


# Report ------------------------------------------------------------------------------------

def markdown(link_rows, tls_rows, args):
    out = [f"# Federation benchmark ({dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)", "",
           f"Host: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
           f"confabd workers: {args.workers}; Kamailio children: {args.kamailio_children}; "
           f"MESSAGE rows: {args.messages} transactions, {args.window} in flight, "
           f"{args.pairs} sender/receiver pairs; NOTIFY rows: {args.notifies} "
           f"PUBLISH->NOTIFY cycles over {args.pairs} pairs."
           + (" QUICK RUN." if args.quick else ""),
           "",
           "## Throughput across the link", "",
           "| row | ok | failed | tx/s | a.test CPU ms per 1,000 | b.test CPU ms per 1,000 "
           "| a.test+b.test CPU ms per 1,000 |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    base = {}
    for r in link_rows:
        if "error" in r:
            out.append(f"| {r['row']} | error: {r['error']} | | | | | |")
            continue
        if r["ok"] == 0:
            out.append(f"| {r['row']} | 0 | {r['failed']} | 0 | n/a | n/a | n/a |")
            continue
        tx = r["ok"]
        ca_, cb_ = (1e6 * r["cpu"][r["sides"]["a"]] / tx, 1e6 * r["cpu"][r["sides"]["b"]] / tx)
        rate = r["ok"] / r["seconds"] if r["seconds"] else 0
        out.append(f"| {r['row']} | {r['ok']} | {r['failed']} | {rate:.0f} | {ca_:.1f} "
                   f"| {cb_:.1f} | {ca_ + cb_:.1f} |")
        kind = r["row"].split(" (")[0]
        base.setdefault(kind, []).append((r["row"].split("(")[1].rstrip(")"), rate, ca_ + cb_))
    out += ["", "Ratios (each link against Confab-Confab TCP):", "",
            "| row | link | tx/s ratio | CPU per tx ratio |", "| --- | --- | ---: | ---: |"]
    for kind, entries in base.items():
        ref = next((e for e in entries if e[0] == "Confab-Confab TCP"), None)
        for label, rate, cpu in entries:
            if ref and ref[1] and ref[2]:
                out.append(f"| {kind} | {label} | {rate / ref[1]:.2f} | {cpu / ref[2]:.2f} |")
    out += ["", "## Cost per federation connection (a.test confabd)", "",
            "| direction | transport | connections | ok | RSS KiB per connection "
            "| CPU ms per connection |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    by = {}
    for r in tls_rows:
        if "error" in r:
            out.append(f"| {r['row']} | error: {r['error']} | | | | |")
            continue
        direction, transport = r["row"].split()
        per_rss = r["rss_kib"] / max(1, r["connections"])
        per_cpu = 1000 * r["cpu"] / max(1, r["connections"])
        by[(direction, transport)] = (per_rss, per_cpu)
        out.append(f"| {direction} | {transport} | {r['connections']} | {r['ok']} | "
                   f"{per_rss:.1f} | {per_cpu:.2f} |")
    for direction in ("outbound", "inbound"):
        t, s = by.get((direction, "TCP")), by.get((direction, "TLS"))
        if t and s:
            out.append(f"| {direction} | TLS / TCP | | | "
                       f"{(s[0] / t[0]) if t[0] > 0 else float('nan'):.2f} | "
                       f"{(s[1] / t[1]) if t[1] > 0 else float('nan'):.2f} |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--confab-bin", required=True)
    ap.add_argument("--quick", action="store_true", help="small counts: a smoke run")
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--notifies", type=int, default=5000)
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--kamailio-children", type=int, default=2)
    ap.add_argument("--row-timeout", type=float, default=600)
    ap.add_argument("--only", choices=("links", "confab", "kamailio", "tls"), default=None,
                    help="links = confab + kamailio")
    ap.add_argument("--out",
                    default=str(REPO / "tools" / "bench" / "results" / "federation-latest"))
    args = ap.parse_args()
    if args.quick:
        args.messages, args.notifies, args.pairs, args.connections = 300, 100, 5, 20
        args.row_timeout = min(args.row_timeout, 120)
    os.environ["CONFABD"] = str(Path(args.confab_bin).resolve())
    os.environ["CONFAB_WORKERS"] = str(args.workers)
    ca = TestCA("fed-bench-ca")
    link_rows, tls_rows = [], []
    try:
        if args.only in (None, "links", "confab"):
            bench_confab_confab(args, ca, "tcp", link_rows)
            bench_confab_confab(args, ca, "tls", link_rows)
        if args.only in (None, "links", "kamailio"):
            bench_confab_kamailio(args, ca, link_rows)
        if args.only in (None, "tls"):
            bench_tls_cost(args, ca, tls_rows)
    finally:
        ca.cleanup()
    report = markdown(link_rows, tls_rows, args)
    print(report)
    Path(args.out + ".md").write_text(report)
    Path(args.out + ".json").write_text(json.dumps({"args": vars(args), "links": link_rows,
                                                    "tls": tls_rows}, indent=1))
    print(f"written {args.out}.md and .json")


if __name__ == "__main__":
    main()
