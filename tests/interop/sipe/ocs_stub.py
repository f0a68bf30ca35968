"""OcsStub: a scripted, minimal OCS-dialect server for ONE pidgin-sipe client over TCP.

It answers exactly what SIGNIN.md says Confab must answer, so test_sipe_ocs_stub.py can
check, against the real client, that the list there is sufficient for sipe to sign in,
publish, receive its contact list and see a contact's presence. It is executable
documentation for the presence engineers, not a server: one connection, no dialogs
kept, no authentication, answers built from the request.

    stub = OcsStub(contacts=["bob@example.test"],
                   presence={"bob@example.test": (6500, "busy note")})
    stub.start()                 # listens on 127.0.0.1:<ephemeral>
    ... SipePeer("alice@example.test", stub.addr) ...
    stub.received                # every request sipe sent, in order (SipRequest objects)
    stub.stop()
"""

import socket
import threading
import uuid

DOMAIN = "example.test"

# SIGNIN.md item 2: no spaces (sipe splits on "," and does not trim).
ALLOW_EVENTS = ("vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,"
                "vnd-microsoft-roaming-ACL,presence,presence.wpending,"
                "vnd-microsoft-roaming-self,vnd-microsoft-provisioning-v2")


class SipRequest:
    def __init__(self, head, body):
        lines = head.split("\r\n")
        self.method, self.uri, _ = lines[0].split(" ", 2)
        self.headers = []
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                self.headers.append((name.strip(), value.strip()))
        self.body = body

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def __repr__(self):
        return "<%s %s Event=%s>" % (self.method, self.uri, self.header("Event"))


def tag():
    return uuid.uuid4().hex[:10]


