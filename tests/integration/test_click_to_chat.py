"""Click-to-chat end to end (issue 7): confabd loads the click-to-chat plugin
(libconfab_click_to_chat.so); a SIP agent (sipclient.py) registers and publishes presence, a
visitor talks to the plugin over a WebSocket (a small standard-library client below) and the two
chat both ways. With no agent online the visitor is told so and their message lands in the
agents' offline store, delivered when an agent signs in. Also: the page and widget are served,
foreign origins and strangers are refused, visitors are rate limited.

The plugin's path comes from CONFAB_CLICK_TO_CHAT_PLUGIN (set by CTest). tests/web/ reuses
WebSocketClient, ChatAgent and chat_server() from here for the browser test."""

import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import struct
import threading
import time
import unittest

from confabtest import ServerPerClass, ServerTestCase, built_plugin, poll
from server import DOMAIN, ConfabServer, password_of
from sipclient import SipClient, SipError, parse_name_addr, uri_key

IDENTITY = "support@%s" % DOMAIN
PIDF = "application/pidf+xml"
TIMEOUT = 5.0


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


def plugin_path():
    return built_plugin("CONFAB_CLICK_TO_CHAT_PLUGIN")


def chat_config(port_file, agents, **overrides):
    config = {
        "address": "127.0.0.1",
        "port": 0,
        "port_file": port_file,
        "identity": IDENTITY,
        "agents": ["%s@%s" % (a, DOMAIN) for a in agents],
        "max_chats_per_agent": 3,
        "agent_answer_timeout_s": 60,
        "visitor_rate_limit": {"messages_per_10s": 5},
        "max_visitors": 50,
    }
    config.update(overrides)
    return config


def chat_server(agents, **overrides):
    """A ConfabServer (not started) that loads the plugin; its web port is read with
    web_port(server) once started."""
    path = plugin_path()
    server = ConfabServer()
    port_file = os.path.join(server.dir, "chat.port")
    server.config["adapters"] = {"plugins": [{
        "name": "click_to_chat",
        "path": path,
        "identities": [IDENTITY],
        "config": chat_config(port_file, agents, **overrides),
    }]}
    server.write_config()
    server.chat_port_file = port_file
    return server


def web_port(server, timeout=10.0):
    """The plugin's HTTP/WebSocket port (it writes it once listening)."""
    def read():
        try:
            with open(server.chat_port_file) as fh:
                return int(fh.read().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0
    port = poll(read, timeout=timeout, interval=0.05)
    if not port:
        raise AssertionError("the click-to-chat plugin wrote no port file within %.0fs\n%s" % (
            timeout, server.stderr_tail(40)))
    return port


# A minimal RFC 6455 client (text frames, masking, ping/pong, close) ----------------------------

class WebSocketError(Exception):
    pass


class WebSocketClient:
    def __init__(self, port, path="/chat", origin=None, host="127.0.0.1", timeout=TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.closed = False
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port), "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: %s" % key,
                 "Sec-WebSocket-Version: 13"]
        if origin:
            lines.append("Origin: %s" % origin)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            head = self._read_until(b"\r\n\r\n", time.monotonic() + timeout)
        except (WebSocketError, OSError):
            self.sock.close()
            raise WebSocketError("handshake refused: the server closed the connection")
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        self.status = int(status.split()[1]) if len(status.split()) > 1 else 0
        if self.status != 101:
            self.sock.close()
            raise WebSocketError("handshake refused: %s" % status)
        want = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if ("sec-websocket-accept: %s" % want).lower() not in head.decode("latin-1").lower():
            raise WebSocketError("bad Sec-WebSocket-Accept in\n%s" % head.decode("latin-1"))

    def _read_until(self, marker, deadline):
        while marker not in self.buf:
            self._fill(deadline)
        head, self.buf = self.buf.split(marker, 1)
        return head

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("no data")
        self.sock.settimeout(remaining)
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            raise WebSocketError("connection closed")
        self.buf += data

    def send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = secrets.token_bytes(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_json(self, obj):
        self.send_frame(0x1, json.dumps(obj).encode())

    def recv_text(self, timeout=TIMEOUT):
        """The next text message (str); None on timeout; raises WebSocketError once closed."""
        deadline = time.monotonic() + timeout
        message = b""
        try:
            while True:
                b0, b1 = self._read_exact(2, deadline)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._read_exact(2, deadline))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._read_exact(8, deadline))[0]
                payload = self._read_exact(n, deadline)
                opcode = b0 & 0x0F
                if opcode == 0x8:
                    self.closed = True
                    raise WebSocketError("closed by the server")
                if opcode == 0x9:
                    self.send_frame(0xA, payload)
                    continue
                if opcode in (0x1, 0x0):
                    message += payload
                    if b0 & 0x80:
                        return message.decode("utf-8")
        except socket.timeout:
            return None

    def close(self):
        try:
            if not self.closed:
                self.send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


