"""HTTP presence export end to end (issue 7): confabd loads the HTTP presence plugin
(libconfab_http_presence.so); a SIP user PUBLISHes busy with a note and an SSE client (and a
WebSocket client) receives the change within a second; one GET and a batch GET answer in the
groupware presence shape; missing/unknown tokens get 401, foreign users 403, floods 429.
The plugin's path comes from CONFAB_HTTP_PRESENCE_PLUGIN (set by CTest).
tools/bench/adapters/ reuses SseStream and presence_server() from here."""

import base64
import json
import os
import secrets
import socket
import struct
import time
import unittest

from confabtest import ServerPerClass, built_plugin
from presence_helpers import pidf, publish  # noqa: F401 (tools/bench/adapters imports pidf)
from server import DOMAIN, ConfabServer, password_of
from sipclient import SipClient

TOKEN = "it-reader"
TIMEOUT = 5.0


def plugin_path():
    return built_plugin("CONFAB_HTTP_PRESENCE_PLUGIN")


def recv_before(sock, deadline):
    """Bytes from `sock` before `deadline` (time.monotonic()); None on timeout or close."""
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    sock.settimeout(left)
    try:
        return sock.recv(65536) or None
    except socket.timeout:
        return None


def presence_server(path=None, **config_overrides):
    """A ConfabServer (not started) that loads the plugin; its HTTP port is read with
    http_port(server) once started."""
    server = ConfabServer()
    port_file = os.path.join(server.dir, "presence.port")
    config = {
        "address": "127.0.0.1",
        "port": 0,
        "port_file": port_file,
        "tokens": [
            {"token": TOKEN, "scopes": ["presence:read"], "users": ["@" + DOMAIN]},
            {"token": "alice-only", "scopes": ["presence:read"],
             "users": ["alice@" + DOMAIN]},
            {"token": "no-read", "scopes": ["presence:write"], "users": ["*"]},
            {"token": "tiny", "scopes": ["presence:read"], "users": ["*"]},
        ],
        "rate_limit_per_token": {"requests_per_second": 1000, "burst": 1000},
    }
    config.update(config_overrides)
    server.config["adapters"] = {"plugins": [{
        "name": "http_presence",
        "path": path or plugin_path(),
        "config": config,
    }]}
    server.write_config()
    server.presence_port_file = port_file
    return server


def http_port(server, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(server.presence_port_file) as fh:
                text = fh.read().strip()
            if text:
                return int(text)
        except OSError:
            pass
        time.sleep(0.02)  # polling the file system, bounded by the deadline
    raise AssertionError("the plugin wrote no port file\n" + server.stderr_tail())


def http(port, method, target, headers=None, body=None, timeout=TIMEOUT):
    """One HTTP/1.1 request on its own connection: (status, headers, body bytes)."""
    payload = b"" if body is None else (body if isinstance(body, bytes) else body.encode())
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1:%d" % port,
             "Connection: close"]
    lines += ["%s: %s" % kv for kv in (headers or {}).items()]
    if body is not None:
        lines.append("Content-Length: %d" % len(payload))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1]) if status_line.startswith("HTTP/") else 0
        hdrs = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            hdrs[name.strip().lower()] = value.strip()
        want = int(hdrs.get("content-length", "-1"))
        while want < 0 or len(rest) < want:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, hdrs, rest


def bearer(token=TOKEN):
    return {"Authorization": "Bearer " + token}