class OcsStub:
    def __init__(self, contacts=(), presence=None, piggyback_contacts=True):
        """`contacts`: URIs (no scheme) in the user's stored contact list, in one group;
        `presence`: {uri: (availability, note)} sent when sipe subscribes to them;
        `piggyback_contacts`: the contact list in the SUBSCRIBE 200 (ms-piggyback-cseq)
        rather than in a NOTIFY after it."""
        self.contacts = list(contacts)
        self.presence = dict(presence or {})
        self.piggyback_contacts = piggyback_contacts
        self.received = []
        self.sent = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(30)
        self.addr = self.listener.getsockname()
        self.conn = None
        self.thread = None
        self.stopping = False
        self.notify_cseq = 0
        self.user = None
        self.lock = threading.Lock()

    def start(self):
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        for s in (self.conn, self.listener):
            try:
                if s:
                    s.close()
            except OSError:
                pass
        if self.thread:
            self.thread.join(5)

    def requests(self, method, event=None):
        with self.lock:
            return [r for r in self.received
                    if r.method == method and (event is None or r.header("Event") == event)]

    # Wire ---------------------------------------------------------------------------------

    def _serve(self):
        try:
            self.conn, _ = self.listener.accept()
        except OSError:
            return
        self.conn.settimeout(1)
        buffer = b""
        while not self.stopping:
            try:
                data = self.conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            buffer += data
            while True:
                buffer = buffer.lstrip(b"\r\n")  # keep-alive CRLFs
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    break
                head = buffer[:end].decode("utf-8", "replace")
                length = 0
                for line in head.split("\r\n")[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                if len(buffer) < end + 4 + length:
                    break
                body = buffer[end + 4:end + 4 + length].decode("utf-8", "replace")
                buffer = buffer[end + 4 + length:]
                if head.startswith("SIP/2.0"):
                    continue  # sipe's answers to our NOTIFYs
                request = SipRequest(head, body)
                with self.lock:
                    self.received.append(request)
                self._handle(request)

    def _send(self, text):
        self.sent.append(text)
        try:
            self.conn.sendall(text.encode("utf-8"))
        except OSError:
            pass

    def _response(self, request, status, reason, headers=(), body="", to_tag=None):
        lines = ["SIP/2.0 %d %s" % (status, reason)]
        for name in ("Via", "From"):
            lines += ["%s: %s" % (name, v) for v in request.all(name)]
        to = request.header("To")
        if ";tag=" not in to:
            to += ";tag=" + (to_tag or tag())
        lines.append("To: " + to)
        lines.append("Call-ID: " + request.header("Call-ID"))
        lines.append("CSeq: " + request.header("CSeq"))
        lines += list(headers)
        lines.append("Content-Length: %d" % len(body.encode("utf-8")))
        self._send("\r\n".join(lines) + "\r\n\r\n" + body)

    def _notify(self, request, event, content_type, body, method="NOTIFY",
                state="active;expires=3600", to_tag=None):
        """A NOTIFY in the dialog the SUBSCRIBE `request` created (our tag = to_tag)."""
        self.notify_cseq += 1
        contact = request.header("Contact")
        target = contact[contact.find("<") + 1:contact.find(">")] if contact else request.uri
        from_hdr = request.header("To") + ";tag=" + to_tag
        lines = ["%s %s SIP/2.0" % (method, target),
                 "Via: SIP/2.0/TCP %s:%d;branch=z9hG4bK%s" % (self.addr[0], self.addr[1], tag()),
                 "From: " + from_hdr,
                 "To: " + request.header("From"),
                 "Call-ID: " + request.header("Call-ID"),
                 "CSeq: %d %s" % (self.notify_cseq, method),
                 "Max-Forwards: 70",
                 "Event: " + event,
                 "Subscription-State: " + state,
                 "Content-Type: " + content_type,
                 "Content-Length: %d" % len(body.encode("utf-8"))]
        self._send("\r\n".join(lines) + "\r\n\r\n" + body)

    # Behaviour: SIGNIN.md's list ----------------------------------------------------------

    def _handle(self, r):
        if r.method == "REGISTER":
            self.user = r.header("From").split("<sip:", 1)[1].split(">", 1)[0]
            expires = "0" if r.header("Expires") == "0" else "3600"
            contact = r.header("Contact")
            self._response(r, 200, "OK", [
                "Contact: %s;expires=%s" % (contact, expires),
                "Expires: " + expires,                      # item 1: mandatory
                "Allow-Events: " + ALLOW_EVENTS,            # item 2
                "Supported: adhoclist",                     # item 2: batched presence
                "Supported: msrtc-event-categories",        # item 2: OCS 2007 mode
                "ms-keep-alive: UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300",
                "Server: RTC/3.0",
            ])
        elif r.method == "SUBSCRIBE":
            self._subscribe(r)
        elif r.method == "SERVICE":
            self._response(r, 200, "OK")                     # item 7
        elif r.method == "NOTIFY":
            self._response(r, 200, "OK")
        elif r.method in ("ACK",):
            pass
        else:
            self._response(r, 501, "Not Implemented")

    def _subscribe(self, r):
        event = r.header("Event")
        our_tag = tag()
        expires = "0" if r.header("Expires") == "0" else "3600"
        common = ["Event: " + event, "Expires: " + expires,
                  "Contact: <sip:%s:%d;transport=tcp>" % self.addr]
        if event == "vnd-microsoft-roaming-contacts":              # item 3
            body = self._contact_list()
            ctype = "application/vnd-microsoft-roaming-contacts+xml"
            if self.piggyback_contacts:
                self._response(r, 200, "OK", common + [
                    "ms-piggyback-cseq: 1", "Content-Type: " + ctype], body, our_tag)
            else:
                self._response(r, 200, "OK", common, to_tag=our_tag)
                self._notify(r, event, ctype, body, to_tag=our_tag)
        elif event == "vnd-microsoft-roaming-self":                # item 4
            self._response(r, 200, "OK", common, to_tag=our_tag)
            self._notify(r, event, "application/vnd-microsoft-roaming-self+xml",
                         self._roaming_self(), method="BENOTIFY", to_tag=our_tag)
        elif event == "vnd-microsoft-provisioning-v2":             # item 5
            self._response(r, 200, "OK", common, to_tag=our_tag)
        elif event == "presence":                                  # items 8-9
            self._response(r, 200, "OK", common, to_tag=our_tag)
            for uri in self._batch_uris(r.body):
                if uri in self.presence:
                    availability, note = self.presence[uri]
                    self._notify(r, "presence", "application/msrtc-event-categories+xml",
                                 self._categories(uri, availability, note), method="BENOTIFY",
                                 to_tag=our_tag)
        else:
            self._response(r, 489, "Bad Event")

    @staticmethod
    def _batch_uris(body):
        uris = []
        for part in body.split("<resource uri=\"")[1:]:
            uris.append(part.split("\"", 1)[0].replace("sip:", "", 1))
        return uris

    def _contact_list(self):
        contacts = "".join('<contact uri="%s" name="" groups="1" subscribed="true"/>' % c
                           for c in self.contacts)
        return ('<contactList deltaNum="1" xmlns="http://schemas.microsoft.com/2006/09/sip/'
                'roaming-contacts"><group id="1" name="~"/>%s</contactList>' % contacts)

    def _roaming_self(self):
        return ('<roamingData xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self">'
                '<categories xmlns="http://schemas.microsoft.com/2006/04/sip/categories" '
                'uri="sip:%s"/>'
                '<subscribers xmlns="http://schemas.microsoft.com/2006/09/sip/presence-'
                'subscribers"/></roamingData>' % self.user)

    @staticmethod
    def _categories(uri, availability, note):
        return ('<categories xmlns="http://schemas.microsoft.com/2006/04/sip/categories" '
                'uri="sip:%s">'
                '<category name="state" instance="0" publishTime="2026-01-01T00:00:00Z">'
                '<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="aggregateState">'
                '<availability>%d</availability></state></category>'
                '<category name="note" instance="0" publishTime="2026-01-01T00:00:00Z">'
                '<note xmlns="http://schemas.microsoft.com/2006/09/sip/note">'
                '<body type="personal" uri="">%s</body></note></category>'
                '</categories>' % (uri, availability, note))
