"""Presence (RFC 3903 PUBLISH, RFC 6665 / RFC 3856 SUBSCRIBE and NOTIFY) end to end: state
from registrations, publications reaching watchers within a second, publication expiry,
polite blocking, refresh, unsubscribe, fetch, and the error answers (412, 489, 481, 403)."""

import re
import time
import unittest

from confabtest import ServerTestCase
from presence_helpers import PIDF, next_notify, pidf, publish
from server import DOMAIN
from sipclient import new_tag, parse_name_addr


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


class Subscription:
    """The watcher's side of one presence subscription."""

    def __init__(self, test, watcher, presentity, expires=600):
        self.test, self.ua = test, watcher
        self.presentity = presentity
        self.call_id = watcher.new_call_id()
        self.remote_tag = None
        self.target = None  # the notifier's Contact: the Request-URI of in-dialog requests
        self.response = self.subscribe(expires)

    def subscribe(self, expires, event="presence"):
        in_dialog = self.remote_tag is not None
        resp = self.ua.request(
            "SUBSCRIBE", self.target if in_dialog else aor(self.presentity),
            to=aor(self.presentity), to_tag=self.remote_tag, call_id=self.call_id,
            headers=[("Event", event), ("Accept", PIDF), ("Expires", str(expires)),
                     ("Contact", "<%s>" % self.ua.contact_uri)])
        if resp.status < 300 and not in_dialog:
            self.remote_tag = resp.to_tag()
            contacts = resp.contacts()
            self.test.assertEqual(len(contacts), 1, resp)
            self.target = contacts[0].uri
        return resp

    def notify(self, timeout=3.0, answer=200):
        """The next NOTIFY of this dialog (answered), or None."""
        req = next_notify(self.ua, self.call_id, timeout, answer)
        if req is not None:
            self.test.assertEqual(req.header("Event").split(";")[0].strip(), "presence")
            self.test.assertEqual(req.from_tag(), self.remote_tag, req)
        return req

    def expect_notify(self, state_prefix, timeout=3.0):
        req = self.notify(timeout)
        self.test.assertIsNotNone(req, "no NOTIFY (%s) within %.1fs" % (state_prefix, timeout))
        self.test.assertTrue(req.header("Subscription-State", "").startswith(state_prefix), req)
        return req


def basic(req):
    m = re.search(r"<basic>(\w+)</basic>", req.text())
    return m.group(1) if m else None