class SseStream:
    """A text/event-stream reader on a raw socket (EventSource's view, no reconnects)."""

    def __init__(self, port, users, token=TOKEN, timeout=TIMEOUT, connect=True):
        self.port, self.users, self.token, self.timeout = port, users, token, timeout
        self.sock, self.buffer, self.status, self.events = None, b"", 0, []
        if connect:
            self.connect()
            self.read_head()

    def request_bytes(self):
        target = "/v1/presence/stream?users=%s" % ",".join(self.users)
        return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                "Authorization: Bearer %s\r\n\r\n" % (target, self.token)).encode()

    def connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self.sock.sendall(self.request_bytes())

    def read_head(self):
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buffer += chunk
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        self.buffer = b""
        self.events.extend(self.feed(rest))
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        self.status = int(line.split()[1]) if line.startswith("HTTP/") else 0
        return self.status

    def feed(self, data):
        """Adds received bytes; returns the complete events (dicts) they finish."""
        self.buffer += data
        events = []
        while b"\n\n" in self.buffer:
            block, _, self.buffer = self.buffer.partition(b"\n\n")
            event = {}
            for line in block.decode("utf-8", "replace").split("\n"):
                if line.startswith(":") or ":" not in line:
                    continue
                name, _, value = line.partition(":")
                event[name] = value[1:] if value.startswith(" ") else value
            if "data" in event:
                event["json"] = json.loads(event["data"])
                events.append(event)
        return events

    def next_event(self, timeout=TIMEOUT, predicate=None):
        """The next event (matching `predicate`), or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            while self.events:
                event = self.events.pop(0)
                if predicate is None or predicate(event):
                    return event
            chunk = recv_before(self.sock, deadline)
            if chunk is None:
                return None
            self.events.extend(self.feed(chunk))

    def close(self):
        if self.sock:
            self.sock.close()


class WebSocket:
    """A minimal RFC 6455 client: text frames only."""

    def __init__(self, port, target, headers=None, timeout=TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        lines = ["GET %s HTTP/1.1" % target, "Host: 127.0.0.1:%d" % port,
                 "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + key,
                 "Sec-WebSocket-Version: 13"]
        lines += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        self.open = head.startswith(b"HTTP/1.1 101")

    def send(self, text):
        data = text.encode()
        mask = secrets.token_bytes(4)
        header = bytes([0x81])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(data))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def receive(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buffer) >= 2:
                length, offset = self.buffer[1] & 0x7F, 2
                if length == 126 and len(self.buffer) >= 4:
                    length, offset = struct.unpack("!H", self.buffer[2:4])[0], 4
                if length < 126 or offset == 4:
                    if len(self.buffer) >= offset + length:
                        opcode = self.buffer[0] & 0x0F
                        payload = self.buffer[offset:offset + length]
                        self.buffer = self.buffer[offset + length:]
                        if opcode == 1:
                            return json.loads(payload.decode())
                        continue
            chunk = recv_before(self.sock, deadline)
            if chunk is None:
                return None
            self.buffer += chunk

    def close(self):
        self.sock.close()


class HttpPresenceTest(ServerPerClass):

    @classmethod
    def new_server(cls):
        return presence_server(lookup_timeout_ms=3000)

    @classmethod
    def start_server(cls):
        cls.server.start()
        cls.port = http_port(cls.server)

    def setUp(self):
        self.server.assert_alive()

    def ua(self, user):
        ua = SipClient("tcp", self.server.addr("tcp"), user, password_of(user), domain=DOMAIN)
        self.addCleanup(ua.close)
        return ua

    def registered(self, user):
        ua = self.ua(user)
        self.assertEqual(ua.register(expires=600).status, 200)
        return ua

    def publish(self, ua, body, expires=60):
        resp = publish(ua, body, expires)
        self.assertIsNotNone(resp)
        self.assertEqual(resp.status, 200, resp)
        return resp

    def get(self, user, token=TOKEN):
        status, _, body = http(self.port, "GET", "/v1/presence/%s@%s" % (user, DOMAIN),
                               bearer(token))
        return status, (json.loads(body) if body else None)

    def test_sse_receives_a_sip_publish_within_a_second(self):
        alice = self.registered("alice")
        stream = SseStream(self.port, ["alice@" + DOMAIN, "bob@" + DOMAIN])
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 200)
        snapshot = {}
        for _ in range(2):
            event = stream.next_event()
            self.assertIsNotNone(event, "no snapshot event")
            snapshot[event["json"]["id"]] = event["json"]
        self.assertEqual(set(snapshot), {"alice@" + DOMAIN, "bob@" + DOMAIN})
        self.assertEqual(snapshot["alice@" + DOMAIN]["availability"], "Available")

        started = time.monotonic()
        self.publish(alice, pidf("alice", activity="busy", note="in a meeting"))
        event = stream.next_event(
            1.0, lambda e: e["json"]["id"] == "alice@" + DOMAIN
            and e["json"]["availability"] == "Busy")
        elapsed = time.monotonic() - started
        self.assertIsNotNone(event, "no Busy event within 1 s of the PUBLISH")
        self.assertLess(elapsed, 1.0)
        self.assertEqual(event["json"]["statusMessage"], "in a meeting")
        self.assertEqual(event["id"], str(event["json"]["sequenceNumber"]))
        self.assertGreater(event["json"]["sequenceNumber"],
                           snapshot["alice@" + DOMAIN]["sequenceNumber"])
        status, body = self.get("alice")
        self.assertEqual(status, 200)
        self.assertEqual(body["availability"], "Busy")
        self.assertEqual(body["statusMessage"], "in a meeting")

    def test_websocket_receives_a_sip_publish_within_a_second(self):
        carol = self.registered("carol")
        ws = WebSocket(self.port, "/v1/presence/ws", bearer())
        self.addCleanup(ws.close)
        self.assertTrue(ws.open)
        ws.send(json.dumps({"subscribe": ["carol@" + DOMAIN]}))
        first = ws.receive()
        self.assertIsNotNone(first)
        self.assertEqual(first["id"], "carol@" + DOMAIN)
        started = time.monotonic()
        self.publish(carol, pidf("carol", activity="away", note="back at 3"))
        deadline = started + 1.0
        event = None
        while time.monotonic() < deadline:
            message = ws.receive(max(0.0, deadline - time.monotonic()))
            if message and message.get("type") == "presence" and \
                    message.get("availability") == "Away":
                event = message
                break
        self.assertIsNotNone(event, "no Away message within 1 s of the PUBLISH")
        self.assertEqual(event["statusMessage"], "back at 3")

    def test_batch(self):
        self.registered("dave")
        body = json.dumps({"users": ["dave@" + DOMAIN, "erin@" + DOMAIN,
                                     "ghost@" + DOMAIN, "x@elsewhere.test"]})
        status, _, raw = http(self.port, "POST", "/v1/presence/batch",
                              dict(bearer(), **{"Content-Type": "application/json"}), body)
        self.assertEqual(status, 200, raw)
        entries = json.loads(raw)
        self.assertEqual([e["status"] for e in entries], [200, 200, 404, 403])
        self.assertEqual(entries[0]["availability"], "Available")
        self.assertEqual(entries[1]["availability"], "Offline")
        for field in ("availability", "activity", "statusMessage", "sequenceNumber",
                      "lastModified"):
            self.assertIn(field, entries[0])

    def test_auth_failures(self):
        status, headers, _ = http(self.port, "GET", "/v1/presence/alice@" + DOMAIN)
        self.assertEqual(status, 401)
        self.assertIn("www-authenticate", headers)
        self.assertEqual(self.get("alice", token="wrong")[0], 401)
        self.assertEqual(self.get("bob", token="alice-only")[0], 403)
        self.assertEqual(self.get("alice", token="no-read")[0], 403)
        stream = SseStream(self.port, ["bob@" + DOMAIN], token="alice-only")
        self.addCleanup(stream.close)
        self.assertEqual(stream.status, 403)
        ws = WebSocket(self.port, "/v1/presence/ws")
        self.addCleanup(ws.close)
        self.assertFalse(ws.open)

    def test_page_is_served(self):
        status, headers, body = http(self.port, "GET", "/")
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers.get("content-type", ""))
        self.assertIn(b"EventSource", body)


class RateLimitTest(unittest.TestCase):
    def test_flood_gets_429_with_retry_after(self):
        server = presence_server(rate_limit_per_token={"requests_per_second": 1, "burst": 3})
        self.addCleanup(server.cleanup)
        server.start()
        self.addCleanup(server.stop)
        port = http_port(server)
        statuses = [http(port, "GET", "/v1/presence/alice@" + DOMAIN, bearer())[0:2]
                    for _ in range(5)]
        codes = [s for s, _ in statuses]
        self.assertIn(429, codes)
        self.assertTrue(all(c in (200, 429) for c in codes), codes)
        limited = [h for s, h in statuses if s == 429][0]
        self.assertGreaterEqual(int(limited["retry-after"]), 1)


if __name__ == "__main__":
    unittest.main()
