"""Federation test helpers: two (or more) confabd instances for different domains on
different loopback addresses, a throw-away certificate authority (the `openssl` command
line), UAs bound to their own loopback source addresses, raw peer sockets, the test DNS
server (confab-test-dns) and counters read from confabd's SIGUSR1 log line.

Addresses (all on the loopback /8, which Linux routes to `lo` without configuration):

    a.test  confabd on 127.0.0.1     its users' UAs bind to 127.0.0.11
    b.test  confabd on 127.0.0.2     its users' UAs bind to 127.0.0.12
    Kamailio (interop)  127.0.0.3    strangers (no peer)    127.0.0.66

UAs bind to their own addresses so that a server never mistakes one of its own users for
the federated peer whose source address it trusts (and so that topology hiding can be
checked: the UA's address must not appear in what the other domain receives).
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from presence_helpers import PIDF, next_notify, pidf, publish  # noqa: F401 (tests import them)
from server import ConfabServer, ServerError, USER_NAMES, password_of
from sipclient import (DEFAULT_TIMEOUT, SipClient, SipError, StreamTransport, UdpTransport,
                       new_branch, new_tag, parse_message)

A_DOMAIN, B_DOMAIN = "a.test", "b.test"
A_HOST, B_HOST = "127.0.0.1", "127.0.0.2"
A_CLIENTS, B_CLIENTS = "127.0.0.11", "127.0.0.12"
KAMAILIO_HOST = "127.0.0.3"
STRANGER = "127.0.0.66"


def env_binary(var, default=None):
    """A binary from the environment (CTest sets it); None when absent."""
    path = os.environ.get(var) or default
    if path and os.access(path, os.X_OK):
        return path
    return None


_handed_out = set()  # never hand the same port out twice in one process


def free_port(host, kinds=(socket.SOCK_STREAM, socket.SOCK_DGRAM)):
    """A port that is free on `host` for TCP and UDP at once (listeners need explicit ports
    because each server's configuration names the other's)."""
    for _ in range(50):
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind((host, 0))
        port = probe.getsockname()[1]
        held = [probe]
        if port in _handed_out:
            probe.close()
            continue
        try:
            for kind in kinds:
                if kind == socket.SOCK_STREAM:
                    continue
                s = socket.socket(socket.AF_INET, kind)
                held.append(s)
                s.bind((host, port))
            _handed_out.add(port)
            return port
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no free port on %s" % host)


def closed_port(host):
    """A TCP port on `host` where nothing listens (connections are refused)."""
    return free_port(host, kinds=(socket.SOCK_STREAM,))


# Certificates -------------------------------------------------------------------------------

class TestCA:
    """A certificate authority in a temporary directory, driven through `openssl`:

        ca = TestCA()
        crt, key = ca.issue("b", ["b.test"])          # SAN DNS:b.test, server+client auth
        crt, key = ca.issue("wild", ["*.test"])       # a wildcard (refused by RFC 5922)
        other = TestCA("other")                        # a CA nobody trusts
    """

    def __init__(self, name="confab-test-ca", directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="confab-ca-")
        self.own_dir = directory is None
        self.name = name
        self.cert = os.path.join(self.dir, "%s.crt" % name)
        self.key = os.path.join(self.dir, "%s.key" % name)
        self.serial = 1
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "30",
                      "-subj", "/CN=%s" % name,
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def _openssl(self, *args):
        done = subprocess.run(["openssl"] + list(args), cwd=self.dir, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError("openssl %s failed:\n%s" % (" ".join(args), done.stderr))
        return done.stdout

    def issue(self, name, dns_names, common_name=None):
        """A leaf certificate signed by this CA with SAN DNS entries `dns_names` (an empty
        list: no SAN at all, only the CN); returns (cert path, key path)."""
        crt = os.path.join(self.dir, "%s.crt" % name)
        key = os.path.join(self.dir, "%s.key" % name)
        csr = os.path.join(self.dir, "%s.csr" % name)
        ext = os.path.join(self.dir, "%s.ext" % name)
        cn = common_name or (dns_names[0] if dns_names else name)
        with open(ext, "w") as fh:
            fh.write("basicConstraints=critical,CA:FALSE\n"
                     "keyUsage=critical,digitalSignature,keyEncipherment\n"
                     "extendedKeyUsage=serverAuth,clientAuth\n")
            if dns_names:
                fh.write("subjectAltName=%s\n" % ",".join("DNS:%s" % d for d in dns_names))
        self._openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=%s" % cn)
        self.serial += 1
        self._openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
                      "-set_serial", str(self.serial), "-days", "30", "-out", crt,
                      "-extfile", ext)
        return crt, key

    def cleanup(self):
        if self.own_dir and not os.environ.get("CONFAB_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def client_context(ca_file=None, cert=None, key=None):
    """A TLS client context that trusts `ca_file` (or nothing is verified) and presents
    `cert`/`key` when given (a peer's certificate, for mutual TLS)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if ca_file:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(ca_file)
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


# Servers ------------------------------------------------------------------------------------

class FedServer(ConfabServer):
    """confabd serving `domain` on `host` (explicit ports, so that the other server's
    configuration can name them before either starts), with users <name>@<domain> and a
    `federation:` section. `tls_cert`/`tls_key` are the TLS listener's certificate (the
    server's own, self-signed, when None)."""

    def __init__(self, domain, host, federation=None, tls_cert=None, tls_key=None,
                 users=None, **overrides):
        self.domain, self.host = domain, host
        self.tls_cert, self.tls_key = tls_cert, tls_key
        self.fixed_ports = {"udp": free_port(host), "tcp": free_port(host),
                            "tls": free_port(host, kinds=(socket.SOCK_STREAM,))}
        if federation is not None:
            overrides["federation"] = federation
        super().__init__(users=users if users is not None else USER_NAMES, **overrides)

    def default_config(self):
        cfg = super().default_config()
        cfg["domains"] = [self.domain]
        cfg["listeners"] = [
            {"transport": "udp", "address": self.host, "port": self.fixed_ports["udp"]},
            {"transport": "tcp", "address": self.host, "port": self.fixed_ports["tcp"]},
            {"transport": "tls", "address": self.host, "port": self.fixed_ports["tls"],
             "certificate": self.tls_cert or self.cert_path,
             "private_key": self.tls_key or self.key_path},
        ]
        cfg["users"] = [{"aor": "%s@%s" % (n, self.domain), "password": password_of(n)}
                        for n in self.user_names]
        return cfg

    def set_federation(self, federation):
        """Replaces the federation section (takes effect at the next start)."""
        self.config["federation"] = federation
        self.write_config()

    def addr(self, transport):
        if self.ports is None:
            raise ServerError("confabd has not been started")
        return (self.host, self.ports[transport])

    def port(self, transport):
        return self.fixed_ports[transport]

    def hop(self, transport="tcp"):
        """This server as a peer's next hop."""
        return {"host": self.host, "port": self.fixed_ports[transport], "transport": transport}

    def aor(self, user):
        return "sip:%s@%s" % (user, self.domain)

    # Logs and counters ------------------------------------------------------------------

    def log_text(self):
        try:
            with open(self.stderr_path, "rb") as fh:
                return fh.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def counters(self, timeout=3.0):
        """Every non-zero counter: SIGUSR1 makes confabd log one `counters:` line
        (proxy/main/server.cpp); the newest such line is parsed into a dict."""
        self.assert_alive()
        before = self.log_text().count("counters:")
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_text()
            lines = [l for l in text.splitlines() if "counters:" in l]
            if len(lines) > before:
                out = {}
                for item in lines[-1].split("counters:", 1)[1].split():
                    name, _, value = item.partition("=")
                    if value.isdigit():
                        out[name] = int(value)
                return out
            if time.monotonic() >= deadline:
                raise ServerError("no counters line within %.1fs after SIGUSR1\n%s" % (
                    timeout, self.stderr_tail(20)))
            time.sleep(0.05)  # polling the log file, bounded by the deadline

    def counter(self, name):
        return self.counters().get(name, 0)

    def wait_log(self, pattern, since=0, timeout=3.0):
        """The first log line after offset `since` matching regex `pattern`, or None."""
        rx = re.compile(pattern, re.I)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_text()[since:].splitlines():
                if rx.search(line):
                    return line
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)  # polling the log file, bounded by the deadline

    def log_size(self):
        return len(self.log_text())


