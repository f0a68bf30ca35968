"""Instant messaging across dialects (issue 4): offline delivery (stored, answered 202 only
after the commit, delivered in order and once on the next registration, across a restart),
page mode -> an OCS-dialect session-mode client through the bridge (INVITE carrying the first
message, MESSAGE in the dialog both ways), typing both ways, BYE, idle close, 481 for unknown
dialogs, quotas and floods."""

import threading
import time
import unittest

from confabtest import ServerTestCase
from imclient import (ISCOMPOSING, SDP_OFFER, AutoAnswer, Background, answer_invite, composing_state, expect_request,
                      is_composing, keyboard_activity, keyboard_status, ms_text_body,
                      ocs_invite, ocs_register)
from confabtest import poll
from server import DOMAIN, USER_NAMES
from sipclient import Responder, parse_name_addr, uri_key


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


class OfflineDeliveryTest(ServerTestCase):

    SERVER_CONFIG = {"im": {"offline_max_messages": 3}}

    def test_stored_and_delivered_once_in_order_after_restart(self):
        alice = self.client("tcp", "alice")
        texts = ["first", "second", "third"]
        for text in texts:
            self.assertStatus(alice.send_message(aor("dave"), text), 202, alice)
        alice.close()
        self.server.restart()
        dave = self.client("tcp", "dave")
        # Registered first: the UA queues what arrives meanwhile, the Responder answers it
        # (one reader per socket at a time).
        self.assertStatus(dave.register(expires=600), 200, dave)
        with Responder(dave, 200, count=3) as got:
            pass
        self.assertEqual([r.text() for r in got.requests], texts)
        for req in got.requests:
            self.assertEqual(uri_key(parse_name_addr(req.header("From")).uri),
                             uri_key(aor("alice")))
            self.assertIsNotNone(req.header("Date"), "no Date header:\n%s" % req)
            self.assertEqual(uri_key(req.uri), uri_key(dave.contact_uri))
        # Exactly once: neither a refresh nor a new registration brings them back.
        self.assertStatus(dave.register(expires=600), 200, dave)
        self.assertIsNone(dave.recv_request(timeout=1.5), "a delivered message came again")

    def test_refused_delivery_is_kept_and_retried(self):
        alice = self.client("tcp", "alice")
        self.assertStatus(alice.send_message(aor("erin"), "keep me"), 202, alice)
        erin = self.client("tcp", "erin")
        self.assertStatus(erin.register(expires=600), 200, erin)
        with Responder(erin, 486) as busy:
            pass
        self.assertEqual([r.text() for r in busy.requests], ["keep me"])
        self.assertStatus(erin.register(expires=600), 200, erin)  # a refresh re-offers it
        with Responder(erin, 200) as ok:
            pass
        self.assertEqual([r.text() for r in ok.requests], ["keep me"])

    def test_quota(self):
        alice = self.client("tcp", "alice")
        for i in range(3):
            self.assertStatus(alice.send_message(aor("frank"), "m%d" % i), 202, alice)
        resp = alice.send_message(aor("frank"), "one too many")
        self.assertStatus(resp, 480, alice)
        self.assertIn("Full", resp.reason)

    def test_new_messages_queue_behind_stored_ones(self):
        alice = self.client("tcp", "alice")
        self.assertStatus(alice.send_message(aor("grace"), "old"), 202, alice)
        grace = self.client("tcp", "grace")
        self.assertStatus(grace.register(expires=600), 200, grace)
        # grace is online but "old" is not accepted yet (held below): "new" must be
        # stored behind it, not relayed past it.
        release = threading.Event()
        with Responder(grace, 200, count=2, after=release) as both:
            self.assertStatus(alice.send_message(aor("grace"), "new"), 202, alice)
            release.set()
        self.assertEqual([r.text() for r in both.requests], ["old", "new"])
        # Once the queue is empty, messages are relayed again (200 from grace).
        deadline = time.monotonic() + 5
        while True:
            with Responder(grace, 200) as now:
                resp = alice.send_message(aor("grace"), "later")
            self.assertEqual([r.text() for r in now.requests], ["later"])
            if resp.status == 200 or time.monotonic() >= deadline:
                break
        self.assertStatus(resp, 200, alice)

    def test_unknown_user_still_404_and_typing_not_stored(self):
        alice = self.client("tcp", "alice")
        self.assertStatus(alice.send_message(aor("nobody-here"), "x"), 404, alice)
        self.assertStatus(alice.send_message(aor("heidi"), is_composing(True),
                                             content_type=ISCOMPOSING), 480, alice)


