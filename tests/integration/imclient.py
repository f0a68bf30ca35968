"""IM test helpers on top of sipclient: an OCS-dialect (session-mode) UA as pidgin-sipe /
Lync register and chat (INVITE IM sessions, MESSAGE inside the dialog, KeyboardActivity
INFO), the RFC 3994 bodies, and running a blocking request in the background."""

import base64
import concurrent.futures
import re

from sipclient import REASONS, SipError, parse_name_addr

OCS_METHODS = ("INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, "
               "BENOTIFY")
# Without msrtc-event-categories: that would (rightly) get the NTLM challenge real MS clients
# get (core-server/registrar/stages/ntlm_stage.cpp); these tests log on with digest. The IM
# dialect is recognised from the methods list (BENOTIFY) that the registrar keeps.
OCS_SUPPORTED = "gruu-10, adhoclist"

ISCOMPOSING = "application/im-iscomposing+xml"


def is_composing(active):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">'
            "<state>%s</state><contenttype>text/plain</contenttype></isComposing>"
            % ("active" if active else "idle"))


def composing_state(body):
    m = re.search(r"<(?:\w+:)?state>\s*(\w+)\s*</", body)
    return m.group(1) if m else None


def keyboard_activity(typing):
    return ('<?xml version="1.0"?><KeyboardActivity> <status status="%s" />'
            "</KeyboardActivity>" % ("type" if typing else "idle"))


def keyboard_status(body):
    m = re.search(r'status\s*=\s*"(\w+)"', body)
    return m.group(1) if m else None


def ms_text_body(value):
    """The message carried by an ms-text-format header (base64 in ms-body=)."""
    m = re.search(r"ms-body=([A-Za-z0-9+/=]+)", value or "")
    return base64.b64decode(m.group(1)).decode("utf-8") if m else None


class Background:
    """Runs fn(*args) in a thread: `with Background(fn, a) as job: ...; job.result()`."""

    def __init__(self, fn, *args, **kwargs):
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.future = self.pool.submit(fn, *args, **kwargs)

    def result(self, timeout=10):
        return self.future.result(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.pool.shutdown(wait=True)


class OcsSession:
    """The OCS side of one IM session: the dialog learnt from the INVITE it answered, or
    (with `response`) from the 200 to the INVITE it sent."""

    def __init__(self, ua, invite, response=None):
        self.ua = ua
        self.invite = invite
        self.call_id = invite.call_id
        if response is None:
            peer = parse_name_addr(invite.header("From"))
            self.remote_target = parse_name_addr(invite.header("Contact")).uri
        else:
            peer = parse_name_addr(response.header("To"))
            self.remote_target = parse_name_addr(response.header("Contact")).uri
        self.peer_uri, self.peer_tag = peer.uri, peer.params.get("tag")

    def request(self, method, body="", content_type=None, call_id=None, timeout=None):
        """A request inside the session (e.g. MESSAGE, INFO, BYE); returns the final response."""
        req = self.ua.build_request(method, self.remote_target, to=self.peer_uri,
                                    to_tag=self.peer_tag, call_id=call_id or self.call_id,
                                    body=body, content_type=content_type)
        return self.ua.transact(req, timeout)


def ocs_register(ua, expires=600):
    """REGISTERs `ua` the way an OCS-dialect client does (methods list with BENOTIFY)."""
    contact = '<%s>;methods="%s";proxy=replace' % (ua.contact_uri, OCS_METHODS)
    return ua.register(expires=expires, contact=contact,
                       headers=[("Supported", OCS_SUPPORTED)])


def answer_invite(ua, invite, code=200, text_format_taken=True):
    """Answers an IM INVITE like an OCS client: our From tag as To tag, a Contact, the SDP
    answer and `Supported: ms-text-format` when the inline message was taken."""
    hdrs = [("Via", v) for v in invite.header_fields("Via")]
    to = invite.header("To", "")
    if code > 100 and parse_name_addr(to).params.get("tag") is None:
        to += ";tag=%s" % ua.from_tag
    hdrs += [("From", invite.header("From", "")), ("To", to),
             ("Call-ID", invite.call_id), ("CSeq", invite.header("CSeq", ""))]
    body = b""
    if code == 200:
        hdrs.append(("Contact", "<%s>" % ua.contact_uri))
        if text_format_taken:
            hdrs.append(("Supported", "ms-text-format"))
        body = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\n"
                "t=0 0\r\nm=message 5060 sip null\r\n").encode()
        hdrs.append(("Content-Type", "application/sdp"))
    hdrs.append(("Content-Length", str(len(body))))
    from sipclient import SipMessage
    resp = SipMessage("SIP/2.0 %d %s" % (code, REASONS.get(code, "Unknown")), hdrs, body)
    (invite.transport or ua.transport).send(resp.to_bytes(), invite.source)
    return OcsSession(ua, invite) if code == 200 else None


def expect_request(ua, method, timeout=5, skip=("ACK",)):
    """The next request of `method` that reaches `ua` (skipping ACKs); SipError otherwise."""
    while True:
        req = ua.recv_request(timeout)
        if req is None:
            raise SipError("no %s reached %s within %ss" % (method, ua.aor, timeout))
        if req.method in skip and method not in skip:
            continue
        if req.method != method:
            raise SipError("expected %s, got:\n%s" % (method, req))
        return req


SDP_OFFER = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=message 5060 sip null\r\n"
             "a=accept-types:text/plain text/html application/im-iscomposing+xml\r\n")


def ocs_invite(ua, to_uri, text=None, sdp=SDP_OFFER):
    """An OCS client opens an IM session to `to_uri` (the first message inline in
    ms-text-format, as sipe does). Returns (final response, OcsSession or None); the 2xx is
    ACKed."""
    headers = [("Contact", "<%s>" % ua.contact_uri), ("Supported", "ms-sender"),
               ("Ms-Conversation-ID", "conv-%s" % ua.from_tag)]
    if text is not None:
        headers.append(("ms-text-format", "text/plain; charset=UTF-8;ms-body=%s"
                        % base64.b64encode(text.encode()).decode()))
    resp = ua.request("INVITE", to_uri, headers=headers, body=sdp,
                      content_type="application/sdp")
    invite = ua.last_request
    if resp.status != 200:
        return resp, None
    session = OcsSession(ua, invite, resp)
    ack = ua.build_request("ACK", session.remote_target, to=session.peer_uri,
                           to_tag=session.peer_tag, call_id=invite.call_id)
    ack.set_header("CSeq", "%d ACK" % invite.cseq[0])
    ua.send(ack)
    return resp, session


class AutoAnswer:
    """Answers every request that reaches `ua` with 200 in a thread, keeping them, until
    stopped: `with AutoAnswer(ua) as inbox: ...; inbox.texts("text/plain")`."""

    def __init__(self, ua):
        import threading
        self.ua = ua
        self.requests = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.is_set():
            try:
                req = self.ua.recv_request(0.2)
            except Exception:  # the UA was closed under us
                return
            if req is None:
                continue
            if req.method != "ACK":
                self.ua.reply(req, 200)
            with self.lock:
                self.requests.append(req)

    def of_type(self, content_type):
        with self.lock:
            return [r for r in self.requests
                    if (r.header("Content-Type") or "").startswith(content_type)]

    def texts(self, content_type="text/plain"):
        return [r.text() for r in self.of_type(content_type)]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(5)
