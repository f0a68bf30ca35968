"""ConfabServer: runs the real confabd on loopback ephemeral ports for a test.

    server = ConfabServer(auth={"nonce_lifetime": 3})   # overrides merge into the defaults
    server.start()                                        # waits for the ports file
    server.udp, server.tcp, server.tls                    # (host, port) of each listener
    server.restart()                                      # SIGTERM, then start on the same storage
    server.stop()                                         # SIGTERM, asserts exit status 0

The binaries come from the environment (set by CTest): CONFABD, CONFABCTL; the worker
count from CONFAB_WORKERS (default 1). CONFAB_TEST_LOG_LEVEL=debug passes --log-level.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

STARTUP_TIMEOUT = float(os.environ.get("CONFAB_STARTUP_TIMEOUT", "10"))
STOP_TIMEOUT = float(os.environ.get("CONFAB_STOP_TIMEOUT", "10"))
HOST = "127.0.0.1"
DOMAIN = "example.test"

# Static users every test server knows: name -> password ("<name>pw").
USER_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
              "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent",
              "victor", "walter", "xena", "yves", "zoe"]


def password_of(name):
    return name + "pw"


def binary(var):
    """The path of a binary from the environment; a clear failure when it is not set."""
    path = os.environ.get(var)
    if not path:
        raise RuntimeError("%s is not set: run the integration tests through CTest, or export "
                           "%s=/path/to/the/binary" % (var, var))
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s=%s is not an executable file" % (var, path))
    return path


def workers():
    return int(os.environ.get("CONFAB_WORKERS", "1"))


def merge(base, overrides):
    """Deep merge of dicts (lists and scalars in `overrides` replace)."""
    out = dict(base)
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))  # a JSON string is a valid YAML double-quoted scalar


def _flow(value):
    if isinstance(value, dict):
        return "{ " + ", ".join("%s: %s" % (k, _flow(v)) for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def to_yaml(config):
    """A readable block-style YAML document for a two-level config dict."""
    lines = ["# written by tests/integration/server.py"]
    for key, value in config.items():
        if isinstance(value, dict):
            lines.append("%s:" % key)
            for k, v in value.items():
                lines.append("  %s: %s" % (k, _flow(v)))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append("%s:" % key)
            lines.extend("  - %s" % _flow(v) for v in value)
        else:
            lines.append("%s: %s" % (key, _flow(value)))
    return "\n".join(lines) + "\n"


class ServerError(AssertionError):
    """confabd did not start, stop or behave as a process should (carries its stderr)."""


class ConfabServer:
    def __init__(self, users=None, log_level=None, **overrides):
        """`users`: names from USER_NAMES (default all), each with password <name>pw.
        Keyword overrides merge into the generated config, e.g. limits={...}."""
        self.dir = tempfile.mkdtemp(prefix="confab-it-")
        self.config_path = os.path.join(self.dir, "confab.yaml")
        self.ports_path = os.path.join(self.dir, "ports.json")
        self.stderr_path = os.path.join(self.dir, "confabd.stderr")
        self.cert_path = os.path.join(self.dir, "confab.crt")
        self.key_path = os.path.join(self.dir, "confab.key")
        self.db_path = os.path.join(self.dir, "confab.db")
        self.user_names = list(users if users is not None else USER_NAMES)
        self.log_level = log_level or os.environ.get("CONFAB_TEST_LOG_LEVEL")
        self.config = merge(self.default_config(), overrides)
        self.proc = None
        self.ports = None
        self.starts = 0
        self.write_config()

    # Configuration ------------------------------------------------------------------------

    def default_config(self):
        return {
            "server": {"workers": workers(), "var_dir": self.dir},
            "domains": [DOMAIN],
            "listeners": [
                {"transport": "udp", "address": HOST, "port": 0},
                {"transport": "tcp", "address": HOST, "port": 0},
                {"transport": "tls", "address": HOST, "port": 0,
                 "certificate": self.cert_path, "private_key": self.key_path},
            ],
            "storage": {"path": self.db_path},
            "users": [{"aor": "%s@%s" % (n, DOMAIN), "password": password_of(n)}
                      for n in self.user_names],
        }

    def write_config(self):
        with open(self.config_path, "w") as fh:
            fh.write(to_yaml(self.config))

    # Process ------------------------------------------------------------------------------

    def command(self):
        cmd = [binary("CONFABD"), "--config", self.config_path, "--ports-file", self.ports_path]
        if self.log_level:
            cmd += ["--log-level", self.log_level]
        return cmd

    def start(self):
        if os.path.exists(self.ports_path):
            os.unlink(self.ports_path)
        self.starts += 1
        with open(self.stderr_path, "ab") as err:
            err.write(b"==== start #%d: %s\n" % (self.starts, " ".join(self.command()).encode()))
            err.flush()
            self.proc = subprocess.Popen(self.command(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            ports = self._read_ports()
            if ports is not None:
                self.ports = ports
                return self
            code = self.proc.poll()
            if code is not None:
                self.proc = None
                raise ServerError("confabd exited with status %s before listening\n%s" % (
                    code, self.stderr_tail()))
            if time.monotonic() >= deadline:
                self.kill()
                raise ServerError("confabd wrote no ports file within %.0fs\n%s" % (
                    STARTUP_TIMEOUT, self.stderr_tail()))
            time.sleep(0.02)  # polling the file system, bounded by the deadline

    def _read_ports(self):
        try:
            with open(self.ports_path) as fh:
                ports = json.load(fh)
        except (FileNotFoundError, ValueError):
            return None
        if not all(isinstance(ports.get(t), int) and ports[t] > 0 for t in ("udp", "tcp", "tls")):
            raise ServerError("bad ports file %r\n%s" % (ports, self.stderr_tail()))
        return ports

    def signal_stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends `sig` and waits for the exit; returns (exit status, seconds taken)."""
        if self.proc is None:
            raise ServerError("confabd is not running")
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError("confabd did not exit within %.0fs of signal %d\n%s" % (
                timeout, sig, self.stderr_tail()))
        self.proc = None
        return code, time.monotonic() - started

    def stop(self):
        """SIGTERM; fails unless confabd exits 0 (graceful shutdown)."""
        if self.proc is None:
            return
        code, _ = self.signal_stop()
        if code != 0:
            raise ServerError("confabd exited with status %d on SIGTERM\n%s" % (
                code, self.stderr_tail()))

    def restart(self):
        """Graceful stop, then start again on the same config and storage (new ports)."""
        self.stop()
        return self.start()

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
            self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self):
        if not self.alive():
            code = self.proc.poll() if self.proc else None
            raise ServerError("confabd is not running (exit status %s)\n%s" % (
                code, self.stderr_tail()))

    def cleanup(self, keep_dir=False):
        """Stops the server if it still runs (SIGTERM, then SIGKILL) and removes the dir."""
        try:
            if self.alive():
                self.signal_stop()
        except ServerError:
            pass
        finally:
            self.kill()
            if not keep_dir and not os.environ.get("CONFAB_KEEP_TMP"):
                shutil.rmtree(self.dir, ignore_errors=True)

    def stderr_tail(self, lines=60):
        try:
            with open(self.stderr_path, "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return "(no stderr captured)"
        tail = text.splitlines()[-lines:]
        return "---- confabd stderr (last %d lines, %s) ----\n%s\n----" % (
            len(tail), self.stderr_path, "\n".join(tail))

    # Addresses ----------------------------------------------------------------------------

    def addr(self, transport):
        if self.ports is None:
            raise ServerError("confabd has not been started")
        return (HOST, self.ports[transport])

    @property
    def udp(self):
        return self.addr("udp")

    @property
    def tcp(self):
        return self.addr("tcp")

    @property
    def tls(self):
        return self.addr("tls")

    # confabctl ----------------------------------------------------------------------------

    def confabctl(self, *args, timeout=30):
        """Runs `confabctl --config <this config> ARGS...`; returns CompletedProcess."""
        cmd = [binary("CONFABCTL"), "--config", self.config_path] + list(args)
        return subprocess.run(cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)

    # confabctl [--config PATH] user add AOR PASSWORD | user del AOR | user list
    def add_user(self, aor, password):
        return self.confabctl("user", "add", aor, password)

    def del_user(self, aor):
        return self.confabctl("user", "del", aor)

    def check_config(self, path=None, timeout=30):
        """Runs `confabd --check-config --config PATH`; returns CompletedProcess."""
        cmd = [binary("CONFABD"), "--check-config", "--config", path or self.config_path]
        return subprocess.run(cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