class BridgeTest(ServerTestCase):

    SERVER_CONFIG = {"im": {"session_idle_timeout_s": 2}}

    def open_session(self, alice, bob, text):
        """alice pages bob (OCS); bob gets the INVITE with the message and answers 200."""
        with Background(alice.send_message, aor(bob.user), text) as job:
            invite = expect_request(bob, "INVITE")
            session = answer_invite(bob, invite)
            resp = job.result()
        self.assertStatus(resp, 200, alice)
        return invite, session

    def test_page_mode_to_ocs_and_back(self):
        bob = self.client("tcp", "bob")
        self.assertStatus(ocs_register(bob), 200, bob)
        alice = self.registered("tcp", "alice")
        invite, session = self.open_session(alice, bob, "hello bob")
        self.assertIn("m=message", invite.text())
        self.assertEqual(ms_text_body(invite.header("ms-text-format")), "hello bob")
        self.assertIsNotNone(invite.header("Ms-Conversation-ID"))
        self.assertEqual(uri_key(parse_name_addr(invite.header("From")).uri),
                         uri_key(aor("alice")))
        self.assertEqual(expect_request(bob, "ACK", skip=()).call_id, invite.call_id)

        # Later pages go inside the session.
        with Background(alice.send_message, aor("bob"), "second") as job:
            msg = expect_request(bob, "MESSAGE")
            bob.reply(msg, 200)
            self.assertStatus(job.result(), 200, alice)
        self.assertEqual(msg.call_id, invite.call_id)
        self.assertEqual(msg.text(), "second")
        self.assertEqual(parse_name_addr(msg.header("To")).params.get("tag"), bob.from_tag)

        # bob's MESSAGE in the session reaches alice in page mode.
        with Responder(alice, 200) as got:
            resp = session.request("MESSAGE", "hi alice", "text/plain")
        self.assertStatus(resp, 200, bob)
        self.assertEqual([r.text() for r in got.requests], ["hi alice"])
        self.assertEqual(uri_key(parse_name_addr(got.requests[0].header("From")).uri),
                         uri_key(aor("bob")))
        self.assertIsNone(parse_name_addr(got.requests[0].header("To")).params.get("tag"))

        # Typing, both ways.
        with Background(alice.send_message, aor("bob"), is_composing(True),
                        content_type=ISCOMPOSING) as job:
            info = expect_request(bob, "INFO")
            bob.reply(info, 200)
            self.assertStatus(job.result(), 200, alice)
        self.assertEqual(info.call_id, invite.call_id)
        self.assertEqual(keyboard_status(info.text()), "type")
        with Responder(alice, 200) as got:
            resp = session.request("INFO", keyboard_activity(True), "application/xml")
        self.assertStatus(resp, 200, bob)
        self.assertEqual(len(got.requests), 1)
        self.assertEqual(got.requests[0].header("Content-Type"), ISCOMPOSING)
        self.assertEqual(composing_state(got.requests[0].text()), "active")

        # BYE from the OCS side ends it; the next page opens a new session.
        self.assertStatus(session.request("BYE"), 200, bob)
        self.assertStatus(session.request("MESSAGE", "late", "text/plain"), 481, bob)
        invite2, _ = self.open_session(alice, bob, "again")
        self.assertNotEqual(invite2.call_id, invite.call_id)
        self.assertEqual(ms_text_body(invite2.header("ms-text-format")), "again")

    def test_inline_message_not_taken_is_sent_in_dialog(self):
        bob = self.client("tcp", "judy")
        self.assertStatus(ocs_register(bob), 200, bob)
        alice = self.registered("tcp", "alice")
        with Background(alice.send_message, aor("judy"), "hello") as job:
            invite = expect_request(bob, "INVITE")
            answer_invite(bob, invite, text_format_taken=False)
            msg = expect_request(bob, "MESSAGE")
            bob.reply(msg, 200)
            self.assertStatus(job.result(), 200, alice)
        self.assertEqual(msg.text(), "hello")
        self.assertEqual(msg.call_id, invite.call_id)

    def test_declined_invite_reaches_the_sender(self):
        bob = self.client("tcp", "ivan")
        self.assertStatus(ocs_register(bob), 200, bob)
        alice = self.registered("tcp", "alice")
        with Background(alice.send_message, aor("ivan"), "hello") as job:
            invite = expect_request(bob, "INVITE")
            answer_invite(bob, invite, code=486)
            self.assertStatus(job.result(), 486, alice)

    def test_idle_session_closed_with_bye(self):
        bob = self.client("tcp", "carol")
        self.assertStatus(ocs_register(bob), 200, bob)
        alice = self.registered("tcp", "alice")
        invite, _ = self.open_session(alice, bob, "hello")
        bye = expect_request(bob, "BYE", timeout=6)
        self.assertEqual(bye.call_id, invite.call_id)
        bob.reply(bye, 200)

    def test_lost_dialog_481_reopens_the_session(self):
        bob = self.client("tcp", "rupert")
        self.assertStatus(ocs_register(bob), 200, bob)
        alice = self.registered("tcp", "alice")
        invite, _ = self.open_session(alice, bob, "hello")
        with Background(alice.send_message, aor("rupert"), "after a crash") as job:
            msg = expect_request(bob, "MESSAGE")
            bob.reply(msg, 481)  # the endpoint forgot the session
            invite2 = expect_request(bob, "INVITE")
            answer_invite(bob, invite2)
            self.assertStatus(job.result(), 200, alice)
        self.assertNotEqual(invite2.call_id, invite.call_id)
        self.assertEqual(ms_text_body(invite2.header("ms-text-format")), "after a crash")

    def test_first_endpoint_to_answer_gets_the_session(self):
        ep1 = self.client("tcp", "niaj")
        ep2 = self.client("tcp", "niaj")
        self.assertStatus(ocs_register(ep1), 200, ep1)
        self.assertStatus(ocs_register(ep2), 200, ep2)
        alice = self.registered("tcp", "alice")
        with Background(alice.send_message, aor("niaj"), "who answers?") as job:
            inv1 = expect_request(ep1, "INVITE")
            inv2 = expect_request(ep2, "INVITE")
            answer_invite(ep2, inv2, code=180)
            answer_invite(ep1, inv1)
            self.assertStatus(job.result(), 200, alice)
            cancel = expect_request(ep2, "CANCEL")  # the other endpoint stops ringing
            ep2.reply(cancel, 200)
            answer_invite(ep2, inv2, code=487)
        self.assertEqual(inv1.call_id, inv2.call_id)

    def test_unknown_dialog_481(self):
        bob = self.client("tcp", "mallory")
        self.assertStatus(ocs_register(bob), 200, bob)
        alice = self.registered("tcp", "alice")
        invite, session = self.open_session(alice, bob, "hello")
        resp = session.request("MESSAGE", "x", "text/plain", call_id="no-such-call@x")
        self.assertStatus(resp, 481, bob)
        # A session refresh (re-INVITE) is answered with our SDP; a bad one with 488.
        refresh = session.request("INVITE", SDP_OFFER, "application/sdp")
        self.assertStatus(refresh, 200, bob)
        self.assertIn("m=message", refresh.text())
        self.assertStatus(session.request("INVITE", "v=0\r\nm=audio 1 RTP/AVP 0\r\n",
                                          "application/sdp"), 488, bob)
        self.assertStatus(session.request("BYE"), 200, bob)
        self.assertStatus(session.request("BYE"), 481, bob)


