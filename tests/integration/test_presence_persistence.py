"""Subscription dialogs that last (issue 3, "State that lasts"): presence.winfo, RFC 4662
list subscriptions and the OCS/Lync self and batch subscriptions survive a restart of
confabd on the same store: after SIGTERM and a start, state changes reach the clients
without a new SUBSCRIBE, and refreshes inside the old dialogs get 200 (not 481); a
subscription that expires after the restart ends at its stored expiry. And overload
(DESIGN.md: "Overload answers 503 with Retry-After"): with limits.notify_pending_max
reached by a watcher that never answers, new PUBLISH/SUBSCRIBE get 503 + Retry-After and
are counted, while what was accepted goes on.

The clients use UDP: their flows outlive the server's restart (a TCP client's connection
does not; such subscriptions end like presence subscriptions do when a NOTIFY fails)."""

import re
import signal
import time
import unittest

import test_presence_ms as ms
from confabtest import ServerTestCase
from presence_helpers import next_notification, pidf, publish
from server import DOMAIN

WINFO = "application/watcherinfo+xml"
ROAMING_SELF_BODY = ('<roamingList xmlns="http://schemas.microsoft.com/2006/09/sip/roaming-self">'
                     '<roaming type="categories"/><roaming type="containers"/>'
                     '<roaming type="subscribers"/></roamingList>')


def aor(user):
    return "sip:%s@%s" % (user, DOMAIN)


def set_contact(member, delta):
    return ms.soap("setContact", "<m:displayName>%s</m:displayName><m:groups>1</m:groups>"
                   "<m:subscribed>true</m:subscribed><m:URI>%s</m:URI>" % (member, aor(member)),
                   delta)


class Dialog:
    """The subscriber's side of one dialog, from the 200 of its SUBSCRIBE."""

    def __init__(self, test, ua, response, call_id, event, uri):
        test.assertStatus(response, 200, ua)
        self.test, self.ua, self.call_id, self.event, self.uri = test, ua, call_id, event, uri
        self.remote_tag = response.to_tag()
        self.target = response.contacts()[0].uri

    def refresh(self, expires=600, extra=()):
        # Our Contact names the listener the dialog began on; the test's server comes back
        # on new ports (a real one on the same), so point it at the current one. Its ;sh=
        # (the worker holding the dialog) stays.
        host, port = self.test.server.udp
        target = re.sub(r"@[^;>]+", "@%s:%d" % (host, port), self.target, count=1)
        return self.ua.request(
            "SUBSCRIBE", target, to=self.uri, to_tag=self.remote_tag, call_id=self.call_id,
            headers=[("Event", self.event), ("Expires", str(expires)),
                     ("Contact", "<%s>" % self.ua.contact_uri)] + list(extra))


def next_request(ua, predicate, timeout=5.0):
    """next_notification() with more time: the first NOTIFYs come after a restart."""
    return next_notification(ua, predicate, timeout)


def in_dialog(call_id, pattern=None):
    return lambda req: req.call_id == call_id and (pattern is None or
                                                   re.search(pattern, req.text()) is not None)


