"""XCAP (RFC 4825) contact lists for standard clients: presence.xcap.

A standard client edits its server-side contact list as a resource-lists document (RFC 4826)
over HTTP with Digest credentials of its SIP account; the edit reaches its `;list=` subscription
at once and survives a restart. Python's http.client with a small digest client of our own.
"""

import hashlib
import http.client
import os
import re
import ssl
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

from confabtest import ServerTestCase
from presence_helpers import next_notify
from server import DOMAIN, HOST, password_of

RL = "urn:ietf:params:xml:ns:resource-lists"
RLMI = "{urn:ietf:params:xml:ns:rlmi}"
ROOT = "/xcap"


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


def doc_path(user, node=None):
    path = "%s/resource-lists/users/%s/index" % (ROOT, aor(user))
    if node:
        path += "/~~/" + node
    return urllib.parse.quote(path, safe="/:@~")


class XcapClient:
    """HTTP with Digest (RFC 7616, qop=auth, MD5) on one keep-alive connection."""

    def __init__(self, port, user, password, tls=False):
        self.port, self.user, self.password, self.tls = port, user, password, tls
        self.challenge = None
        self.nc = 0
        self.conn = self._connect()

    def _connect(self):
        if not self.tls:
            return http.client.HTTPConnection(HOST, self.port, timeout=5)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the test server's self-signed certificate
        return http.client.HTTPSConnection(HOST, self.port, timeout=5, context=context)

    def close(self):
        self.conn.close()

    def _authorization(self, method, path):
        c = self.challenge
        self.nc += 1
        nc = "%08x" % self.nc
        cnonce = os.urandom(8).hex()
        md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
        ha1 = md5("%s:%s:%s" % (self.user, c["realm"], self.password))
        ha2 = md5("%s:%s" % (method, path))
        response = md5(":".join([ha1, c["nonce"], nc, cnonce, "auth", ha2]))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=MD5, qop=auth, nc=%s, cnonce="%s", opaque="%s"' % (
                    self.user, c["realm"], c["nonce"], path, response, nc, cnonce,
                    c.get("opaque", "")))

    def _send(self, method, path, body, headers):
        headers = dict(headers or {})
        if self.challenge is not None:
            headers["Authorization"] = self._authorization(method, path)
        data = body.encode() if isinstance(body, str) else body
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()
            self.conn = self._connect()
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
        resp.text = resp.read().decode("utf-8", "replace")
        return resp

    def request(self, method, path, body=None, headers=None):
        resp = self._send(method, path, body, headers)
        if resp.status == 401:
            for value in resp.headers.get_all("WWW-Authenticate") or []:
                if "MD5" in value:
                    self.challenge = dict(re.findall(r'(\w+)="([^"]*)"', value))
                    self.nc = 0
            resp = self._send(method, path, body, headers)
        return resp