class OcsInitiatedTest(ServerTestCase):
    """The OCS client opens the session; the standard client chats in page mode."""

    def test_ocs_invite_to_page_mode_user(self):
        bob = self.client("tcp", "bob")
        self.assertStatus(ocs_register(bob), 200, bob)
        alice = self.registered("tcp", "alice")
        with Background(ocs_invite, bob, aor("alice"), "hi from bob") as job:
            first = expect_request(alice, "MESSAGE")
            alice.reply(first, 200)
            resp, session = job.result()
        self.assertStatus(resp, 200, bob)
        self.assertEqual(first.text(), "hi from bob")
        self.assertEqual(uri_key(parse_name_addr(first.header("From")).uri), uri_key(aor("bob")))
        self.assertIn("ms-text-format", resp.header("Supported", ""))
        self.assertIn("m=message", resp.text())
        self.assertIn(";sh=", resp.header("Contact"))

        with Responder(alice, 200) as got:
            self.assertStatus(session.request("MESSAGE", "more", "text/plain"), 200, bob)
        self.assertEqual([r.text() for r in got.requests], ["more"])

        # alice answers in page mode: it goes into bob's session, not a new one.
        with Background(alice.send_message, aor("bob"), "hello bob") as job:
            msg = expect_request(bob, "MESSAGE")
            bob.reply(msg, 200)
            self.assertStatus(job.result(), 200, alice)
        self.assertEqual(msg.call_id, session.call_id)
        self.assertEqual(msg.text(), "hello bob")
        self.assertEqual(parse_name_addr(msg.header("To")).params.get("tag"), bob.from_tag)

        self.assertStatus(session.request("BYE"), 200, bob)

    def test_ocs_invite_to_offline_user_stores_the_first_message(self):
        bob = self.client("tcp", "bob")
        self.assertStatus(ocs_register(bob), 200, bob)
        resp, session = ocs_invite(bob, aor("peggy"), "are you there?")
        self.assertStatus(resp, 200, bob)
        self.assertStatus(session.request("MESSAGE", "later", "text/plain"), 202, bob)
        peggy = self.client("tcp", "peggy")
        self.assertStatus(peggy.register(expires=600), 200, peggy)
        with Responder(peggy, 200, count=2) as got:
            pass
        self.assertEqual([r.text() for r in got.requests], ["are you there?", "later"])

    def test_malformed_im_sdp_488(self):
        bob = self.client("tcp", "bob")
        self.assertStatus(ocs_register(bob), 200, bob)
        resp, _ = ocs_invite(bob, aor("alice"), "x", sdp="garbage\r\nm=message 1 sip null\r\n")
        self.assertStatus(resp, 488, bob)


PARTICIPANTS = ["p%02d" % i for i in range(50)]