class PersistentDialogsTest(ServerTestCase):

    SERVER_CONFIG = {"presence": {"subscribe_min_expires": 1, "min_notify_interval_ms": 0}}

    def restart(self, *uas):
        self.server.restart()
        for ua in uas:
            ua.retarget(self.server.udp)

    def subscribe(self, ua, uri, event, headers=(), body="", content_type=None, expires=600):
        call_id = ua.new_call_id()
        resp = ua.request("SUBSCRIBE", uri, to=uri, call_id=call_id, body=body,
                          content_type=content_type,
                          headers=[("Event", event), ("Expires", str(expires)),
                                   ("Contact", "<%s>" % ua.contact_uri)] + list(headers))
        return Dialog(self, ua, resp, call_id, event, uri)

    def test_winfo_list_and_ms_dialogs_survive_a_restart(self):
        alice = self.registered("udp", "alice")   # standard client: winfo + list
        victor = self.registered("udp", "victor")  # OCS-dialect client: self + batch
        walter = self.registered("udp", "walter")
        bob = self.registered("udp", "bob")
        carol = self.registered("udp", "carol")
        self.assertStatus(alice.request("SERVICE", aor("alice"), content_type="application/SOAP+xml",
                                        body=set_contact("bob", 1),
                                        headers=[("Contact", "<%s>" % alice.contact_uri)]),
                          200, alice)
        winfo = self.subscribe(alice, aor("alice"), "presence.winfo", [("Accept", WINFO)])
        self.assertIsNotNone(next_request(alice, in_dialog(winfo.call_id)), "no winfo NOTIFY")
        lst = self.subscribe(alice, aor("alice") + ";list=buddies", "presence",
                             [("Supported", "eventlist"),
                              ("Accept", "application/pidf+xml, application/rlmi+xml, "
                                         "multipart/related")])
        self.assertIsNotNone(next_request(alice, in_dialog(lst.call_id)), "no list NOTIFY")
        contacts = self.subscribe(victor, aor("victor"), "vnd-microsoft-roaming-contacts",
                                  ms.MS_SUBSCRIBE_HEADERS)
        roaming_self = self.subscribe(victor, aor("victor"), "vnd-microsoft-roaming-self",
                                      ms.MS_SUBSCRIBE_HEADERS, ROAMING_SELF_BODY,
                                      "application/vnd-microsoft-roaming-self+xml")
        wpending = self.subscribe(victor, aor("victor"), "presence.wpending",
                                  ms.MS_SUBSCRIBE_HEADERS)
        call_id = victor.new_call_id()
        resp = victor.request(
            "SUBSCRIBE", aor("victor"), body=ms.batch_body("victor", ["walter"]),
            content_type=ms.BATCH, call_id=call_id,
            headers=[("Event", "presence"), ("Contact", "<%s>" % victor.contact_uri),
                     ("Accept", ms.CATEGORIES + ", application/rlmi+xml, multipart/related"),
                     ("Require", "adhoclist, categoryList"), ("Supported", "eventlist")]
            + ms.MS_SUBSCRIBE_HEADERS)
        batch = Dialog(self, victor, resp, call_id, "presence", aor("victor"))

        self.restart(alice, victor, walter, bob, carol)

        # State changes reach every dialog without a new SUBSCRIBE.
        watch = carol.request("SUBSCRIBE", aor("alice"),
                              headers=[("Event", "presence"), ("Accept", "application/pidf+xml"),
                                       ("Contact", "<%s>" % carol.contact_uri)])
        self.assertStatus(watch, 200, carol)
        self.assertIsNotNone(
            next_request(alice, in_dialog(winfo.call_id, re.escape(aor("carol")))),
            "no winfo NOTIFY about carol after the restart\n" + self.server.stderr_tail(30))
        self.assertStatus(publish(bob, pidf(aor("bob"), "open", "busy", "after restart")), 200,
                          bob)
        self.assertIsNotNone(next_request(alice, in_dialog(lst.call_id, "after restart")),
                             "no list NOTIFY about bob after the restart")
        self.assertStatus(victor.request("SERVICE", aor("victor"),
                                         content_type="application/SOAP+xml",
                                         body=set_contact("walter", 1),
                                         headers=[("Contact", "<%s>" % victor.contact_uri)]),
                          200, victor)
        self.assertIsNotNone(next_request(victor, in_dialog(contacts.call_id, "walter")),
                             "no roaming-contacts NOTIFY after the restart")
        self.assertStatus(victor.request("SERVICE", aor("victor"), content_type=ms.PUBLISH,
                                         body=ms.state_publication("victor", 6500),
                                         headers=[("Contact", "<%s>" % victor.contact_uri)]),
                          200, victor)
        self.assertIsNotNone(next_request(victor, in_dialog(roaming_self.call_id, "6500")),
                             "no roaming-self NOTIFY after the restart")
        self.assertStatus(publish(walter, pidf(aor("walter"), "open", "away", "gone fishing")),
                          200, walter)
        self.assertIsNotNone(next_request(victor, in_dialog(batch.call_id, "gone fishing")),
                             "no batch NOTIFY about walter after the restart")

        # Refreshes inside the old dialogs: 200, not 481.
        for dialog, extra in ((winfo, [("Accept", WINFO)]), (lst, [("Supported", "eventlist")]),
                              (contacts, ms.MS_SUBSCRIBE_HEADERS),
                              (roaming_self, ms.MS_SUBSCRIBE_HEADERS),
                              (wpending, ms.MS_SUBSCRIBE_HEADERS),
                              (batch, ms.MS_SUBSCRIBE_HEADERS)):
            self.assertStatus(dialog.refresh(600, extra), 200, dialog.ua,
                              "refresh of %s after the restart" % dialog.event)
        # And once more across a second restart (the refreshes were stored too).
        self.restart(alice, victor, walter, bob, carol)
        self.assertStatus(winfo.refresh(600, [("Accept", WINFO)]), 200, alice)
        self.assertStatus(batch.refresh(600, ms.MS_SUBSCRIBE_HEADERS), 200, victor)
        self.assertStatus(contacts.refresh(0, ms.MS_SUBSCRIBE_HEADERS), 200, victor)
        self.assertStatus(contacts.refresh(600, ms.MS_SUBSCRIBE_HEADERS), 481, victor)

    def test_expiry_across_a_restart(self):
        dave = self.registered("udp", "dave")
        started = time.monotonic()
        contacts = self.subscribe(dave, aor("dave"), "vnd-microsoft-roaming-contacts",
                                  ms.MS_SUBSCRIBE_HEADERS, expires=5)
        winfo = self.subscribe(dave, aor("dave"), "presence.winfo", [("Accept", WINFO)],
                               expires=8)
        self.assertIsNotNone(next_request(dave, in_dialog(winfo.call_id)))
        self.restart(dave)
        # It ends at its stored expiry: the final NOTIFY, then the dialog is gone.
        final = next_request(dave, lambda r: r.call_id == winfo.call_id and
                             r.header("Subscription-State", "").startswith("terminated"),
                             timeout=15.0)
        self.assertIsNotNone(final, "no terminated NOTIFY at the stored expiry")
        self.assertGreaterEqual(time.monotonic() - started, 7.0, "ended before its expiry")
        self.assertStatus(winfo.refresh(600, [("Accept", WINFO)]), 481, dave)
        # The OCS self subscription, due 3 s earlier, has ended too.
        self.assertStatus(contacts.refresh(600, ms.MS_SUBSCRIBE_HEADERS), 481, dave)
        # ... and both stay gone after another restart (their removal was stored).
        self.restart(dave)
        self.assertStatus(winfo.refresh(600, [("Accept", WINFO)]), 481, dave)
        self.assertStatus(contacts.refresh(600, ms.MS_SUBSCRIBE_HEADERS), 481, dave)


