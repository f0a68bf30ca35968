"""SipePeer: a real pidgin-sipe client (sipe_driver, a headless libpurple UI) for tests.

    peer = SipePeer("alice@example.test", server.tcp, transport="tcp")
    peer.start()
    peer.wait_for("signed-in", timeout=20)        # returns the event dict, or raises
    peer.set_status("away", "at lunch")
    peer.add_buddy("bob@example.test", "Friends")
    peer.send_im("bob@example.test", "hello")
    peer.wait_for("im", timeout=10, match={"from": "sip:bob@example.test"})
    peer.quit()                                   # signs off (un-REGISTER), bounded

Every event sipe_driver prints (one JSON object a line) is kept in `peer.events`, in
order; wait_for() consumes nothing, it searches the events after a cursor (by default
the ones after the last event a previous wait_for() returned), so a test can wait for
events in the order it expects them. sipe's and libpurple's debug log goes to
`peer.log_path` (with debug=True), which is where sipe's view of the SIP exchange is.

The driver comes from the environment: SIPE_DRIVER (set by CTest).
"""

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time

DEFAULT_TIMEOUT = float(os.environ.get("CONFAB_TEST_TIMEOUT", "5"))


class SipePeerError(AssertionError):
    """The driver died, said something unexpected, or an event did not come in time."""


def driver_path():
    path = os.environ.get("SIPE_DRIVER")
    if not path:
        raise RuntimeError("SIPE_DRIVER is not set: run through CTest, or export "
                           "SIPE_DRIVER=/path/to/build/tests/interop/sipe/sipe_driver")
    if not os.access(path, os.X_OK):
        raise RuntimeError("SIPE_DRIVER=%s is not an executable file" % path)
    return path