class FocusTest(ServerTestCase):
    """The multiparty focus: sip:im-conf-<id>@domain; REFER adds, MESSAGE fans out."""

    # The OCS participant test below is the text-notice fallback; MeshTest has the default.
    SERVER_CONFIG = {"users": USER_NAMES + PARTICIPANTS,
                     "im": {"flood_max_messages": 0, "ocs_multiparty": "notice"}}

    def focus(self, name):
        return "sip:im-conf-%s@%s" % (name, DOMAIN)

    def refer(self, ua, focus, user, method=None):
        target = aor(user) + (";method=%s" % method if method else "")
        return ua.request("REFER", focus, headers=[("Refer-To", "<%s>" % target)])

    def test_three_participants_and_any_may_invite(self):
        # Each user: a registered UA that only receives (answered in a thread) and another
        # connection that sends, so that no two threads read one socket.
        ends = [self.registered("tcp", u) for u in ("alice", "bob", "carol")]
        alice, bob, carol = (self.client("tcp", u) for u in ("alice", "bob", "carol"))
        conf = self.focus("three")
        with AutoAnswer(ends[0]) as a, AutoAnswer(ends[1]) as b, AutoAnswer(ends[2]) as c:
            self.assertStatus(self.refer(alice, conf, "bob"), 202, alice)
            self.assertStatus(self.refer(bob, conf, "carol"), 202, bob)  # not the creator
            self.assertStatus(carol.send_message(conf, "hi from carol"), 202, carol)
            self.assertTrue(poll(lambda: a.texts() and b.texts()), "no copy arrived")
            # Each roster (RFC 4575) lists everyone; carol's join reached all three.
            for inbox in (a, b, c):
                rosters = poll(lambda inbox=inbox: [r for r in inbox.of_type(
                    "application/conference-info+xml") if "carol@" in r.text()])
                self.assertTrue(rosters, "no roster with carol")
                self.assertIn("alice@", rosters[-1].text())
            self.assertStatus(self.refer(alice, conf, "bob", method="BYE"), 202, alice)
            self.assertStatus(alice.send_message(conf, "bob has gone"), 202, alice)
            self.assertTrue(poll(lambda: "bob has gone" in c.texts()))
        self.assertEqual(a.texts(), ["hi from carol"])
        self.assertEqual(b.texts(), ["hi from carol"])
        self.assertEqual(c.texts(), ["bob has gone"])
        copy = a.of_type("text/plain")[0]
        self.assertEqual(uri_key(parse_name_addr(copy.header("From")).uri), uri_key(conf))
        self.assertIn("carol@", parse_name_addr(copy.header("From")).display or "")

    def test_ocs_participant_chats_through_the_bridge(self):
        end = self.registered("tcp", "alice")
        alice = self.client("tcp", "alice")
        bob = self.client("tcp", "bob")
        self.assertStatus(ocs_register(bob), 200, bob)
        conf = self.focus("mixed")
        with AutoAnswer(end) as a:
            self.assertStatus(self.refer(alice, conf, "bob"), 202, alice)
            # bob's endpoint gets the conversation as an IM session from the focus,
            # opened with a text notice (it shows no RFC 4575 roster).
            invite = expect_request(bob, "INVITE")
            self.assertEqual(uri_key(parse_name_addr(invite.header("From")).uri),
                             uri_key(conf))
            self.assertEqual(ms_text_body(invite.header("ms-text-format")),
                             "bob@example.test joined the conversation")
            session = answer_invite(bob, invite)
            self.assertStatus(session.request("MESSAGE", "hi from OCS", "text/plain"), 202, bob)
            self.assertTrue(poll(lambda: "hi from OCS" in a.texts()))
            with Background(alice.send_message, conf, "hi bob") as job:
                msg = expect_request(bob, "MESSAGE")
                bob.reply(msg, 200)
                self.assertStatus(job.result(), 202, alice)
            self.assertEqual(msg.text(), "hi bob")
            self.assertEqual(msg.call_id, invite.call_id)
            # bob hangs up: he leaves the conversation, and alice is told.
            self.assertStatus(session.request("BYE"), 200, bob)
            self.assertTrue(poll(lambda: [r for r in a.of_type("application/conference-info")
                                          if "bob@" not in r.text()][1:]))

    def test_fifty_participants(self):
        inboxes = [AutoAnswer(self.registered("tcp", u)) for u in PARTICIPANTS]
        uas = {0: self.client("tcp", PARTICIPANTS[0]), 7: self.client("tcp", PARTICIPANTS[7])}
        conf = self.focus("fifty")
        for inbox in inboxes:
            inbox.__enter__()
        try:
            for user in PARTICIPANTS[1:]:
                self.assertStatus(self.refer(uas[0], conf, user), 202, uas[0])
            self.assertStatus(uas[7].send_message(conf, "hello fifty"), 202, uas[7])
            others = [inbox for i, inbox in enumerate(inboxes) if i != 7]
            self.assertTrue(poll(lambda: all(i.texts() == ["hello fifty"] for i in others),
                                 timeout=30), "not every participant got the message")
            self.assertEqual(inboxes[7].texts(), [])
        finally:
            for inbox in inboxes:
                inbox.__exit__(None, None, None)


