"""Pager MESSAGE (RFC 3428) through the proxy: 407 for local senders, delivery over the
transport and connection the target registered on, parallel forking to every binding and
the best response (RFC 3261 §16.7), 404 and 480."""

import unittest

from confabtest import ServerTestCase
from server import DOMAIN
from sipclient import Responder, parse_challenge, parse_name_addr, uri_key


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


class MessageTest(ServerTestCase):

    def deliver(self, sender, target, text):
        """sender MESSAGEs target's AOR; target answers 200; returns (response, request
        received by the target)."""
        with Responder(target, 200) as answer:
            resp = sender.send_message(aor(target.user), text)
        self.assertStatus(resp, 200, sender)
        self.assertEqual(len(answer.requests), 1, "the target received no MESSAGE")
        req = answer.requests[0]
        self.assertEqual(req.method, "MESSAGE")
        self.assertEqual(req.text(), text)
        self.assertEqual(uri_key(req.uri), uri_key(target.contact_uri),
                         "Request-URI not retargeted to the binding:\n%s" % req)
        self.assertEqual(uri_key(parse_name_addr(req.header("From")).uri), uri_key(sender.aor))
        self.assertGreaterEqual(len(req.values("Via")), 2, "the proxy added no Via:\n%s" % req)
        self.assertEqual(int(req.header("Max-Forwards")), 69, req)
        return resp, req

    def test_407_challenge_for_local_sender(self):
        alice = self.client("udp", "alice")
        resp = alice.send_message(aor("trent"), "hello?", auth=False)
        self.assertStatus(resp, 407, alice)
        offered = [parse_challenge(v)[1] for v in resp.header_fields("Proxy-Authenticate")]
        self.assertTrue(offered, resp)
        self.assertEqual([p.get("algorithm", "MD5").upper() for p in offered][:2],
                         ["SHA-256", "MD5"], resp)
        self.assertIn("auth", offered[0].get("qop", ""), resp)
        # Answered, it gets through authentication (trent has no binding: stored, 202).
        self.assertStatus(alice.send_message(aor("trent"), "hello?"), 202, alice)

    def test_udp_to_udp(self):
        bob = self.registered("udp", "bob")
        self.deliver(self.client("udp", "alice"), bob, "hello bob over UDP")

    def test_to_tcp_target_on_its_connection(self):
        carol = self.registered("tcp", "carol")
        self.deliver(self.client("udp", "alice"), carol, "hello carol over TCP")
        self.deliver(self.client("tcp", "alice"), carol, "again over TCP")

    def test_to_tls_target_on_its_connection(self):
        dave = self.registered("tls", "dave")
        self.deliver(self.client("tls", "alice"), dave, "hello dave over TLS")
        self.deliver(self.client("udp", "alice"), dave, "and from UDP")

    def test_utf8_body(self):
        bob = self.registered("tcp", "heidi")
        self.deliver(self.client("tcp", "alice"), bob, "grüße – 你好 – 🙂")

    def test_parallel_forking_to_every_binding(self):
        ep_udp = self.registered("udp", "erin")
        ep_tcp = self.registered("tcp", "erin")
        alice = self.client("tcp", "alice")
        with Responder(ep_udp, 200) as a, Responder(ep_tcp, 200) as b:
            resp = alice.send_message(aor("erin"), "to both")
        self.assertStatus(resp, 200, alice)
        for ep, r in ((ep_udp, a), (ep_tcp, b)):
            self.assertEqual([q.text() for q in r.requests], ["to both"],
                             "endpoint %s did not get the MESSAGE" % ep.contact_uri)
            self.assertEqual(uri_key(r.requests[0].uri), uri_key(ep.contact_uri))

    def test_best_response_is_200_when_any_branch_accepts(self):
        ep_busy = self.registered("udp", "frank")
        ep_ok = self.registered("tcp", "frank")
        alice = self.client("udp", "alice")
        busy = Responder(ep_busy, 486)
        ok = Responder(ep_ok, 200, after=busy.done)   # answers only after the 486 went out
        with busy, ok:
            resp = alice.send_message(aor("frank"), "who is there")
        self.assertEqual(len(busy.requests), 1)
        self.assertEqual(len(ok.requests), 1)
        self.assertStatus(resp, 200, alice)

    def test_best_response_when_all_branches_fail(self):
        ep1 = self.registered("udp", "grace")
        ep2 = self.registered("tcp", "grace")
        alice = self.client("tcp", "alice")
        with Responder(ep1, 486), Responder(ep2, 480):
            resp = alice.send_message(aor("grace"), "anyone?")
        self.assertStatus(resp, (480, 486), alice)

    def test_unknown_user_404(self):
        alice = self.client("udp", "alice")
        self.assertStatus(alice.send_message(aor("nobody-here"), "hello"), 404, alice)

    def test_known_user_without_bindings_stored_202(self):
        # Stored for offline delivery (test_im.py checks the delivery itself).
        alice = self.client("tcp", "alice")
        self.assertStatus(alice.send_message(aor("zoe"), "hello"), 202, alice)

    def test_unregistered_endpoint_no_longer_receives(self):
        ep1 = self.registered("udp", "ivan")
        ep2 = self.registered("udp", "ivan")
        self.assertStatus(ep2.unregister(), 200, ep2)
        alice = self.client("udp", "alice")
        with Responder(ep1, 200) as r:
            resp = alice.send_message(aor("ivan"), "only ep1")
        self.assertStatus(resp, 200, alice)
        self.assertEqual(len(r.requests), 1)
        # Forks go out together, so a stray copy would already be (nearly) there.
        self.assertIsNone(ep2.recv_request(timeout=0.5),
                          "a removed binding still received the MESSAGE")


if __name__ == "__main__":
    unittest.main()
