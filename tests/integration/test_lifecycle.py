"""The daemon as a process: graceful SIGTERM, --check-config, restart on the same storage,
and users added or removed with confabctl while it runs."""

import os
import re
import signal
import socket
import subprocess
import unittest

from confabtest import poll
from server import DOMAIN, HOST, STOP_TIMEOUT, ConfabServer, binary, password_of, to_yaml
from sipclient import DEFAULT_TIMEOUT, Responder, SipClient

GRACEFUL_EXIT_SECONDS = 5
USER_CHANGE_DEADLINE = float(os.environ.get("CONFAB_USER_CHANGE_DEADLINE", "5"))


class LifecycleTest(unittest.TestCase):
    """Each test runs its own confabd."""

    def new_server(self, **overrides):
        server = ConfabServer(**overrides)
        self.addCleanup(server.cleanup)
        return server

    def ua(self, server, transport, user, password=None):
        ua = SipClient(transport, server.addr(transport), user,
                       password if password is not None else password_of(user), domain=DOMAIN)
        self.addCleanup(ua.close)
        return ua

    def assertStatus(self, response, code, server, what=""):
        self.assertIsNotNone(response, "no response %s" % what)
        self.assertEqual(response.status, code, "%s:\n%s\n%s" % (
            what, response, server.stderr_tail(20)))

    # SIGTERM -----------------------------------------------------------------------------

    def test_sigterm_exits_0(self):
        server = self.new_server().start()
        tcp = self.ua(server, "tcp", "alice")          # an open connection and a binding
        self.assertStatus(tcp.register(expires=600), 200, server, "REGISTER")
        code, seconds = server.signal_stop(signal.SIGTERM)
        self.assertEqual(code, 0, "exit status on SIGTERM\n%s" % server.stderr_tail())
        self.assertLess(seconds, GRACEFUL_EXIT_SECONDS, "graceful exit took %.1fs" % seconds)
        self.assertTrue(tcp.transport.wait_closed(DEFAULT_TIMEOUT),
                        "the client connection survived the server")

    # Ports held by another process -------------------------------------------------------

    def test_refuses_a_port_another_process_holds(self):
        # SO_REUSEPORT would let a second server share the port silently and get half
        # the traffic; confabd must refuse to start instead, naming the port.
        for transport, kind in (("tcp", socket.SOCK_STREAM), ("udp", socket.SOCK_DGRAM)):
            with self.subTest(transport=transport):
                holder = socket.socket(socket.AF_INET, kind)
                self.addCleanup(holder.close)
                holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                holder.bind((HOST, 0))
                if kind == socket.SOCK_STREAM:
                    holder.listen()
                port = holder.getsockname()[1]
                server = self.new_server(listeners=[
                    {"transport": transport, "address": HOST, "port": port}])
                result = subprocess.run(server.command(), cwd=server.dir, capture_output=True,
                                        text=True, timeout=STOP_TIMEOUT * 4)
                self.assertNotEqual(result.returncode, 0,
                                    "started on a held %s port:\n%s" % (transport, result.stderr))
                self.assertIn(str(port), result.stderr)

    # --check-config ----------------------------------------------------------------------

    def write(self, server, name, text):
        path = os.path.join(server.dir, name)
        with open(path, "w") as fh:
            fh.write(text)
        return path

    def assertConfigError(self, result, path, line=None, what=""):
        self.assertNotEqual(result.returncode, 0, "%s accepted:\n%s" % (what, result.stderr))
        m = re.search(re.escape(path) + r":(\d+):(\d+): \S", result.stderr)
        self.assertIsNotNone(m, "%s: no '%s:LINE:COL: message' on stderr:\n%s" % (
            what, path, result.stderr))
        if line is not None:
            self.assertEqual(int(m.group(1)), line, "%s: wrong line in\n%s" % (
                what, result.stderr))
        self.assertGreaterEqual(int(m.group(2)), 1)

    def test_check_config_valid(self):
        server = self.new_server()
        result = server.check_config()
        self.assertEqual(result.returncode, 0, "valid config refused:\n%s" % result.stderr)
        # --check-config validates only: it neither listens nor creates the database.
        self.assertFalse(os.path.exists(server.ports_path))
        self.assertFalse(os.path.exists(server.db_path))

    def test_check_config_default_file(self):
        conf = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf",
                            "confab.yaml")
        server = self.new_server()
        result = server.check_config(os.path.normpath(conf))
        self.assertEqual(result.returncode, 0, "conf/confab.yaml refused:\n%s" % result.stderr)

    def bad_variant(self, server, name, replace, replacement, token):
        """The generated config with `replace` replaced; returns (path, 1-based line of
        `token` in the result)."""
        text = to_yaml(server.config)
        self.assertIn(replace, text)
        text = text.replace(replace, replacement, 1)
        line = next(i for i, l in enumerate(text.splitlines(), 1) if token in l)
        return self.write(server, name, text), line

    def test_check_config_invalid_value(self):
        server = self.new_server(registrar={"min_expires": 60})
        path, line = self.bad_variant(server, "bad-value.yaml", "min_expires: 60",
                                      "min_expires: soon", "soon")
        self.assertConfigError(server.check_config(path), path, line, "min_expires: soon")

    def test_check_config_unknown_transport(self):
        server = self.new_server()
        path, line = self.bad_variant(server, "bad-transport.yaml", 'transport: "tcp"',
                                      'transport: "sctp"', "sctp")
        self.assertConfigError(server.check_config(path), path, line, "transport sctp")

    def test_check_config_yaml_syntax_error(self):
        server = self.new_server()
        path, _ = self.bad_variant(server, "bad-syntax.yaml", 'domains: ["example.test"]',
                                   'domains: ["example.test"', "domains")
        self.assertConfigError(server.check_config(path), path, None, "unclosed flow sequence")

    def test_check_config_missing_domains(self):
        server = self.new_server()
        path, _ = self.bad_variant(server, "no-domains.yaml", 'domains: ["example.test"]\n',
                                   "", "listeners")
        self.assertConfigError(server.check_config(path), path, None, "no domains")

    def test_start_with_invalid_config_fails_clearly(self):
        server = self.new_server()
        path, line = self.bad_variant(server, "bad-start.yaml", 'transport: "tcp"',
                                      'transport: "sctp"', "sctp")
        result = subprocess.run([binary("CONFABD"), "--config", path, "--ports-file",
                                 server.ports_path], cwd=server.dir, capture_output=True,
                                text=True, timeout=STOP_TIMEOUT * 3, stdin=subprocess.DEVNULL)
        self.assertConfigError(result, path, line, "confabd on a bad config")
        self.assertFalse(os.path.exists(server.ports_path))

    # Restart ----------------------------------------------------------------------------

    def test_restart_keeps_bindings(self):
        server = self.new_server().start()
        bob = self.ua(server, "udp", "bob")
        self.assertStatus(bob.register(expires=600), 200, server, "REGISTER before restart")
        server.restart()
        bob.retarget(server.udp)
        fetched = bob.fetch_bindings()
        self.assertStatus(fetched, 200, server, "fetch after restart")
        self.assertIn(bob.contact_uri, [c.uri for c in fetched.contacts()],
                      "binding lost in the restart:\n%s" % fetched)
        alice = self.ua(server, "udp", "alice")
        with Responder(bob, 200) as answer:
            resp = alice.send_message("sip:bob@%s" % DOMAIN, "after the restart")
        self.assertStatus(resp, 200, server, "MESSAGE after restart")
        self.assertEqual([r.text() for r in answer.requests], ["after the restart"])
        server.stop()

    # confabctl ---------------------------------------------------------------------------

    def register_status(self, server, user, password):
        with SipClient("udp", server.udp, user, password, domain=DOMAIN) as ua:
            return ua.register(expires=600).status

    def test_confabctl_user_add_and_del_while_running(self):
        server = self.new_server().start()
        user, password = "newcomer", "newcomer-secret"
        self.assertNotEqual(self.register_status(server, user, password), 200)

        result = server.add_user("%s@%s" % (user, DOMAIN), password)
        self.assertEqual(result.returncode, 0, "confabctl user add failed:\n%s%s" % (
            result.stdout, result.stderr))
        ok = poll(lambda: self.register_status(server, user, password) == 200,
                  timeout=USER_CHANGE_DEADLINE, interval=0.2)
        self.assertTrue(ok, "a user added with confabctl could not register within %.0fs\n%s" % (
            USER_CHANGE_DEADLINE, server.stderr_tail(20)))

        result = server.del_user("%s@%s" % (user, DOMAIN))
        self.assertEqual(result.returncode, 0, "confabctl user del failed:\n%s%s" % (
            result.stdout, result.stderr))
        gone = poll(lambda: self.register_status(server, user, password) in (401, 403, 404),
                    timeout=USER_CHANGE_DEADLINE, interval=0.2)
        self.assertTrue(gone, "a user deleted with confabctl could still register after %.0fs" %
                        USER_CHANGE_DEADLINE)
        server.stop()


if __name__ == "__main__":
    unittest.main()