class MeshTest(ServerTestCase):
    """OCS-dialect participants see a conversation as pidgin-sipe's multiparty chat
    (core-server/im/MULTIPARTY.md §3): one Call-ID per participant, one dialog per other
    member with From = that member and TriggeredInvite, messages on the sender's dialog,
    BYE on the dialog of whoever leaves; the per-member copies an OCS client sends make
    one message for everyone."""

    SERVER_CONFIG = {"im": {"flood_max_messages": 0}}

    def focus(self, name):
        return "sip:im-conf-%s@%s" % (name, DOMAIN)

    def refer(self, ua, focus, user):
        return ua.request("REFER", focus, headers=[("Refer-To", "<%s>" % aor(user))])

    def expect_invite_from(self, ua, user):
        invite = expect_request(ua, "INVITE")
        self.assertEqual(uri_key(parse_name_addr(invite.header("From")).uri), uri_key(aor(user)),
                         "INVITE not from %s:\n%s" % (user, invite))
        self.assertEqual(invite.header("TriggeredInvite"), "TRUE")
        self.assertEqual(invite.header("Require"), "com.microsoft.rtc-multiparty")
        self.assertIn("m=message", invite.text())
        return invite

    def page_mode_alice_ocs_bob_and_carol(self):
        """alice's registered standard endpoint, a UA alice sends from, and bob and carol
        registered as OCS-dialect (session-mode) clients."""
        end = self.registered("tcp", "alice")
        alice = self.client("tcp", "alice")
        bob = self.client("tcp", "bob")
        carol = self.client("tcp", "carol")
        self.assertStatus(ocs_register(bob), 200, bob)
        self.assertStatus(ocs_register(carol), 200, carol)
        return end, alice, bob, carol

    def test_alice_page_mode_bob_and_carol_ocs(self):
        end, alice, bob, carol = self.page_mode_alice_ocs_bob_and_carol()
        conf = self.focus("mesh")
        with AutoAnswer(end) as a:
            # alice adds bob: bob gets a multiparty INVITE from alice (not from the focus).
            self.assertStatus(self.refer(alice, conf, "bob"), 202, alice)
            from_alice = self.expect_invite_from(bob, "alice")
            bob_alice = answer_invite(bob, from_alice, text_format_taken=False)
            # alice adds carol: bob gets carol's INVITE in the same Call-ID, another From tag;
            # carol gets one from alice and one from bob.
            self.assertStatus(self.refer(alice, conf, "carol"), 202, alice)
            from_carol = self.expect_invite_from(bob, "carol")
            self.assertEqual(from_carol.call_id, from_alice.call_id)
            self.assertNotEqual(parse_name_addr(from_carol.header("From")).params.get("tag"),
                                parse_name_addr(from_alice.header("From")).params.get("tag"))
            bob_carol = answer_invite(bob, from_carol, text_format_taken=False)
            carol_dialogs = {}
            for _ in range(2):
                invite = expect_request(carol, "INVITE")
                who = parse_name_addr(invite.header("From")).uri
                carol_dialogs[uri_key(who)] = answer_invite(carol, invite, text_format_taken=False)
            self.assertEqual(set(carol_dialogs), {uri_key(aor("alice")), uri_key(aor("bob"))})
            self.assertEqual(len({d.call_id for d in carol_dialogs.values()}), 1)
            self.assertNotEqual(next(iter(carol_dialogs.values())).call_id, from_alice.call_id)
            carol_bob = carol_dialogs[uri_key(aor("bob"))]
            carol_alice = carol_dialogs[uri_key(aor("alice"))]

            # carol writes as sipe does: one copy per member, each on its dialog.
            self.assertStatus(carol_alice.request("MESSAGE", "hi from carol", "text/plain"),
                              202, carol)
            self.assertStatus(carol_bob.request("MESSAGE", "hi from carol", "text/plain"),
                              200, carol)
            msg = expect_request(bob, "MESSAGE")
            bob.reply(msg, 200)
            self.assertEqual(msg.text(), "hi from carol")
            self.assertEqual(msg.call_id, from_alice.call_id)
            self.assertEqual(parse_name_addr(msg.header("From")).params.get("tag"),
                             bob_carol.peer_tag, "not on carol's dialog")
            self.assertTrue(poll(lambda: "hi from carol" in a.texts()))

            # bob writes (one copy per member): carol gets it once, from bob, on bob's dialog.
            self.assertStatus(bob_alice.request("MESSAGE", "hi from bob", "text/plain"), 202, bob)
            self.assertStatus(bob_carol.request("MESSAGE", "hi from bob", "text/plain"), 200, bob)
            msg = expect_request(carol, "MESSAGE")
            carol.reply(msg, 200)
            self.assertEqual(msg.text(), "hi from bob")
            self.assertEqual(msg.call_id, carol_bob.call_id)
            self.assertEqual(parse_name_addr(msg.header("From")).params.get("tag"),
                             carol_bob.peer_tag)
            self.assertTrue(poll(lambda: "hi from bob" in a.texts()))

            # alice writes: each OCS client gets it on alice's dialog.
            self.assertStatus(alice.send_message(conf, "hi from alice"), 202, alice)
            for ua, dialog in ((bob, bob_alice), (carol, carol_alice)):
                msg = expect_request(ua, "MESSAGE")
                ua.reply(msg, 200)
                self.assertEqual(msg.text(), "hi from alice")
                self.assertEqual(parse_name_addr(msg.header("From")).params.get("tag"),
                                 dialog.peer_tag)

            # Typing on bob's dialogs reaches alice as isComposing.
            for dialog in (bob_alice, bob_carol):
                self.assertStatus(dialog.request("INFO", keyboard_activity(True),
                                                 "application/xml"), 200, bob)
            self.assertTrue(poll(lambda: a.of_type(ISCOMPOSING)))
            typing = expect_request(carol, "INFO")
            carol.reply(typing, 200)
            self.assertEqual(keyboard_status(typing.text()), "type")
            self.assertEqual(typing.call_id, carol_bob.call_id)

            # carol closes her chat (BYE on every dialog): bob gets BYE on carol's dialog.
            for dialog in (carol_alice, carol_bob):
                self.assertStatus(dialog.request("BYE"), 200, carol)
            bye = expect_request(bob, "BYE")
            bob.reply(bye, 200)
            self.assertEqual(bye.call_id, from_alice.call_id)
            self.assertEqual(parse_name_addr(bye.header("From")).params.get("tag"),
                             bob_carol.peer_tag)
            self.assertTrue(poll(lambda: [r for r in a.of_type("application/conference-info")
                                          if "carol@" not in r.text()][2:]),
                            "alice was not told that carol left")
            # A session refresh on the dialog that is left still works; carol's is gone.
            self.assertStatus(bob_alice.request("UPDATE"), 200, bob)
            self.assertStatus(bob_carol.request("MESSAGE", "late", "text/plain"), 481, bob)
        self.assertEqual(a.texts(), ["hi from carol", "hi from bob"])
        self.assertEqual(len(a.of_type(ISCOMPOSING)), 1, "typing copies were not merged")
        self.assertIsNone(carol.recv_request(timeout=1), "carol got a further request")

    def test_ocs_client_whose_connection_goes_leaves(self):
        end, alice, bob, carol = self.page_mode_alice_ocs_bob_and_carol()
        conf = self.focus("gone")
        with AutoAnswer(end) as a:
            self.assertStatus(self.refer(alice, conf, "bob"), 202, alice)
            from_alice = self.expect_invite_from(bob, "alice")
            answer_invite(bob, from_alice)
            # bob's client INVITEs alice itself in the chat's Call-ID (sipe's triggered
            # INVITE): the mesh answers it; alice's endpoint never sees it.
            resp = bob.request("INVITE", aor("alice"), call_id=from_alice.call_id,
                               headers=[("Contact", "<%s>" % bob.contact_uri),
                                        ("TriggeredInvite", "TRUE")],
                               body=SDP_OFFER, content_type="application/sdp")
            self.assertStatus(resp, 200, bob)
            self.assertIn("m=message", resp.text())
            bye = expect_request(bob, "BYE")  # its dialog replaced the one we opened
            bob.reply(bye, 200)
            self.assertEqual(parse_name_addr(bye.header("From")).params.get("tag"),
                             parse_name_addr(from_alice.header("From")).params.get("tag"))
            self.assertStatus(self.refer(alice, conf, "carol"), 202, alice)
            answer_invite(bob, self.expect_invite_from(bob, "carol"))
            carol_dialogs = {}
            for _ in range(2):
                invite = expect_request(carol, "INVITE")
                who = uri_key(parse_name_addr(invite.header("From")).uri)
                carol_dialogs[who] = answer_invite(carol, invite)
            bob.close()  # sipe's flow-bound registration goes with the connection
            bye = expect_request(carol, "BYE")
            carol.reply(bye, 200)
            self.assertEqual(parse_name_addr(bye.header("From")).params.get("tag"),
                             carol_dialogs[uri_key(aor("bob"))].peer_tag)
            self.assertTrue(poll(lambda: [r for r in a.of_type("application/conference-info")
                                          if "carol@" in r.text() and "bob@" not in r.text()]),
                            "alice was not told that bob left")
        self.assertEqual([r for r in a.requests if r.method == "INVITE"], [],
                         "a triggered INVITE reached alice")


