"""Adapter plugin host end to end (issue 7): confabd loads the C test plugins from
adapters/testdata (directory in CONFAB_TEST_PLUGIN_DIR, set by CTest).

- echo: a MESSAGE to echo@example.test gets the plugin's 200 and the plugin's reply
  ("echo: <text>") comes back to the sender; a user's PUBLISH reaches the plugin through
  the local-watcher hook; the plugin's own published presence is served to SIP watchers;
- crash: a plugin that dereferences a null pointer is disabled (503) while the server keeps
  answering OPTIONS and REGISTER and the echo plugin keeps working;
- block: a plugin that does not return in time gets its message answered 408;
- /metrics (Prometheus text format) shows the SIP and adapter counters."""

import os
import re
import time
import unittest
import urllib.request

from confabtest import ServerPerClass, poll
from imclient import answer_invite, ms_text_body, ocs_invite, ocs_register
from presence_helpers import PIDF, pidf, publish
from server import DOMAIN, password_of
from sipclient import SipClient, parse_name_addr, uri_key

TIMEOUT = 5.0


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


def plugin_path(name):
    directory = os.environ.get("CONFAB_TEST_PLUGIN_DIR", "")
    path = os.path.join(directory, "%s_plugin.so" % name)
    if not directory or not os.path.exists(path):
        raise unittest.SkipTest("CONFAB_TEST_PLUGIN_DIR does not hold the test plugins "
                                "(run through CTest)")
    return path


class AdapterTestCase(ServerPerClass):
    """One confabd per class with the plugins PLUGINS() returns."""

    @classmethod
    def plugins(cls, server):
        return []

    @classmethod
    def start_server(cls):
        cls.server.config["adapters"] = {"metrics": {"address": "127.0.0.1", "port": 0},
                                         "plugins": cls.plugins(cls.server)}
        cls.server.write_config()
        cls.server.start()

    def client(self, user, transport="udp"):
        ua = SipClient(transport, self.server.addr(transport), user, password_of(user),
                       domain=DOMAIN)
        self.addCleanup(ua.close)
        return ua

    def registered(self, user, transport="udp"):
        ua = self.client(user, transport)
        resp = ua.register(expires=600)
        self.assertIsNotNone(resp)
        self.assertEqual(resp.status, 200, resp)
        return ua

    def stderr(self):
        with open(self.server.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def metrics(self):
        port = poll(lambda: re.search(r"metrics: Prometheus endpoint on http://127\.0\.0\.1:(\d+)",
                                      self.stderr()), TIMEOUT)
        self.assertIsNotNone(port, "no metrics port logged\n" + self.server.stderr_tail(20))
        url = "http://127.0.0.1:%s/metrics" % port.group(1)
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            self.assertEqual(resp.status, 200)
            self.assertIn("version=0.0.4", resp.headers.get("Content-Type", ""))
            return resp.read().decode("utf-8")

    def assertAnswersOptionsAndRegister(self):
        self.server.assert_alive()
        ua = self.client("zoe")
        resp = ua.options("sip:%s" % DOMAIN)
        self.assertIsNotNone(resp, "no answer to OPTIONS\n" + self.server.stderr_tail(30))
        self.assertEqual(resp.status, 200, resp)
        resp = ua.register(expires=60)
        self.assertIsNotNone(resp, "no answer to REGISTER\n" + self.server.stderr_tail(30))
        self.assertEqual(resp.status, 200, resp)


class EchoPluginTest(AdapterTestCase):

    @classmethod
    def plugins(cls, server):
        cls.out = os.path.join(server.dir, "echo.log")
        return [{"name": "echo", "path": plugin_path("echo"), "identities": ["echo@" + DOMAIN],
                 "config": {"identity": "echo@" + DOMAIN, "out": cls.out,
                            "watch": "bob@" + DOMAIN}}]

    def log(self):
        try:
            with open(self.out, encoding="utf-8") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern):
        found = poll(lambda: re.search(pattern, self.log()), TIMEOUT)
        self.assertIsNotNone(found, "%r not in the plugin's log:\n%s\n%s" % (
            pattern, self.log(), self.server.stderr_tail(20)))
        return found

    def test_message_is_answered_and_echoed_back(self):
        alice = self.registered("alice")
        resp = alice.send_message(aor("echo"), "hello plugin")
        self.assertIsNotNone(resp, self.server.stderr_tail(20))
        self.assertEqual(resp.status, 200, resp)
        echo = alice.recv_request(TIMEOUT)
        self.assertIsNotNone(echo, "no echo came back\n" + self.server.stderr_tail(20))
        self.assertEqual(echo.method, "MESSAGE")
        self.assertEqual(echo.text(), "echo: hello plugin")
        self.assertEqual(uri_key(parse_name_addr(echo.header("From")).uri), uri_key(aor("echo")))
        alice.reply(echo, 200)
        self.wait_log(r"message from=alice@example\.test to=echo@example\.test send=0 "
                      r"body=hello plugin")
        self.wait_log(r"sent \d+ 200")  # the plugin learnt the delivery's outcome

    def test_message_to_offline_user_reports_480(self):
        carol = self.client("carol")  # not registered: the echo cannot be delivered
        resp = carol.send_message(aor("echo"), "anyone?")
        self.assertEqual(resp.status, 200, resp)
        self.wait_log(r"sent \d+ 480")

    def test_ocs_session_reaches_the_plugin_and_the_echo_comes_back(self):
        frank = self.client("frank")
        self.assertEqual(ocs_register(frank).status, 200)
        resp, session = ocs_invite(frank, aor("echo"), "hello from lync")
        self.assertEqual(resp.status, 200, resp)
        self.wait_log(r"message from=frank@example\.test to=echo@example\.test send=0 "
                      r"body=hello from lync")
        self.assertEqual(session.request("MESSAGE", "and again", "text/plain").status, 200)
        self.wait_log(r"body=and again")
        # The plugin's echoes reach the session-mode client through the bridge.
        texts = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not any("echo: and again" in t for t in texts):
            req = frank.recv_request(max(0.1, deadline - time.monotonic()))
            if req is None:
                break
            if req.method == "INVITE":
                texts.append(ms_text_body(req.header("ms-text-format", "")) or "")
                answer_invite(frank, req)
            elif req.method != "ACK":
                texts.append(req.text())
                frank.reply(req, 200)
        self.assertTrue(any("echo: hello from lync" in t for t in texts), texts)
        self.assertTrue(any("echo: and again" in t for t in texts), texts)

    def test_publish_reaches_the_plugin(self):
        self.wait_log(r"subscribe bob@example\.test 0")
        bob = self.registered("bob")
        resp = publish(bob, pidf("bob", activity="busy", note="in a meeting"))
        self.assertEqual(resp.status, 200, resp)
        seen = self.wait_log(r"presence bob@example\.test (\d+) activity=(\S*) im=1 "
                             r"note=in a meeting")
        self.assertTrue(6000 <= int(seen.group(1)) < 7500, seen.group(0))  # the busy band

    def test_plugin_presence_is_served_to_sip_watchers(self):
        self.wait_log(r"publish echo@example\.test 0")
        dave = self.client("dave")
        resp = dave.request("SUBSCRIBE", aor("echo"), headers=[
            ("Event", "presence"), ("Accept", PIDF), ("Expires", "60"),
            ("Contact", "<%s>" % dave.contact_uri)])
        self.assertIn(resp.status, (200, 202), resp)
        notify = dave.recv_request(TIMEOUT)
        while notify is not None and notify.method != "NOTIFY":
            notify = dave.recv_request(TIMEOUT)
        self.assertIsNotNone(notify, "no NOTIFY\n" + self.server.stderr_tail(20))
        dave.reply(notify, 200)
        self.assertIn("echo bot", notify.text(), "%s\n%s" % (resp, notify))
        self.assertIn("open", notify.text())

    def test_metrics_show_sip_and_adapter_counters(self):
        alice = self.client("alice")
        self.assertEqual(alice.options("sip:%s" % DOMAIN).status, 200)
        self.assertEqual(alice.send_message(aor("echo"), "count me").status, 200)
        page = self.metrics()
        self.assertIn("# TYPE confab_sip_requests_in_OPTIONS_total counter", page)
        match = re.search(r"^confab_sip_requests_in_OPTIONS_total (\d+)$", page, re.M)
        self.assertTrue(match and int(match.group(1)) >= 1, page[:2000])
        match = re.search(r"^confab_adapter_echo_messages_total (\d+)$", page, re.M)
        self.assertTrue(match and int(match.group(1)) >= 1, page[:2000])
        self.assertIn("confab_adapter_plugins_running 1", page)


