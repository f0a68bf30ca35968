#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Interop: two real baresip user agents register with a real confabd and chat.

What it checks, once over TCP and once over UDP:
  * confabd starts on loopback ephemeral ports (YAML written here, ports read
    from --ports-file);
  * two baresip processes, alice and bob, each with its own config directory,
    REGISTER through confabd (configured by hand as their outbound proxy, no
    DNS) and answer the digest challenge (401, then 200);
  * alice sends bob a SIP MESSAGE (pager mode, RFC 3428) through confabd: the
    MESSAGE is challenged (407) and re-sent with credentials, bob's baresip
    shows exactly alice's text, and alice gets the 200 back; bob replies and
    alice shows exactly bob's text;
  * the MESSAGE reaches bob from confabd's listening port (over TCP: on the
    connection bob registered on, not a new one);
  * clean teardown: SIGTERM to both baresips (they un-REGISTER), then SIGTERM
    to confabd, which must exit 0.

Running it
  CTest:   ctest --test-dir BUILD -R interop.baresip --output-on-failure
  By hand: CONFABD=BUILD/proxy/main/confabd python3 tests/interop/baresip/baresip_test.py -v
  Needs:   baresip (Debian 12: apt-get install -y baresip-core, baresip 1.0.0,
           libre 1.1.0). Skipped when baresip is not installed.
  Environment:
    CONFABD                 the confabd binary (required)
    BARESIP                 the baresip binary (default: from PATH)
    BARESIP_MODULE_PATH     its modules (default /usr/lib/baresip/modules)
    CONFAB_KEEP_TMP=1       keep the temporary directory (kept anyway on failure)

How baresip is driven (headless)
  Each instance gets a generated `config`, `accounts` and `contacts` in its own
  directory (`baresip -f DIR -s`). Modules: account, contact (its `message`
  command sends a MESSAGE to the "current contact", which is the only entry
  of `contacts`, the peer), menu (prints incoming MESSAGEs through the UI as
  `sip:alice@example.test: "text"`), stdio (that UI: it writes to stderr; its
  stdin is a pipe held open by the test, since EOF on it would spin), and
  ctrl_tcp (netstring-framed JSON commands on a loopback TCP port:
  {"command":"message","params":"text","token":"1"} and `reginfo`). No audio
  or video module is loaded; none is needed for MESSAGE. `-s` traces every
  SIP message to stdout, which is how the test sees the 401/407/200 finals.
  The account line is
    <sip:alice@example.test;transport=tcp>;auth_pass=alicepw;
        outbound="sip:127.0.0.1:PORT;transport=tcp";regint=600
  (baresip puts the outbound proxy in a Route header with ;lr).

Client limitation, and why the default configuration copes with it
  libre 1.1.0 (the SIP stack of baresip 1.0.0) computes MD5 digests only, and
  gives up on the whole 401/407 as soon as one WWW-/Proxy-Authenticate header
  names another algorithm (ENOSYS, "Register: Function not implemented"),
  instead of ignoring that challenge as RFC 8760 asks. confabd's default
  auth.md5_only_user_agents [baresip] challenges it with MD5 alone while every
  other client is offered [SHA-256, MD5]; this test runs on those defaults.

