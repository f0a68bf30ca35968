"""INVITE through the proxy (RFC 3261 §16): parallel forking with the first 2xx winning and
the other branches CANCELled, a CANCEL from the caller, best-response selection, and
in-dialog requests that come back through our Record-Route and follow the callers' and
callees' flows (neither side listens on a port: they use TCP connections)."""

import threading
import unittest

from confabtest import ServerTestCase
from server import DOMAIN
from sipclient import new_tag, parse_name_addr, uri_key

SDP = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=message 9 TCP/MSRP *\r\n")


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


def send_invite(ua, target, timeout=15):
    """Sends an INVITE to target's AOR, answering one 407; returns (invite as last sent,
    its first response other than 100 and 407, or None)."""
    req = ua.build_request("INVITE", aor(target), body=SDP, content_type="application/sdp",
                           headers=[("Contact", "<%s>" % ua.contact_uri)])
    ua.send(req)
    resp = first_response(ua, req, timeout)
    if resp is not None and resp.status == 407:
        ua.send(ack_for(ua, req, resp))
        req = ua.renew(req)
        ua.authorize(req, resp)
        ua.send(req)
        resp = first_response(ua, req, timeout)
    return req, resp


def first_response(ua, req, timeout):
    resp = ua.wait_response(req, timeout=timeout, final=False)
    while resp is not None and resp.status == 100:
        resp = ua.wait_response(req, timeout=timeout, final=False)
    return resp


def ack_for(ua, invite, response):
    """The ACK for a non-2xx final (RFC 3261 §17.1.1.3): same branch, To from the response."""
    ack = ua.build_request("ACK", invite.uri, call_id=invite.call_id)
    for name in ("Via", "From"):
        ack.set_header(name, invite.header(name))
    ack.set_header("To", response.header("To"))
    ack.set_header("CSeq", "%s ACK" % invite.header("CSeq").split()[0])
    return ack


class Call:
    """The caller side of one INVITE, run in a thread so the test can play the callees
    meanwhile. Only the thread uses the caller's transport until the call is joined."""

    def __init__(self, caller, target):
        self.caller, self.target = caller, target
        self.final = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        invite, resp = send_invite(self.caller, self.target)
        while resp is not None and resp.status < 200:
            resp = self.caller.wait_response(invite, timeout=15, final=False)
        self.final = resp
        if resp is not None and resp.status >= 300:
            self.caller.send(ack_for(self.caller, invite, resp))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(20)


def set_to_tag(request, tag):
    """Makes replies to `request` carry `tag` (the same dialog for 180 and 200)."""
    request.set_header("To", "%s;tag=%s" % (request.header("To"), tag))


def build_in_dialog(ua, method, response, remote_target, route_set, cseq, from_header, to_header):
    """A request inside the dialog `response` established: RFC 3261 §12.2.1.1."""
    req = ua.build_request(method, remote_target, call_id=response.call_id,
                           headers=[("Route", r) for r in route_set])
    req.set_header("From", from_header)
    req.set_header("To", to_header)
    req.set_header("CSeq", "%d %s" % (cseq, method))
    return req


