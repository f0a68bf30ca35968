#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Interop: a real baresip (Debian baresip-core, `presence` module) and confabd's presence.

What it checks, over TCP:
  * bob's baresip registers with confabd (digest) and, because its contacts file lists
    alice with `;presence=p2p`, its presence module SUBSCRIBEs (Event: presence) to
    sip:alice@example.test through confabd (challenged 407, then 200/202);
  * alice is a Python SIP client (tests/integration/sipclient.py): she registers and
    PUBLISHes PIDF with <rpid:busy/> and a note; baresip's `contacts` command (ctrl_tcp)
    then shows alice as Busy. She publishes <rpid:away/>: baresip shows her Offline
    (baresip maps away to closed). Her publication removed and her registration gone:
    baresip shows Offline;
  * bob's baresip publishes its own state (account `pubint`, PUBLISH application/pidf+xml):
    a Python watcher (carol) subscribed to bob sees <basic>open</basic>, then `closed` after
    the `presence_offline` command, and `open` again after `presence_online`.

Running it
  CTest:   ctest --test-dir BUILD -R interop.baresip_presence --output-on-failure
  By hand: CONFABD=BUILD/proxy/main/confabd python3 tests/interop/baresip/test_baresip_presence.py -v
  Needs:   baresip with /usr/lib/baresip/modules/presence.so (skipped without them).

baresip 1.0.0's presence module reads only <basic> and the <rpid:away/>, <rpid:busy/>,
<rpid:on-the-phone/> elements (exactly those prefixes; modules/presence/subscriber.c):
confabd's PIDF writes RPID with the rpid: prefix, which is what makes Busy show. The note is
not shown by baresip; the SIP trace is checked for it instead.
"""

import os
import re
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))

import baresip_test as bt  # noqa: E402  (the confabd/baresip drivers of the MESSAGE test)
from presence_helpers import PIDF, pidf, publish  # noqa: E402
from sipclient import SipClient  # noqa: E402

PRESENCE_TIMEOUT = 10.0
bt.PASSWORDS.update({"carol": "carolpw"})


class PresenceConfabd(bt.Confabd):
    """confabd accepting bob's short publications (see PresenceBaresip)."""

    def write_config(self):
        super().write_config()
        with open(self.config_path, "a") as fh:
            fh.write("presence:\n  publish_min_expires: 1\n")


class PresenceBaresip(bt.Baresip):
    """bob's baresip with the presence module, alice as a p2p presence contact, and
    PUBLISH of its own state (`pubint`).

    baresip 1.0.0 publishes twice at start-up (a timer and the registration both send an
    initial PUBLISH): two publications, and it keeps refreshing only the last ETag. The
    other stays open until it expires, so the aggregate stays open after
    `presence_offline` for that long: pubint=3 makes that a few seconds."""

    def write_files(self, ctrl_port):
        super().write_files(ctrl_port)
        with open(os.path.join(self.dir, "config"), "a") as fh:
            fh.write("module_app\t\tpresence.so\n")
        with open(os.path.join(self.dir, "accounts"), "w") as fh:
            fh.write('<%s;transport=%s>;auth_pass=%s;outbound="sip:%s:%d;transport=%s";'
                     "regint=600;pubint=3\n" % (self.aor, self.transport,
                                                  bt.PASSWORDS[self.name], bt.HOST,
                                                  self.server_port, self.transport))
        with open(os.path.join(self.dir, "contacts"), "w") as fh:
            fh.write('"%s" <sip:%s@%s>;presence=p2p\n' % (self.peer, self.peer, bt.DOMAIN))

    def contact_status(self, user):
        """The status word `contacts` prints on the line of `user`, lowercased, or None."""
        data = bt.ANSI.sub("", self.ctrl.command("contacts").get("data", ""))
        for line in data.splitlines():
            if "sip:%s@" % user in line:
                m = re.search(r"\b(unknown|online|offline|busy|open|closed)\b", line, re.I)
                return m.group(1).lower() if m else line.strip()
        return None


@unittest.skipUnless(bt.BARESIP and os.path.exists(os.path.join(bt.MODULE_PATH, "presence.so")),
                     "baresip or its presence module is not installed (apt-get install "
                     "baresip-core)")
