"""A small SIP user agent for Confab's integration tests (Python 3 standard library only).

Layers, bottom up:

* ``parse_message`` / ``SipMessage``: one parsed request or response. Header lookup is
  case-insensitive and understands the compact forms (``v`` = Via, ``m`` = Contact, ...);
  ``values(name)`` splits comma-separated lists outside quotes and angle brackets.
* ``Transport`` (``UdpTransport``, ``StreamTransport`` for TCP and TLS): sends bytes and
  receives whole messages; on a stream, messages are framed by Content-Length.
* Digest helpers (RFC 2617, RFC 7616, RFC 8760): ``parse_challenge``, ``choose_challenge``,
  ``digest_response``.
* ``SipClient``: a UA on one transport that builds requests (Via with a fresh
  ``z9hG4bK`` branch and ``rport``, From tag, Call-ID, CSeq, Max-Forwards,
  Content-Length), runs client transactions (UDP retransmission per RFC 3261 Timer E),
  answers 401/407 challenges, and receives and answers requests sent to it.

Set CONFAB_SIP_TRACE=1 to print every message sent and received to stderr.
"""

import hashlib
import os
import re
import secrets
import select
import socket
import ssl
import sys
import threading
import time
from collections import deque

DEFAULT_TIMEOUT = float(os.environ.get("CONFAB_TEST_TIMEOUT", "5"))
TRACE = os.environ.get("CONFAB_SIP_TRACE", "") not in ("", "0")
T1, T2 = 0.5, 4.0

# RFC 3261 §7.3.3 and later RFCs: compact header names.
COMPACT_FORMS = {
    "a": "Accept-Contact", "b": "Referred-By", "c": "Content-Type", "d": "Request-Disposition",
    "e": "Content-Encoding", "f": "From", "i": "Call-ID", "j": "Reject-Contact", "k": "Supported",
    "l": "Content-Length", "m": "Contact", "n": "Identity-Info", "o": "Event", "r": "Refer-To",
    "s": "Subject", "t": "To", "u": "Allow-Events", "v": "Via", "x": "Session-Expires",
    "y": "Identity",
}
# Headers whose values contain commas that do not separate list elements.
UNSPLITTABLE = {
    "www-authenticate", "proxy-authenticate", "authorization", "proxy-authorization",
    "authentication-info", "date", "subject", "user-agent", "server", "call-id", "cseq",
    "content-length", "content-type", "from", "to", "retry-after", "min-expires", "expires",
    "max-forwards", "organization", "priority", "timestamp",
}

REASONS = {
    100: "Trying", 180: "Ringing", 200: "OK", 202: "Accepted", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    407: "Proxy Authentication Required", 408: "Request Timeout", 415: "Unsupported Media Type",
    420: "Bad Extension", 423: "Interval Too Brief", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 483: "Too Many Hops", 486: "Busy Here",
    487: "Request Terminated", 488: "Not Acceptable Here", 500: "Server Internal Error",
    501: "Not Implemented", 503: "Service Unavailable", 513: "Message Too Large",
    603: "Decline",
}


class SipError(Exception):
    """A protocol-level surprise: unparsable input, a timeout, a closed connection."""


class ConnectionClosed(SipError):
    """The peer closed (or reset) a stream connection."""


def canonical_name(name):
    """Long form of a header name, so that 'v' and 'VIA' both compare as 'via'."""
    name = name.strip()
    return COMPACT_FORMS.get(name.lower(), name)


def split_list(value, sep=","):
    """Splits at `sep` outside double quotes and <...>; elements are stripped."""
    parts, cur, quoted, angle, i = [], [], False, 0, 0
    while i < len(value):
        ch = value[i]
        if quoted:
            if ch == "\\" and i + 1 < len(value):
                cur.append(value[i:i + 2])
                i += 2
                continue
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            angle += 1
        elif ch == ">":
            angle = max(0, angle - 1)
        elif ch == sep and angle == 0:
            parts.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    last = "".join(cur).strip()
    if last or parts:
        parts.append(last)
    return [p for p in parts if p != ""]


