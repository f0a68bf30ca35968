"""pidgin-sipe logs on to confabd with NTLM ([MS-SIPAE]), as OCS/Lync clients do.

No trusted network here: confabd challenges sipe's REGISTER with NTLM (its dialect cannot
do digest), checks the AUTHENTICATE against the user's stored NT hash, and from then on
signs every message it sends on sipe's connection (sipe drops unsigned ones) and verifies
every request sipe signs. A wrong password never signs in; IM between two NTLM clients
exercises signatures both ways (requests relayed to sipe and sipe's signed requests).

Run: CONFABD=... SIPE_DRIVER=... python3 -m unittest -v test_sipe_ntlm
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))

from server import DOMAIN, password_of  # noqa: E402
from sip_trace import answers_to, requests  # noqa: E402
from sipe_peer import SipePeerError  # noqa: E402,F401
from test_sipe_signin import EVENT_TIMEOUT, SIGNIN_TIMEOUT, SipeTestCase  # noqa: E402


class NtlmTest(SipeTestCase):
    SERVER_CONFIG = {"server": {"trace_sip": True},
                     "auth": {"trusted_networks": []}}

    def ntlm_peer(self, name, password=None, transport="tcp"):
        return self.peer(name, transport,
                         password=password if password is not None else password_of(name))

    def check_logon(self, transport):
        alice = self.ntlm_peer("alice", transport=transport)
        alice.wait_for("signed-in", SIGNIN_TIMEOUT)
        registers = [r for r in requests(self.trace(), "REGISTER")
                     if "<sip:alice@%s>" % DOMAIN in (r.header("From") or "")]
        # Offer, challenge, AUTHENTICATE: three REGISTERs before the 200.
        self.assertGreaterEqual(len(registers), 3, alice.describe())
        first = answers_to(self.trace(), registers[0])
        self.assertEqual(first[-1].status, 401)
        self.assertIn("NTLM", first[-1].header("WWW-Authenticate") or "")
        final = [a for r in registers for a in answers_to(self.trace(), r) if a.status == 200]
        self.assertTrue(final, "no 200 to any REGISTER\n%s" % alice.describe())
        self.assertIn('rspauth="', final[0].header("Authentication-Info") or "")
        alice.ping()
        self.server.assert_alive()

    def test_logon_tcp(self):
        self.check_logon("tcp")

    def test_logon_tls(self):
        self.check_logon("tls")

    def test_wrong_password_never_signs_in(self):
        mallory = self.ntlm_peer("alice", password="not-the-password")
        error = mallory.wait_for("connection-error", SIGNIN_TIMEOUT, fail_on=("signed-in",))
        self.assertTrue(error, mallory.describe())
        self.server.assert_alive()

    def test_im_between_ntlm_clients(self):
        alice = self.ntlm_peer("alice")
        bob = self.ntlm_peer("bob")
        alice.wait_for("signed-in", SIGNIN_TIMEOUT)
        bob.wait_for("signed-in", SIGNIN_TIMEOUT)
        alice.send_im("bob@%s" % DOMAIN, "signed hello")
        got = bob.wait_for("im", EVENT_TIMEOUT, match={"from": "sip:alice@%s" % DOMAIN})
        self.assertEqual(got["text"], "signed hello")
        bob.send_im("alice@%s" % DOMAIN, "signed reply")
        got = alice.wait_for("im", EVENT_TIMEOUT, match={"from": "sip:bob@%s" % DOMAIN})
        self.assertEqual(got["text"], "signed reply")
        self.server.assert_alive()


if __name__ == "__main__":
    unittest.main()