class FaultyPluginsTest(AdapterTestCase):

    @classmethod
    def plugins(cls, server):
        return [
            {"name": "crash", "path": plugin_path("crash"), "identities": ["crash@" + DOMAIN]},
            {"name": "block", "path": plugin_path("block"), "identities": ["block@" + DOMAIN],
             "call_timeout_ms": 300, "config": {"sleep_ms": 1500}},
            {"name": "echo", "path": plugin_path("echo"), "identities": ["echo@" + DOMAIN]},
            {"name": "broken", "path": os.path.join(server.dir, "missing.so"),
             "identities": ["broken@" + DOMAIN]},
            {"name": "badver", "path": plugin_path("bad_version"),
             "identities": ["badver@" + DOMAIN]},
        ]

    def test_failed_loads_are_reported_and_answer_503(self):
        log = self.stderr()
        self.assertRegex(log, r"adapter broken: not loaded: cannot load .*missing\.so")
        self.assertRegex(log, r"adapter badver: ABI mismatch")
        alice = self.client("alice")
        self.assertEqual(alice.send_message(aor("broken"), "hi").status, 503)
        self.assertEqual(alice.send_message(aor("badver"), "hi").status, 503)

    def test_crash_disables_only_that_plugin(self):
        alice = self.client("alice")
        resp = alice.send_message(aor("crash"), "boom")
        self.assertIsNotNone(resp, self.server.stderr_tail(30))
        self.assertEqual(resp.status, 503, resp)
        self.assertRegex(self.stderr(), r"adapter crash: CRASHED with SIGSEGV in on_message")
        self.assertAnswersOptionsAndRegister()
        self.assertEqual(alice.send_message(aor("echo"), "still there?").status, 200)
        self.assertEqual(alice.send_message(aor("crash"), "again").status, 503)
        page = self.metrics()
        self.assertRegex(page, r"(?m)^confab_adapter_crash_faults_total 1$")

    def test_blocked_plugin_gets_408_in_time(self):
        alice = self.client("alice")
        started = time.monotonic()
        resp = alice.send_message(aor("block"), "are you there?")
        elapsed = time.monotonic() - started
        self.assertIsNotNone(resp, self.server.stderr_tail(30))
        self.assertEqual(resp.status, 408, resp)
        self.assertLess(elapsed, 1.5, "the 408 took %.2f s" % elapsed)
        found = poll(lambda: re.search(r"plugin block stalled in on_message for \d+ ms",
                                       self.stderr()), TIMEOUT)
        self.assertIsNotNone(found, self.server.stderr_tail(30))
        self.assertAnswersOptionsAndRegister()


if __name__ == "__main__":
    unittest.main()
