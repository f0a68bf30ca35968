"""A group-chat (XCCOS over SIP) client for the integration tests, on top of sipclient:
an INVITE session to the lookup or channel service, XCCOS commands sent as INFO, and the
server's INFOs (replies, notices, chat) received, answered 200 and parsed."""

import itertools
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from sipclient import SipError, parse_name_addr

NS = "urn:parlano:xml:ns:xccos"
Q = "{%s}" % NS

SDP = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=message 5060 sip null\r\na=accept-types:text/plain\r\n")

_envids = itertools.count(1000)


def q(name):
    return Q + name


def chanid(uri, key=0):
    """<chanid> for a ma-chan://domain/uuid URI."""
    domain, value = uri[len("ma-chan://"):].split("/")
    return '<chanid key="%d" domain="%s" value="%s"/>' % (key, domain, value)


class GroupChatSession:
    """One INVITE dialog with a group-chat service."""

    def __init__(self, ua, service_uri, session_expires=1800):
        self.ua = ua
        self.service_uri = service_uri
        self.session_expires = session_expires
        self.call_id = None
        self.inbox = []  # parsed server envelopes not consumed yet
        if not hasattr(ua, "gc_stash"):
            ua.gc_stash = {}

    # Dialog -----------------------------------------------------------------------------

    def open(self, timeout=10):
        """INVITE (answering the 407), then ACK. Returns the final response."""
        headers = [("Contact", "<%s>" % self.ua.contact_uri), ("Supported", "timer"),
                   ("Session-Expires", str(self.session_expires))]
        resp = self.ua.request("INVITE", self.service_uri, headers=headers, body=SDP,
                               content_type="application/sdp", timeout=timeout)
        if resp.status != 200:
            return resp
        invite = self.ua.last_request
        self.call_id = invite.call_id
        self.invite_cseq = int(invite.header("CSeq").split()[0])
        self.remote_tag = resp.to_tag
        self.remote_target = parse_name_addr(resp.header("Contact")).uri
        self.to_header = resp.header("To")
        self.response = resp
        ack = self._in_dialog("ACK", cseq=self.invite_cseq)
        self.ua.send(ack)
        return resp

    def _in_dialog(self, method, body=b"", content_type=None, cseq=None):
        req = self.ua.build_request(method, self.remote_target, call_id=self.call_id,
                                    body=body, content_type=content_type)
        req.set_header("To", self.to_header)
        if cseq is not None:
            req.set_header("CSeq", "%d %s" % (cseq, method))
        return req

    def request(self, method, body=b"", content_type=None, timeout=10):
        req = self._in_dialog(method, body, content_type)
        return self.ua.transact(req, timeout)

    def bye(self):
        return self.request("BYE")

    # XCCOS ------------------------------------------------------------------------------

    def send_xccos(self, inner, envid=None):
        """Sends one envelope; returns (envid, INFO response)."""
        envid = next(_envids) if envid is None else envid
        body = '<xccos ver="1" envid="%d" xmlns="%s">%s</xccos>' % (envid, NS, inner)
        return envid, self.request("INFO", body, "text/plain")

    def command(self, name, data="", timeout=10):
        """cmd:<name>; asserts the INFO got 200 and returns the <rpl> element answering it."""
        envid, resp = self.send_xccos('<cmd id="cmd:%s" seqid="1"><data>%s</data></cmd>' % (
            name, data))
        if resp.status != 200:
            raise SipError("INFO for cmd:%s got %d" % (name, resp.status))
        return self.wait_reply(envid, timeout)

    def post(self, channel_uri, text):
        """A grpchat post; returns the INFO's status (200 = stored)."""
        _, resp = self.send_xccos(
            '<grpchat id="grpchat" seqid="1" chanUri=%s author=%s><chat>%s</chat></grpchat>' % (
                quoteattr(channel_uri), quoteattr(self.ua.aor), escape(text)))
        return resp.status

    def wait_reply(self, envid, timeout=10):
        def match(root):
            for rpl in root.findall(q("rpl")):
                ref = rpl.find(q("commandid"))
                if ref is not None and ref.get("envid") == str(envid):
                    return rpl
            return None
        return self.wait_for(match, timeout)

    def wait_for(self, predicate, timeout=10):
        """The first element predicate(envelope) returns (not None), from the inbox or new
        INFOs; envelopes it does not take stay in the inbox."""
        deadline = time.monotonic() + timeout
        while True:
            for i, root in enumerate(self.inbox):
                got = predicate(root)
                if got is not None:
                    del self.inbox[i]
                    return got
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SipError("no matching XCCOS envelope within %.1fs; inbox: %s" % (
                    timeout, [ET.tostring(r)[:300] for r in self.inbox]))
            self.receive(remaining)

    def receive(self, timeout):
        """Receives one server INFO for this dialog (answering it 200) into the inbox."""
        stash = self.ua.gc_stash.setdefault(self.call_id, [])
        if stash:
            req = stash.pop(0)
        else:
            req = self.ua.recv_request(timeout)
            if req is None:
                return False
            if req.call_id != self.call_id:
                self.ua.reply(req, 200)
                self.ua.gc_stash.setdefault(req.call_id, []).append(req)
                return True
            self.ua.reply(req, 200)
        if req.method == "INFO" and req.body:
            self.inbox.append(ET.fromstring(req.body))
        return True

    def chats(self, timeout=10):
        """The next envelope's <grpchat> elements."""
        def match(root):
            found = root.findall(q("grpchat"))
            return found or None
        return self.wait_for(match, timeout)

    def notice(self, name, timeout=10):
        def match(root):
            for ntc in root.findall(q("ntc")):
                if ntc.get("id") == "ntc:" + name:
                    return ntc
            return None
        return self.wait_for(match, timeout)


def code_of(rpl):
    resp = rpl.find(q("resp"))
    return int(resp.get("code")) if resp is not None else None


def sign_in(ua, lookup_uri):
    """Seed 003: INVITE the lookup service, cmd:requri, BYE; INVITE the channel service it
    names. Returns the open channel session."""
    lookup = GroupChatSession(ua, lookup_uri)
    resp = lookup.open()
    if resp.status != 200:
        raise SipError("lookup INVITE got %d" % resp.status)
    rpl = lookup.command("requri")
    if code_of(rpl) != 200:
        raise SipError("requri failed: %s" % ET.tostring(rpl))
    channel_uri = rpl.find(q("data")).find(q("uib")).get("uri")
    bye = lookup.bye()
    if bye.status != 200:
        raise SipError("lookup BYE got %d" % bye.status)
    channel = GroupChatSession(ua, channel_uri)
    resp = channel.open()
    if resp.status != 200:
        raise SipError("channel INVITE got %d" % resp.status)
    return channel