class OfflineCrashTest(ServerTestCase):
    """Offline delivery across a crash between the recipient's 2xx and the commit of the
    delete (core-server/im/README.md, "Offline delivery: exactly once?"): the test hook
    CONFAB_TEST_KILL_AFTER_OFFLINE_2XX (debug builds) SIGKILLs confabd right after the 2xx.
    The guarantee: no stored message is lost; one that may have been delivered comes again
    with the same identity (Call-ID, From tag, CSeq, Confab-Offline-Id), so the recipient
    sees every message once after dropping repeated ids; order is kept."""

    HOOK = "CONFAB_TEST_KILL_AFTER_OFFLINE_2XX"

    @classmethod
    def setUpClass(cls):
        import os
        os.environ[cls.HOOK] = "1"  # the first offline delivery that gets its 2xx
        try:
            super().setUpClass()
        finally:
            del os.environ[cls.HOOK]

    def test_killed_after_2xx_redelivers_with_the_same_identity(self):
        alice = self.client("tcp", "alice")
        for text in ("first", "second"):
            self.assertStatus(alice.send_message(aor("dave"), text), 202, alice)
        alice.close()
        dave = self.client("tcp", "dave")
        self.assertStatus(dave.register(expires=600), 200, dave)
        first = expect_request(dave, "MESSAGE")
        dave.reply(first, 200)
        if not poll(lambda: not self.server.alive(), timeout=5):
            self.skipTest("confabd has no test hooks (a release build)")
        dave.close()
        self.server.start()  # the same storage; the hook is off now
        dave = self.client("tcp", "dave")
        # The killed run's binding is still stored: remove it, so that the one endpoint
        # of dave's is this UA (two bindings would each get a copy).
        self.assertStatus(dave.register(expires=0, contact="*"), 200, dave)
        self.assertStatus(dave.register(expires=600), 200, dave)
        with Responder(dave, 200, count=2) as got:
            pass
        texts = [r.text() for r in got.requests]
        self.assertEqual(texts, ["first", "second"], "lost or reordered")
        again = got.requests[0]
        for header in ("Call-ID", "Confab-Offline-Id", "CSeq"):
            self.assertEqual(again.header(header), first.header(header), header)
        self.assertEqual(parse_name_addr(again.header("From")).params.get("tag"),
                         parse_name_addr(first.header("From")).params.get("tag"))
        self.assertNotEqual(got.requests[1].header("Confab-Offline-Id"),
                            first.header("Confab-Offline-Id"))
        # What a recipient that drops repeated ids shows: each message once.
        seen, shown = set(), []
        for r in [first] + got.requests:
            if r.header("Confab-Offline-Id") not in seen:
                seen.add(r.header("Confab-Offline-Id"))
                shown.append(r.text())
        self.assertEqual(shown, ["first", "second"])
        # Acknowledged now and deleted: never again.
        self.assertStatus(dave.register(expires=600), 200, dave)
        self.assertIsNone(dave.recv_request(timeout=1.5), "a delivered message came again")