If alice's MESSAGE gets 404 (no 407 first): confabd popped the Route naming
itself (baresip's outbound proxy) and then took the Request-URI
sip:bob@example.test as the next hop instead of asking the location service;
see LooseRouteStage (RFC 3261 §16.4/§16.5, found by this test).

Files (in the temporary directory, printed and kept on failure): confab.yaml,
confabd.log (server.trace_sip is on: every SIP message in and out), and for
each user NAME/config, NAME/accounts, NAME/contacts, NAME.stdout.log (the
baresip log and SIP trace) and NAME.stderr.log (UI output: received MESSAGEs,
command output).

Every wait polls for its event with a deadline; nothing sleeps to let things
settle.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HOST = "127.0.0.1"
DOMAIN = "example.test"
PASSWORDS = {"alice": "alicepw", "bob": "bobpw"}

STARTUP_TIMEOUT = 10.0   # confabd ports file; baresip ctrl_tcp port
REGISTER_TIMEOUT = 15.0  # both user agents registered
MESSAGE_TIMEOUT = 10.0   # a MESSAGE shown by the peer, its 200 seen by the sender
STOP_TIMEOUT = 10.0      # exit after SIGTERM
COMMAND_TIMEOUT = 5.0    # one ctrl_tcp command and its response
POLL = 0.05              # polling interval inside every bounded wait

BARESIP = os.environ.get("BARESIP") or shutil.which("baresip")
MODULE_PATH = os.environ.get("BARESIP_MODULE_PATH", "/usr/lib/baresip/modules")

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def wait_for(predicate, timeout, what):
    """Polls `predicate` until it returns a true value (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(POLL)  # polling, bounded by the deadline


def read_text(path):
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def tail(path, lines=80):
    text = read_text(path)
    if not text:
        return "(empty)"
    return "\n".join(ANSI.sub("", text).splitlines()[-lines:])


def free_tcp_port():
    """A currently free loopback TCP port (for ctrl_tcp, which cannot report an ephemeral one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# confabd ---------------------------------------------------------------------------------


class Confabd:
    def __init__(self, workdir):
        self.dir = workdir
        self.config_path = os.path.join(workdir, "confab.yaml")
        self.ports_path = os.path.join(workdir, "ports.json")
        self.log_path = os.path.join(workdir, "confabd.log")
        self.proc = None
        self.ports = None

    def write_config(self):
        var = os.path.join(self.dir, "var")
        users = "\n".join("  - { aor: %s@%s, password: %s }" % (name, DOMAIN, pw)
                          for name, pw in PASSWORDS.items())
        with open(self.config_path, "w") as fh:
            fh.write(
                "# written by tests/interop/baresip/baresip_test.py\n"
                "server:\n"
                "  workers: 1\n"
                "  log_level: info\n"
                "  trace_sip: true\n"
                "  var_dir: %s\n"
                "domains: [%s]\n"
                "listeners:\n"
                "  - { transport: udp, address: %s, port: 0 }\n"
                "  - { transport: tcp, address: %s, port: 0 }\n"
                "storage:\n"
                "  path: %s\n"
                "auth:\n"
                "  register: true\n"
                "  requests: true\n"
                "users:\n%s\n" % (var, DOMAIN, HOST, HOST, os.path.join(var, "confab.db"), users))

    def start(self, binary):
        self.write_config()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [binary, "--config", self.config_path, "--ports-file", self.ports_path],
                cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

        def ports_ready():
            if self.proc.poll() is not None:
                raise AssertionError("confabd exited with status %s at start-up" % self.proc.returncode)
            try:
                with open(self.ports_path) as fh:
                    ports = json.load(fh)
            except (FileNotFoundError, ValueError):
                return None
            return ports

        ports = wait_for(ports_ready, STARTUP_TIMEOUT, "confabd's ports file")
        for transport in ("udp", "tcp"):
            if not (isinstance(ports.get(transport), int) and ports[transport] > 0):
                raise AssertionError("no %s port in the ports file: %r" % (transport, ports))
        self.ports = ports

    def stop(self):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is not None:
            return proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
            return None


# baresip ---------------------------------------------------------------------------------


class CtrlTcp:
    """A ctrl_tcp client: netstring-framed JSON commands, responses and events."""

    def __init__(self, port):
        self.sock = socket.create_connection((HOST, port), timeout=COMMAND_TIMEOUT)
        self.buf = b""
        self.events = []
        self.next_token = 1

    def close(self):
        self.sock.close()

    def _frames(self):
        """Complete netstrings ("LEN:PAYLOAD,") taken off the buffer."""
        out = []
        while True:
            colon = self.buf.find(b":")
            if colon < 0:
                break
            length = int(self.buf[:colon])
            end = colon + 1 + length
            if len(self.buf) < end + 1:
                break
            if self.buf[end:end + 1] != b",":
                raise AssertionError("ctrl_tcp: bad netstring %r" % self.buf[:end + 1])
            out.append(json.loads(self.buf[colon + 1:end].decode("utf-8", "replace")))
            self.buf = self.buf[end + 1:]
        return out

    def command(self, command, params=""):
        """Runs one command; returns the response dict ({"ok": bool, "data": str, ...})."""
        token = str(self.next_token)
        self.next_token += 1
        body = json.dumps({"command": command, "params": params, "token": token},
                          ensure_ascii=False).encode("utf-8")
        self.sock.sendall(b"%d:%s," % (len(body), body))
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while True:
            for frame in self._frames():
                if frame.get("response") and frame.get("token") == token:
                    return frame
                if frame.get("event"):
                    self.events.append(frame)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("ctrl_tcp: no response to %r within %.0fs"
                                     % (command, COMMAND_TIMEOUT))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise AssertionError("ctrl_tcp: connection closed while waiting for %r" % command)
            self.buf += data


class Baresip:
    def __init__(self, workdir, name, peer, transport, server_port):
        self.name = name
        self.peer = peer
        self.transport = transport
        self.server_port = server_port
        self.dir = os.path.join(workdir, name)
        self.stdout_path = os.path.join(workdir, name + ".stdout.log")
        self.stderr_path = os.path.join(workdir, name + ".stderr.log")
        self.aor = "sip:%s@%s" % (name, DOMAIN)
        self.proc = None
        self.ctrl = None
        os.makedirs(self.dir)

    def write_files(self, ctrl_port):
        with open(os.path.join(self.dir, "config"), "w") as fh:
            fh.write(
                "# written by tests/interop/baresip/baresip_test.py\n"
                "poll_method\t\tepoll\n"
                "module_path\t\t%s\n"
                "sip_listen\t\t%s:0\n"
                "module\t\t\tstdio.so\n"
                "module_app\t\taccount.so\n"
                "module_app\t\tcontact.so\n"
                "module_app\t\tmenu.so\n"
                "module_app\t\tctrl_tcp.so\n"
                "ctrl_tcp_listen\t\t%s:%d\n" % (MODULE_PATH, HOST, HOST, ctrl_port))
        with open(os.path.join(self.dir, "accounts"), "w") as fh:
            fh.write('<%s;transport=%s>;auth_pass=%s;outbound="sip:%s:%d;transport=%s";'
                     "regint=600\n" % (self.aor, self.transport, PASSWORDS[self.name], HOST,
                                       self.server_port, self.transport))
        with open(os.path.join(self.dir, "contacts"), "w") as fh:
            # The only contact, hence the "current contact" the message command sends to.
            fh.write('"%s" <sip:%s@%s>\n' % (self.peer, self.peer, DOMAIN))

    def start(self, attempts=3):
        """Starts baresip and connects to its ctrl_tcp port.

        ctrl_tcp cannot listen on an ephemeral port and tell us which, so the
        port is picked free beforehand; if it was taken meanwhile, baresip
        keeps running without ctrl_tcp ("failed to listen"), and is restarted
        on another port."""
        for attempt in range(1, attempts + 1):
            ctrl_port = free_tcp_port()
            self.write_files(ctrl_port)
            with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
                banner = ("==== start #%d, ctrl_tcp port %d\n" % (attempt, ctrl_port)).encode()
                out.write(banner)
                err.write(banner)
                out.flush()
                err.flush()
                offset = out.tell()
                # stdin stays an open pipe: the stdio UI module reads it.
                self.proc = subprocess.Popen([BARESIP, "-f", self.dir, "-s"], cwd=self.dir,
                                             stdin=subprocess.PIPE, stdout=out, stderr=err)

            def this_start():
                with open(self.stdout_path, "rb") as fh:
                    fh.seek(offset)
                    return fh.read().decode("utf-8", "replace")

            def ready():  # printed once every module is loaded
                if self.proc.poll() is not None:
                    raise AssertionError("%s's baresip exited with status %s at start-up"
                                         % (self.name, self.proc.returncode))
                return "baresip is ready." in this_start()

            wait_for(ready, STARTUP_TIMEOUT, "%s's baresip to be ready" % self.name)
            if "ctrl_tcp: failed to listen" in this_start():
                self.stop()
                continue

            def connected():
                try:
                    return CtrlTcp(ctrl_port)
                except OSError:
                    return None

            self.ctrl = wait_for(connected, STARTUP_TIMEOUT,
                                 "%s's baresip ctrl_tcp port %d" % (self.name, ctrl_port))
            reply = self.ctrl.command("help")  # also proves it is baresip answering
            if not reply.get("ok") or "message" not in reply.get("data", ""):
                raise AssertionError("%s: unexpected ctrl_tcp help reply %r" % (self.name, reply))
            return
        raise AssertionError("%s: no free ctrl_tcp port in %d attempts" % (self.name, attempts))

    def assert_alive(self):
        if self.proc is None or self.proc.poll() is not None:
            raise AssertionError("%s's baresip is not running (status %s)"
                                 % (self.name, self.proc and self.proc.returncode))

    def registered(self):
        """True once `reginfo` says OK for our AOR; raises on REGISTER_FAIL."""
        self.assert_alive()
        for event in self.ctrl.events:
            if event.get("type") == "REGISTER_FAIL":
                raise AssertionError("%s: REGISTER_FAIL %s" % (self.name, event.get("param")))
        data = ANSI.sub("", self.ctrl.command("reginfo").get("data", ""))
        if re.search(r"sip:%s@%s\s+ERR" % (self.name, re.escape(DOMAIN)), data):
            raise AssertionError("%s: registration failed:%s" % (self.name, data))
        return re.search(r"sip:%s@%s\s+OK\b" % (self.name, re.escape(DOMAIN)), data) is not None

    def send_message(self, text):
        """MESSAGE to the peer (the current contact)."""
        reply = self.ctrl.command("message", text)
        if not reply.get("ok"):
            raise AssertionError("%s: message command failed: %r" % (self.name, reply))

    def shown(self, sender, text):
        """True once the UI showed `text` as a MESSAGE from `sender` (exactly)."""
        self.assert_alive()
        line = '%s: "%s"' % (sender.aor, text)
        return any(l.strip("\r") == line for l in read_text(self.stderr_path).splitlines())

    def trace(self):
        return parse_trace(read_text(self.stdout_path))

    def stop(self):
        """SIGTERM (baresip un-REGISTERs, then exits); returns the exit status or None."""
        if self.ctrl is not None:
            self.ctrl.close()
            self.ctrl = None
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        try:
            if proc.poll() is not None:
                return proc.returncode
            proc.send_signal(signal.SIGTERM)
            try:
                return proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT)
                return None
        finally:
            proc.stdin.close()


# baresip's SIP trace (-s) ----------------------------------------------------------------


class Traced:
    """One SIP message of a baresip trace: "PROTO src -> dst" and the message itself."""

    def __init__(self, proto, src, dst, start_line, headers, body):
        self.proto, self.src, self.dst = proto, src, dst
        self.start_line, self.headers, self.body = start_line, headers, body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def status(self):
        m = re.match(r"SIP/2\.0 (\d{3}) ", self.start_line)
        return int(m.group(1)) if m else None

    @property
    def method(self):
        return None if self.status else self.start_line.split(" ", 1)[0]

    @property
    def cseq_method(self):
        cseq = self.header("CSeq") or ""
        return cseq.split()[-1] if cseq.split() else None

    def __repr__(self):
        return "<%s %s -> %s: %s>" % (self.proto, self.src, self.dst, self.start_line)


def parse_trace(text):
    """baresip -s writes each message as ESC[36;1m#\\nPROTO src -> dst\\nMESSAGE ESC[;m."""
    out = []
    for chunk in text.split("\x1b[36;1m#\n")[1:]:
        chunk = chunk.split("\x1b[;m", 1)[0]
        first, _, message = chunk.partition("\n")
        m = re.match(r"(\w+) (\S+) -> (\S+)$", first.strip())
        if not m:
            continue
        head, _, body = message.partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers.append((name.strip(), value.strip()))
        out.append(Traced(m.group(1), m.group(2), m.group(3), lines[0], headers, body))
    return out


# The test --------------------------------------------------------------------------------


@unittest.skipUnless(BARESIP, "baresip not installed (Debian: apt-get install baresip-core)")
class BaresipInteropTest(unittest.TestCase):
    def setUp(self):
        self.confabd_binary = os.environ.get("CONFABD")
        if not self.confabd_binary or not os.access(self.confabd_binary, os.X_OK):
            self.fail("set CONFABD to the confabd binary (CTest does)")
        self.dir = tempfile.mkdtemp(prefix="confab-baresip-")
        self.server = Confabd(self.dir)
        self.agents = []
        self.addCleanup(self.cleanup)

    def cleanup(self):
        for agent in self.agents:
            agent.stop()
        self.server.stop()
        failed = self.failed()
        if failed:
            self.dump_logs()
        if failed or os.environ.get("CONFAB_KEEP_TMP"):
            sys.stderr.write("baresip interop files kept in %s\n" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def failed(self):
        """Whether this test has failed so far (unittest internals: 3.11+, then older)."""
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        if hasattr(outcome, "errors"):  # Python < 3.11
            return any(exc is not None for _, exc in outcome.errors)
        result = getattr(outcome, "result", None)
        return result is not None and any(
            test is self for test, _ in result.failures + result.errors)

    def dump_logs(self):
        files = [("confabd", self.server.log_path)]
        for agent in self.agents:
            files += [(agent.name + " stdout", agent.stdout_path),
                      (agent.name + " stderr", agent.stderr_path)]
        for title, path in files:
            sys.stderr.write("----- %s: %s (last 80 lines)\n%s\n" % (title, path, tail(path)))

    # --------------------------------------------------------------------------------------

    def final_for(self, agent, text, method="MESSAGE"):
        """The finals `agent` received for the request it sent with body `text`, once a 2xx is there."""
        trace = agent.trace()
        sent = [t for t in trace if t.method == method and t.body == text]
        if not sent:
            return None
        call_id = sent[-1].header("Call-ID")
        finals = [t.status for t in trace
                  if t.status and t.status >= 200 and t.header("Call-ID") == call_id
                  and t.cseq_method == method]
        if any(s >= 300 and s != 407 for s in finals):
            raise AssertionError("%s's %s got %s\n%r" % (agent.name, method, finals, sent[-1]))
        return finals if 200 in finals else None

    def exchange(self, transport):
        self.server.start(self.confabd_binary)
        port = self.server.ports[transport]
        alice = Baresip(self.dir, "alice", "bob", transport, port)
        bob = Baresip(self.dir, "bob", "alice", transport, port)
        self.agents = [alice, bob]
        for agent in self.agents:
            agent.start()

        for agent in self.agents:
            wait_for(agent.registered, REGISTER_TIMEOUT, "%s REGISTERed over %s" % (agent.name, transport))
            # Digest: the first REGISTER is challenged, the authenticated one gets a 200.
            finals = [t.status for t in agent.trace() if t.cseq_method == "REGISTER" and t.status]
            self.assertIn(401, finals, "%s's REGISTER was not challenged" % agent.name)
            self.assertIn(200, finals, "%s's REGISTER got no 200" % agent.name)
            for t in agent.trace():
                if t.method == "REGISTER":
                    self.assertEqual(t.proto, transport.upper(), t)

        tag = uuid.uuid4().hex[:8]
        hello = "Hello bob, this is alice over %s #%s" % (transport, tag)
        alice.send_message(hello)
        # final_for fails at once on an error final, so a refused MESSAGE fails fast.
        finals = wait_for(lambda: self.final_for(alice, hello), MESSAGE_TIMEOUT,
                          "alice to get the 200 for her MESSAGE")
        wait_for(lambda: bob.shown(alice, hello), MESSAGE_TIMEOUT, "bob to show alice's text")
        self.assertIn(407, finals, "alice's MESSAGE was not challenged (auth.requests is on)")

        # bob got it from confabd's listener: over TCP, on the connection he registered on.
        received = [t for t in bob.trace() if t.method == "MESSAGE" and t.body == hello]
        self.assertEqual(len(received), 1, received)
        self.assertEqual(received[0].proto, transport.upper(), received[0])
        self.assertEqual(received[0].src, "%s:%d" % (HOST, port), received[0])
        self.assertEqual(received[0].header("From").split(";")[0], "<%s>" % alice.aor)
        if transport == "tcp":
            registers = [t for t in bob.trace() if t.method == "REGISTER"]
            self.assertEqual(received[0].dst, registers[-1].src,
                             "the MESSAGE came on a new connection, not bob's registration flow")

        reply = "Grüße alice, bob here over %s, got #%s" % (transport, tag)  # UTF-8 body
        bob.send_message(reply)
        wait_for(lambda: self.final_for(bob, reply), MESSAGE_TIMEOUT,
                 "bob to get the 200 for his reply")
        wait_for(lambda: alice.shown(bob, reply), MESSAGE_TIMEOUT, "alice to show bob's reply")

        # Clean teardown: user agents first (they un-REGISTER), then confabd.
        for agent in self.agents:
            self.assertIsNotNone(agent.stop(), "%s's baresip did not exit after SIGTERM" % agent.name)
        code = self.server.stop()
        self.assertEqual(code, 0, "confabd exit status after SIGTERM (None: had to be killed)")

    def test_message_tcp(self):
        self.exchange("tcp")

    def test_message_udp(self):
        self.exchange("udp")


if __name__ == "__main__":
    unittest.main()
