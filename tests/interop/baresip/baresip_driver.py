# SPDX-License-Identifier: Apache-2.0
"""A small shared driver for baresip interop tests (IM, presence, ...).

It reuses the pieces of baresip_test.py (confabd start/stop with a ports file,
the ctrl_tcp client, baresip start-up and its SIP-trace parser) and makes them
configurable: any set of users, any peer URI as baresip's current contact,
extra baresip modules, extra confabd YAML, and a TestCase base that keeps the
temporary directory and dumps the logs on failure.

    class MyTest(BaresipCase):
        USERS = {"alice": "alicepw", "carol": "carolpw"}
        def test_x(self):
            self.start_server()
            alice = self.start_agent("alice", peer="sip:carol@example.test")
            wait_for(alice.registered, REGISTER_TIMEOUT, "alice registered")

Every wait polls with a deadline (wait_for); nothing sleeps to let things settle.
"""

import os
import re
import shutil
import sys
import tempfile
import unittest

from baresip_test import (ANSI, BARESIP, DOMAIN, HOST, MODULE_PATH, REGISTER_TIMEOUT,
                          MESSAGE_TIMEOUT, Baresip, Confabd, read_text, tail, wait_for)

__all__ = ["BARESIP", "DOMAIN", "HOST", "REGISTER_TIMEOUT", "MESSAGE_TIMEOUT", "BaresipAgent",
           "BaresipCase", "ConfabServer", "read_text", "tail", "wait_for"]

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(HERE, "..", "..", "integration")


class ConfabServer(Confabd):
    """confabd with the users given ({name: password}) and optional extra YAML.
    `md5_only_user_agents` replaces the default auth.md5_only_user_agents (which names
    baresip) when given: keep "baresip" in it."""

    def __init__(self, workdir, users, request_auth=True, extra_yaml="",
                 md5_only_user_agents=None):
        super().__init__(workdir)
        self.users = dict(users)
        self.request_auth = request_auth
        self.extra_yaml = extra_yaml
        self.md5_only = md5_only_user_agents

    def write_config(self):
        var = os.path.join(self.dir, "var")
        users = "\n".join("  - { aor: %s@%s, password: %s }" % (name, DOMAIN, pw)
                          for name, pw in self.users.items())
        with open(self.config_path, "w") as fh:
            fh.write(
                "# written by tests/interop/baresip/baresip_driver.py\n"
                "server:\n"
                "  workers: 1\n"
                "  log_level: info\n"
                "  trace_sip: true\n"
                "  var_dir: %s\n"
                "domains: [%s]\n"
                "listeners:\n"
                "  - { transport: udp, address: %s, port: 0 }\n"
                "  - { transport: tcp, address: %s, port: 0 }\n"
                "storage:\n"
                "  path: %s\n"
                "auth:\n"
                "  register: true\n"
                "  requests: %s\n"
                "%s"
                "users:\n%s\n%s" % (var, DOMAIN, HOST, HOST, os.path.join(var, "confab.db"),
                                    "true" if self.request_auth else "false",
                                    "  md5_only_user_agents: [%s]\n" % ", ".join(self.md5_only)
                                    if self.md5_only else "", users, self.extra_yaml))