class BaresipPresenceTest(unittest.TestCase):

    def setUp(self):
        confabd = os.environ.get("CONFABD")
        if not confabd:
            self.fail("CONFABD is not set (the confabd binary)")
        self.passed = False  # set by the test's last line: logs are printed and kept otherwise
        self.workdir = tempfile.mkdtemp(prefix="confab-baresip-presence-")
        self.server = PresenceConfabd(self.workdir)
        self.server.start(confabd)
        self.addCleanup(self.cleanup)
        self.bob = PresenceBaresip(self.workdir, "bob", "alice", "tcp", self.server.ports["tcp"])

    def cleanup(self):
        bob_status = self.bob.stop()
        server_status = self.server.stop()
        if not self.passed or os.environ.get("CONFAB_KEEP_TMP") == "1":
            sys.stderr.write("kept %s (confabd.log, bob.stdout.log)\n" % self.workdir)
            sys.stderr.write("bob:\n%s\n" % bt.tail(self.bob.stdout_path, 60))
            sys.stderr.write("confabd:\n%s\n" % bt.tail(self.server.log_path, 60))
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.assertIn(bob_status, (0, None))
        self.assertEqual(server_status, 0)

    def client(self, user):
        ua = SipClient("tcp", (bt.HOST, self.server.ports["tcp"]), user, bt.PASSWORDS[user],
                       domain=bt.DOMAIN)
        self.addCleanup(ua.close)
        return ua

    def publish(self, ua, body, expires=600, etag=None):
        resp = publish(ua, body, expires, etag)
        self.assertIsNotNone(resp, "no answer to PUBLISH")
        self.assertEqual(resp.status, 200, resp)
        return resp.header("SIP-ETag")

    def wait_status(self, user, wanted):
        bt.wait_for(lambda: self.bob.contact_status(user) == wanted, PRESENCE_TIMEOUT,
                    "baresip to show %s as %s (now %r)"
                    % (user, wanted, self.bob.contact_status(user)))

    def test_baresip_watches_a_standard_publisher_and_publishes_itself(self):
        alice = self.client("alice")
        self.assertEqual(alice.register(expires=600).status, 200)
        self.bob.start()
        bt.wait_for(self.bob.registered, bt.REGISTER_TIMEOUT, "bob's baresip to register")

        # baresip subscribes to alice about a second after start-up; she is registered
        # without publishing: online.
        self.wait_status("alice", "online")
        etag = self.publish(alice, pidf("alice", "open", "busy", "In a meeting"))
        self.wait_status("alice", "busy")
        trace = bt.read_text(self.bob.stdout_path)
        self.assertIn("In a meeting", trace, "the note never reached baresip")
        etag = self.publish(alice, pidf("alice", "open", "away"), etag=etag)
        self.wait_status("alice", "offline")  # baresip shows away as closed
        self.publish(alice, pidf("alice", "open"), etag=etag)
        self.wait_status("alice", "online")

        # bob's own publication, seen by a standard watcher.
        carol = self.client("carol")
        call_id = carol.new_call_id()
        resp = carol.request("SUBSCRIBE", self.bob.aor, call_id=call_id,
                             headers=[("Event", "presence"), ("Accept", PIDF),
                                      ("Expires", "600"),
                                      ("Contact", "<%s>" % carol.contact_uri)])
        self.assertIsNotNone(resp)
        self.assertEqual(resp.status, 200, resp)

        def basic_seen(wanted):
            deadline = time.monotonic() + PRESENCE_TIMEOUT
            last = None
            while time.monotonic() < deadline:
                req = carol.recv_request(max(0.0, deadline - time.monotonic()))
                if req is None:
                    break
                if req.method != "NOTIFY":
                    continue
                carol.reply(req, 200)
                m = re.search(r"<basic>(\w+)</basic>", req.text())
                last = m.group(1) if m else None
                if req.call_id == call_id and last == wanted:
                    return
            self.fail("carol never saw bob %s (last: %r)" % (wanted, last))

        basic_seen("open")
        self.assertTrue(self.bob.ctrl.command("presence_offline").get("ok"))
        basic_seen("closed")
        self.assertTrue(self.bob.ctrl.command("presence_online").get("ok"))
        basic_seen("open")
        self.assertIn("PUBLISH sip:bob@%s" % bt.DOMAIN, bt.read_text(self.bob.stdout_path))
        self.passed = True


if __name__ == "__main__":
    unittest.main()
