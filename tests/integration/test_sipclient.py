"""Self-checks of the test UA library (no confabd needed)."""

import socket
import threading
import unittest

import sipclient
from sipclient import (SipClient, StreamTransport, authorization_value, choose_challenge,
                       digest_response, parse_challenge, parse_message, parse_name_addr,
                       split_list, uri_key)


class DigestTest(unittest.TestCase):
    def test_rfc2617_example(self):
        # RFC 2617 §3.5.
        self.assertEqual(
            digest_response("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life", "GET",
                            "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                            "00000001", "0a4f113b", "auth"),
            "6629fae49393a05397450978507c4ef1")

    def test_rfc7616_examples(self):
        # RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
        args = ("Mufasa", "http-auth@example.org", "Circle of Life", "GET", "/dir/index.html",
                "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth")
        self.assertEqual(digest_response("MD5", *args), "8ca523f5e9506fed4657c9700eebdbec")
        self.assertEqual(digest_response("SHA-256", *args),
                         "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")

    def test_no_qop(self):
        # RFC 2069 style: H(HA1:nonce:HA2).
        ha1 = sipclient.digest_hash("MD5", "u:r:p")
        ha2 = sipclient.digest_hash("MD5", "REGISTER:sip:example.test")
        self.assertEqual(digest_response("MD5", "u", "r", "p", "REGISTER", "sip:example.test", "n"),
                         sipclient.digest_hash("MD5", "%s:n:%s" % (ha1, ha2)))

    def test_choose_first_supported_challenge(self):
        sha = 'Digest realm="example.test", nonce="a", algorithm=SHA-256, qop="auth"'
        md5 = 'Digest realm="example.test", nonce="b", algorithm=MD5, qop="auth"'
        self.assertEqual(choose_challenge([sha, md5])["nonce"], "a")
        self.assertEqual(choose_challenge([sha, md5], ("MD5",))["nonce"], "b")
        self.assertEqual(choose_challenge(['Digest realm="r", nonce="c"'], ("MD5",))["nonce"], "c")
        self.assertIsNone(choose_challenge(['Basic realm="r"', sha], ("MD5",)))

    def test_authorization_value(self):
        challenge = parse_challenge(
            'Digest realm="example.test", nonce="abc", opaque="xyz", algorithm=SHA-256, '
            'qop="auth,auth-int"')[1]
        value = authorization_value(challenge, "alice", "alicepw", "REGISTER",
                                    "sip:example.test", nc=3, cnonce="cn")
        scheme, params = parse_challenge(value)
        self.assertEqual(scheme, "Digest")
        self.assertEqual(params["nc"], "00000003")
        self.assertEqual(params["qop"], "auth")
        self.assertEqual(params["opaque"], "xyz")
        self.assertEqual(params["algorithm"], "SHA-256")
        self.assertEqual(params["response"], digest_response(
            "SHA-256", "alice", "example.test", "alicepw", "REGISTER", "sip:example.test", "abc",
            "00000003", "cn", "auth"))


class ParserTest(unittest.TestCase):
    RESPONSE = (b"SIP/2.0 200 OK\r\n"
                b"v: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKa;rport=5, SIP/2.0/TCP h;branch=z9hG4bKb\r\n"
                b"Via: SIP/2.0/UDP h2;branch=z9hG4bKc\r\n"
                b"f: <sip:alice@example.test>;tag=1\r\n"
                b"t: \"Alice, A.\" <sip:alice@example.test>;tag=2\r\n"
                b"i: abc@h\r\n"
                b"CSeq: 7 REGISTER\r\n"
                b"m: <sip:alice@127.0.0.1:5060;transport=tcp>;expires=60,\r\n"
                b" <sip:alice@127.0.0.1:5062>;expires=30\r\n"
                b"WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth,auth-int\"\r\n"
                b"l: 5\r\n\r\nhello")

    def test_response(self):
        msg = parse_message(self.RESPONSE)
        self.assertFalse(msg.is_request)
        self.assertEqual((msg.status, msg.reason), (200, "OK"))
        self.assertEqual(len(msg.values("Via")), 3)
        self.assertEqual(msg.branch, "z9hG4bKa")
        self.assertEqual(msg.call_id, "abc@h")
        self.assertEqual(msg.cseq, (7, "REGISTER"))
        self.assertEqual(msg.header("from"), msg.header("F"))
        self.assertEqual(msg.to_tag(), "2")
        self.assertEqual(parse_name_addr(msg.header("To")).display, "Alice, A.")
        contacts = msg.contacts()
        self.assertEqual([c.params["expires"] for c in contacts], ["60", "30"])
        self.assertEqual(uri_key(contacts[0].uri), ("sip", "alice", "127.0.0.1", 5060, "tcp"))
        self.assertEqual(len(msg.values("WWW-Authenticate")), 1)
        self.assertEqual(msg.body, b"hello")

    def test_request_and_roundtrip(self):
        ua_transport = _NullTransport()
        ua = SipClient(ua_transport, ("127.0.0.1", 1), "alice", "alicepw")
        req = ua.build_request("MESSAGE", "sip:bob@example.test", body="hi",
                               content_type="text/plain")
        parsed = parse_message(req.to_bytes())
        self.assertTrue(parsed.is_request)
        self.assertEqual((parsed.method, parsed.uri), ("MESSAGE", "sip:bob@example.test"))
        self.assertTrue(parsed.branch.startswith("z9hG4bK"))
        self.assertIn(";rport", parsed.header("Via"))
        self.assertEqual(parsed.header("Max-Forwards"), "70")
        self.assertEqual(parsed.header("Content-Length"), "2")
        self.assertTrue(parsed.from_tag())
        self.assertEqual(parsed.text(), "hi")

    def test_split_list(self):
        self.assertEqual(split_list('"a,b" <sip:x;p=1,2>, <sip:y>'),
                         ['"a,b" <sip:x;p=1,2>', "<sip:y>"])
        self.assertEqual(split_list("a;b;c", ";"), ["a", "b", "c"])


class _NullTransport(sipclient.Transport):
    name = "udp"
    local = ("127.0.0.1", 9)

    def send(self, data, dest=None):
        pass

    def close(self):
        pass


class StreamFramingTest(unittest.TestCase):
    """The TCP reader frames back-to-back messages split at awkward places."""

    def test_framing(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        self.addCleanup(listener.close)
        msg1 = b"OPTIONS sip:a SIP/2.0\r\nl: 3\r\n\r\nabc"
        msg2 = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"
        stream = b"\r\n\r\n" + msg1 + b"\r\n" + msg2

        def serve():
            conn, _ = listener.accept()
            with conn:
                for i in range(0, len(stream), 7):
                    conn.sendall(stream[i:i + 7])
                conn.recv(1)  # until the client closes

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        tr = StreamTransport(listener.getsockname())
        try:
            self.assertEqual(tr.recv(5)[0], msg1)
            self.assertEqual(tr.recv(5)[0], msg2)
        finally:
            tr.close()
            t.join(5)


if __name__ == "__main__":
    unittest.main()
