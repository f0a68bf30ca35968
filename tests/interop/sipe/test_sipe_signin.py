"""pidgin-sipe (the real OCS/Lync-dialect client) against a real confabd.

confabd runs with `server.trace_sip: true` (the exchange is checked from its log) and
`auth.trusted_networks: [127.0.0.0/8]`: sipe then signs in without any challenge, which
is how Confab admits it today (no NTLM yet). See SIGNIN.md for the captured exchange and
the list of what Confab must answer.

Asserted: sign-in over TCP and TLS (REGISTER, 200 with Expires and the OCS headers), the
self SUBSCRIBEs answered by confabd (roaming-contacts, provisioning-v2, roaming-self),
publishing (SERVICE to the own URI answered, never proxied), the contact list kept on the
server (added contacts and groups come back in a later session), a buddy's status and note
between two sipe clients and across dialects (a standard SIMPLE client watching or
publishing, tests/integration/sipclient.py), a blocked watcher seeing offline only, IM
between two sipe clients (INVITE with ms-text-format, then MESSAGE inside the dialog, through
Record-Route), and sign-off.

Run: CONFABD=... SIPE_DRIVER=... python3 -m unittest -v test_sipe_signin
"""

import os
import re
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))

from confabtest import ServerTestCase  # noqa: E402
from server import DOMAIN  # noqa: E402
from sip_trace import answers_to, forwarded, requests, trace_messages  # noqa: E402
from sipe_peer import SipePeer  # noqa: E402

SIGNIN_TIMEOUT = float(os.environ.get("CONFAB_SIPE_SIGNIN_TIMEOUT", "20"))
EVENT_TIMEOUT = float(os.environ.get("CONFAB_SIPE_EVENT_TIMEOUT", "8"))

# The self subscriptions sipe sends after the REGISTER 200 when the 200 lists these events
# in Allow-Events and says `Supported: msrtc-event-categories` (OCS 2007+ mode).
SELF_EVENTS = ("vnd-microsoft-roaming-contacts", "vnd-microsoft-provisioning-v2",
               "vnd-microsoft-roaming-self")


class SipeTestCase(ServerTestCase):
    SERVER_CONFIG = {"server": {"trace_sip": True},
                     "auth": {"trusted_networks": ["127.0.0.0/8"]}}

    def peer(self, name, transport="tcp", **kwargs):
        """A sipe client for name@example.test, started (not yet signed in); quits at the
        end of the test."""
        peer = SipePeer("%s@%s" % (name, DOMAIN), self.server.addr(transport),
                        transport=transport, trust_cert=self.server.cert_path,
                        signin_timeout=int(SIGNIN_TIMEOUT) + 5, **kwargs)
        self.addCleanup(peer.close)
        peer.start()
        return peer

    def signed_in(self, name, transport="tcp", **kwargs):
        """A signed-in sipe client; `peer.register` is its REGISTER in confabd's trace and
        `peer.connection` the address it came from, which tells its messages apart from
        those of earlier clients of the same user on this server."""
        seen = {m.peer for m in self.trace()}
        peer = self.peer(name, transport, **kwargs)
        peer.wait_for("signed-in", SIGNIN_TIMEOUT)
        user = "<sip:%s@%s>" % (name, DOMAIN)
        found = self.eventually(lambda trace: [
            r for r in requests(trace, "REGISTER")
            if r.peer not in seen and user in (r.header("From") or "")
            and r.header("Expires") != "0"])
        self.assertTrue(found, "no REGISTER from %s in confabd's trace\n%s" % (
            name, self.server.stderr_tail(40)))
        peer.register = found[0]
        peer.connection = found[0].peer
        return peer

    def trace(self):
        return trace_messages(self.server.stderr_path)

    def eventually(self, find, timeout=EVENT_TIMEOUT):
        """Calls find(trace) until it returns something truthy or `timeout` passes: confabd
        logs a message a little after the client has sent it."""
        deadline = time.monotonic() + timeout
        while True:
            found = find(self.trace())
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)  # polling the log file, bounded by the deadline

    def the_request(self, method, peer, **headers):
        """The last request with these headers that confabd received from `peer` (a
        SipePeer from signed_in()), waiting for it (bounded)."""
        def find(trace):
            return [r for r in requests(trace, method, **headers)
                    if r.peer == peer.connection]
        found = self.eventually(find)
        self.assertTrue(found, "confabd received no %s %s from %s\n%s" % (
            method, headers, peer.connection, self.server.stderr_tail(40)))
        return found[-1]

    def wait_answer(self, request, timeout=EVENT_TIMEOUT):
        """The final status confabd answered `request` with, or None after `timeout`."""
        answers = self.eventually(lambda trace: answers_to(trace, request), timeout)
        return answers[-1].status if answers else None


