"""Registrar: digest authentication (SHA-256 and MD5) over UDP, TCP and TLS, bindings,
expiry rules, fetching and removing bindings (RFC 3261 §10, RFC 7616, RFC 8760)."""

import time
import unittest

from confabtest import ServerTestCase, poll
from server import DOMAIN
from sipclient import choose_challenge, parse_challenge, tls_context, uri_key

REGISTRAR = {"min_expires": 60, "max_expires": 3600, "default_expires": 3600}


def challenges(response, header="WWW-Authenticate"):
    return [parse_challenge(v) for v in response.header_fields(header)]


class RegisterTest(ServerTestCase):
    SERVER_CONFIG = {"registrar": REGISTRAR}

    # Digest over every transport ----------------------------------------------------------

    def test_challenge_offers_sha256_then_md5(self):
        ua = self.client("udp", "alice")
        first = ua.register(expires=600, auth=False)
        self.assertStatus(first, 401, ua)
        offered = challenges(first)
        self.assertGreaterEqual(len(offered), 2, first)
        algorithms = [p.get("algorithm", "MD5").upper() for _, p in offered]
        self.assertEqual(algorithms[:2], ["SHA-256", "MD5"], first)
        for scheme, params in offered:
            self.assertEqual(scheme.lower(), "digest")
            self.assertEqual(params.get("realm"), DOMAIN)
            self.assertTrue(params.get("nonce"))
            self.assertIn("auth", [q.strip() for q in params.get("qop", "").split(",")], first)

    def _register_and_check(self, transport, user, **kwargs):
        ua = self.client(transport, user, **kwargs)
        resp = ua.register(expires=600)
        self.assertStatus(resp, 200, ua)
        expires = self.assertContacts(resp, [ua.contact_uri])
        self.assertTrue(0 < list(expires.values())[0] <= 600, resp)
        self.assertIsNotNone(resp.header("Expires"), "200 OK without Expires:\n%s" % resp)
        return ua, resp

    def test_udp_sha256(self):
        ua, _ = self._register_and_check("udp", "alice")
        self.assertEqual(ua.last_challenge.get("algorithm", "").upper(), "SHA-256")

    def test_tcp_sha256(self):
        ua, _ = self._register_and_check("tcp", "bob")
        self.assertEqual(ua.last_challenge.get("algorithm", "").upper(), "SHA-256")

    def test_tls_sha256(self):
        ua, _ = self._register_and_check("tls", "carol")
        self.assertEqual(ua.last_challenge.get("algorithm", "").upper(), "SHA-256")

    def test_tls_verified_against_generated_certificate(self):
        self._register_and_check("tls", "dave", tls=tls_context(cafile=self.server.cert_path))

    def test_udp_md5(self):
        ua, _ = self._register_and_check("udp", "erin", algorithms=("MD5",))
        self.assertEqual(ua.last_challenge.get("algorithm", "MD5").upper(), "MD5")

    def test_tcp_md5(self):
        ua, _ = self._register_and_check("tcp", "xena", algorithms=("MD5",))
        self.assertEqual(ua.last_challenge.get("algorithm", "MD5").upper(), "MD5")

    # Refusals -----------------------------------------------------------------------------

    def test_wrong_password(self):
        ua = self.client("udp", "frank", password="not-franks-password")
        self.assertStatus(ua.register(expires=600), (401, 403), ua)
        fetched = self.client("udp", "frank").fetch_bindings()
        self.assertStatus(fetched, 200)
        self.assertEqual(fetched.contacts(), [], "a refused REGISTER bound a contact")

    def test_credentials_of_another_user_403(self):
        # grace's AOR, heidi's (valid) credentials.
        ua = self.client("udp", "grace", password="heidipw", auth_user="heidi")
        self.assertStatus(ua.register(expires=600), 403, ua)

    def test_replayed_nonce_count(self):
        ua = self.client("udp", "ivan")
        self.assertStatus(ua.register(expires=600), 200, ua)
        # The same Authorization (same nonce, nc, cnonce) in a new transaction is a replay.
        replay = ua.renew(ua.last_request)
        resp = ua.transact(replay)
        self.assertStatus(resp, 401, msg="for a replayed nonce count")

    def test_unknown_user(self):
        ua = self.client("udp", "nosuchuser", password="x")
        self.assertStatus(ua.register(expires=600), (401, 403, 404), ua)

    # Expiry -------------------------------------------------------------------------------

    def test_expires_clamped_to_max(self):
        ua = self.client("udp", "judy")
        resp = ua.register(expires=7200)
        self.assertStatus(resp, 200, ua)
        granted = list(self.assertContacts(resp, [ua.contact_uri]).values())[0]
        self.assertTrue(3500 <= granted <= 3600, "granted %d for 7200 (max 3600)" % granted)

    def test_default_expires(self):
        ua = self.client("udp", "victor")
        resp = ua.register(expires=None)
        self.assertStatus(resp, 200, ua)
        granted = list(self.assertContacts(resp, [ua.contact_uri]).values())[0]
        self.assertTrue(3500 <= granted <= 3600, "granted %d, default_expires 3600" % granted)

    def test_interval_too_brief_423(self):
        ua = self.client("udp", "mallory")
        resp = ua.register(expires=30)
        self.assertStatus(resp, 423, ua)
        self.assertEqual((resp.header("Min-Expires") or "").strip(), "60", resp)
        # The same through the contact parameter.
        resp = ua.register(contact="<%s>;expires=30" % ua.contact_uri)
        self.assertStatus(resp, 423, ua)
        # Nothing was bound.
        self.assertEqual(ua.fetch_bindings().contacts(), [])

    def test_contact_expires_parameter_wins(self):
        ua = self.client("udp", "walter")
        resp = ua.register(expires=3000, contact="<%s>;expires=120" % ua.contact_uri)
        self.assertStatus(resp, 200, ua)
        granted = list(self.assertContacts(resp, [ua.contact_uri]).values())[0]
        self.assertTrue(100 <= granted <= 120, resp)
        self.assertStatus(ua.unregister(), 200, ua)

    # Bindings -----------------------------------------------------------------------------

    def test_multiple_contacts_per_aor(self):
        udp = self.client("udp", "niaj")
        tcp = self.client("tcp", "niaj")
        self.assertStatus(udp.register(expires=600), 200, udp)
        resp = tcp.register(expires=600)
        self.assertStatus(resp, 200, tcp)
        self.assertContacts(resp, [udp.contact_uri, tcp.contact_uri])
        # Two more in one request.
        extra = ["sip:niaj@127.0.0.1:40001", "sip:niaj@127.0.0.1:40002;transport=tcp"]
        resp = udp.register(expires=600, contact=["<%s>" % u for u in extra])
        self.assertStatus(resp, 200, udp)
        self.assertContacts(resp, [udp.contact_uri, tcp.contact_uri] + extra)

    def test_refresh_does_not_duplicate(self):
        ua = self.client("tcp", "olivia")
        for _ in range(3):
            resp = ua.register(expires=600)
            self.assertStatus(resp, 200, ua)
        self.assertContacts(resp, [ua.contact_uri])

    def test_remove_one_binding(self):
        a = self.client("udp", "peggy")
        b = self.client("udp", "peggy")
        self.assertStatus(a.register(expires=600), 200, a)
        self.assertStatus(b.register(expires=600), 200, b)
        resp = a.unregister()
        self.assertStatus(resp, 200, a)
        self.assertContacts(resp, [b.contact_uri])

    def test_star_removes_all(self):
        a = self.client("udp", "rupert")
        b = self.client("tcp", "rupert")
        self.assertStatus(a.register(expires=600), 200, a)
        self.assertStatus(b.register(expires=600), 200, b)
        resp = a.unregister_all()
        self.assertStatus(resp, 200, a)
        self.assertEqual(resp.contacts(), [], resp)
        fetched = b.fetch_bindings()
        self.assertStatus(fetched, 200, b)
        self.assertEqual(fetched.contacts(), [], fetched)

    def test_star_with_nonzero_expires_400(self):
        ua = self.client("udp", "rupert")
        self.assertStatus(ua.register(expires=600, contact="*"), 400, ua)

    def test_fetch(self):
        ua = self.client("udp", "sybil")
        self.assertStatus(ua.register(expires=600), 200, ua)
        other = self.client("tcp", "sybil")  # another UA of the same user fetches
        resp = other.fetch_bindings()
        self.assertStatus(resp, 200, other)
        granted = list(self.assertContacts(resp, [ua.contact_uri]).values())[0]
        self.assertTrue(0 < granted <= 600, resp)


