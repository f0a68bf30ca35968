"""pidgin-sipe against OcsStub, a scripted server answering exactly what SIGNIN.md lists.

This checks the list itself, with no confabd: if these pass, a server that answers as
SIGNIN.md says lets sipe sign in, publish its state, receive its stored contact list and
show a contact's presence with its note. When Confab's presence service lands, the same
expectations run against confabd in test_sipe_signin.py.

Run: SIPE_DRIVER=... python3 -m unittest -v test_sipe_ocs_stub
"""

import os
import time
import unittest

from ocs_stub import OcsStub
from sipe_peer import SipePeer

TIMEOUT = float(os.environ.get("CONFAB_SIPE_EVENT_TIMEOUT", "10"))


class OcsStubTest(unittest.TestCase):
    def run_peer(self, stub):
        stub.start()
        self.addCleanup(stub.stop)
        peer = SipePeer("alice@example.test", stub.addr, transport="tcp",
                        signin_timeout=int(TIMEOUT) + 5)
        self.addCleanup(peer.close)
        peer.start()
        peer.wait_for("signed-in", TIMEOUT)
        return peer

    def wait_request(self, stub, method, event=None, peer=None):
        deadline = time.monotonic() + TIMEOUT
        while True:
            found = stub.requests(method, event)
            if found or time.monotonic() >= deadline:
                return found
            if peer is not None:
                peer.poll_events(0.1)  # bounded by the deadline
            else:
                time.sleep(0.05)

    def test_contact_list_and_presence(self):
        stub = OcsStub(contacts=["bob@example.test"],
                       presence={"bob@example.test": (6500, "in the lab")})
        peer = self.run_peer(stub)
        added = peer.wait_for("buddy-added", TIMEOUT, match={"uri": "sip:bob@example.test"})
        self.assertEqual(added["group"], "Other Contacts")
        # The contact list arrived: sipe subscribes to the contacts' presence in one batch.
        batch = self.wait_request(stub, "SUBSCRIBE", "presence", peer)
        self.assertTrue(batch, peer.describe())
        self.assertIn("adhoclist", batch[0].header("Require"))
        self.assertIn('<resource uri="sip:bob@example.test"', batch[0].body)
        status = peer.wait_for("buddy-status", TIMEOUT,
                               match={"uri": "sip:bob@example.test", "status": "busy"})
        self.assertIn("in the lab", status.get("message") or "", status)

    def test_contact_list_in_a_notify(self):
        stub = OcsStub(contacts=["carol@example.test"], piggyback_contacts=False)
        peer = self.run_peer(stub)
        peer.wait_for("buddy-added", TIMEOUT, match={"uri": "sip:carol@example.test"})

    def test_initial_publish_after_roaming_self(self):
        stub = OcsStub()
        peer = self.run_peer(stub)
        publish = self.wait_request(stub, "SERVICE", None, peer)
        self.assertTrue(publish, peer.describe())
        first = publish[0]
        self.assertEqual(first.header("Content-Type"), "application/msrtc-category-publish+xml")
        self.assertIn('categoryName="device"', first.body)
        self.assertIn('categoryName="state"', first.body)

    def test_status_change_publishes(self):
        stub = OcsStub()
        peer = self.run_peer(stub)
        self.wait_request(stub, "SERVICE", None, peer)  # the initial publication
        before = len(stub.requests("SERVICE"))
        peer.set_status("away", "back soon")
        deadline = time.monotonic() + TIMEOUT
        while len(stub.requests("SERVICE")) <= before and time.monotonic() < deadline:
            peer.poll_events(0.1)
        later = stub.requests("SERVICE")[before:]
        self.assertTrue(later, peer.describe())
        self.assertTrue(any("<availability>15500</availability>" in r.body and
                            "back soon" in r.body for r in later), later[-1].body)


if __name__ == "__main__":
    unittest.main()