def parse_params(text):
    """';a=1;b;c="x y"' (leading ';' optional) -> {'a': '1', 'b': None, 'c': 'x y'}; keys lowercased."""
    params = {}
    for item in split_list(text, ";"):
        if "=" in item:
            key, val = item.split("=", 1)
            val = val.strip()
            if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
                val = val[1:-1]
            params[key.strip().lower()] = val
        else:
            params[item.strip().lower()] = None
    return params


class NameAddr:
    """A parsed name-addr / addr-spec header value: display name, URI, header parameters."""

    def __init__(self, display, uri, params):
        self.display, self.uri, self.params = display, uri, params

    def __repr__(self):
        return "NameAddr(%r, %r, %r)" % (self.display, self.uri, self.params)


def parse_name_addr(value):
    value = value.strip()
    if value == "*":
        return NameAddr("", "*", {})
    lt = -1
    quoted = False
    for i, ch in enumerate(value):
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            lt = i
            break
    if lt >= 0:
        gt = value.index(">", lt)
        display = value[:lt].strip().strip('"')
        return NameAddr(display, value[lt + 1:gt].strip(), parse_params(value[gt + 1:]))
    # addr-spec form: everything after the first ';' is a header parameter (RFC 3261 §20).
    uri, _, rest = value.partition(";")
    return NameAddr("", uri.strip(), parse_params(rest))


def parse_uri(uri):
    """'sip:user@host:port;transport=tcp' -> dict(scheme, user, host, port, params)."""
    m = re.match(r"^(sips?):(?:([^@;]*)@)?([^;:?]+|\[[^\]]+\])(?::(\d+))?([^?]*)", uri.strip(), re.I)
    if not m:
        return None
    return {
        "scheme": m.group(1).lower(),
        "user": m.group(2),
        "host": m.group(3).lower(),
        "port": int(m.group(4)) if m.group(4) else None,
        "params": parse_params(m.group(5)),
    }


def uri_key(uri):
    """A comparable identity for a contact URI: (scheme, user, host, port, transport)."""
    p = parse_uri(uri)
    if p is None:
        return uri.strip().lower()
    return (p["scheme"], p["user"], p["host"], p["port"],
            (p["params"].get("transport") or "udp").lower())