class ConferenceSubscriptionTest(ServerTestCase):
    """RFC 4575 conference event package on the focus: participants SUBSCRIBE to
    sip:im-conf-<id>@domain with Event: conference; a full NOTIFY first, a partial one per
    join and leave, refresh, unsubscribe, and a terminated NOTIFY when they leave."""

    SERVER_CONFIG = {"im": {"flood_max_messages": 0}}

    def focus(self, name):
        return "sip:im-conf-%s@%s" % (name, DOMAIN)

    def refer(self, ua, focus, user, method=None):
        target = aor(user) + (";method=%s" % method if method else "")
        return ua.request("REFER", focus, headers=[("Refer-To", "<%s>" % target)])

    def subscribe(self, ua, focus, expires=600, event="conference"):
        return ua.request("SUBSCRIBE", focus, headers=[
            ("Event", event), ("Accept", "application/conference-info+xml"),
            ("Contact", "<%s>" % ua.contact_uri), ("Expires", str(expires))])

    def notify(self, ua, timeout=5):
        """The next NOTIFY to `ua`, answered 200."""
        req = ua.recv_request(timeout=timeout)
        self.assertIsNotNone(req, "no NOTIFY")
        self.assertEqual(req.method, "NOTIFY", str(req))
        ua.reply(req, 200)
        self.assertEqual(req.header("Event"), "conference")
        return req

    def test_subscribe_notify_refresh_and_leave(self):
        ends = [self.registered("tcp", u) for u in ("alice", "bob", "carol")]
        alice, bob, carol = (self.client("tcp", u) for u in ("alice", "bob", "carol"))
        conf = self.focus("watched")
        with AutoAnswer(ends[0]) as a, AutoAnswer(ends[1]) as b, AutoAnswer(ends[2]):
            self.assertStatus(self.refer(alice, conf, "bob"), 202, alice)
            # Participants only; the package must be "conference".
            self.assertStatus(self.subscribe(carol, conf), 403, carol)
            self.assertStatus(self.subscribe(carol, self.focus("nothing")), 403, carol)
            resp = self.subscribe(alice, conf, event="presence")
            self.assertStatus(resp, 489, alice)
            self.assertEqual(resp.header("Allow-Events"), "conference")
            resp = alice.request("SUBSCRIBE", conf, headers=[
                ("Event", "conference"), ("Accept", "text/plain"),
                ("Contact", "<%s>" % alice.contact_uri)])
            self.assertStatus(resp, 406, alice)
            resp = alice.request("SUBSCRIBE", conf, headers=[("Event", "conference")])
            self.assertStatus(resp, 400, alice)  # no Contact
            self.assertStatus(self.subscribe(alice, conf, expires=10), 423, alice)
            resp = self.subscribe(alice, conf, expires=600)
            self.assertStatus(resp, 200, alice)
            self.assertLessEqual(int(resp.header("Expires")), 600)
            dialog_uri = parse_name_addr(resp.header("Contact")).uri
            to_tag, call_id = resp.to_tag(), resp.call_id
            full = self.notify(alice)
            self.assertTrue(full.header("Subscription-State").startswith("active"))
            self.assertEqual(full.header("Content-Type"), "application/conference-info+xml")
            self.assertIn('state="full"', full.text())
            self.assertIn("sip:alice@", full.text())
            self.assertIn("sip:bob@", full.text())
            self.assertEqual(full.call_id, call_id)
            self.assertEqual(parse_name_addr(full.header("From")).params.get("tag"), to_tag)
            # bob invites carol: a partial NOTIFY to the subscriber, MESSAGE rosters to
            # the others; alice's endpoint no longer gets rosters by MESSAGE.
            self.assertStatus(self.refer(bob, conf, "carol"), 202, bob)
            joined = self.notify(alice)
            self.assertIn('state="partial"', joined.text())
            self.assertIn('<user entity="sip:carol@example.test" state="full">', joined.text())
            self.assertTrue(poll(lambda: [r for r in b.of_type(
                "application/conference-info+xml") if "carol@" in r.text()]))
            self.assertFalse([r for r in a.of_type("application/conference-info+xml")
                              if "carol@" in r.text()])
            # A refresh inside the dialog: 200 and the full state again.
            refresh = alice.build_request(
                "SUBSCRIBE", dialog_uri, to=conf, to_tag=to_tag, call_id=call_id,
                headers=[("Event", "conference"), ("Contact", "<%s>" % alice.contact_uri),
                         ("Expires", "300")])
            self.assertStatus(alice.transact_with_auth(refresh), 200, alice)
            again = self.notify(alice)
            self.assertIn("sip:carol@", again.text())
            self.assertIn("expires=", again.header("Subscription-State"))
            # An unknown dialog: 481.
            stray = alice.build_request("SUBSCRIBE", dialog_uri, to=conf, to_tag="nope",
                                        call_id=call_id, headers=[("Event", "conference")])
            self.assertStatus(alice.transact_with_auth(stray), 481, alice)
            # bob is removed: a partial NOTIFY with him deleted.
            self.assertStatus(self.refer(alice, conf, "bob", method="BYE"), 202, alice)
            left = self.notify(alice)
            self.assertIn('<user entity="sip:bob@example.test" state="deleted">', left.text())
            # Unsubscribe: 200 and a terminated NOTIFY; then no more NOTIFYs.
            bye = alice.build_request(
                "SUBSCRIBE", dialog_uri, to=conf, to_tag=to_tag, call_id=call_id,
                headers=[("Event", "conference"), ("Contact", "<%s>" % alice.contact_uri),
                         ("Expires", "0")])
            self.assertStatus(alice.transact_with_auth(bye), 200, alice)
            self.assertTrue(self.notify(alice).header("Subscription-State")
                            .startswith("terminated"))
            self.assertStatus(self.refer(carol, conf, "bob"), 202, carol)
            self.assertIsNone(alice.recv_request(timeout=1), "NOTIFY after unsubscribe")
            # A new subscription ends when its watcher leaves the conversation.
            self.assertStatus(self.subscribe(alice, conf), 200, alice)
            self.notify(alice)
            self.assertStatus(self.refer(alice, conf, "alice", method="BYE"), 202, alice)
            gone = self.notify(alice)
            self.assertEqual(gone.header("Subscription-State"), "terminated;reason=rejected")


