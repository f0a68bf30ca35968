# SPDX-License-Identifier: Apache-2.0
"""A small asyncio SIP-over-TCP load driver for the IM and group-chat benchmarks.

One `SipConn` per TCP connection (asyncio.Protocol callbacks, no streams: the
driver must cost little CPU next to the server it measures). It frames SIP by
Content-Length, answers every request with 200 (an INVITE with an SDP answer),
and hands requests and final responses to callbacks. Responses are matched to
transactions by Call-ID + CSeq. Standard library only; loopback only.
"""
from __future__ import annotations

import asyncio
import itertools
import re
import resource
import time

DOMAIN = "example.test"
HOST = "127.0.0.1"

_CL = re.compile(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)", re.I)
_CALLID = re.compile(rb"\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]+)", re.I)
_CSEQ = re.compile(rb"\r\ncseq[ \t]*:[ \t]*(\d+)[ \t]+([A-Za-z]+)", re.I)
CONTACT_URI = re.compile(rb"\r\n(?:contact|m)[ \t]*:[^\r\n]*<([^>]+)>", re.I)
TO_TAG = re.compile(rb"\r\n(?:to|t)[ \t]*:[^\r\n]*;tag=([^;\r\n >]+)", re.I)
_ECHO = {b"via", b"v", b"from", b"f", b"call-id", b"i", b"cseq"}
_TO = {b"to", b"t"}

ANSWER_SDP = (b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\n"
              b"t=0 0\r\nm=message 5060 sip null\r\n")
OFFER_SDP = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=message 5060 sip null\r\na=accept-types:text/plain\r\n")
OCS_METHODS = ("INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, "
               "BENOTIFY")

_ids = itertools.count(1)


def now() -> float:
    return time.perf_counter()


def header(head: bytes, rx: re.Pattern) -> bytes | None:
    m = rx.search(head)
    return m.group(1) if m else None


class Cpu:
    """This process's CPU seconds (user + system) between start and stop."""

    def __init__(self):
        r = resource.getrusage(resource.RUSAGE_SELF)
        self.t0 = r.ru_utime + r.ru_stime

    def stop(self) -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime - self.t0