class SipMessage:
    """A request or a response. Headers keep their order; lookups are case-insensitive."""

    def __init__(self, start_line, headers=None, body=b""):
        self.start_line = start_line
        self.headers = list(headers or [])  # [(name as written, value)]
        self.body = body
        self.source = None      # (host, port) the message came from, when received
        self.transport = None   # the Transport it came in on, when received
        parts = start_line.split(" ", 2)
        if start_line.startswith("SIP/"):
            self.is_request = False
            self.method = self.uri = None
            try:
                self.status = int(parts[1])
            except (IndexError, ValueError):
                raise SipError("bad status line %r" % start_line)
            self.reason = parts[2] if len(parts) > 2 else ""
        else:
            if len(parts) != 3:
                raise SipError("bad request line %r" % start_line)
            self.is_request = True
            self.method, self.uri = parts[0], parts[1]
            self.status = self.reason = None

    # Header access -------------------------------------------------------------------

    def header(self, name, default=None):
        """Value of the first header field called `name` (any case, compact forms too)."""
        key = canonical_name(name).lower()
        for n, v in self.headers:
            if canonical_name(n).lower() == key:
                return v
        return default

    def header_fields(self, name):
        """The raw values of every header field called `name`, in order."""
        key = canonical_name(name).lower()
        return [v for n, v in self.headers if canonical_name(n).lower() == key]

    def values(self, name):
        """Every list element of the header `name`, across fields (Via: a, b + Via: c -> 3)."""
        fields = self.header_fields(name)
        if canonical_name(name).lower() in UNSPLITTABLE:
            return fields
        out = []
        for f in fields:
            out.extend(split_list(f))
        return out

    def has(self, name):
        return self.header(name) is not None

    def set_header(self, name, value):
        """Replaces every field called `name` by one (appended when absent)."""
        key = canonical_name(name).lower()
        for i, (n, _) in enumerate(self.headers):
            if canonical_name(n).lower() == key:
                self.headers[i] = (name, value)
                self.headers = [h for j, h in enumerate(self.headers)
                                if j <= i or canonical_name(h[0]).lower() != key]
                return
        self.headers.append((name, value))

    def remove_header(self, name):
        key = canonical_name(name).lower()
        self.headers = [h for h in self.headers if canonical_name(h[0]).lower() != key]

    # Convenience -----------------------------------------------------------------------

    @property
    def call_id(self):
        return self.header("Call-ID")

    @property
    def cseq(self):
        """(number, METHOD)."""
        value = self.header("CSeq") or ""
        num, _, method = value.strip().partition(" ")
        return (int(num) if num.isdigit() else None, method.strip().upper())

    @property
    def branch(self):
        vias = self.values("Via")
        return parse_params(vias[0].partition(";")[2]).get("branch") if vias else None

    def contacts(self):
        """Contact values as NameAddr objects (a '*' contact as uri '*')."""
        return [parse_name_addr(v) for v in self.values("Contact")]

    def to_tag(self):
        return parse_name_addr(self.header("To", "")).params.get("tag")

    def from_tag(self):
        return parse_name_addr(self.header("From", "")).params.get("tag")

    def text(self):
        return self.body.decode("utf-8", "replace")

    def to_bytes(self):
        """Serialises with a Content-Length matching the body (added when missing)."""
        if not self.has("Content-Length"):
            self.headers.append(("Content-Length", str(len(self.body))))
        lines = [self.start_line] + ["%s: %s" % (n, v) for n, v in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body

    def summary(self):
        if self.is_request:
            return "%s %s" % (self.method, self.uri)
        return "%d %s" % (self.status, self.reason)

    def __str__(self):
        return self.to_bytes().decode("utf-8", "replace")

    def __repr__(self):
        return "<SipMessage %s>" % self.summary()


def parse_message(data):
    """Parses one whole message (bytes). Folded header lines are unfolded; the body is
    what Content-Length says (or the rest of the data when there is no Content-Length)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise SipError("no end of headers in %r" % data[:80])
    head = data[:end].decode("utf-8", "replace").split("\r\n")
    rest = data[end + 4:]
    start_line = head[0]
    headers = []
    for line in head[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
        elif line:
            name, sep, value = line.partition(":")
            if not sep:
                raise SipError("header line without ':' %r" % line)
            headers.append((name.strip(), value.strip()))
    msg = SipMessage(start_line, headers)
    length = msg.header("Content-Length")
    msg.body = rest[:int(length)] if length is not None and length.strip().isdigit() else rest
    return msg


# Digest authentication --------------------------------------------------------------------

HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def parse_challenge(value):
    """'Digest realm="r", nonce="n", qop="auth"' -> ('Digest', {'realm': 'r', ...})."""
    scheme, _, rest = value.strip().partition(" ")
    params = {}
    for item in split_list(rest):
        key, _, val = item.partition("=")
        val = val.strip()
        if len(val) >= 2 and val[0] == '"' and val[-1] == '"':
            val = val[1:-1]
        params[key.strip().lower()] = val
    return scheme, params


def challenge_algorithm(params):
    return (params.get("algorithm") or "MD5").upper()


def choose_challenge(values, supported=("SHA-256", "MD5")):
    """The first Digest challenge (in header order) whose algorithm is in `supported`;
    returns its params dict, or None."""
    wanted = [a.upper() for a in supported]
    for value in values:
        scheme, params = parse_challenge(value)
        if scheme.lower() == "digest" and challenge_algorithm(params) in wanted:
            return params
    return None


def digest_hash(algorithm, text):
    return HASHES[algorithm.upper()](text.encode("utf-8")).hexdigest()


def digest_response(algorithm, username, realm, password, method, uri, nonce,
                    nc=None, cnonce=None, qop=None):
    """The request-digest of RFC 2617 §3.2.2.1 / RFC 7616 §3.4.1 (no -sess variants)."""
    ha1 = digest_hash(algorithm, "%s:%s:%s" % (username, realm, password))
    ha2 = digest_hash(algorithm, "%s:%s" % (method, uri))
    if qop:
        return digest_hash(algorithm, "%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))
    return digest_hash(algorithm, "%s:%s:%s" % (ha1, nonce, ha2))


def authorization_value(challenge, username, password, method, uri, nc=1, cnonce=None):
    """An Authorization / Proxy-Authorization value answering `challenge` (params dict)."""
    algorithm = challenge_algorithm(challenge)
    qops = [q.strip() for q in (challenge.get("qop") or "").split(",") if q.strip()]
    qop = "auth" if "auth" in qops else None
    cnonce = cnonce or secrets.token_hex(8)
    nc_text = "%08x" % nc
    response = digest_response(algorithm, username, challenge.get("realm", ""), password,
                               method, uri, challenge.get("nonce", ""),
                               nc_text if qop else None, cnonce if qop else None, qop)
    parts = ['username="%s"' % username, 'realm="%s"' % challenge.get("realm", ""),
             'nonce="%s"' % challenge.get("nonce", ""), 'uri="%s"' % uri,
             'response="%s"' % response, "algorithm=%s" % algorithm]
    if qop:
        parts += ["qop=%s" % qop, "nc=%s" % nc_text, 'cnonce="%s"' % cnonce]
    if "opaque" in challenge:
        parts.append('opaque="%s"' % challenge["opaque"])
    return "Digest " + ", ".join(parts)


# Transports -------------------------------------------------------------------------------

def tls_context(cafile=None):
    """A client context: no verification, or verification against `cafile` (a self-signed
    server certificate); host names are not checked (the server is reached by IP)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if cafile:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile)
    else:
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _trace(direction, data, peer):
    if TRACE:
        sys.stderr.write("---- %s %s:%s (%d bytes)\n%s\n" % (
            direction, peer[0], peer[1], len(data), data.decode("utf-8", "replace")))
        sys.stderr.flush()