class SignInTest(SipeTestCase):
    def check_signin(self, transport):
        alice = self.signed_in("alice", transport)
        register = alice.register
        # What sipe sends (SIGNIN.md section 2, item 1).
        self.assertEqual(register.header("Event"), "registration")
        self.assertIn("msrtc-event-categories", register.header("Supported"))
        self.assertIn("+sip.instance=", register.header("Contact"))
        self.assertEqual(register.transport, transport.upper())
        # What sipe needs in the 200: an Expires header (it ignores the Contact's
        # expires parameter and does not count itself signed in without it).
        self.assertEqual(self.wait_answer(register), 200)
        ok = answers_to(self.trace(), register)[-1]
        self.assertGreater(int(ok.header("Expires")), 0)
        # Let the self SUBSCRIBEs be answered first: sipe closes the connection right
        # after writing its un-REGISTER, and a close with answers still unread resets the
        # connection, so confabd could lose the requests it had not read yet.
        for event in SELF_EVENTS:
            self.assertIsNotNone(self.wait_answer(
                self.the_request("SUBSCRIBE", alice, Event=event)), event)
        alice.ping()
        # Sign-off: sipe un-REGISTERs (same Call-ID, Expires: 0) before it closes.
        alice.quit()
        self.assertIsNotNone(alice.find("signed-off"), alice.describe())
        self.assertRegex(alice.log_text(), r"REGISTER sip:[^\n]*\n(.*\n)*?Expires: 0",
                         "sipe sent no un-REGISTER")
        # sipe closes the connection right after writing its un-SUBSCRIBEs and the
        # un-REGISTER, with our answers to its earlier requests still unread: that resets
        # the connection and confabd may lose what it had not read yet (SIGNIN.md item 13;
        # expiry is the real clean-up). When the un-REGISTER did arrive, it got a 200.
        unregister = self.eventually(lambda trace: [
            r for r in requests(trace, "REGISTER", Expires="0")
            if r.peer == alice.connection and r.call_id == register.call_id], timeout=1.0)
        if unregister:
            self.assertEqual(self.wait_answer(unregister[0]), 200)
        self.server.assert_alive()

    def test_signin_tcp(self):
        self.check_signin("tcp")

    def test_signin_tls(self):
        self.check_signin("tls")

    def test_signin_sends_ocs2007_self_subscriptions(self):
        """The 200 turned on OCS 2007 mode: sipe sends the three self SUBSCRIBEs of SIGNIN.md."""
        alice = self.signed_in("alice")
        alice.ping()
        for event in SELF_EVENTS:
            subscribe = self.the_request("SUBSCRIBE", alice, Event=event)
            self.assertEqual(subscribe.start_line, "SUBSCRIBE sip:alice@example.test SIP/2.0")
            self.assertEqual(subscribe.header("Proxy-Require"), "ms-benotify")