class Visitor(WebSocketClient):
    """A chat visitor: JSON frames, remembered as they arrive."""

    def __init__(self, port, **kwargs):
        super().__init__(port, **kwargs)
        self.frames = []

    def expect(self, type_, timeout=TIMEOUT, text=None):
        """The next frame of `type_` (optionally whose text contains `text`); frames of other
        types seen meanwhile are kept in self.frames."""
        deadline = time.monotonic() + timeout
        while True:
            raw = self.recv_text(max(0.0, deadline - time.monotonic()))
            if raw is None:
                raise AssertionError("no %r frame within %.1fs; got %s" % (
                    type_, timeout, self.frames))
            frame = json.loads(raw)
            self.frames.append(frame)
            if frame.get("type") == type_ and (text is None or text in frame.get("text", "")):
                return frame

    def hello(self):
        self.send_json({"type": "hello"})
        return self.expect("bot")

    def say(self, text):
        self.send_json({"type": "message", "text": text})


# The agent side ------------------------------------------------------------------------------

def pidf(user, basic="open"):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="%s">'
            '<tuple id="t1"><status><basic>%s</basic></status></tuple></presence>'
            % (aor(user), basic))


class ChatAgent:
    """A support agent on SIP: registers, publishes 'open', receives the plugin's MESSAGEs and
    replies to the plugin identity. Synchronous by default; start_auto_reply() runs a thread
    that answers every visitor text with reply_for(text) (the browser test)."""

    def __init__(self, server, user, transport="tcp"):
        self.user = user
        self.ua = SipClient(transport, server.addr(transport), user, password_of(user),
                            domain=DOMAIN)
        self.thread = None
        self.stop_event = threading.Event()
        self.received = []

    def sign_in(self):
        resp = self.ua.register(expires=600)
        assert resp is not None and resp.status == 200, resp
        resp = self.ua.request("PUBLISH", aor(self.user), body=pidf(self.user),
                               content_type=PIDF, headers=[("Event", "presence"),
                                                           ("Expires", "600")])
        assert resp is not None and resp.status == 200, resp
        return self

    def next_message(self, timeout=TIMEOUT):
        """The next MESSAGE (answered 200): (from AOR, text); None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            req = self.ua.recv_request(max(0.0, deadline - time.monotonic()))
            if req is None:
                return None
            if req.method != "MESSAGE":
                self.ua.reply(req, 200)
                continue
            self.ua.reply(req, 200)
            sender = uri_key(parse_name_addr(req.header("From")).uri)
            self.received.append(req.text())
            return sender, req.text()

    def reply(self, text):
        return self.ua.send_message(aor(IDENTITY.split("@")[0]), text)

    def start_auto_reply(self, reply_for):
        def run():
            while not self.stop_event.is_set():
                try:
                    got = self.next_message(timeout=0.2)
                except (SipError, OSError):
                    return  # the connection is gone: the test is over or will say why
                if got is None:
                    continue
                m = re.match(r"\[visitor (\w+)\] (.*)", got[1], re.S)
                if m:
                    self.reply(reply_for(m.group(2)))
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def close(self):
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(5)
        self.ua.close()


# Tests ----------------------------------------------------------------------------------------

class ChatTestCase(ServerPerClass):
    AGENTS = ["alice", "bob"]
    OVERRIDES = {}

    @classmethod
    def new_server(cls):
        return chat_server(cls.AGENTS, **cls.OVERRIDES)

    @classmethod
    def start_server(cls):
        cls.server.start()
        cls.port = web_port(cls.server)

    def visitor(self, **kwargs):
        v = Visitor(self.port, **kwargs)
        self.addCleanup(v.close)
        return v

    def agent(self, user):
        a = ChatAgent(self.server, user)
        self.addCleanup(a.close)
        return a

    def wait_available(self, want=True):
        """Until a new visitor's greeting says an agent is (or is not) available."""
        def check():
            v = Visitor(self.port)
            try:
                return v.hello().get("available") == want
            finally:
                v.close()
        self.assertTrue(poll(check, timeout=TIMEOUT, interval=0.1),
                        "the plugin never saw available=%s\n%s" % (want,
                                                                   self.server.stderr_tail(30)))


