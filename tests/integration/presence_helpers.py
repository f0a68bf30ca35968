"""Presence pieces the SIP tests share (integration, federation, interop): PIDF documents,
PUBLISH requests and the NOTIFYs of one subscription dialog."""

import time

from server import DOMAIN

PIDF = "application/pidf+xml"


def pidf(entity, basic="open", activity=None, note=None):
    """A PIDF document with an RPID activity and a note when given. `entity` is a URI or a
    user of DOMAIN."""
    if ":" not in entity:
        entity = "sip:%s@%s" % (entity, DOMAIN)
    person = ""
    if activity or note:
        person = '<dm:person id="p1">'
        if activity:
            person += "<rpid:activities><rpid:%s/></rpid:activities>" % activity
        if note:
            person += "<dm:note>%s</dm:note>" % note
        person += "</dm:person>"
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
            'xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="%s">'
            '<tuple id="t1"><status><basic>%s</basic></status></tuple>%s</presence>'
            % (entity, basic, person))


def publish(ua, body=None, expires=60, etag=None, event="presence", user=None,
            content_type=PIDF):
    """PUBLISHes `body` (None: a refresh or removal of `etag`) for `user` of the UA's domain
    (default: the UA's own AOR); the response, or None."""
    headers = [("Expires", str(expires))]
    if event:
        headers.append(("Event", event))
    if etag:
        headers.append(("SIP-If-Match", etag))
    target = "sip:%s@%s" % (user, ua.domain) if user else ua.aor
    return ua.request("PUBLISH", target, headers=headers, body=body or "",
                      content_type=content_type if body else None)


def next_notify(ua, call_id, timeout=3.0, answer=200, predicate=None):
    """The next NOTIFY of dialog `call_id` for which predicate(req) holds, or None after
    `timeout`. Every NOTIFY that comes meanwhile is answered `answer`."""
    deadline = time.monotonic() + timeout
    while True:
        req = ua.recv_request(max(0.0, deadline - time.monotonic()))
        if req is None:
            return None
        if req.method != "NOTIFY":
            continue
        ua.reply(req, answer)
        if req.call_id == call_id and (predicate is None or predicate(req)):
            return req


def next_notification(ua, predicate, timeout=3.0):
    """The next NOTIFY or BENOTIFY to `ua` for which predicate(req) holds, or None after
    `timeout`. NOTIFYs that come meanwhile are answered 200, BENOTIFYs not at all (the
    OCS dialect's "best effort" NOTIFY expects no answer)."""
    deadline = time.monotonic() + timeout
    while True:
        req = ua.recv_request(max(0.0, deadline - time.monotonic()))
        if req is None:
            return None
        if req.method == "NOTIFY":
            ua.reply(req, 200)
        if req.method in ("NOTIFY", "BENOTIFY") and predicate(req):
            return req
