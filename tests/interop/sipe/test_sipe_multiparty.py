"""pidgin-sipe in a multiparty IM conversation held by confabd's focus (the mesh form,
core-server/im/MULTIPARTY.md §3).

carol and bob (standard page-mode clients, tests/integration/sipclient.py) and alice (sipe)
share a conversation sip:im-conf-<id>@domain. confabd opens one dialog per other member
towards sipe, From that member, with TriggeredInvite. Asserted: sipe shows a chat whose
user list has carol and bob; carol's message appears under carol; sipe's post (one copy
per member on the wire) reaches carol and bob once each; when bob is removed, sipe's user
list drops him.

Run: CONFABD=... SIPE_DRIVER=... python3 -m unittest -v test_sipe_multiparty
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))

from confabtest import poll  # noqa: E402
from imclient import AutoAnswer  # noqa: E402
from server import DOMAIN  # noqa: E402
from test_sipe_signin import SIGNIN_TIMEOUT, SipeTestCase  # noqa: E402

# sipe answers a multiparty INVITE up to 10 s late when it may have other endpoints (MPOP).
CHAT_TIMEOUT = float(os.environ.get("CONFAB_SIPE_CHAT_TIMEOUT", "40"))
CONF = "sip:im-conf-sipe@%s" % DOMAIN


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


class SipeMultipartyTest(SipeTestCase):
    SERVER_CONFIG = dict(SipeTestCase.SERVER_CONFIG, im={"flood_max_messages": 0})

    def refer(self, ua, user, method=None):
        target = aor(user) + (";method=%s" % method if method else "")
        return ua.request("REFER", CONF, headers=[("Refer-To", "<%s>" % target)])

    def test_sipe_shows_the_members_and_chats_with_them(self):
        alice = self.signed_in("alice")
        ends = [self.registered("tcp", u) for u in ("carol", "bob")]
        carol = self.client("tcp", "carol")
        with AutoAnswer(ends[0]) as c, AutoAnswer(ends[1]) as b:
            self.assertStatus(self.refer(carol, "alice"), 202, carol)
            self.assertStatus(self.refer(carol, "bob"), 202, carol)
            alice.wait_for("chat-joined", CHAT_TIMEOUT)
            for member in ("carol", "bob"):
                alice.wait_for("chat-user-joined", CHAT_TIMEOUT, since=0,
                               match={"name": aor(member)})

            self.assertStatus(carol.send_message(CONF, "hello sipe"), 202, carol)
            got = alice.wait_for("chat", CHAT_TIMEOUT, match={"text": "hello sipe"})
            self.assertEqual(got.get("from"), aor("carol"))

            alice.send_chat("*", "hello from sipe")
            self.assertTrue(poll(lambda: "hello from sipe" in c.texts()
                                 and "hello from sipe" in b.texts(), timeout=CHAT_TIMEOUT),
                            "sipe's post did not reach both\n%s" % alice.log_tail())

            self.assertStatus(self.refer(carol, "bob", method="BYE"), 202, carol)
            alice.wait_for("chat-user-left", CHAT_TIMEOUT, match={"name": aor("bob")})
            # Asked last, so that any second copy has had the whole flow to arrive.
            self.assertEqual(c.texts().count("hello from sipe"), 1)
            self.assertEqual(b.texts().count("hello from sipe"), 1)


if __name__ == "__main__":
    unittest.main()
