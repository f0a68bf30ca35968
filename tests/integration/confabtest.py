"""Shared test base: one confabd per test class, UAs that close themselves, assertions that
print the SIP exchange when they fail."""

import os
import time
import unittest

from server import DOMAIN, ConfabServer, password_of
from sipclient import DEFAULT_TIMEOUT, SipClient, uri_key


def built_plugin(variable):
    """The plugin file CTest names in environment `variable`; skips the test without it."""
    path = os.environ.get(variable)
    if not path or not os.path.exists(path):
        raise unittest.SkipTest("%s is not set to the built plugin (run through CTest)"
                                % variable)
    return path


class ServerPerClass(unittest.TestCase):
    """One confabd for the class: new_server() makes it, start_server() starts it (and may
    read its ports); stopped afterwards, checking that it exits 0 on SIGTERM."""

    @classmethod
    def new_server(cls):
        return ConfabServer()

    @classmethod
    def start_server(cls):
        cls.server.start()

    @classmethod
    def setUpClass(cls):
        cls.server = cls.new_server()
        try:
            cls.start_server()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
        finally:
            cls.server.cleanup()


class ServerTestCase(ServerPerClass):
    """ServerPerClass with config overrides in SERVER_CONFIG, and UAs and assertions."""

    SERVER_CONFIG = {}

    @classmethod
    def new_server(cls):
        return ConfabServer(**cls.SERVER_CONFIG)

    def setUp(self):
        self.server.assert_alive()

    # UAs ----------------------------------------------------------------------------------

    def client(self, transport="udp", user=None, password=None, **kwargs):
        """A UA for `user` (password <user>pw unless given) on `transport`, closed at the end
        of the test."""
        if user is not None and password is None:
            password = password_of(user)
        ua = SipClient(transport, self.server.addr(transport), user, password, domain=DOMAIN,
                       **kwargs)
        self.addCleanup(ua.close)
        return ua

    def registered(self, transport="udp", user=None, expires=600, **kwargs):
        """A UA that has registered its own contact (asserts the 200)."""
        ua = self.client(transport, user, **kwargs)
        self.assertStatus(ua.register(expires=expires), 200, ua)
        return ua

    # Assertions ---------------------------------------------------------------------------

    def assertStatus(self, response, expected, ua=None, msg=""):
        """`expected` is a code or a collection of codes."""
        codes = (expected,) if isinstance(expected, int) else tuple(expected)
        if response is None:
            self.fail("no response (expected %s) %s\n%s" % (codes, msg, self.server.stderr_tail(20)))
        if response.status not in codes:
            sent = getattr(ua, "last_request", None) if ua else None
            self.fail("expected %s, got %s %s\n---- last request sent ----\n%s\n"
                      "---- response ----\n%s" % (codes, response.summary(), msg,
                                                  sent if sent is not None else "(n/a)", response))

    def assertServerAnswers(self, msg=""):
        """The server is alive and answers an OPTIONS to its domain over UDP with 200."""
        self.server.assert_alive()
        with SipClient("udp", self.server.udp, "alice", password_of("alice"),
                       domain=DOMAIN) as ua:
            resp = ua.options("sip:%s" % DOMAIN)
        if resp is None or resp.status != 200:
            self.fail("server does not answer OPTIONS with 200 %s: %s\n%s" % (
                msg, resp.summary() if resp else None, self.server.stderr_tail(30)))

    def assertContacts(self, response, expected_uris, exact=True):
        """The REGISTER 200 lists exactly (or at least) the `expected_uris`, each with an
        expires parameter."""
        listed = {}
        for c in response.contacts():
            self.assertIn("expires", c.params, "contact without ;expires= in\n%s" % response)
            listed[uri_key(c.uri)] = c
        want = {uri_key(u) for u in expected_uris}
        missing = want - set(listed)
        self.assertFalse(missing, "contacts %s missing from\n%s" % (sorted(map(str, missing)),
                                                                      response))
        if exact:
            extra = set(listed) - want
            self.assertFalse(extra, "unexpected contacts %s in\n%s" % (
                sorted(map(str, extra)), response))
        return {k: int(c.params["expires"]) for k, c in listed.items()}


def poll(predicate, timeout=DEFAULT_TIMEOUT, interval=0.1):
    """Calls predicate() until it returns a truthy value or the deadline passes; returns
    the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
