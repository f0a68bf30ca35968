"""No open relay: a Route naming us (as clients with an outbound proxy send) never skips
authentication or location, and only participants of a dialog we recorded (with our signed
Record-Route) can use it to reach the other side. Regression tests for the probes that
found confabd relaying unauthenticated requests to any address."""

import unittest

from confabtest import ServerTestCase
from server import DOMAIN
from sipclient import Responder


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


class RelayTest(ServerTestCase):

    def route_to_us(self, ua):
        host, port = ua.server[:2]
        transport = "" if ua.transport.name == "udp" else ";transport=%s" % ua.transport.name
        return ("Route", "<sip:%s:%d%s;lr>" % (host, port, transport))

    def test_outbound_proxy_route_is_authenticated_and_delivered(self):
        bob = self.registered("tcp", "bob")
        alice = self.client("tcp", "alice")
        resp = alice.send_message(aor("bob"), "via outbound proxy", auth=False,
                                  headers=[self.route_to_us(alice)])
        self.assertStatus(resp, 407, alice)
        with Responder(bob, 200) as answer:
            resp = alice.send_message(aor("bob"), "via outbound proxy",
                                      headers=[self.route_to_us(alice)])
        self.assertStatus(resp, 200, alice)
        self.assertEqual([r.text() for r in answer.requests], ["via outbound proxy"])

    def test_route_to_us_with_a_contact_address_is_not_relayed(self):
        bob = self.registered("udp", "bob")
        alice = self.client("udp", "alice")
        unauth = alice.send_message(bob.contact_uri, "probe", auth=False,
                                    headers=[self.route_to_us(alice)])
        self.assertStatus(unauth, 407, alice)
        authed = alice.send_message(bob.contact_uri, "probe", headers=[self.route_to_us(alice)])
        self.assertStatus(authed, 403, alice)
        self.assertIsNone(bob.recv_request(timeout=0.5), "the probe reached bob")

    def test_foreign_sender_is_refused(self):
        bob = self.registered("udp", "bob")
        mallory = self.client("udp")  # anonymous@anonymous.invalid
        req = mallory.build_request("MESSAGE", bob.contact_uri, body=b"relay?",
                                    content_type="text/plain",
                                    headers=[self.route_to_us(mallory)])
        resp = mallory.transact(req)
        self.assertStatus(resp, 403, mallory)
        self.assertIsNone(bob.recv_request(timeout=0.5), "the probe reached bob")

    def test_forged_record_route_in_dialog_is_refused(self):
        bob = self.registered("tcp", "bob")
        alice = self.client("tcp", "alice")
        host, port = alice.server[:2]
        forged = "<sip:%s:%d;transport=tcp;lr;cf=00;ef=00;fs=0123456789abcdef0123456789abcdef>" % (
            host, port)
        req = alice.build_request("MESSAGE", bob.contact_uri, body=b"in-dialog forgery",
                                  content_type="text/plain", headers=[("Route", forged)],
                                  to_tag="forged")
        resp = alice.transact(req)
        self.assertStatus(resp, 403, alice)
        self.assertIsNone(bob.recv_request(timeout=0.5), "the forgery reached bob")


if __name__ == "__main__":
    unittest.main()