def peer(domain, hop=None, hops=None, sources=None, **extra):
    """One `federation.peers` entry."""
    entry = {"domain": domain}
    if hop is not None:
        entry["next_hop"] = hop
    if hops is not None:
        entry["next_hops"] = hops
    if sources is not None:
        entry["sources"] = sources
    entry.update(extra)
    return entry


def federation(peers, **extra):
    cfg = {"policy": "closed", "hide_topology": True, "peers": peers}
    cfg.update(extra)
    return cfg


# Transports and UAs -------------------------------------------------------------------------

class BoundStreamTransport(StreamTransport):
    """TCP or TLS from a chosen local address (the peer's source, a stranger's ...)."""

    def __init__(self, server, source, tls=None, server_hostname=None, timeout=DEFAULT_TIMEOUT):
        self.server = server
        self.name = "tls" if tls else "tcp"
        raw = socket.create_connection(server, timeout=timeout, source_address=(source, 0))
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = (tls.wrap_socket(raw, server_hostname=server_hostname) if tls else raw)
        self.sock.settimeout(None)
        self.local = self.sock.getsockname()
        self.buf = b""
        self.closed = False


def open_bound(kind, server, source, tls=None, server_hostname=None):
    if kind == "udp":
        return UdpTransport(server, host=source)
    return BoundStreamTransport(server, source, tls=tls if kind == "tls" else None,
                                server_hostname=server_hostname)