ALT_TYPE = 'multipart/alternative; boundary="alt-1"'
ALT_BODY = ("--alt-1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello *bold*\r\n"
            "--alt-1\r\nContent-Type: text/html\r\n\r\n<p>hello <b>bold</b></p>\r\n"
            "--alt-1--\r\n")


class MultipartAlternativeTest(ServerTestCase):
    """text/plain + text/html in one multipart/alternative MESSAGE: a standard client gets
    it as sent; an OCS session client gets one part inline in ms-text-format (the richest
    it takes: text/html) and the rest of the conversation as sent (its SDP accepts
    multipart/alternative)."""

    def test_kept_end_to_end_to_a_standard_client(self):
        bob = self.registered("tcp", "bob")
        alice = self.client("tcp", "alice")
        with Responder(bob, 200) as got:
            self.assertStatus(alice.send_message(aor("bob"), ALT_BODY, content_type=ALT_TYPE),
                              200, alice)
        self.assertEqual(len(got.requests), 1)
        self.assertEqual(got.requests[0].header("Content-Type"), ALT_TYPE)
        self.assertEqual(got.requests[0].text(), ALT_BODY)

    def test_stored_offline_and_delivered_intact(self):
        alice = self.client("tcp", "alice")
        self.assertStatus(alice.send_message(aor("dave"), ALT_BODY, content_type=ALT_TYPE),
                          202, alice)
        dave = self.client("tcp", "dave")
        self.assertStatus(dave.register(expires=600), 200, dave)
        with Responder(dave, 200) as got:
            pass
        self.assertEqual([(r.header("Content-Type"), r.text()) for r in got.requests],
                         [(ALT_TYPE, ALT_BODY)])

    def test_ocs_session_client_gets_the_html_part_inline(self):
        bob = self.client("tcp", "bob")
        self.assertStatus(ocs_register(bob), 200, bob)
        alice = self.registered("tcp", "alice")
        with Background(alice.send_message, aor("bob"), ALT_BODY, content_type=ALT_TYPE) as job:
            invite = expect_request(bob, "INVITE")
            answer_invite(bob, invite)
            self.assertStatus(job.result(), 200, alice)
        text_format = invite.header("ms-text-format")
        self.assertTrue(text_format.startswith("text/html"), text_format)
        self.assertEqual(ms_text_body(text_format), "<p>hello <b>bold</b></p>")
        # In the session the whole alternative goes as sent.
        with Background(alice.send_message, aor("bob"), ALT_BODY, content_type=ALT_TYPE) as job:
            msg = expect_request(bob, "MESSAGE")
            bob.reply(msg, 200)
            self.assertStatus(job.result(), 200, alice)
        self.assertEqual(msg.call_id, invite.call_id)
        self.assertEqual(msg.header("Content-Type"), ALT_TYPE)
        self.assertEqual(msg.text(), ALT_BODY)


class FloodTest(ServerTestCase):

    SERVER_CONFIG = {"im": {"flood_max_messages": 3, "flood_window_s": 60,
                            "max_body_size": 100}}

    def test_flood_and_size(self):
        alice = self.client("tcp", "alice")
        for i in range(3):
            self.assertStatus(alice.send_message(aor("olivia"), "m%d" % i), 202, alice)
        resp = alice.send_message(aor("olivia"), "flood")
        self.assertStatus(resp, 503, alice)
        self.assertIsNotNone(resp.header("Retry-After"))
        bob = self.client("tcp", "bob")
        self.assertStatus(bob.send_message(aor("olivia"), "x" * 101), 413, bob)


if __name__ == "__main__":
    unittest.main()
