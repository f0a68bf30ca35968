"""Reads the SIP messages out of confabd's log when `server.trace_sip: true`.

confabd logs each message it receives, sends or relays as one log line

    2026-11-21T18:17:15.699Z info  [w0] recv TCP 127.0.0.1:49882 (764 bytes)

followed by exactly that many bytes of the message. trace_messages() returns them in
order as TracedMessage objects, which tests use to check what a real client sent and
what confabd answered.
"""

import datetime
import re

_HEADER = re.compile(rb"^(\S+) +\w+ +\[w(\d+)\] (recv|send|relay) (UDP|TCP|TLS) (\S+) "
                     rb"\((\d+) bytes\)\r?\n", re.M)


def _seconds(stamp):
    """Unix seconds of a log time stamp ("2026-11-21T18:17:15.699Z"), None if unreadable."""
    try:
        return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        return None


class TracedMessage:
    def __init__(self, direction, transport, peer, worker, raw):
        self.direction = direction    # "recv", "send" or "relay"
        self.transport = transport    # "UDP", "TCP", "TLS"
        self.peer = peer              # "127.0.0.1:49882"
        self.worker = worker
        self.raw = raw
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.start_line = lines[0]
        self.headers = []             # (name, value) in order, names as sent
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:  # folded continuation
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + " " + line.strip())
            elif ":" in line:
                name, value = line.split(":", 1)
                self.headers.append((name.strip(), value.strip()))
        parts = self.start_line.split(" ", 2)
        self.is_response = parts[0].startswith("SIP/")
        self.status = int(parts[1]) if self.is_response and parts[1].isdigit() else None
        self.method = None if self.is_response else parts[0]
        self.cseq_method = (self.header("CSeq") or " ").split()[-1]

    def header(self, name):
        """The first value of header `name` (case-insensitive), or None."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    @property
    def call_id(self):
        return self.header("Call-ID") or self.header("i")

    def __repr__(self):
        return "<%s %s %s>" % (self.direction, self.transport, self.start_line)


def trace_messages(log_path):
    with open(log_path, "rb") as fh:
        data = fh.read()
    messages = []
    for match in _HEADER.finditer(data):
        stamp, worker, direction, transport, peer, size = match.groups()
        raw = data[match.end():match.end() + int(size)]
        message = TracedMessage(direction.decode(), transport.decode(), peer.decode(),
                                int(worker), raw.decode("utf-8", "replace"))
        message.time = _seconds(stamp.decode())  # when confabd logged it
        messages.append(message)
    return messages


def requests(messages, method, **headers):
    """The requests confabd received with this method whose headers contain the given
    values (keyword names use _ for -, e.g. Event="presence")."""
    out = []
    for m in messages:
        if m.direction == "recv" and m.method == method and all(
                m.header(k.replace("_", "-")) == v for k, v in headers.items()):
            out.append(m)
    return out


def answers_to(messages, request):
    """The final responses confabd sent to the client for `request` (same Call-ID and
    CSeq, sent on the connection the request came from)."""
    return [m for m in messages
            if m.is_response and m.direction == "send" and m.peer == request.peer
            and m.call_id == request.call_id and m.header("CSeq") == request.header("CSeq")
            and m.status >= 200]


def forwarded(messages, request):
    """Copies of `request` confabd sent onwards (same Call-ID, CSeq and method)."""
    return [m for m in messages
            if m.direction == "send" and m.method == request.method
            and m.call_id == request.call_id and m.header("CSeq") == request.header("CSeq")]