class StaleNonceTest(ServerTestCase):
    LIFETIME = 3
    SERVER_CONFIG = {"auth": {"nonce_lifetime": LIFETIME}, "registrar": REGISTRAR}

    def test_stale_nonce(self):
        ua = self.client("udp", "trent")
        issued_before = time.monotonic()
        challenge_resp = ua.register(expires=600, auth=False)
        self.assertStatus(challenge_resp, 401, ua)
        req = ua.renew(ua.last_request)
        self.assertTrue(ua.authorize(req, challenge_resp))
        self.assertStatus(ua.transact(req), 200, ua, "with a fresh nonce")

        # Keep answering with the first nonce (increasing nc) until the server calls it stale.
        def stale_answer():
            nonlocal req
            req = ua.renew(req)
            ua.authorize(req, challenge_resp)
            resp = ua.transact(req)
            stale = any(p.get("stale", "").lower() == "true" for _, p in challenges(resp))
            return resp if resp.status == 401 and stale else None

        resp = poll(stale_answer, timeout=self.LIFETIME + 5, interval=0.25)
        self.assertIsNotNone(resp, "no 401 with stale=true within %ds of a %ds nonce lifetime" % (
            self.LIFETIME + 5, self.LIFETIME))
        self.assertGreater(time.monotonic() - issued_before, self.LIFETIME - 1.2,
                           "nonce called stale before its lifetime")
        # The fresh challenge of the stale 401 works at once.
        req = ua.renew(req)
        self.assertTrue(ua.authorize(req, resp))
        self.assertNotEqual(ua.last_challenge.get("nonce"), choose_challenge(
            challenge_resp.header_fields("WWW-Authenticate")).get("nonce"))
        self.assertStatus(ua.transact(req), 200, ua, "with the new nonce")


if __name__ == "__main__":
    unittest.main()