def user_agent(server, user, transport="tcp", source=None, tls=None):
    """A UA for <user>@<server.domain> on `server`, bound to the domain's client address."""
    source = source or (A_CLIENTS if server.domain == A_DOMAIN else B_CLIENTS)
    t = open_bound(transport, server.addr(transport), source,
                   tls=tls or client_context(), server_hostname=server.domain)
    return SipClient(t, server.addr(transport), user, password_of(user), domain=server.domain)


def raw_request(method, ruri, from_uri, to_uri, local, transport="TCP", body="",
                content_type="text/plain", max_forwards=70, extra_vias=(), headers=()):
    """A request as a federated peer (or an impostor) would send it: its own top Via, no
    authentication. Returns the SipMessage."""
    from sipclient import SipMessage
    host, port = local[:2]
    hdrs = [("Via", "SIP/2.0/%s %s:%d;branch=%s" % (transport, host, port, new_branch()))]
    hdrs += [("Via", v) for v in extra_vias]
    if max_forwards is not None:
        hdrs.append(("Max-Forwards", str(max_forwards)))
    hdrs += [("From", "<%s>;tag=%s" % (from_uri, new_tag())), ("To", "<%s>" % to_uri),
             ("Call-ID", "%s@fedtest" % new_tag()), ("CSeq", "1 %s" % method)]
    hdrs += list(headers)
    data = body.encode() if isinstance(body, str) else body
    if data:
        hdrs.append(("Content-Type", content_type))
    hdrs.append(("Content-Length", str(len(data))))
    return SipMessage("%s %s SIP/2.0" % (method, ruri), hdrs, data)


def peer_send(transport, request, timeout=DEFAULT_TIMEOUT):
    """Sends `request` on a raw transport and returns the final response (None on timeout or
    when the server closes the connection first)."""
    try:
        transport.send(request.to_bytes())
    except (OSError, SipError):
        return None
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = transport.recv(max(0.0, deadline - time.monotonic()))
        except (SipError, OSError):
            return None
        if got is None:
            return None
        msg = parse_message(got[0])
        if not msg.is_request and msg.branch == request.branch and msg.status >= 200:
            return msg


# Topology hiding ----------------------------------------------------------------------------

ROUTING_HEADERS = ("Via", "Contact", "Record-Route", "Route", "Path")