class InviteTest(ServerTestCase):

    def expect_request(self, ua, method, timeout=5):
        req = ua.recv_request(timeout=timeout)
        self.assertIsNotNone(req, "%s received no %s" % (ua.contact_uri, method))
        self.assertEqual(req.method, method, str(req))
        return req

    def test_fork_first_2xx_wins_and_the_dialog_follows_the_flows(self):
        ep_udp = self.registered("udp", "grace")
        ep_tcp = self.registered("tcp", "grace")
        alice = self.client("tcp", "alice")
        with Call(alice, "grace") as call:
            inv_udp = self.expect_request(ep_udp, "INVITE")
            inv_tcp = self.expect_request(ep_tcp, "INVITE")
            self.assertTrue(inv_tcp.values("Record-Route"), "no Record-Route:\n%s" % inv_tcp)
            set_to_tag(inv_udp, new_tag())
            ep_udp.reply(inv_udp, 180)
            tag = new_tag()
            set_to_tag(inv_tcp, tag)
            ep_tcp.reply(inv_tcp, 180)
            # A UAS copies Record-Route into its 2xx (RFC 3261 §12.1.1).
            ep_tcp.reply(inv_tcp, 200,
                         headers=[("Record-Route", v) for v in inv_tcp.values("Record-Route")] +
                         [("Contact", "<%s>" % ep_tcp.contact_uri)],
                         body=SDP, content_type="application/sdp")
            # The losing branch is cancelled (RFC 3261 §16.7 step 10).
            cancel = self.expect_request(ep_udp, "CANCEL")
            ep_udp.reply(cancel, 200)
            ep_udp.reply(inv_udp, 487)
            self.expect_request(ep_udp, "ACK")  # hop-by-hop ACK for the 487
        final = call.final
        self.assertStatus(final, 200, alice)
        self.assertEqual(parse_name_addr(final.header("To")).params.get("tag"), tag)
        record_route = final.values("Record-Route")
        self.assertTrue(record_route, str(final))
        # The caller ACKs along the route set (reversed Record-Route, §12.1.2).
        caller_routes = list(reversed(record_route))
        callee_target = parse_name_addr(final.values("Contact")[0]).uri
        invite_cseq = int(final.header("CSeq").split()[0])
        ack = build_in_dialog(alice, "ACK", final, callee_target, caller_routes, invite_cseq,
                              final.header("From"), final.header("To"))
        alice.send(ack)
        self.expect_request(ep_tcp, "ACK")
        # The callee hangs up: its BYE goes to the caller's Contact, which is a TCP address
        # nobody listens on; the proxy must use the caller's connection.
        bye = build_in_dialog(ep_tcp, "BYE", final, parse_name_addr(
            inv_tcp.values("Contact")[0]).uri, record_route, 1, final.header("To"),
            final.header("From"))
        ep_tcp.send(bye)
        got = self.expect_request(alice, "BYE")
        alice.reply(got, 200)
        resp = ep_tcp.wait_response(bye)
        self.assertStatus(resp, 200, ep_tcp)

    def test_caller_cancel_ends_every_branch_with_487(self):
        ep = self.registered("tcp", "ivan")
        alice = self.client("udp", "alice")
        invite, first = send_invite(alice, "ivan", timeout=0.5)  # the callee answers below
        inv = self.expect_request(ep, "INVITE")
        set_to_tag(inv, new_tag())
        ep.reply(inv, 180)
        ringing = first if first is not None else first_response(alice, invite, 5)
        self.assertStatus(ringing, 180, alice)
        # RFC 3261 §9.1: the CANCEL copies the INVITE's Request-URI, Via, From, To, CSeq number.
        cancel = alice.build_request("CANCEL", invite.uri, call_id=invite.call_id)
        for name in ("Via", "From", "To"):
            cancel.set_header(name, invite.header(name))
        cancel.set_header("CSeq", "%s CANCEL" % invite.header("CSeq").split()[0])
        alice.send(cancel)
        self.assertStatus(alice.wait_response(cancel), 200, alice)
        got = self.expect_request(ep, "CANCEL")
        ep.reply(got, 200)
        ep.reply(inv, 487)
        self.expect_request(ep, "ACK")
        final = alice.wait_response(invite)
        self.assertStatus(final, 487, alice)
        alice.send(ack_for(alice, invite, final))

    def test_cancel_for_nothing_is_481(self):
        alice = self.client("udp", "alice")
        cancel = alice.build_request("CANCEL", aor("bob"))
        cancel.set_header("CSeq", "1 CANCEL")
        alice.send(cancel)
        self.assertStatus(alice.wait_response(cancel), 481, alice)

    def test_busy_callee_gets_hop_by_hop_ack_and_caller_gets_486(self):
        ep = self.registered("udp", "judy")
        alice = self.client("tcp", "alice")
        with Call(alice, "judy") as call:
            inv = self.expect_request(ep, "INVITE")
            ep.reply(inv, 486)
            self.expect_request(ep, "ACK")
        self.assertStatus(call.final, 486, alice)

    def test_invite_to_unregistered_user_is_480(self):
        alice = self.client("udp", "alice")
        resp = alice.request("INVITE", aor("trent"), body=SDP, content_type="application/sdp")
        self.assertStatus(resp, 480, alice)


if __name__ == "__main__":
    unittest.main()
