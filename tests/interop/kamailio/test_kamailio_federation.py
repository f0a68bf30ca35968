"""Federation interop with Kamailio (Debian packages kamailio + kamailio-presence-modules) as
the other domain: Confab serves a.test on 127.0.0.1, Kamailio serves b.test on 127.0.0.3 with
kamailio.cfg (registrar, presence server, MESSAGE relay, everything for a.test to Confab).

alice@a.test registers on Confab, zoe@b.test on Kamailio; MESSAGE both ways and presence
both ways (zoe watches alice through Kamailio; alice watches zoe through Confab and
Kamailio's presence server notifies her of zoe's PUBLISH). Confab trusts Kamailio by its
source address (Kamailio binds its outgoing TCP to 127.0.0.3).

Skipped when kamailio is not installed. Needs CONFABD (set by CTest)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))

from fedtest import (A_CLIENTS, A_DOMAIN, A_HOST, B_CLIENTS, B_DOMAIN, KAMAILIO_HOST,  # noqa: E402
                     BoundStreamTransport, FedServer, Watch, basic_status, federation, leaked,
                     free_port, peer, pidf, publish, user_agent)
from sipclient import Responder, SipClient, parse_name_addr, uri_key  # noqa: E402

KAMAILIO = os.environ.get("KAMAILIO", "/usr/sbin/kamailio")
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
START_TIMEOUT = 15.0


def kamailio_missing():
    if not os.access(KAMAILIO, os.X_OK):
        return "kamailio not installed (apt-get install kamailio kamailio-presence-modules)"
    for mod in ("presence.so", "presence_xml.so", "registrar.so", "usrloc.so"):
        if not os.path.exists(os.path.join(MODULES, mod)):
            return "kamailio module %s missing (apt-get install kamailio-presence-modules)" % mod
    if not os.environ.get("CONFABD"):
        return "CONFABD is not set (run through CTest)"
    return None


def aor(user, domain):
    return "sip:%s@%s" % (user, domain)


class Kamailio:
    """kamailio in the foreground (-DD -E) with kamailio.cfg in its own temp dir (also used
    by tools/bench/federation/fed_bench.py, with trace=False)."""

    def __init__(self, host, confab_tcp_port, trace=True, children=2, shm_mb=256):
        self.host = host
        self.port = free_port(host)
        self.dir = tempfile.mkdtemp(prefix="confab-kamailio-")
        self.stderr_path = os.path.join(self.dir, "kamailio.stderr")
        self.cmd = [KAMAILIO, "-f", os.path.join(HERE, "kamailio.cfg"), "-DD", "-E",
                    "-Y", self.dir, "-w", self.dir, "-m", str(shm_mb), "-M", "32",
                    "-n", str(children), "-N", str(children),
                    "-l", "udp:%s:%d" % (host, self.port), "-l", "tcp:%s:%d" % (host, self.port),
                    "-A", 'CONFAB_URI="sip:%s:%d;transport=tcp"' % (A_HOST, confab_tcp_port),
                    "-A", 'PRESENCE_ADDRESS="sip:%s@%s:%d;transport=tcp"' % (
                        B_DOMAIN, host, self.port)]
        if trace:
            self.cmd += ["-A", "WITH_TRACE"]
        self.proc = None

    def start(self):
        err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=err, stderr=err)
        err.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("kamailio exited with %s\n%s" % (self.proc.returncode,
                                                                     self.tail()))
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)  # polling the port, bounded by the deadline
        self.stop()
        raise AssertionError("kamailio did not listen within %.0fs\n%s" % (START_TIMEOUT,
                                                                           self.tail()))

    def tail(self, lines=40):
        try:
            with open(self.stderr_path, "rb") as fh:
                text = fh.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return "(no kamailio stderr)"
        return "---- kamailio stderr (%s) ----\n%s" % (self.stderr_path, "\n".join(text[-lines:]))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if not os.environ.get("CONFAB_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipIf(kamailio_missing(), kamailio_missing() or "")
class KamailioFederationTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.confab = FedServer(A_DOMAIN, A_HOST)
        cls.kamailio = Kamailio(KAMAILIO_HOST, cls.confab.port("tcp"))
        cls.confab.set_federation(federation([
            peer(B_DOMAIN, {"host": KAMAILIO_HOST, "port": cls.kamailio.port, "transport": "tcp"},
                 sources=["%s/32" % KAMAILIO_HOST], presence="allow")]))
        try:
            cls.confab.start()
            cls.kamailio.start()
        except BaseException:
            cls.kamailio.stop()
            cls.confab.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.kamailio.stop()
            cls.confab.stop()
        finally:
            cls.confab.cleanup()

    def setUp(self):
        self.confab.assert_alive()
        self.assertIsNone(self.kamailio.proc.poll(), self.kamailio.tail())

    def diagnostics(self):
        return "%s\n%s" % (self.confab.stderr_tail(30), self.kamailio.tail(30))

    def check(self, resp, code, what):
        if resp is None or resp.status != code:
            self.fail("%s: expected %d, got %s\n%s\n%s" % (
                what, code, resp.summary() if resp else "no response", resp or "",
                self.diagnostics()))

    # UAs ---------------------------------------------------------------------------------

    def alice(self, user="alice", register=True):
        ua = user_agent(self.confab, user, "tcp")
        self.addCleanup(ua.close)
        if register:
            self.check(ua.register(expires=600), 200, "%s REGISTER on Confab" % user)
        return ua

    def zoe(self, user="zoe", register=True):
        server = (KAMAILIO_HOST, self.kamailio.port)
        t = BoundStreamTransport(server, B_CLIENTS)
        ua = SipClient(t, server, user, None, domain=B_DOMAIN)
        self.addCleanup(ua.close)
        if register:
            self.check(ua.register(expires=600), 200, "%s REGISTER on Kamailio" % user)
        return ua

    def deliver(self, sender, target, target_domain, text, hidden):
        with Responder(target, 200, timeout=15) as answer:
            resp = sender.send_message(aor(target.user, target_domain), text, timeout=10)
        self.check(resp, 200, "MESSAGE %s -> %s" % (sender.aor, target.aor))
        self.assertEqual([r.text() for r in answer.requests], [text])
        req = answer.requests[0]
        self.assertEqual(uri_key(parse_name_addr(req.header("From")).uri), uri_key(sender.aor),
                         req)
        if hidden:
            self.assertEqual(leaked(req, hidden), [], req)

    # Tests -------------------------------------------------------------------------------

    def test_message_confab_to_kamailio(self):
        zoe = self.zoe()
        alice = self.alice(register=False)
        self.deliver(alice, zoe, B_DOMAIN, "hello zoe on Kamailio", hidden=A_CLIENTS)

    def test_message_kamailio_to_confab(self):
        alice = self.alice()
        zoe = self.zoe(register=False)
        self.deliver(zoe, alice, A_DOMAIN, "hello alice, from Kamailio", hidden=None)

    def test_kamailio_user_watches_confab_user(self):
        bob = self.alice("bob")
        yves = self.zoe("yves")
        w = Watch(yves, aor("bob", A_DOMAIN))
        self.check(w.response, 200, "SUBSCRIBE yves@b.test -> bob@a.test via Kamailio")
        self.assertEqual(leaked(w.response, A_CLIENTS), [], w.response)
        first = w.notify(timeout=5.0)
        self.assertIsNotNone(first, "no NOTIFY from Confab reached the Kamailio user\n%s"
                             % self.diagnostics())
        self.assertEqual(basic_status(first), "open", first)
        note = "busy across to Kamailio"
        started = time.monotonic()
        self.check(publish(bob, pidf(bob.aor, activity="busy", note=note)), 200, "PUBLISH")
        busy = w.notify(timeout=3.0, predicate=lambda r: note in r.text())
        self.assertIsNotNone(busy, "the publication did not reach the Kamailio user\n%s"
                             % self.diagnostics())
        self.assertLess(time.monotonic() - started, 1.0)
        self.check(w.subscribe(0), 200, "unsubscribe")

    def test_confab_user_watches_kamailio_user(self):
        carol = self.alice("carol")
        xena = self.zoe("xena")
        w = Watch(carol, aor("xena", B_DOMAIN))
        self.check(w.response, 200, "SUBSCRIBE carol@a.test -> xena@b.test via Confab")
        self.assertIsNotNone(w.notify(timeout=5.0),
                             "no NOTIFY from Kamailio reached the Confab user\n%s"
                             % self.diagnostics())
        note = "xena is in a meeting"
        started = time.monotonic()
        self.check(xena.request("PUBLISH", xena.aor, headers=[("Event", "presence"),
                                                             ("Expires", "60")],
                                body=pidf(xena.aor, activity="busy", note=note),
                                content_type="application/pidf+xml"),
                   200, "PUBLISH on Kamailio")
        busy = w.notify(timeout=3.0, predicate=lambda r: note in r.text())
        self.assertIsNotNone(busy, "Kamailio's NOTIFY with the publication did not reach "
                             "the Confab user\n%s" % self.diagnostics())
        self.assertLess(time.monotonic() - started, 1.0)
        self.check(w.subscribe(0), 200, "unsubscribe (in dialog, through Confab)")


if __name__ == "__main__":
    unittest.main()