class SipePeer:
    def __init__(self, user, server_addr, transport="tcp", login=None, password="secret",
                 user_agent=None, auth="ntlm", trust_cert=None, debug=True, signin_timeout=30,
                 lifetime=300, extra_args=()):
        """`user`: the SIP URI without scheme (alice@example.test); `server_addr`: (host,
        port) of confabd's listener for `transport` ("tcp" or "tls"); `trust_cert`: the
        server's PEM certificate, needed over TLS when it is self-signed."""
        self.user = user
        self.args = [driver_path(), "--user", user, "--server", "%s:%d" % tuple(server_addr),
                     "--transport", transport, "--password", password, "--auth", auth,
                     "--signin-timeout", str(signin_timeout), "--lifetime", str(lifetime)]
        if login:
            self.args += ["--login", login]
        if user_agent:
            self.args += ["--user-agent", user_agent]
        if trust_cert:
            self.args += ["--trust-cert", trust_cert]
        if debug:
            self.args.append("--debug")
        self.args += list(extra_args)
        self.dir = tempfile.mkdtemp(prefix="sipe-peer-")
        self.log_path = os.path.join(self.dir, "sipe.log")
        self.proc = None
        self.events = []
        self.cursor = 0
        self._queue = queue.Queue()
        self._reader = None

    # Process ------------------------------------------------------------------------------

    def start(self, ready_timeout=10):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=log, cwd=self.dir)
        self._reader = threading.Thread(target=self._read_events, daemon=True)
        self._reader.start()
        self.wait_for("ready", ready_timeout)
        return self

    def _read_events(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "unparsable-output", "line": line}
            event["time"] = time.monotonic()
            self._queue.put(event)
        self._queue.put(None)  # EOF

    def _drain(self, timeout):
        """Moves what the reader thread got into self.events; False on EOF."""
        try:
            item = self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return True
        while True:
            if item is None:
                self.events.append({"event": "eof", "time": time.monotonic()})
                return False
            self.events.append(item)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return True

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # Events -------------------------------------------------------------------------------

    def find(self, event, match=None, start=0):
        """Index of the first event named `event` at or after `start` whose fields include
        `match`, or None."""
        for i in range(start, len(self.events)):
            e = self.events[i]
            if e.get("event") == event and all(e.get(k) == v for k, v in (match or {}).items()):
                return i
        return None

    def wait_for(self, event, timeout=DEFAULT_TIMEOUT, match=None, since=None,
                 fail_on=("connection-error",)):
        """Waits for the event named `event` (after `since`, default the cursor) and returns
        it; moves the cursor past it. Fails at once on an event in `fail_on` or when the
        driver exits."""
        start = self.cursor if since is None else since
        deadline = time.monotonic() + timeout
        while True:
            index = self.find(event, match, start)
            if index is not None:
                self.cursor = index + 1
                return self.events[index]
            for bad in fail_on or ():
                if bad != event:
                    bad_index = self.find(bad, None, start)
                    if bad_index is not None:
                        raise SipePeerError("%s while waiting for %s: %s\n%s" % (
                            bad, event, self.events[bad_index], self.describe()))
            if self.find("eof", None, start) is not None:
                raise SipePeerError("sipe_driver exited (status %s) while waiting for %s\n%s" % (
                    self.proc.poll(), event, self.describe()))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SipePeerError("no %s event%s within %.1fs\n%s" % (
                    event, " matching %s" % match if match else "", timeout, self.describe()))
            self._drain(min(remaining, 0.5))

    def find_buddy(self, uri, timeout=DEFAULT_TIMEOUT, match=None):
        """Lists the buddies until `uri` is among them with the fields in `match`, or
        `timeout` passes; returns its "buddy" event or None. A list the server sent is
        applied by sipe a little after confabd logged it, so one listing can be early."""
        deadline = time.monotonic() + timeout
        want = dict(match or {}, uri=uri)
        while True:
            since = len(self.events)
            self.command("list buddies")
            self.wait_for("buddies-end", max(0.1, deadline - time.monotonic()), since=since)
            index = self.find("buddy", want, since)
            if index is not None:
                return self.events[index]
            if time.monotonic() >= deadline:
                return None
            self.poll_events(0.2)  # let sipe handle what arrived; bounded by the deadline

    def poll_events(self, duration=0.0):
        """Collects the events that arrive within `duration` seconds; returns all events."""
        deadline = time.monotonic() + duration
        while self._drain(max(0.0, deadline - time.monotonic())) and \
                time.monotonic() < deadline:
            pass
        return self.events

    def describe(self, log_lines=40):
        names = ", ".join("%s%s" % (e.get("event"), "(%s)" % e.get("message")
                                   if e.get("message") else "") for e in self.events)
        return "events: [%s]\n---- sipe log tail (%s) ----\n%s\n----" % (
            names, self.log_path, self.log_tail(log_lines))

    def log_text(self):
        try:
            with open(self.log_path, "rb") as fh:
                return fh.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])

    # Commands -----------------------------------------------------------------------------

    def command(self, line):
        if not self.alive():
            raise SipePeerError("sipe_driver is not running\n%s" % self.describe())
        self.proc.stdin.write((line + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def set_status(self, status_id, message=None):
        self.command("set status %s%s" % (status_id, " " + message if message else ""))

    def send_im(self, uri, text):
        self.command("send im %s %s" % (uri, text.replace("\n", " ")))

    def join_chat(self, room_uri):
        """Joins a persistent chat room (ma-chan://…); sipe must have reached the chat server."""
        self.command("join chat %s" % room_uri)

    def send_chat(self, room_name, text):
        """Posts to a joined room, named as the driver's "chat-joined" event named it."""
        self.command("send chat %s %s" % (room_name, text.replace("\n", " ")))

    def send_typing(self, uri):
        self.command("send typing %s" % uri)

    def add_buddy(self, uri, group=None):
        self.command("add buddy %s%s" % (uri, " " + group if group else ""))

    def remove_buddy(self, uri):
        self.command("remove buddy %s" % uri)

    def ping(self, timeout=DEFAULT_TIMEOUT):
        """A round trip through the driver's command loop."""
        self.command("ping")
        return self.wait_for("pong", timeout, fail_on=())

    def quit(self, timeout=10):
        """Signs off (sipe un-REGISTERs, bounded by the driver at 3 s) and waits for the exit;
        returns the exit status."""
        if self.proc is None:
            return None
        if self.alive():
            try:
                self.command("quit")
            except (BrokenPipeError, SipePeerError):
                pass
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout)
        if self._reader is not None:
            self._reader.join(timeout)
        self.poll_events(0)
        return code

    def close(self, keep_dir=False):
        self.quit()
        for stream in (self.proc.stdin, self.proc.stdout) if self.proc else ():
            try:
                stream.close()
            except OSError:
                pass
        if not keep_dir and not os.environ.get("CONFAB_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