class Transport:
    """Base: `name` is 'udp', 'tcp' or 'tls'; `local` is (host, port)."""
    name = "?"
    reliable = False

    def send(self, data, dest=None):
        raise NotImplementedError

    def recv(self, timeout):
        """One whole message as (bytes, source address), or None on timeout."""
        raise NotImplementedError

    def close(self):
        raise NotImplementedError


class UdpTransport(Transport):
    name = "udp"

    def __init__(self, server, host="127.0.0.1"):
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.local = self.sock.getsockname()

    def send(self, data, dest=None):
        dest = dest or self.server
        _trace("UDP sent to", data, dest)
        self.sock.sendto(data, dest)

    def recv(self, timeout):
        ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not ready:
            return None
        data, src = self.sock.recvfrom(65535)
        _trace("UDP received from", data, src)
        return data, src

    def close(self):
        self.sock.close()


class StreamTransport(Transport):
    """TCP, or TLS when given an SSLContext. Frames messages by Content-Length and skips
    CRLF keep-alives between messages (RFC 5626 §3.5.1)."""
    reliable = True

    def __init__(self, server, tls=None, timeout=DEFAULT_TIMEOUT):
        self.server = server
        self.name = "tls" if tls else "tcp"
        raw = socket.create_connection(server, timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = tls.wrap_socket(raw, server_hostname="example.test") if tls else raw
        self.sock.settimeout(None)
        self.local = self.sock.getsockname()
        self.buf = b""
        self.closed = False

    def send(self, data, dest=None):
        _trace("%s sent to" % self.name.upper(), data, self.server)
        self.sock.settimeout(DEFAULT_TIMEOUT)  # a server that stops reading cannot hang us
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise SipError("%s send of %d bytes timed out" % (self.name, len(data)))
        finally:
            self.sock.settimeout(None)

    def _read_more(self, deadline):
        """Appends what arrives before `deadline` to the buffer; False on timeout."""
        while True:
            remaining = deadline - time.monotonic()
            pending = self.sock.pending() if isinstance(self.sock, ssl.SSLSocket) else 0
            if not pending:
                ready, _, _ = select.select([self.sock], [], [], max(0.0, remaining))
                if not ready:
                    return False
            # Bounded even when TLS needs more bytes than are there to finish a record.
            self.sock.settimeout(max(0.001, remaining) if not pending else None)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ssl.SSLWantReadError):
                if time.monotonic() >= deadline:
                    return False
                continue
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError) as e:
                self.closed = True
                raise ConnectionClosed("%s connection reset: %s" % (self.name, e))
            finally:
                self.sock.settimeout(None)
            if not chunk:
                self.closed = True
                raise ConnectionClosed("%s connection closed by the server" % self.name)
            self.buf += chunk
            return True

    def _frame(self):
        """A whole message from the buffer, or None."""
        self.buf = self.buf.lstrip(b"\r\n")
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        m = re.search(rb"^(?:content-length|l)[ \t]*:[ \t]*(\d+)", self.buf[:end],
                      re.I | re.M)
        length = int(m.group(1)) if m else 0
        total = end + 4 + length
        if len(self.buf) < total:
            return None
        data, self.buf = self.buf[:total], self.buf[total:]
        return data

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            data = self._frame()
            if data is not None:
                _trace("%s received from" % self.name.upper(), data, self.server)
                return data, self.server
            if time.monotonic() >= deadline or not self._read_more(deadline):
                return None

    def wait_closed(self, timeout):
        """True when the server closes the connection within `timeout` (data that arrives
        meanwhile, e.g. an error response, is discarded)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and self._read_more(deadline):
                self.buf = b""
            return False
        except ConnectionClosed:
            return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def open_transport(kind, server, tls=None):
    kind = kind.lower()
    if kind == "udp":
        return UdpTransport(server)
    if kind == "tcp":
        return StreamTransport(server)
    if kind == "tls":
        return StreamTransport(server, tls=tls or tls_context())
    raise ValueError("unknown transport %r" % kind)


# The user agent ---------------------------------------------------------------------------

def new_branch():
    return "z9hG4bK" + secrets.token_hex(8)


def new_tag():
    return secrets.token_hex(5)


class SipClient:
    """A SIP UA for one user (or anonymous) on one transport towards one server.

    >>> alice = SipClient("tcp", ("127.0.0.1", 5060), "alice", "alicepw")
    >>> alice.register(expires=600).status
    200
    """

    def __init__(self, transport, server, user=None, password=None, domain="example.test",
                 auth_user=None, algorithms=("SHA-256", "MD5"), tls=None,
                 timeout=DEFAULT_TIMEOUT):
        self.transport = (open_transport(transport, server, tls)
                          if isinstance(transport, str) else transport)
        self.server = server
        self.user, self.password, self.domain = user, password, domain
        self.auth_user = auth_user or user
        self.algorithms = algorithms
        self.timeout = timeout
        self.aor = "sip:%s@%s" % (user, domain) if user else "sip:anonymous@anonymous.invalid"
        self.from_tag = new_tag()
        self.reg_call_id = self.new_call_id()
        self.cseq = 0
        self.nc = {}                 # nonce -> last nonce count used
        self.last_challenge = None   # params of the last challenge answered
        self.requests = deque()      # requests received while waiting for something else
        self.lock = threading.Lock()

    # Addresses --------------------------------------------------------------------------

    @property
    def local(self):
        return self.transport.local

    @property
    def contact_uri(self):
        """Where this UA can be reached: its own address (a stream UA does not listen:
        the server must use the connection the UA registered on)."""
        host, port = self.local[:2]
        uri = "sip:%s@%s:%d" % (self.user or "anonymous", host, port)
        if self.transport.name != "udp":
            uri += ";transport=%s" % self.transport.name
        return uri

    def via(self, branch):
        host, port = self.local[:2]
        return "SIP/2.0/%s %s:%d;branch=%s;rport" % (self.transport.name.upper(), host, port,
                                                      branch)

    def retarget(self, server):
        """Points a UDP client at a new server address (e.g. after a restart)."""
        self.server = server
        self.transport.server = server

    def new_call_id(self):
        return "%s@%s" % (secrets.token_hex(8), self.local[0])

    # Building and sending ---------------------------------------------------------------

    def build_request(self, method, uri, to=None, headers=(), body=b"", content_type=None,
                      call_id=None, max_forwards=70, from_uri=None, to_tag=None):
        """A request with fresh branch, the UA's From tag, a new (or given) Call-ID and the
        next CSeq. `headers` is a list of (name, value) added after the standard ones."""
        self.cseq += 1
        to = to or uri
        to_value = "<%s>" % to + (";tag=%s" % to_tag if to_tag else "")
        hdrs = [("Via", self.via(new_branch()))]
        if max_forwards is not None:
            hdrs.append(("Max-Forwards", str(max_forwards)))
        hdrs += [
            ("From", "<%s>;tag=%s" % (from_uri or self.aor, self.from_tag)),
            ("To", to_value),
            ("Call-ID", call_id or self.new_call_id()),
            ("CSeq", "%d %s" % (self.cseq, method)),
            ("User-Agent", "confab-integration-tests"),
        ]
        hdrs += list(headers)
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body and content_type:
            hdrs.append(("Content-Type", content_type))
        hdrs.append(("Content-Length", str(len(body))))
        return SipMessage("%s %s SIP/2.0" % (method, uri), hdrs, body)

    def renew(self, request):
        """A copy of `request` for a new transaction: new branch, next CSeq, same Call-ID."""
        self.cseq += 1
        msg = SipMessage(request.start_line, list(request.headers), request.body)
        msg.set_header("Via", self.via(new_branch()))
        msg.set_header("CSeq", "%d %s" % (self.cseq, request.method))
        return msg

    def send(self, message):
        data = message if isinstance(message, bytes) else message.to_bytes()
        self.transport.send(data)

    # Receiving --------------------------------------------------------------------------

    def recv_any(self, timeout):
        """The next message off the transport (requests queued earlier are not returned
        here); None on timeout. Unparsable input raises SipError."""
        got = self.transport.recv(timeout)
        if got is None:
            return None
        data, src = got
        msg = parse_message(data)
        msg.source, msg.transport = src, self.transport
        return msg

    def wait_response(self, request, timeout=None, final=True, retransmit=None):
        """The response to `request` (matched by branch and CSeq method): the final one, or
        the first one when final=False. Over UDP the request is retransmitted (Timer E).
        Requests that arrive meanwhile are queued for recv_request(). None on timeout."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        branch, method = request.branch, request.method
        retransmit = (not self.transport.reliable) if retransmit is None else retransmit
        interval, next_send = T1, time.monotonic() + T1
        data = request.to_bytes()
        while True:
            now = time.monotonic()
            if now >= deadline:
                return None
            wake = min(deadline, next_send) if retransmit else deadline
            msg = self.recv_any(wake - now)
            if msg is None:
                if retransmit and time.monotonic() >= next_send:
                    self.transport.send(data)
                    interval = min(interval * 2, T2)
                    next_send = time.monotonic() + interval
                continue
            if msg.is_request:
                self.requests.append(msg)
                continue
            if msg.branch == branch and msg.cseq[1] == method:
                if msg.status >= 200 or not final:
                    return msg
                retransmit = False  # a provisional response stops Timer E retransmissions
            # else: a stray (late or duplicate) response to an older transaction

    def transact(self, request, timeout=None):
        """Sends `request` and returns its final response (SipError on timeout)."""
        self.send(request)
        resp = self.wait_response(request, timeout)
        if resp is None:
            raise SipError("no final response to %s within %.1fs" % (
                request.summary(), self.timeout if timeout is None else timeout))
        return resp

    # Authentication ---------------------------------------------------------------------

    def authorize(self, request, response, username=None, password=None, nc=None,
                  cnonce=None):
        """Adds Authorization (for a 401) or Proxy-Authorization (for a 407) to `request`,
        answering the first challenge of `response` with an algorithm we support.
        Returns False when there is no usable challenge."""
        if response.status == 407:
            challenges, header = response.header_fields("Proxy-Authenticate"), "Proxy-Authorization"
        else:
            challenges, header = response.header_fields("WWW-Authenticate"), "Authorization"
        challenge = choose_challenge(challenges, self.algorithms)
        if challenge is None:
            return False
        self.last_challenge = challenge
        nonce = challenge.get("nonce", "")
        if nc is None:
            nc = self.nc.get(nonce, 0) + 1
        self.nc[nonce] = max(nc, self.nc.get(nonce, 0))
        request.set_header(header, authorization_value(
            challenge, username or self.auth_user, password or self.password, request.method,
            request.uri, nc=nc, cnonce=cnonce))
        return True

    def request(self, method, uri, auth=True, timeout=None, **kwargs):
        """Builds and sends a request; answers one 401/407 challenge (two when the first
        answer is stale) when the UA has a password. Returns the final response."""
        req = self.build_request(method, uri, **kwargs)
        return self.transact_with_auth(req, auth=auth, timeout=timeout)

    def transact_with_auth(self, req, auth=True, timeout=None):
        resp = self.transact(req, timeout)
        tries = 0
        while (auth and self.password is not None and resp.status in (401, 407)
               and tries < 2):
            stale = any(parse_challenge(v)[1].get("stale", "").lower() == "true"
                        for v in resp.header_fields("WWW-Authenticate")
                        + resp.header_fields("Proxy-Authenticate"))
            if tries == 1 and not stale:
                break
            req = self.renew(req)
            if not self.authorize(req, resp):
                break
            resp = self.transact(req, timeout)
            tries += 1
        self.last_request = req
        return resp

    # Registration -----------------------------------------------------------------------

    def register(self, user=None, password=None, expires=None, contact=None, headers=(),
                 auth=True, timeout=None):
        """REGISTERs `contact` (default: this UA's own contact_uri; a list registers several;
        '*' removes all) for the UA's AOR. `expires` goes into an Expires header (None: no
        Expires header). `user`/`password` override the credentials used to answer the 401.
        Returns the final response."""
        if user is not None:
            self.auth_user = user
        if password is not None:
            self.password = password
        contacts = [contact or "<%s>" % self.contact_uri] if not isinstance(contact, list) \
            else contact
        hdrs = [("Contact", c if c.startswith("<") or c == "*" else "<%s>" % c)
                for c in contacts]
        if expires is not None:
            hdrs.append(("Expires", str(expires)))
        return self.request("REGISTER", "sip:%s" % self.domain, to=self.aor,
                            headers=hdrs + list(headers), call_id=self.reg_call_id,
                            auth=auth, timeout=timeout)

    def fetch_bindings(self, timeout=None):
        """A REGISTER without Contact: the 200 OK lists the current bindings."""
        return self.request("REGISTER", "sip:%s" % self.domain, to=self.aor,
                            call_id=self.reg_call_id, timeout=timeout)

    def unregister(self, contact=None):
        """Removes this UA's binding (or `contact`) with expires=0."""
        return self.register(expires=0, contact=contact)

    def unregister_all(self):
        return self.register(expires=0, contact="*")

    # Requests ---------------------------------------------------------------------------

    def send_message(self, to_uri, text, content_type="text/plain", headers=(), timeout=None,
                     **kwargs):
        """A pager MESSAGE (RFC 3428), answering a 407. Returns the final response."""
        return self.request("MESSAGE", to_uri, headers=headers, body=text,
                            content_type=content_type, timeout=timeout, **kwargs)

    def options(self, uri=None, headers=(), timeout=None, **kwargs):
        return self.request("OPTIONS", uri or "sip:%s" % self.domain, headers=headers,
                            timeout=timeout, **kwargs)

    # Being a UAS ------------------------------------------------------------------------

    def recv_request(self, timeout=None):
        """The next request sent to this UA (e.g. a forwarded MESSAGE); None on timeout.
        Responses arriving meanwhile (late retransmissions) are dropped."""
        timeout = self.timeout if timeout is None else timeout
        if self.requests:
            return self.requests.popleft()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            msg = self.recv_any(remaining)
            if msg is None:
                return None
            if msg.is_request:
                return msg

    def reply(self, request, code, reason=None, headers=(), body=b"", content_type=None):
        """Sends a response to `request`: copies Via, From, To (adding a tag), Call-ID and
        CSeq; over UDP it goes back to the address the request came from (RFC 3581)."""
        hdrs = [("Via", v) for v in request.header_fields("Via")]
        to = request.header("To", "")
        if code > 100 and parse_name_addr(to).params.get("tag") is None:
            to += ";tag=%s" % new_tag()
        hdrs += [("From", request.header("From", "")), ("To", to),
                 ("Call-ID", request.call_id or ""), ("CSeq", request.header("CSeq", ""))]
        hdrs += list(headers)
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body and content_type:
            hdrs.append(("Content-Type", content_type))
        hdrs.append(("Content-Length", str(len(body))))
        resp = SipMessage("SIP/2.0 %d %s" % (code, reason or REASONS.get(code, "Unknown")),
                          hdrs, body)
        (request.transport or self.transport).send(resp.to_bytes(), request.source)
        return resp

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Responder(threading.Thread):
    """Answers the next `count` requests that reach `client` with `code`, in a thread, so
    that a test can block in another UA's request meanwhile. `after` (a threading.Event)
    holds the answers back until it is set; `done` is set once all answers are sent.

        with Responder(bob, 200) as r:
            resp = alice.send_message(bob_uri, "hi")
        r.requests[0].text()  # "hi"
    """

    def __init__(self, client, code=200, count=1, timeout=None, after=None):
        super().__init__(daemon=True)
        self.client, self.code, self.count = client, code, count
        self.timeout = client.timeout * 2 if timeout is None else timeout
        self.after = after
        self.requests = []
        self.error = None
        self.done = threading.Event()

    def run(self):
        answered = {}
        try:
            deadline = time.monotonic() + self.timeout
            while len(self.requests) < self.count:
                req = self.client.recv_request(max(0.0, deadline - time.monotonic()))
                if req is None:
                    break
                if req.method == "ACK":
                    continue
                key = (req.branch, req.cseq[1])
                if key in answered:  # a retransmission: answer it again, count it once
                    self.client.transport.send(answered[key].to_bytes(), req.source)
                    continue
                if self.after is not None:
                    self.after.wait(max(0.0, deadline - time.monotonic()))
                self.requests.append(req)
                answered[key] = self.client.reply(req, self.code)
        except Exception as e:  # reported by join()
            self.error = e
        finally:
            self.done.set()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.join(self.timeout + 1)
        if self.error is not None and exc[0] is None:
            raise self.error