class BaresipAgent(Baresip):
    """One baresip for user `name` whose current contact (the target of its `message`
    command) is `peer_uri`; `modules` are loaded besides stdio/account/contact/menu/
    ctrl_tcp (e.g. ["presence.so"])."""

    def __init__(self, workdir, name, password, peer_uri, transport, server_port, modules=()):
        super().__init__(workdir, name, peer_uri, transport, server_port)
        self.password = password
        self.peer_uri = peer_uri
        self.modules = list(modules)

    def write_files(self, ctrl_port):
        modules = "".join("module_app\t\t%s\n" % m for m in self.modules)
        with open(os.path.join(self.dir, "config"), "w") as fh:
            fh.write(
                "# written by tests/interop/baresip/baresip_driver.py\n"
                "poll_method\t\tepoll\n"
                "module_path\t\t%s\n"
                "sip_listen\t\t%s:0\n"
                "module\t\t\tstdio.so\n"
                "module_app\t\taccount.so\n"
                "module_app\t\tcontact.so\n"
                "module_app\t\tmenu.so\n"
                "%s"
                "module_app\t\tctrl_tcp.so\n"
                "ctrl_tcp_listen\t\t%s:%d\n" % (MODULE_PATH, HOST, modules, HOST, ctrl_port))
        with open(os.path.join(self.dir, "accounts"), "w") as fh:
            fh.write('<%s;transport=%s>;auth_pass=%s;outbound="sip:%s:%d;transport=%s";'
                     "regint=600\n" % (self.aor, self.transport, self.password, HOST,
                                       self.server_port, self.transport))
        with open(os.path.join(self.dir, "contacts"), "w") as fh:
            fh.write('"peer" <%s>\n' % self.peer_uri)

    def messages_from(self, sender_aor):
        """The texts the UI showed as MESSAGEs from `sender_aor`, in order. The menu module
        prints `SENDER: "TEXT"`; TEXT may span lines (a body ending in CRLF, as SIPp
        sends, puts the closing quote on the next line)."""
        text = ANSI.sub("", read_text(self.stderr_path))
        pattern = re.compile(r'(?:^|[\r\n])%s: "(.*?)"[ \t]*(?=\r?\n|$)' % re.escape(sender_aor),
                             re.DOTALL)
        return [m.group(1) for m in pattern.finditer(text)]

    def sent_finals(self, method="MESSAGE"):
        """{body: [final statuses]} for the `method` requests this baresip sent."""
        trace = self.trace()
        out = {}
        for sent in (t for t in trace if t.method == method):
            call_id = sent.header("Call-ID")
            out.setdefault(sent.body, [])
            out[sent.body] += [t.status for t in trace
                               if t.status and t.status >= 200 and t.cseq_method == method
                               and t.header("Call-ID") == call_id]
        return out


class BaresipCase(unittest.TestCase):
    """Temporary directory, confabd and agents stopped at the end; logs dumped on failure."""

    USERS = {}
    REQUEST_AUTH = True
    EXTRA_YAML = ""
    MD5_ONLY_USER_AGENTS = None  # None: confabd's default

    def setUp(self):
        if not BARESIP:
            self.skipTest("baresip not installed (Debian: apt-get install baresip-core)")
        self.confabd_binary = os.environ.get("CONFABD")
        if not self.confabd_binary or not os.access(self.confabd_binary, os.X_OK):
            self.fail("set CONFABD to the confabd binary (CTest does)")
        self.dir = tempfile.mkdtemp(prefix="confab-baresip-")
        self.server = ConfabServer(self.dir, self.USERS, self.REQUEST_AUTH, self.EXTRA_YAML,
                                   self.MD5_ONLY_USER_AGENTS)
        self.agents = []
        self.extra_logs = []  # (title, path) dumped on failure too
        self.addCleanup(self.cleanup)

    def start_server(self):
        self.server.start(self.confabd_binary)
        return self.server.ports

    def start_agent(self, name, peer, transport="tcp", modules=()):
        agent = BaresipAgent(self.dir, name, self.USERS[name], peer, transport,
                             self.server.ports[transport], modules)
        self.agents.append(agent)
        agent.start()
        return agent

    def cleanup(self):
        for agent in self.agents:
            agent.stop()
        status = self.server.stop()
        failed = self.failed()
        if failed:
            self.dump_logs()
        if failed or os.environ.get("CONFAB_KEEP_TMP"):
            sys.stderr.write("baresip interop files kept in %s\n" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if not failed and status != 0:
            raise AssertionError("confabd exited with status %s after SIGTERM" % status)

    def failed(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        if hasattr(outcome, "errors"):  # Python < 3.11
            return any(exc is not None for _, exc in outcome.errors)
        result = getattr(outcome, "result", None)
        return result is not None and any(
            test is self for test, _ in result.failures + result.errors)

    def dump_logs(self):
        files = [("confabd", self.server.log_path)]
        for agent in self.agents:
            files += [(agent.name + " stdout", agent.stdout_path),
                      (agent.name + " stderr", agent.stderr_path)]
        for title, path in files + self.extra_logs:
            sys.stderr.write("----- %s: %s (last 80 lines)\n%s\n" % (title, path, tail(path)))