class PresenceTest(ServerTestCase):

    SERVER_CONFIG = {"presence": {
        "publish_min_expires": 1,
        "subscribe_min_expires": 1,
        "rules": [{"presentity": "judy@%s" % DOMAIN, "watcher": "carol@%s" % DOMAIN,
                   "action": "block"},
                  {"presentity": "peggy@%s" % DOMAIN, "watcher": "rupert@%s" % DOMAIN,
                   "action": "confirm"}],
    }}

    # Each test uses its own presentity: state lasts across the tests of the class.

    def test_watcher_follows_registration_and_publications(self):
        alice = self.registered("tcp", "alice")
        bob = self.registered("tcp", "bob")
        sub = Subscription(self, bob, "alice")
        self.assertStatus(sub.response, 200, bob)
        self.assertTrue(re.search(r";sh=\d+", sub.target), sub.response)
        self.assertIsNotNone(sub.response.header("Expires"), sub.response)
        first = sub.expect_notify("active")
        self.assertEqual(first.header("Content-Type"), PIDF, first)
        self.assertEqual(basic(first), "open", first)

        started = time.monotonic()
        resp = publish(alice, pidf("alice", activity="busy", note="in a meeting"),
                            expires=2)
        self.assertStatus(resp, 200, alice)
        self.assertTrue(resp.header("SIP-ETag"), resp)
        self.assertEqual(resp.header("Expires"), "2", resp)
        busy = sub.expect_notify("active", timeout=1.0)
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertIn("busy", busy.text(), busy)
        self.assertIn("in a meeting", busy.text(), busy)

        # The publication expires: back to what the registration says, within its second.
        expired = sub.expect_notify("active", timeout=3.5)
        self.assertEqual(basic(expired), "open", expired)
        self.assertNotIn("busy", expired.text(), expired)
        self.assertNotIn("in a meeting", expired.text(), expired)

        # Every binding of hers (earlier tests of this class registered her too).
        self.assertStatus(alice.unregister_all(), 200, alice)
        closed = sub.expect_notify("active")
        self.assertEqual(basic(closed), "closed", closed)

        # Unsubscribe: 200 and a final NOTIFY.
        self.assertStatus(sub.subscribe(0), 200, bob)
        final = sub.expect_notify("terminated")
        self.assertEqual(final.header("CSeq").split()[1], "NOTIFY")
        # The dialog is gone: a refresh gets 481.
        self.assertStatus(sub.subscribe(600), 481, bob)

    def test_publish_refresh_modify_remove(self):
        heidi = self.registered("tcp", "heidi")
        resp = publish(heidi, pidf("heidi", activity="away"), expires=60)
        self.assertStatus(resp, 200, heidi)
        etag = resp.header("SIP-ETag")
        refreshed = publish(heidi, None, expires=60, etag=etag)
        self.assertStatus(refreshed, 200, heidi)
        modified = publish(heidi, pidf("heidi", activity="busy"), expires=60,
                                etag=refreshed.header("SIP-ETag"))
        self.assertStatus(modified, 200, heidi)
        new_etag = modified.header("SIP-ETag")
        self.assertStatus(publish(heidi, None, expires=0, etag=new_etag), 200, heidi)
        self.assertStatus(publish(heidi, None, expires=0, etag=new_etag), 412, heidi)

    def test_412_for_unknown_etag(self):
        alice = self.client("tcp", "alice")
        self.assertStatus(publish(alice, None, etag="no-such-etag"), 412, alice)

    def test_489_for_unknown_or_missing_event(self):
        alice = self.client("tcp", "alice")
        resp = publish(alice, pidf("alice"), event=None)
        self.assertStatus(resp, 489, alice)
        self.assertIn("presence", resp.header("Allow-Events", ""), resp)
        bob = self.client("tcp", "bob")
        resp = bob.request("SUBSCRIBE", aor("alice"), headers=[
            ("Event", "dialog"), ("Contact", "<%s>" % bob.contact_uri), ("Expires", "60")])
        self.assertStatus(resp, 489, bob)
        self.assertIn("presence", resp.header("Allow-Events", ""), resp)

    def test_bad_publications(self):
        alice = self.client("tcp", "alice")
        self.assertStatus(publish(alice, "hello", content_type="text/plain"), 415, alice)
        laughs = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                  '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                  '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="x">&b;</presence>')
        resp = publish(alice, laughs)
        self.assertStatus(resp, 400, alice)
        self.assertNotEqual(resp.reason.strip(), "", resp)
        self.assertStatus(publish(alice, "<presence"), 400, alice)
        self.server.assert_alive()

    def test_403_publishing_for_someone_else(self):
        bob = self.client("tcp", "bob")
        self.assertStatus(publish(bob, pidf("alice"), user="alice"), 403, bob)

    def test_481_for_unknown_dialog(self):
        bob = self.client("tcp", "bob")
        resp = bob.request("SUBSCRIBE", aor("alice"), to=aor("alice"), to_tag=new_tag(),
                           headers=[("Event", "presence"), ("Expires", "60"),
                                    ("Contact", "<%s>" % bob.contact_uri)])
        self.assertStatus(resp, 481, bob)

    def test_blocked_watcher_only_ever_sees_offline(self):
        judy = self.registered("tcp", "judy")
        resp = publish(judy, pidf("judy", activity="busy", note="secret"), expires=60)
        self.assertStatus(resp, 200, judy)
        carol = self.registered("tcp", "carol")
        sub = Subscription(self, carol, "judy")
        self.assertStatus(sub.response, 200, carol)  # polite blocking
        first = sub.expect_notify("active")
        self.assertEqual(basic(first), "closed", first)
        self.assertNotIn("secret", first.text(), first)
        self.assertNotIn("busy", first.text(), first)
        # Changes are not even announced to her.
        self.assertStatus(publish(judy, pidf("judy", activity="away", note="x"),
                                       etag=resp.header("SIP-ETag")), 200, judy)
        self.assertIsNone(sub.notify(timeout=0.7))
        self.assertStatus(sub.subscribe(0), 200, carol)
        final = sub.expect_notify("terminated")
        self.assertEqual(basic(final), "closed", final)

    def test_refresh_and_fetch(self):
        self.registered("tcp", "dave")
        erin = self.registered("tcp", "erin")
        sub = Subscription(self, erin, "dave", expires=60)
        self.assertStatus(sub.response, 200, erin)
        sub.expect_notify("active")
        refreshed = sub.subscribe(120)
        self.assertStatus(refreshed, 200, erin)
        self.assertEqual(refreshed.header("Expires"), "120", refreshed)
        again = sub.expect_notify("active;expires=")
        self.assertEqual(basic(again), "open", again)

        fetch = Subscription(self, erin, "dave", expires=0)
        self.assertStatus(fetch.response, 200, erin)
        once = fetch.expect_notify("terminated")
        self.assertIn("reason=timeout", once.header("Subscription-State"), once)
        self.assertEqual(basic(once), "open", once)

    def test_subscription_expires(self):
        self.registered("tcp", "frank")
        grace = self.registered("tcp", "grace")
        sub = Subscription(self, grace, "frank", expires=1)
        self.assertStatus(sub.response, 200, grace)
        sub.expect_notify("active")
        end = sub.expect_notify("terminated", timeout=3.0)
        self.assertIn("reason=timeout", end.header("Subscription-State"), end)

    def test_404_for_unknown_presentity(self):
        bob = self.client("tcp", "bob")
        resp = bob.request("SUBSCRIBE", aor("nobody"), headers=[
            ("Event", "presence"), ("Contact", "<%s>" % bob.contact_uri), ("Expires", "60")])
        self.assertStatus(resp, 404, bob)

    def test_changes_are_coalesced_and_the_latest_arrives(self):
        olivia = self.registered("tcp", "olivia")
        bob = self.registered("tcp", "bob")
        sub = Subscription(self, bob, "olivia")
        self.assertStatus(sub.response, 200, bob)
        sub.expect_notify("active")
        etag = None
        for i in range(5):
            resp = publish(olivia, pidf("olivia", activity="busy", note="step %d" % i),
                                etag=etag)
            self.assertStatus(resp, 200, olivia)
            etag = resp.header("SIP-ETag")
        notes = []
        while True:
            req = sub.notify(timeout=1.0)
            if req is None:
                break
            notes.append(sorted(set(re.findall(r"step \d", req.text()))))
        self.assertTrue(notes, "no NOTIFY after the publications")
        self.assertEqual(notes[-1], ["step 4"], notes)
        self.assertLess(len(notes), 5, "intermediate states were not coalesced: %s" % notes)

    def test_notify_481_ends_the_subscription(self):
        self.registered("tcp", "sybil")
        trent = self.registered("tcp", "trent")
        sub = Subscription(self, trent, "sybil")
        self.assertStatus(sub.response, 200, trent)
        self.assertIsNotNone(sub.notify(answer=481))
        # poll(): the 481 reaches the server asynchronously.
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            resp = sub.subscribe(600)
            if resp.status == 481:
                break
            sub.notify(timeout=0.2)  # the refresh's NOTIFY, if it got in first
        self.assertEqual(resp.status, 481, resp)

    def test_pending_watcher_gets_no_state(self):
        self.registered("tcp", "peggy")
        rupert = self.registered("tcp", "rupert")
        sub = Subscription(self, rupert, "peggy")
        self.assertStatus(sub.response, 202, rupert)
        pending = sub.expect_notify("pending")
        self.assertEqual(pending.body, b"", pending)

    def test_udp_watcher(self):
        self.registered("udp", "victor")
        walter = self.registered("udp", "walter")
        sub = Subscription(self, walter, "victor")
        self.assertStatus(sub.response, 200, walter)
        first = sub.expect_notify("active")
        self.assertEqual(basic(first), "open", first)
        self.assertIn("transport=udp", sub.target)


if __name__ == "__main__":
    unittest.main()