class SelfSubscriptionTest(SipeTestCase):
    def test_self_subscriptions_accepted(self):
        """confabd answers the self SUBSCRIBEs with 200 (SIGNIN.md items 3-6): the contact
        list piggy-backed, provisioning-v2 as a fetch naming the persistent-chat pool, and
        roaming-self, after which sipe makes its initial publication."""
        alice = self.signed_in("alice")
        for event in SELF_EVENTS:
            subscribe = self.the_request("SUBSCRIBE", alice, Event=event)
            self.assertEqual(self.wait_answer(subscribe), 200, "Event: %s" % event)
        contacts = answers_to(self.trace(), self.the_request(
            "SUBSCRIBE", alice, Event="vnd-microsoft-roaming-contacts"))[-1]
        self.assertIn("<contactList", contacts.body)
        provisioning = answers_to(self.trace(), self.the_request(
            "SUBSCRIBE", alice, Event="vnd-microsoft-provisioning-v2"))[-1]
        self.assertEqual(provisioning.header("Expires"), "0")
        self.assertIn("sip:ocschat@%s" % DOMAIN, provisioning.body)
        self.initial_publication(alice)

    def initial_publication(self, peer):
        return initial_publication(self, peer)


def initial_publication(test, peer):
    """sipe's first SERVICE publication (sent once it has its roaming-self document),
    answered 200 by confabd."""
    found = test.eventually(lambda trace: [
        r for r in requests(trace, "SERVICE") if r.peer == peer.connection
        and "msrtc-category-publish+xml" in (r.header("Content-Type") or "")])
    test.assertTrue(found, "no initial publication\n%s" % peer.describe())
    test.assertEqual(test.wait_answer(found[0]), 200)
    return found[0]


class PublishTest(SipeTestCase):
    def test_status_publication_answered_by_confab(self):
        """The SERVICE (msrtc-category-publish+xml) to the own URI is answered by confabd
        with 200, never proxied to the client's own registration (SIGNIN.md item 7)."""
        alice = self.signed_in("alice")
        initial_publication(self, alice)
        alice.set_status("busy", "in a meeting")
        alice.wait_for("status-set", EVENT_TIMEOUT)
        found = self.eventually(lambda trace: [
            r for r in requests(trace, "SERVICE") if r.peer == alice.connection
            and "msrtc-category-publish+xml" in (r.header("Content-Type") or "")])
        service = found[-1] if found else None
        self.assertIsNotNone(service, "sipe sent no publication\n%s" % alice.describe())
        self.assertEqual(forwarded(self.trace(), service), [], "SERVICE was proxied")
        self.assertEqual(self.wait_answer(service), 200)


PIDF = "application/pidf+xml"


def pidf_busy(user, note):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
            'xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:%s@%s">'
            '<tuple id="t1"><status><basic>open</basic></status></tuple>'
            '<dm:person id="p1"><rpid:activities><rpid:busy/></rpid:activities>'
            '<dm:note>%s</dm:note></dm:person></presence>' % (user, DOMAIN, note))


def next_notify(ua, predicate, timeout=EVENT_TIMEOUT):
    """The next NOTIFY to the standard client `ua` for which predicate(req) holds (each
    NOTIFY answered 200), or None."""
    deadline = time.monotonic() + timeout
    while True:
        req = ua.recv_request(max(0.0, deadline - time.monotonic()))
        if req is None:
            return None
        if req.method == "NOTIFY":
            ua.reply(req, 200)
            if predicate(req):
                return req


def wait_status(peer, uri, status, note=None, timeout=EVENT_TIMEOUT):
    """Waits for a buddy-status of `uri` with `status` whose message (sipe shows
    "Busy - <note>") contains `note`; returns the event."""
    deadline = time.monotonic() + timeout
    while True:
        event = peer.wait_for("buddy-status", max(0.1, deadline - time.monotonic()),
                              match={"uri": uri, "status": status})
        if note is None or note in (event.get("message") or ""):
            return event


class BuddyPresenceTest(SipeTestCase):
    def test_buddy_sees_status(self):
        """alice adds bob, bob goes busy with a note; alice sees bob busy with that note
        (SIGNIN.md items 8-10)."""
        alice = self.signed_in("alice")
        bob = self.signed_in("bob")
        initial_publication(self, bob)
        alice.add_buddy("bob@example.test", "Friends")
        alice.wait_for("buddy-added", EVENT_TIMEOUT)
        bob.set_status("busy", "do not disturb me")
        status = wait_status(alice, "sip:bob@example.test", "busy", "do not disturb me")
        self.assertIn("do not disturb me", status.get("message"))
        # bob signs out: alice sees him offline once confabd has his un-REGISTER (sipe's
        # sign-off can reset the connection before it is read: SIGNIN.md item 13).
        bob.quit()
        unregister = self.eventually(lambda trace: [
            r for r in requests(trace, "REGISTER", Expires="0") if r.peer == bob.connection],
            timeout=2.0)
        if unregister:
            alice.wait_for("buddy-status", EVENT_TIMEOUT,
                           match={"uri": "sip:bob@example.test", "status": "offline"})