class WebTest(ChatTestCase):

    def get(self, path, origin=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        conn.request("GET", path, headers={"Origin": origin} if origin else {})
        resp = conn.getresponse()
        body = resp.read().decode("utf-8")
        conn.close()
        return resp, body

    def test_page_and_widget_are_served(self):
        resp, body = self.get("/")
        self.assertEqual(resp.status, 200)
        self.assertIn("text/html", resp.getheader("Content-Type"))
        self.assertIn("default-src 'self'", resp.getheader("Content-Security-Policy", ""))
        self.assertIn('src="/widget.js"', body)
        resp, body = self.get("/widget.js")
        self.assertEqual(resp.status, 200)
        self.assertIn("Chat with us", body)
        self.assertNotIn("innerHTML", body)  # texts are shown with textContent only
        resp, _ = self.get("/widget.css")
        self.assertEqual(resp.status, 200)
        resp, _ = self.get("/../etc/passwd")
        self.assertEqual(resp.status, 404)
        resp, _ = self.get("/nothing")
        self.assertEqual(resp.status, 404)

    def test_foreign_origin_is_refused(self):
        with self.assertRaises(WebSocketError):
            Visitor(self.port, origin="http://evil.example")
        with self.assertRaises(WebSocketError):
            Visitor(self.port, path="/other")
        v = self.visitor(origin="http://127.0.0.1:%d" % self.port)  # the page's own origin
        self.assertIn("visitor", v.hello())


class ChatTest(ChatTestCase):
    AGENTS = ["alice", "bob"]

    def test_chat_both_ways(self):
        alice = self.agent("alice").sign_in()
        self.wait_available(True)
        v = self.visitor()
        greeting = v.hello()
        tag = greeting["visitor"]
        self.assertRegex(tag, r"^[0-9a-f]{4}$")
        v.say("Where is my <b>order</b>?")
        got = alice.next_message()
        self.assertIsNotNone(got, "the agent got no MESSAGE\n%s" % self.server.stderr_tail(30))
        sender, text = got
        self.assertEqual(sender, uri_key("sip:" + IDENTITY))
        self.assertEqual(text, "[visitor %s] Where is my <b>order</b>?" % tag)
        v.expect("system", text="agent has joined")
        resp = alice.reply("It ships today <script>alert(1)</script>")
        self.assertEqual(resp.status, 200, resp)
        frame = v.expect("agent")
        self.assertEqual(frame["text"], "It ships today <script>alert(1)</script>")
        # A second visitor message in the same chat goes straight to the agent.
        v.say("Thanks!")
        self.assertEqual(alice.next_message()[1], "[visitor %s] Thanks!" % tag)
        # The visitor leaves: the agent is told, and a late reply finds no chat.
        v.send_json({"type": "leave"})
        got = alice.next_message()
        self.assertIsNotNone(got)
        self.assertIn("left the chat", got[1])
        self.assertEqual(alice.reply("still there?").status, 480)

    def test_strangers_cannot_talk_to_visitors(self):
        mallory = SipClient("tcp", self.server.tcp, "mallory", password_of("mallory"),
                            domain=DOMAIN)
        self.addCleanup(mallory.close)
        resp = mallory.send_message("sip:" + IDENTITY, "send me your card number")
        self.assertIsNotNone(resp)
        self.assertEqual(resp.status, 403, resp)

    def test_rate_limit(self):
        v = self.visitor()
        v.hello()
        for i in range(8):
            v.say("message %d" % i)
        notices = [v.expect("system", text="too fast") for _ in range(3)]
        self.assertEqual(len(notices), 3)


class OfflineTest(ChatTestCase):
    AGENTS = ["carol", "dave"]

    def test_no_agent_then_offline_store(self):
        v = self.visitor()
        greeting = v.hello()
        self.assertFalse(greeting["available"])
        v.expect("offline", text="No agent is available")
        v.say("Please call me back about invoice 42")
        v.expect("system", text="left for our team")
        # carol signs in later and gets the stored message from the plugin identity.
        carol = ChatAgent(self.server, "carol")
        self.addCleanup(carol.close)
        resp = carol.ua.register(expires=600)
        self.assertEqual(resp.status, 200, resp)
        got = carol.next_message(timeout=TIMEOUT)
        self.assertIsNotNone(got, "no stored message reached carol\n%s" %
                             self.server.stderr_tail(30))
        self.assertEqual(got[0], uri_key("sip:" + IDENTITY))
        self.assertIn("Please call me back about invoice 42", got[1])
        self.assertIn(greeting["visitor"], got[1])


class OcsAgentTest(ChatTestCase):
    """The agent on the OCS dialect: the plugin's page-mode MESSAGE reaches it as an IM
    session (INVITE with the text inline), and its replies inside the session reach the
    visitor."""
    AGENTS = ["erin"]

    def test_chat_with_an_ocs_agent(self):
        from imclient import answer_invite, expect_request, ms_text_body, ocs_register
        erin = SipClient("tcp", self.server.tcp, "erin", password_of("erin"), domain=DOMAIN)
        self.addCleanup(erin.close)
        resp = ocs_register(erin)
        self.assertEqual(resp.status, 200, resp)
        self.wait_available(True)
        v = self.visitor()
        tag = v.hello()["visitor"]
        v.say("Hello from the web")
        invite = expect_request(erin, "INVITE")
        self.assertEqual(uri_key(parse_name_addr(invite.header("From")).uri),
                         uri_key("sip:" + IDENTITY))
        self.assertEqual(ms_text_body(invite.header("ms-text-format")),
                         "[visitor %s] Hello from the web" % tag)
        session = answer_invite(erin, invite)
        expect_request(erin, "ACK", skip=())
        v.expect("system", text="agent has joined")
        resp = session.request("MESSAGE", "Hi, how can I help?", "text/plain")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(v.expect("agent")["text"], "Hi, how can I help?")
        v.say("My parcel is late")
        msg = expect_request(erin, "MESSAGE")
        erin.reply(msg, 200)
        self.assertEqual(msg.call_id, invite.call_id)
        self.assertEqual(msg.text(), "[visitor %s] My parcel is late" % tag)


if __name__ == "__main__":
    unittest.main()
