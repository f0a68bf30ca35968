#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Interop (issue 4): a real baresip (Debian baresip-core) chats in page mode through confabd.

  * test_baresip_and_python_ua_both_ways: alice is a baresip registered over TCP (digest);
    carol is the Python SIP UA of tests/integration (sipclient.py), registered over TCP.
    carol -> alice: baresip shows exactly carol's text and carol gets the 200; alice ->
    carol (baresip's `message` command over ctrl_tcp): carol receives exactly alice's text
    From alice on the connection she registered on, and baresip sees the 200.
  * test_sipp_page_burst_none_lost: sipp (Debian sip-tester) sends MESSAGE_COUNT page-mode
    MESSAGEs as carol (uac_page_burst.xml, digest 407 answered) to alice's baresip; sipp
    must end with every one answered 200, and baresip must have shown each "page N" exactly
    once (none lost, none repeated).

Running it
  CTest:   ctest --test-dir BUILD -R interop.baresip.im --output-on-failure
  By hand: CONFABD=BUILD/proxy/main/confabd python3 tests/interop/baresip/test_baresip_im.py -v
  Needs baresip (skipped without it); the burst test also needs sipp (skipped without it).
  The driver is baresip_driver.py (shared with the other baresip interop tests).
"""

import os
import shutil
import socket
import subprocess
import sys
import unittest

from baresip_driver import (DOMAIN, HOST, INTEGRATION, MESSAGE_TIMEOUT, REGISTER_TIMEOUT,
                            BaresipCase, wait_for)

sys.path.insert(0, INTEGRATION)
from sipclient import Responder, SipClient, parse_name_addr, uri_key  # noqa: E402

SIPP = os.environ.get("SIPP", "")
if not SIPP or SIPP.endswith("NOTFOUND"):  # CMake's value when sipp was not found
    SIPP = shutil.which("sipp")
HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGE_COUNT = 300
SIPP_TIMEOUT = 90.0


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class BaresipImTest(BaresipCase):
    USERS = {"alice": "alicepw", "carol": "carolpw"}
    # The burst comes from one sender: no per-sender flood limit here.
    EXTRA_YAML = "im:\n  flood_max_messages: 0\n"
    # SIPp computes MD5 digests only (the scenario's User-Agent), like baresip.
    MD5_ONLY_USER_AGENTS = ["baresip", "confab-interop-sipp"]

    def python_ua(self, user):
        ua = SipClient("tcp", (HOST, self.server.ports["tcp"]), user, self.USERS[user],
                       domain=DOMAIN, timeout=MESSAGE_TIMEOUT)
        self.addCleanup(ua.close)
        return ua

    def test_baresip_and_python_ua_both_ways(self):
        self.start_server()
        alice = self.start_agent("alice", peer=aor("carol"))
        wait_for(alice.registered, REGISTER_TIMEOUT, "alice's baresip registered")
        carol = self.python_ua("carol")
        self.assertEqual(carol.register(expires=600).status, 200)

        # Python UA -> baresip.
        text = "hello alice, from carol's python UA"
        resp = carol.send_message(aor("alice"), text)
        self.assertEqual(resp.status, 200, str(resp))
        wait_for(lambda: alice.messages_from(aor("carol")) == [text], MESSAGE_TIMEOUT,
                 "alice's baresip to show carol's text")

        # baresip -> Python UA, on carol's registered connection.
        reply = "hi carol, alice on baresip here"
        with Responder(carol, 200, timeout=MESSAGE_TIMEOUT) as got:
            alice.send_message(reply)
        self.assertEqual([r.text() for r in got.requests], [reply])
        msg = got.requests[0]
        self.assertEqual(msg.method, "MESSAGE")
        self.assertEqual(uri_key(parse_name_addr(msg.header("From")).uri), uri_key(aor("alice")))
        self.assertTrue(msg.header("Content-Type", "").startswith("text/plain"))
        wait_for(lambda: 200 in alice.sent_finals().get(reply, []), MESSAGE_TIMEOUT,
                 "the 200 to alice's MESSAGE")

    @unittest.skipUnless(SIPP, "sipp not installed (Debian: apt-get install sip-tester)")
    def test_sipp_page_burst_none_lost(self):
        self.start_server()
        alice = self.start_agent("alice", peer=aor("carol"))
        wait_for(alice.registered, REGISTER_TIMEOUT, "alice's baresip registered")
        out_path = os.path.join(self.dir, "sipp.out")
        err_path = os.path.join(self.dir, "sipp_errors.log")
        self.extra_logs += [("sipp", out_path), ("sipp errors", err_path)]
        command = [SIPP, "-sf", os.path.join(HERE, "uac_page_burst.xml"),
                   "%s:%d" % (HOST, self.server.ports["tcp"]), "-s", "alice",
                   "-au", "carol", "-ap", self.USERS["carol"], "-i", HOST,
                   "-p", str(free_tcp_port()), "-t", "t1", "-m", str(MESSAGE_COUNT),
                   "-r", "100", "-l", "50", "-timeout", "60s", "-timeout_error", "-nostdin",
                   "-trace_err", "-error_file", err_path]
        with open(out_path, "wb") as out:
            rc = subprocess.run(command, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, timeout=SIPP_TIMEOUT).returncode
        self.assertEqual(rc, 0, "sipp exited %d: not every MESSAGE got its 200" % rc)
        expected = ["page %d" % n for n in range(1, MESSAGE_COUNT + 1)]

        def all_shown():
            return len(alice.messages_from(aor("carol"))) >= MESSAGE_COUNT

        wait_for(all_shown, MESSAGE_TIMEOUT, "%d MESSAGEs shown by baresip" % MESSAGE_COUNT)
        shown = [t.rstrip("\r\n") for t in alice.messages_from(aor("carol"))]
        self.assertEqual(sorted(shown), sorted(expected), "lost or repeated MESSAGEs")


if __name__ == "__main__":
    unittest.main()