class CrossDialectTest(SipeTestCase):
    def test_sipe_status_reaches_a_standard_watcher(self):
        """sipe publishes busy with a note; a standard SIMPLE watcher (PIDF) sees busy and
        the note within a second."""
        carol = self.signed_in("carol")
        initial_publication(self, carol)
        dave = self.registered("tcp", "dave")
        resp = dave.request("SUBSCRIBE", "sip:carol@%s" % DOMAIN,
                            headers=[("Event", "presence"), ("Accept", PIDF),
                                     ("Contact", "<%s>" % dave.contact_uri)])
        self.assertStatus(resp, 200, dave)
        self.assertIsNotNone(next_notify(dave, lambda r: "<basic>open</basic>" in r.text()))
        carol.set_status("busy", "writing the report")
        busy = next_notify(dave, lambda r: "busy" in r.text() and "writing the report"
                           in r.text())
        self.assertIsNotNone(busy, "the PIDF watcher never saw carol busy with her note")
        trace = self.trace()
        service = [m for m in requests(trace, "SERVICE") if "writing the report" in m.body][-1]
        sent = [m for m in trace if m.direction == "send" and m.method == "NOTIFY"
                and "writing the report" in m.body]
        self.assertLess(sent[0].time - service.time, 1.0)
        self.assertIn("<basic>open</basic>", busy.text())
        carol.set_status("away")
        away = next_notify(dave, lambda r: "<rpid:away" in r.text() or ":away/>" in r.text())
        self.assertIsNotNone(away, "the PIDF watcher never saw carol away")

    def test_standard_publication_reaches_sipe(self):
        """A standard client PUBLISHes PIDF busy + note; sipe shows busy (6500) with that
        note within a second."""
        erin = self.signed_in("erin")
        initial_publication(self, erin)
        frank = self.registered("tcp", "frank")
        erin.add_buddy("frank@example.test")
        erin.wait_for("buddy-added", EVENT_TIMEOUT)
        erin.wait_for("buddy-status", EVENT_TIMEOUT,
                      match={"uri": "sip:frank@example.test", "status": "available"})
        resp = frank.request("PUBLISH", "sip:frank@%s" % DOMAIN,
                             body=pidf_busy("frank", "in the lab"), content_type=PIDF,
                             headers=[("Event", "presence"), ("Expires", "60")])
        self.assertStatus(resp, 200, frank)
        wait_status(erin, "sip:frank@example.test", "busy", "in the lab")
        # Within a second on confabd's side: from the PUBLISH to the document for erin
        # (the driver's own event latency on a loaded machine is not ours to bound).
        trace = self.trace()
        publish = [m for m in requests(trace, "PUBLISH") if "in the lab" in m.body][-1]
        sent = [m for m in trace if m.direction == "send" and m.method in ("NOTIFY", "BENOTIFY")
                and m.peer == erin.connection and "in the lab" in m.body]
        self.assertTrue(sent, "no document with the note went to erin")
        self.assertLess(sent[0].time - publish.time, 1.0)