class OverloadTest(ServerTestCase):
    """limits.notify_pending_max 1: one NOTIFY that is never answered puts the presentity's
    worker over it."""

    SERVER_CONFIG = {"presence": {"min_notify_interval_ms": 0},
                     "limits": {"notify_pending_max": 1, "overload_retry_after_s": 7}}

    def counters(self, timeout=5.0):
        """The counters of confabd's `counters:` log line, asked for with SIGUSR1."""
        with open(self.server.stderr_path, "rb") as fh:
            before = fh.read().count(b"counters:")
        self.server.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.server.stderr_path, "rb") as fh:
                lines = [l for l in fh.read().decode(errors="replace").splitlines()
                         if "counters:" in l]
            if len(lines) > before:
                return dict(item.split("=", 1) for item in lines[-1].split("counters:", 1)[1].split()
                            if "=" in item)
            time.sleep(0.05)  # waiting for the log line, bounded by the deadline
        self.fail("no counters line after SIGUSR1")

    def test_503_with_retry_after_while_notifies_pile_up(self):
        erin = self.registered("udp", "erin")
        frank = self.registered("udp", "frank")
        # frank watches erin and never answers: its NOTIFY stays pending on erin's worker.
        resp = frank.request("SUBSCRIBE", aor("erin"),
                             headers=[("Event", "presence"), ("Accept", "application/pidf+xml"),
                                      ("Contact", "<%s>" % frank.contact_uri)])
        self.assertStatus(resp, 200, frank)
        first = frank.recv_request(3.0)
        self.assertIsNotNone(first, "no NOTIFY to frank")
        refused = publish(erin, pidf(aor("erin"), "open", "busy"))
        self.assertStatus(refused, 503, erin)
        self.assertEqual(refused.header("Retry-After"), "7", refused)
        again = erin.request("SUBSCRIBE", aor("erin"),
                             headers=[("Event", "presence"), ("Accept", "application/pidf+xml"),
                                      ("Contact", "<%s>" % erin.contact_uri)])
        self.assertStatus(again, 503, erin)
        self.assertGreaterEqual(int(self.counters().get("overload.rejected.notify_pending", 0)), 2)
        # What was accepted goes on: frank's dialog is still there (a refresh is no new work).
        refresh = frank.request("SUBSCRIBE", resp.contacts()[0].uri, to=aor("erin"),
                                to_tag=resp.to_tag(), call_id=resp.call_id,
                                headers=[("Event", "presence"), ("Expires", "600"),
                                         ("Contact", "<%s>" % frank.contact_uri)])
        self.assertStatus(refresh, 200, frank)


if __name__ == "__main__":
    unittest.main()