def _hex_decoded(value):
    """Every long hex run in a header value, decoded (an edge may carry an internal
    address in a URI parameter; hex is an encoding, not hiding)."""
    out = []
    for run in re.findall(r"[0-9A-Fa-f]{16,}", value):
        try:
            out.append(bytes.fromhex(run[:len(run) // 2 * 2]).decode("latin-1"))
        except ValueError:
            pass
    return out


def leaked(message, address):
    """The routing header fields of `message` that reveal `address`, plainly or
    hex-encoded."""
    out = []
    for name in ROUTING_HEADERS:
        for v in message.header_fields(name):
            if address in v or any(address in d for d in _hex_decoded(v)):
                out.append("%s: %s" % (name, v))
    return out


# Presence -----------------------------------------------------------------------------------

class Watch:
    """The watcher's side of one presence subscription to `presentity` (an AOR)."""

    def __init__(self, watcher, presentity, expires=600):
        self.ua, self.presentity = watcher, presentity
        self.call_id = watcher.new_call_id()
        self.remote_tag = None
        self.target = None
        self.route = []
        self.response = self.subscribe(expires)

    def subscribe(self, expires):
        in_dialog = self.remote_tag is not None
        headers = [("Event", "presence"), ("Accept", PIDF), ("Expires", str(expires)),
                   ("Contact", "<%s>" % self.ua.contact_uri)]
        headers += [("Route", r) for r in self.route] if in_dialog else []
        resp = self.ua.request("SUBSCRIBE", self.target if in_dialog else self.presentity,
                               to=self.presentity, to_tag=self.remote_tag,
                               call_id=self.call_id, headers=headers)
        if resp.status < 300 and not in_dialog:
            self.remote_tag = resp.to_tag()
            contacts = resp.contacts()
            self.target = contacts[0].uri if contacts else self.presentity
            self.route = list(reversed(resp.values("Record-Route")))
        return resp

    def notify(self, timeout=3.0, predicate=None):
        """The next NOTIFY of this dialog (answered 200) for which predicate(req) holds."""
        return next_notify(self.ua, self.call_id, timeout, predicate=predicate)


def basic_status(req):
    m = re.search(r"<(?:\w+:)?basic>\s*(\w+)\s*</", req.text())
    return m.group(1) if m else None


# Test DNS -----------------------------------------------------------------------------------

def naptr(name, service, replacement, order=10, preference=10, ttl=60):
    return {"name": name, "type": "NAPTR", "ttl": ttl, "order": order,
            "preference": preference, "flags": "s", "service": service, "regexp": "",
            "replacement": replacement}


def srv(name, target, port, priority=10, weight=5, ttl=60):
    return {"name": name, "type": "SRV", "ttl": ttl, "priority": priority, "weight": weight,
            "port": port, "target": target}


def a_record(name, address, ttl=60):
    return {"name": name, "type": "A", "ttl": ttl, "address": address}


def zone_yaml(records, names=None):
    """The zone file of confab-test-dns (tests/support/dns/zone.h); JSON is valid YAML."""
    return json.dumps({"records": list(records), "names": names or {}}, indent=1) + "\n"


class TestDns:
    """confab-test-dns (tests/support/dns) serving a YAML zone on 127.0.0.1:<port>.

        dns = TestDns(zone_text).start()        # reads "port=<n>" from its first line
        dns.address                              # "127.0.0.1:<port>" for federation.dns
        dns.reload(new_zone_text)                # rewrites the file, SIGHUP
    """

    def __init__(self, zone_text, binary=None):
        self.binary = binary or env_binary("CONFAB_TEST_DNS")
        self.dir = tempfile.mkdtemp(prefix="confab-dns-")
        self.zone_path = os.path.join(self.dir, "zone.yaml")
        self.stderr_path = os.path.join(self.dir, "dns.stderr")
        self.proc = None
        self.port = None
        self.write(zone_text)

    def write(self, zone_text):
        tmp = self.zone_path + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(zone_text)
        os.replace(tmp, self.zone_path)

    def start(self, timeout=10.0):
        if not self.binary:
            raise RuntimeError("CONFAB_TEST_DNS is not set (the confab-test-dns binary)")
        err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([self.binary, "--zone", self.zone_path, "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=err,
                                     stdin=subprocess.DEVNULL)
        err.close()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode(errors="replace").strip() if ready else ""
        m = re.match(r"port=(\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError("confab-test-dns printed %r instead of port=<n>\n%s" % (
                line, self.stderr()))
        self.port = int(m.group(1))
        # Drain stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return self

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def reload(self, zone_text):
        self.write(zone_text)
        self.proc.send_signal(signal.SIGHUP)

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as fh:
                return fh.read().decode("utf-8", "replace")[-3000:]
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None
        if not os.environ.get("CONFAB_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)