class ContactListTest(SipeTestCase):
    def test_contacts_and_groups_are_kept_on_the_server(self):
        """sipe adds a contact in a new group (SOAP addGroup answered with the group id,
        then setContact) and removes another; a later session gets the list back."""
        grace = self.signed_in("grace")
        initial_publication(self, grace)  # the server's list is processed: add to it now
        grace.add_buddy("heidi@example.test", "Lab")
        grace.wait_for("buddy-added", EVENT_TIMEOUT, match={"uri": "sip:heidi@example.test"})
        grace.add_buddy("ivan@example.test")
        grace.wait_for("buddy-added", EVENT_TIMEOUT, match={"uri": "sip:ivan@example.test"})
        found = self.eventually(lambda trace: [
            r for r in requests(trace, "SERVICE") if r.peer == grace.connection
            and "setContact" in r.body and "ivan@" in r.body])
        self.assertTrue(found, "no setContact for ivan\n%s" % grace.describe())
        self.assertEqual(self.wait_answer(found[-1]), 200)
        add_group = [r for r in requests(self.trace(), "SERVICE")
                     if r.peer == grace.connection and "addGroup" in r.body]
        self.assertTrue(add_group)
        self.assertEqual(self.wait_answer(add_group[0]), 200)
        answer = answers_to(self.trace(), add_group[0])[-1]
        self.assertTrue(re.search(r"groupID>\d+<", answer.body), answer.body)
        grace.remove_buddy("ivan@example.test")
        found = self.eventually(lambda trace: [
            r for r in requests(trace, "SERVICE") if r.peer == grace.connection
            and "deleteContact" in r.body])
        self.assertTrue(found, "no deleteContact\n%s" % grace.describe())
        self.assertEqual(self.wait_answer(found[-1]), 200)
        grace.quit()
        again = self.signed_in("grace")
        contacts = self.the_request("SUBSCRIBE", again, Event="vnd-microsoft-roaming-contacts")
        self.assertEqual(self.wait_answer(contacts), 200)
        body = answers_to(self.trace(), contacts)[-1].body
        self.assertIn("heidi@example.test", body)
        self.assertIn('name="Lab"', body)
        self.assertNotIn("ivan@example.test", body)
        buddy = again.find_buddy("sip:heidi@example.test", EVENT_TIMEOUT, match={"group": "Lab"})
        self.assertIsNotNone(buddy, "heidi not listed in group Lab\n%s" % again.describe())


class BlockedWatcherTest(SipeTestCase):
    SERVER_CONFIG = dict(SipeTestCase.SERVER_CONFIG, presence={"rules": [
        {"presentity": "judy@%s" % DOMAIN, "watcher": "mallory@%s" % DOMAIN,
         "action": "block"}]})

    def test_blocked_watcher_sees_offline_only(self):
        """judy blocks mallory: mallory (sipe) sees judy offline, without her note, while
        an allowed watcher sees her busy."""
        judy = self.signed_in("judy")
        initial_publication(self, judy)
        judy.set_status("busy", "secret meeting")
        mallory = self.signed_in("mallory")
        niaj = self.signed_in("niaj")
        for watcher in (mallory, niaj):
            initial_publication(self, watcher)
            watcher.add_buddy("judy@example.test")
            watcher.wait_for("buddy-added", EVENT_TIMEOUT)
        wait_status(niaj, "sip:judy@example.test", "busy", "secret meeting")
        events = mallory.poll_events(1.0)
        shown = [e for e in events if e.get("event") == "buddy-status"
                 and e.get("uri") == "sip:judy@example.test"]
        for e in shown:
            self.assertEqual(e.get("status"), "offline", e)
            self.assertNotIn("secret", e.get("message") or "", e)


class InstantMessageTest(SipeTestCase):
    def test_im_both_ways(self):
        """IM is a session: INVITE (first text in ms-text-format) then MESSAGE in the dialog,
        routed by confabd's Record-Route; both sides see the text."""
        alice = self.signed_in("alice")
        bob = self.signed_in("bob")
        alice.send_im("bob@example.test", "hello bob")
        got = bob.wait_for("im", EVENT_TIMEOUT, match={"from": "sip:alice@example.test"})
        self.assertEqual(got["text"], "hello bob")
        invite = self.the_request("INVITE", alice)
        self.assertIn("ms-body=", invite.header("ms-text-format") or "")
        self.assertTrue(forwarded(self.trace(), invite), "INVITE was not proxied")
        bob.send_im("alice@example.test", "hi alice")
        got = alice.wait_for("im", EVENT_TIMEOUT, match={"from": "sip:bob@example.test"})
        self.assertEqual(got["text"], "hi alice")
        self.server.assert_alive()


if __name__ == "__main__":
    unittest.main()