class SipConn(asyncio.Protocol):
    """One TCP connection of one user. on_request(conn, method, head, body) sees every
    request after it was answered; final responses complete the future of the
    transaction that `send_request` registered (or go to on_response)."""

    def __init__(self, user: str, on_request=None, answer_invite: bool = True):
        self.user = user
        self.aor = f"sip:{user}@{DOMAIN}"
        self.tag = f"t{next(_ids)}"
        self.on_request = on_request
        self.answer_invite = answer_invite
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.pending: dict[tuple[bytes, int], asyncio.Future] = {}
        self.port = 0
        self.closed = asyncio.get_event_loop().create_future()
        self.requests_in = 0

    # asyncio.Protocol ------------------------------------------------------------
    def connection_made(self, transport):
        self.transport = transport
        self.port = transport.get_extra_info("sockname")[1]

    def connection_lost(self, exc):
        if not self.closed.done():
            self.closed.set_result(exc)
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(ConnectionError("connection lost"))
        self.pending.clear()

    def data_received(self, data: bytes):
        buf = self.buf + data if self.buf else data
        pos, n = 0, len(buf)
        while pos < n:
            if buf[pos:pos + 2] == b"\r\n":  # keep-alive CRLFs
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

    # Messages --------------------------------------------------------------------
    def _dispatch(self, head: bytes, body: bytes):
        if head.startswith(b"SIP/2.0 "):
            status = int(head[8:11])
            if status < 200:
                return
            cid = header(head, _CALLID)
            cs = _CSEQ.search(head)
            fut = self.pending.pop((cid, int(cs.group(1))), None) if cs else None
            if fut is not None and not fut.done():
                fut.set_result((status, head, body))
            return
        method = head[:head.find(b" ")]
        self.requests_in += 1
        if method != b"ACK":
            self.reply(head, method)
        if self.on_request is not None:
            self.on_request(self, method, head, body)

    def reply(self, head: bytes, method: bytes, code: int = 200):
        out = [b"SIP/2.0 %d OK" % code]
        for line in head.split(b"\r\n")[1:]:
            name = line[:line.find(b":")].strip().lower()
            if name in _ECHO:
                out.append(line)
            elif name in _TO:
                out.append(line if b"tag=" in line else line + b";tag=" + self.tag.encode())
        body = b""
        if method == b"INVITE" and self.answer_invite:
            out.append(b"Contact: <sip:%s@127.0.0.1:%d;transport=tcp>"
                       % (self.user.encode(), self.port))
            out.append(b"Supported: ms-text-format")
            out.append(b"Content-Type: application/sdp")
            body = ANSWER_SDP
        out.append(b"Content-Length: %d\r\n\r\n" % len(body))
        self.transport.write(b"\r\n".join(out) + body)

    def request(self, method: str, ruri: str, to: str, call_id: str, cseq: int,
                extra: str = "", body: bytes = b"", content_type: str | None = None,
                to_tag: str | None = None) -> bytes:
        lines = [
            f"{method} {ruri} SIP/2.0",
            f"Via: SIP/2.0/TCP {HOST}:{self.port};branch=z9hG4bK{next(_ids)}",
            "Max-Forwards: 70",
            f"From: <{self.aor}>;tag={self.tag}",
            f"To: {to}" + (f";tag={to_tag}" if to_tag else ""),
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{self.user}@{HOST}:{self.port};transport=tcp>",
        ]
        if extra:
            lines.append(extra)
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}\r\n\r\n")
        return "\r\n".join(lines).encode() + body

    def send_request(self, data: bytes, call_id: str, cseq: int) -> asyncio.Future:
        fut = asyncio.get_event_loop().create_future()
        self.pending[(call_id.encode(), cseq)] = fut
        self.transport.write(data)
        return fut

    async def transact(self, method: str, ruri: str, to: str, timeout: float = 10.0,
                       call_id: str | None = None, cseq: int = 1, **kw):
        call_id = call_id or f"c{next(_ids)}-{self.tag}"
        data = self.request(method, ruri, to, call_id, cseq, **kw)
        return await asyncio.wait_for(self.send_request(data, call_id, cseq), timeout)

    async def register(self, ocs: bool = False, timeout: float = 10.0) -> int:
        contact = f"<sip:{self.user}@{HOST}:{self.port};transport=tcp>"
        extra = f"Expires: 3600"
        if ocs:
            contact += f';methods="{OCS_METHODS}";proxy=replace'
            extra += "\r\nSupported: gruu-10, adhoclist"
        extra += f"\r\nContact: {contact}"
        # Our own Contact header replaces the default one of request().
        call_id = f"r{next(_ids)}-{self.tag}"
        data = self.request("REGISTER", f"sip:{DOMAIN}", f"<{self.aor}>", call_id, 1, extra)
        data = data.replace(f"Contact: <sip:{self.user}@{HOST}:{self.port};transport=tcp>\r\n"
                            .encode(), b"", 1)
        status, _, _ = await asyncio.wait_for(self.send_request(data, call_id, 1), timeout)
        return status

    def close(self):
        if self.transport is not None:
            self.transport.close()


async def connect(user: str, port: int, **kw) -> SipConn:
    loop = asyncio.get_event_loop()
    _, conn = await loop.create_connection(lambda: SipConn(user, **kw), HOST, port)
    return conn


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))]


class Pacer:
    """Open-loop pacing with a cap on outstanding work: `await pacer.slots()` returns how
    many sends are due now (at `rate` per second since start, at most `window` in flight)."""

    def __init__(self, rate: float, window: int, total: int):
        self.rate, self.window, self.total = rate, window, total
        self.sent = 0
        self.inflight = 0
        self.start = now()

    async def slots(self) -> int:
        while True:
            due = self.total if self.rate <= 0 else min(
                self.total, int((now() - self.start) * self.rate) + 1)
            n = min(due - self.sent, self.window - self.inflight)
            if n > 0:
                return n
            await asyncio.sleep(0.001)