def document(*lists):
    """A resource-lists document: lists of (name, [(uri, display name), ...])."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<resource-lists xmlns="%s">' % RL]
    for name, entries in lists:
        out.append('<list name="%s">' % name)
        for uri, display in entries:
            out.append('<entry uri="%s"><display-name>%s</display-name></entry>' % (uri, display))
        out.append("</list>")
    out.append("</resource-lists>")
    return "\n".join(out)


def rlmi_of(test, req):
    ctype = req.header("Content-Type")
    test.assertTrue(ctype.startswith("multipart/related"), req)
    boundary = re.search(r'boundary="?([^";]+)"?', ctype).group(1)
    first = req.text().split("--" + boundary)[1]
    return ET.fromstring(first.partition("\r\n\r\n")[2].strip())


def members(rlmi):
    return {r.get("uri") for r in rlmi.findall(RLMI + "resource")}


class XcapTest(ServerTestCase):
    SERVER_CONFIG = {"presence": {"xcap": {"enabled": True, "port": 0,
                                           "max_document_size": 8192}}}

    def xcap(self, user, password=None):
        port = self.server.ports.get("xcap")
        self.assertTrue(port, "no xcap port in the ports file: %r" % self.server.ports)
        c = XcapClient(port, user, password if password is not None else password_of(user))
        self.addCleanup(c.close)
        return c

    def list_subscribe(self, ua):
        call_id = ua.new_call_id()
        resp = ua.request("SUBSCRIBE", aor(ua.user) + ";list=friends", to=aor(ua.user),
                          call_id=call_id,
                          headers=[("Event", "presence"), ("Expires", "600"),
                                   ("Supported", "eventlist"),
                                   ("Accept", "application/pidf+xml, application/rlmi+xml, "
                                              "multipart/related"),
                                   ("Contact", "<%s>" % ua.contact_uri)])
        self.assertStatus(resp, 200, ua)
        return call_id

    def test_caps(self):
        resp = self.xcap("alice").request("GET", ROOT + "/xcap-caps/global/index")
        self.assertEqual(resp.status, 200, resp.text)
        self.assertEqual(resp.getheader("Content-Type"), "application/xcap-caps+xml")
        self.assertIn("<auid>resource-lists</auid>", resp.text)

    def test_edit_reaches_the_list_subscription_and_survives_a_restart(self):
        alice = self.xcap("alice")
        resp = alice.request("PUT", doc_path("alice"), document(("friends", [])),
                             {"Content-Type": "application/resource-lists+xml"})
        self.assertIn(resp.status, (200, 201), resp.text)
        etag = resp.getheader("ETag")
        self.assertTrue(etag)

        ua = self.registered("tcp", "alice")
        call_id = self.list_subscribe(ua)
        first = next_notify(ua, call_id, timeout=5)
        self.assertIsNotNone(first, "no first list NOTIFY")
        self.assertEqual(members(rlmi_of(self, first)), set())

        # Add bob with a stale ETag: 412, nothing changes. Then with the current one.
        entry = doc_path("alice", 'resource-lists/list[@name="friends"]/entry[@uri="%s"]'
                         % aor("bob"))
        body = '<entry uri="%s"><display-name>Bob</display-name></entry>' % aor("bob")
        resp = alice.request("PUT", entry, body, {"Content-Type": "application/xcap-el+xml",
                                                  "If-Match": '"stale"'})
        self.assertEqual(resp.status, 412, resp.text)
        resp = alice.request("PUT", entry, body, {"Content-Type": "application/xcap-el+xml",
                                                  "If-Match": etag})
        self.assertEqual(resp.status, 201, resp.text)
        etag_with_bob = resp.getheader("ETag")
        self.assertNotEqual(etag_with_bob, etag)

        with_bob = next_notify(ua, call_id, timeout=5,
                               predicate=lambda r: aor("bob") in members(rlmi_of(self, r)))
        self.assertIsNotNone(with_bob, "no list NOTIFY with bob after the XCAP PUT")
        self.assertEqual(rlmi_of(self, with_bob).get("fullState"), "true")

        resp = alice.request("GET", entry)
        self.assertEqual(resp.status, 200, resp.text)
        self.assertEqual(resp.getheader("Content-Type"), "application/xcap-el+xml")
        self.assertIn("Bob", resp.text)
        resp = alice.request("GET", doc_path("alice", 'resource-lists/list[@name="nobody"]'))
        self.assertEqual(resp.status, 404, resp.text)

        resp = alice.request("DELETE", entry)
        self.assertEqual(resp.status, 200, resp.text)
        without = next_notify(ua, call_id, timeout=5,
                              predicate=lambda r: rlmi_of(self, r).get("fullState") == "true"
                              and aor("bob") not in members(rlmi_of(self, r)))
        self.assertIsNotNone(without, "no list NOTIFY without bob after the XCAP DELETE")

        # Carol goes in for good; the document and its ETag come back after a restart.
        resp = alice.request("PUT", doc_path("alice"),
                             document(("friends", [(aor("carol"), "Carol")]),
                                      ("work", [(aor("dave"), "Dave")])),
                             {"Content-Type": "application/resource-lists+xml"})
        self.assertEqual(resp.status, 200, resp.text)
        before = alice.request("GET", doc_path("alice"))
        self.assertEqual(before.status, 200)
        self.server.restart()
        alice = self.xcap("alice")
        after = alice.request("GET", doc_path("alice"))
        self.assertEqual(after.status, 200, after.text)
        self.assertEqual(after.getheader("Content-Type"), "application/resource-lists+xml")
        self.assertEqual(after.text, before.text)
        self.assertEqual(after.getheader("ETag"), before.getheader("ETag"))
        self.assertIn(aor("carol"), after.text)
        self.assertIn('name="work"', after.text)
        resp = alice.request("GET", doc_path("alice"),
                             headers={"If-None-Match": after.getheader("ETag")})
        self.assertEqual(resp.status, 304)

    def test_edit_reaches_an_ocs_roaming_contacts_subscription(self):
        ua = self.registered("tcp", "heidi")
        resp = ua.request("SUBSCRIBE", aor("heidi"),
                          headers=[("Event", "vnd-microsoft-roaming-contacts"),
                                   ("Accept", "application/vnd-microsoft-roaming-contacts+xml"),
                                   ("Supported", "ms-benotify"),
                                   ("Contact", "<%s>" % ua.contact_uri)])
        self.assertStatus(resp, 200, ua)
        heidi = self.xcap("heidi")
        resp = heidi.request("PUT", doc_path("heidi"),
                             document(("Buddies", [(aor("ivan"), "Ivan")])),
                             {"Content-Type": "application/resource-lists+xml"})
        self.assertIn(resp.status, (200, 201), resp.text)  # the subscription made the list
        deadline = time.monotonic() + 5
        seen = ""
        while aor("ivan") not in seen and time.monotonic() < deadline:
            req = ua.recv_request(max(0.0, deadline - time.monotonic()))
            if req is None:
                break
            if req.method == "NOTIFY":
                ua.reply(req, 200)
            if req.method in ("NOTIFY", "BENOTIFY") and "contactDelta" in req.text():
                seen += req.text()
        self.assertIn('name="Buddies"', seen)
        self.assertIn(aor("ivan"), seen)

    def test_credentials_and_ownership(self):
        resp = self.xcap("erin", password="wrong").request("GET", doc_path("erin"))
        self.assertEqual(resp.status, 401, resp.text)
        self.assertTrue(resp.headers.get_all("WWW-Authenticate"))
        self.assertEqual(self.xcap("erin").request(
            "PUT", doc_path("erin"), document(("friends", [])),
            {"Content-Type": "application/resource-lists+xml"}).status, 201)
        resp = self.xcap("frank").request("GET", doc_path("erin"))
        self.assertEqual(resp.status, 403, resp.text)
        resp = self.xcap("frank").request("PUT", doc_path("erin"), document(("x", [])),
                                          {"Content-Type": "application/resource-lists+xml"})
        self.assertEqual(resp.status, 403, resp.text)

    def test_hostile_and_oversized_documents(self):
        grace = self.xcap("grace")
        put = {"Content-Type": "application/resource-lists+xml"}
        laughs = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                  '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                  '<resource-lists xmlns="%s"><list name="&b;"/></resource-lists>' % RL)
        resp = grace.request("PUT", doc_path("grace"), laughs, put)
        self.assertEqual(resp.status, 409, resp.text)
        self.assertEqual(resp.getheader("Content-Type"), "application/xcap-error+xml")
        self.assertIn("not-well-formed", resp.text)
        deep = '<resource-lists xmlns="%s">' % RL + '<list name="x">' * 200
        self.assertEqual(grace.request("PUT", doc_path("grace"), deep, put).status, 409)
        big = document(("friends", [("sip:u%d@%s" % (i, DOMAIN), "x" * 40)
                                    for i in range(200)]))
        self.assertGreater(len(big), 8192)
        self.assertEqual(grace.request("PUT", doc_path("grace"), big, put).status, 413)
        grace = self.xcap("grace")  # the 413 closed that connection
        resp = grace.request("PUT", doc_path("grace"), "<resource-lists", put)
        self.assertEqual(resp.status, 409, resp.text)
        resp = grace.request("PUT", doc_path("grace"), document(("friends", [])),
                             {"Content-Type": "text/plain"})
        self.assertEqual(resp.status, 415, resp.text)
        resp = grace.request("GET", doc_path("grace", "resource-lists/list[@name=\"x]"))
        self.assertEqual(resp.status, 400, resp.text)
        self.assertEqual(grace.request("GET", doc_path("grace")).status, 404)  # nothing stored
        self.server.assert_alive()


class XcapTlsTest(ServerTestCase):
    """presence.xcap.tls: HTTPS with the TLS listener's certificate."""

    SERVER_CONFIG = {"presence": {"xcap": {"enabled": True, "port": 0, "tls": True}}}

    def test_documents_over_https(self):
        c = XcapClient(self.server.ports["xcap"], "alice", password_of("alice"), tls=True)
        self.addCleanup(c.close)
        resp = c.request("PUT", doc_path("alice"), document(("friends", [(aor("bob"), "Bob")])),
                         {"Content-Type": "application/resource-lists+xml"})
        self.assertEqual(resp.status, 201, resp.text)
        resp = c.request("GET", doc_path("alice", 'resource-lists/list[@name="friends"]'))
        self.assertEqual(resp.status, 200, resp.text)
        self.assertIn(aor("bob"), resp.text)


if __name__ == "__main__":
    unittest.main()
