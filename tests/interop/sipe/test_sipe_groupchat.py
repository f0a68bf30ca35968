"""pidgin-sipe's persistent group chat (sipe-groupchat.c) against confabd.

sipe learns the chat pool URI from the provisioning-v2 document confabd sends
(persistentChatConfiguration), INVITEs the lookup service, follows rpl:requri to the
channel service and joins a room there. Asserted: a post from the sipe client reaches a
Python group-chat client (tests/integration/groupchat_client.py) in the same room, and a
post from the Python client reaches sipe.

Run: CONFABD=... SIPE_DRIVER=... python3 -m unittest -v test_sipe_groupchat
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))

from groupchat_client import chanid, code_of, q, sign_in  # noqa: E402
from server import DOMAIN  # noqa: E402
from test_sipe_signin import SIGNIN_TIMEOUT, SipeTestCase  # noqa: E402

CHAT_TIMEOUT = float(os.environ.get("CONFAB_SIPE_CHAT_TIMEOUT", "30"))
LOOKUP = "sip:ocschat@%s" % DOMAIN


class SipeGroupChatTest(SipeTestCase):
    SERVER_CONFIG = dict(SipeTestCase.SERVER_CONFIG,
                         groupchat={"rooms": [{"name": "Lobby", "description": "meet"}]})

    def test_posts_cross_between_sipe_and_a_python_client(self):
        bob = sign_in(self.client("tcp", "bob"), LOOKUP)
        rpl = bob.command("chansrch", '<qib qtype="BYNAME" criteria="" extended="false"/>')
        lobby = rpl.find(q("data")).find(q("chanib")).get("uri")
        self.assertEqual(code_of(bob.command("join", chanid(lobby))), 200)

        alice = self.peer("alice")
        alice.wait_for("signed-in", SIGNIN_TIMEOUT)
        alice.join_chat(lobby)  # queued by sipe until its chat session is up
        joined = alice.wait_for("chat-joined", CHAT_TIMEOUT)
        room = joined.get("name") or "Lobby"

        alice.send_chat(room, "hello from sipe")
        chats = bob.chats(timeout=CHAT_TIMEOUT)
        self.assertEqual([(c.get("author"), c.find(q("chat")).text) for c in chats],
                         [("sip:alice@%s" % DOMAIN, "hello from sipe")])

        self.assertEqual(bob.post(lobby, "hello from python"), 200)
        got = alice.wait_for("chat", CHAT_TIMEOUT, match={"text": "hello from python"})
        self.assertIn("bob@%s" % DOMAIN, got.get("from", ""))
        self.assertEqual(got.get("room"), room)


if __name__ == "__main__":
    unittest.main()
