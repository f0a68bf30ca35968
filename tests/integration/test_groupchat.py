"""Persistent group chat (XCCOS over SIP, [MS-XCCOSIP]) end to end: the seed-003 sign-in
flow (lookup INVITE, cmd:requri, BYE, channel INVITE, getserverinfo, getpref, bjoin,
getinv), search, join with notices, back-history, posts fanned out to every participant,
room permissions, versioned preferences, and a crash test: kill -9 while a client posts,
restart, and every acknowledged post is in the history exactly once."""

import base64
import signal
import threading
import time
import unittest
import urllib.error
import urllib.request

from confabtest import ServerTestCase
from groupchat_client import GroupChatSession, chanid, code_of, q, sign_in
from server import DOMAIN, USER_NAMES as USERS, ConfabServer
from sipclient import SipError

LOOKUP = "sip:ocschat@%s" % DOMAIN

ROOMS = {
    "categories": [{"name": "Engineering", "description": "all things built"}],
    "rooms": [
        {"name": "Lobby", "description": "where everyone meets", "keywords": "welcome hello"},
        {"name": "Kernel", "category": "Engineering", "description": "scheduler talk"},
        {"name": "Closed Club", "kind": "closed", "members": ["alice@%s" % DOMAIN]},
        {"name": "Hidden Lair", "kind": "secret", "members": ["alice@%s" % DOMAIN]},
        {"name": "Keynote", "auditorium": True, "presenters": ["alice@%s" % DOMAIN]},
    ],
}


def rooms_by_name(rpl):
    return {c.get("name"): c.get("uri") for c in rpl.find(q("data")).findall(q("chanib"))}


class GroupChatTest(ServerTestCase):
    SERVER_CONFIG = {"groupchat": ROOMS}

    def signed_in(self, user):
        ua = self.client("tcp", user)
        self.assertEqual(ua.register(expires=600).status, 200)
        return sign_in(ua, LOOKUP)

    def search(self, session, criteria=""):
        rpl = session.command(
            "chansrch", '<qib qtype="BYNAME" criteria="%s" extended="false"/>' % criteria)
        self.assertEqual(code_of(rpl), 200)
        return rooms_by_name(rpl)

    def test_sign_in_flow_and_post_fan_out(self):
        alice = self.signed_in("alice")
        self.assertIn("ocschat-channel@", alice.service_uri)
        self.assertIn("timer", alice.response.header("Supported", ""))
        self.assertTrue(alice.response.header("Session-Expires", "").startswith("600;"))
        # getserverinfo (seed 003 step 7).
        rpl = alice.command("getserverinfo", '<sib domain="%s" infoType="123"/>' % DOMAIN)
        self.assertEqual(code_of(rpl), 200)
        self.assertEqual(rpl.get("id"), "rpl:getserverinfo")
        sib = rpl.find(q("data")).find(q("sib"))
        self.assertEqual(sib.get("messageSizeLimit"), "512")
        self.assertTrue(sib.get("rootUri").startswith("ma-cat://%s/" % DOMAIN))
        # getpref with createdefault, bjoin of nothing, getinv (steps 8-10).
        rpl = alice.command("getpref", '<pref label="kedzie.GroupChannels" seqid="0" '
                                       'createdefault="true"/>')
        self.assertEqual(code_of(rpl), 200)
        self.assertEqual(code_of(alice.command("getinv", '<inv inviteId="1" domain="%s"/>'
                                               % DOMAIN)), 200)
        # Search (subscribing flow step 1), join (2), back-history (3).
        rooms = self.search(alice)
        self.assertIn("Lobby", rooms)
        self.assertIn("Hidden Lair", rooms)  # alice is a member of the secret room
        lobby = rooms["Lobby"]
        bob = self.signed_in("bob")
        bob_rooms = self.search(bob)
        self.assertNotIn("Hidden Lair", bob_rooms)
        self.assertIn("Closed Club", bob_rooms)
        self.assertEqual(set(self.search(bob, "welc")), {"Lobby"})
        self.assertEqual(set(self.search(bob, "scheduler")), {"Kernel"})

        rpl = bob.command("join", chanid(lobby))
        self.assertEqual(code_of(rpl), 200, rpl)
        self.assertEqual(rpl.find(q("data")).find(q("chanib")).get("uri"), lobby)
        rpl = alice.command("join", chanid(lobby))
        self.assertEqual(code_of(rpl), 200)
        users = [u.get("uri") for u in rpl.find(q("data")).findall(q("uib"))]
        self.assertIn("sip:bob@%s" % DOMAIN, users)
        ntc = bob.notice("join")
        self.assertEqual(ntc.find(q("data")).find(q("uib")).get("uri"), "sip:alice@%s" % DOMAIN)
        rpl = alice.command("bccontext", '<chanib uri="%s"/><bcq><last cnt="25"/></bcq>' % lobby)
        self.assertEqual(code_of(rpl), 200)

        # Post (step 4): 200 only once stored, then bob receives it (step 5).
        self.assertEqual(alice.post(lobby, "hello room\r\nsecond line <&>"), 200)
        chats = bob.chats()
        self.assertEqual(len(chats), 1)
        self.assertEqual(chats[0].get("chanUri"), lobby)
        self.assertEqual(chats[0].get("author"), "sip:alice@%s" % DOMAIN)
        self.assertEqual(chats[0].find(q("chat")).text, "hello room\r\nsecond line <&>")
        # And it is history now.
        rpl = bob.command("bccontext", '<chanib uri="%s"/><bcq><last cnt="25"/></bcq>' % lobby)
        msgs = rpl.find(q("data")).find(q("chanib")).findall(q("msg"))
        self.assertEqual([m.find(q("chat")).text for m in msgs][-1],
                         "hello room\r\nsecond line <&>")

        # A second sign-in of bob rejoins with bjoin and gets contextual history; the
        # secret room fails like a missing one.
        bob2 = self.signed_in("bob")
        rpl = bob2.command("bjoin", chanid(lobby, 0) + chanid(rooms["Hidden Lair"], 1))
        self.assertEqual(code_of(rpl), 200)
        data = rpl.find(q("data"))
        self.assertEqual([c.get("uri") for c in data.findall(q("chanib"))], [lobby])
        self.assertEqual(len(data.findall(q("fib"))), 1)
        history = bob2.chats()
        self.assertIn("hello room\r\nsecond line <&>", [c.find(q("chat")).text for c in history])

        # Part: the others are told.
        self.assertEqual(code_of(bob2.command("part", '<chanib uri="%s"/>' % lobby)), 200)
        self.assertEqual(code_of(bob.command("part", '<chanib uri="%s"/>' % lobby)), 200)
        ntc = alice.notice("part")
        self.assertEqual(ntc.find(q("data")).find(q("chanib")).get("uri"), lobby)
        for session in (alice, bob, bob2):
            self.assertEqual(session.bye().status, 200)

    def test_permissions(self):
        alice = self.signed_in("alice")
        rooms = self.search(alice)
        bob = self.signed_in("bob")
        # Secret: not found for a non-member; closed: denied; auditorium: bob may not post.
        self.assertEqual(code_of(bob.command("join", chanid(rooms["Hidden Lair"]))), 404)
        self.assertEqual(code_of(bob.command("join", chanid(rooms["Closed Club"]))), 403)
        self.assertEqual(code_of(alice.command("join", chanid(rooms["Closed Club"]))), 200)
        keynote = rooms["Keynote"]
        self.assertEqual(code_of(bob.command("join", chanid(keynote))), 200)
        self.assertEqual(bob.post(keynote, "may I?"), 403)
        self.assertEqual(alice.post(keynote, "welcome to the keynote"), 200)
        self.assertEqual(bob.chats()[0].find(q("chat")).text, "welcome to the keynote")
        # Oversized post, unknown command, malformed XML.
        self.assertEqual(alice.post(keynote, "x" * 600), 413)
        rpl = alice.command("frobnicate")
        self.assertEqual(code_of(rpl), 501)
        _, resp = alice.send_xccos("<cmd id='cmd:join' seqid='1'><data>")  # not XML
        self.assertEqual(resp.status, 400)
        # A secret room's history is as invisible as a missing room.
        rpl = bob.command("bccontext", '<chanib uri="%s"/><bcq><last cnt="5"/></bcq>'
                          % rooms["Hidden Lair"])
        self.assertEqual(code_of(rpl), 404)

    def test_preferences_are_versioned(self):
        alice = self.signed_in("alice")
        doc = base64.b64encode(b"rooms=lobby").decode()
        rpl = alice.command("setpref", '<pref label="kedzie.GroupChannels" seqid="0" '
                                       'createdefault="false" content="%s"/>' % doc)
        self.assertEqual(code_of(rpl), 200)
        self.assertEqual(rpl.find(q("data")).find(q("pref")).get("seqid"), "1")
        stale = alice.command("setpref", '<pref label="kedzie.GroupChannels" seqid="0" '
                                         'createdefault="false" content="%s"/>' % doc)
        self.assertEqual(code_of(stale), 409)
        rpl = alice.command("getpref", '<pref label="kedzie.GroupChannels" seqid="0" '
                                       'createdefault="false"/>')
        pref = rpl.find(q("data")).find(q("pref"))
        self.assertEqual((pref.get("seqid"), pref.get("content")), ("1", doc))

    def test_in_dialog_refresh_and_unknown_dialog(self):
        alice = self.signed_in("alice")
        resp = alice.request("UPDATE")
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.header("Session-Expires", "").startswith("600;"))
        self.assertEqual(alice.bye().status, 200)
        # The dialog is gone: a late INFO is 481.
        _, resp = alice.send_xccos('<cmd id="cmd:getinv" seqid="1"><data/></cmd>')
        self.assertEqual(resp.status, 481)

    def test_487_to_a_server_info_ends_the_session(self):
        erin = self.signed_in("erin")
        lobby = self.search(erin, "Lobby")["Lobby"]
        ua = self.client("tcp", "dave")
        dave = sign_in(ua, LOOKUP)
        self.assertEqual(code_of(dave.command("join", chanid(lobby))), 200)
        self.assertEqual(code_of(erin.command("join", chanid(lobby))), 200)
        self.assertEqual(erin.post(lobby, "are you there?"), 200)
        # dave's client restarted: it answers the server's INFOs with 487 (as sipe does).
        deadline = time.monotonic() + 10
        while True:
            req = ua.recv_request(max(0.1, deadline - time.monotonic()))
            self.assertIsNotNone(req, "no INFO for dave")
            if req.method == "INFO" and b"are you there?" in req.body:
                ua.reply(req, 487)
                break
            ua.reply(req, 200)
        ntc = erin.notice("part")
        self.assertEqual(ntc.find(q("data")).find(q("chanib")).find(q("uib")).get("uri"),
                         "sip:dave@%s" % DOMAIN)
        _, resp = dave.send_xccos('<cmd id="cmd:getinv" seqid="1"><data/></cmd>')
        self.assertEqual(resp.status, 481)
        self.assertEqual(erin.bye().status, 200)

    def test_a_closed_connection_ends_its_chat_session(self):
        # A client that drops its connection (crash, network) re-INVITEs on a new one;
        # the old session must not linger until its timer runs out.
        erin = self.signed_in("erin")
        lobby = self.search(erin, "Lobby")["Lobby"]
        ua = self.client("tcp", "grace")
        grace = sign_in(ua, LOOKUP)
        self.assertEqual(code_of(grace.command("join", chanid(lobby))), 200)
        self.assertEqual(code_of(erin.command("join", chanid(lobby))), 200)
        ua.close()
        ntc = erin.notice("part")
        self.assertEqual(ntc.find(q("data")).find(q("chanib")).find(q("uib")).get("uri"),
                         "sip:grace@%s" % DOMAIN)
        self.assertEqual(erin.bye().status, 200)

    def test_udp_and_tls_participants(self):
        frank = sign_in(self.client("udp", "frank"), LOOKUP)
        grace = sign_in(self.client("tls", "grace"), LOOKUP)
        lobby = self.search(frank, "Lobby")["Lobby"]
        self.assertEqual(code_of(frank.command("join", chanid(lobby))), 200)
        self.assertEqual(code_of(grace.command("join", chanid(lobby))), 200)
        self.assertEqual(frank.post(lobby, "over udp"), 200)
        self.assertIn("over udp", [c.find(q("chat")).text for c in grace.chats()])
        self.assertEqual(grace.post(lobby, "over tls"), 200)
        texts = []
        while "over tls" not in texts:
            texts += [c.find(q("chat")).text for c in frank.chats()]
        for session in (frank, grace):
            self.assertEqual(session.bye().status, 200)

    def test_rooms_managed_with_confabctl_while_running(self):
        ctl = self.server.confabctl("room", "add", "Night Shift", "closed")
        self.assertEqual(ctl.returncode, 0, ctl.stderr)
        ctl = self.server.confabctl("room", "set", "Night Shift", "keywords", "owls")
        self.assertEqual(ctl.returncode, 0, ctl.stderr)
        ctl = self.server.confabctl("room", "invite", "Night Shift", "carol@%s" % DOMAIN,
                                    "alice@%s" % DOMAIN)
        self.assertEqual(ctl.returncode, 0, ctl.stderr)
        carol = self.signed_in("carol")
        deadline = time.monotonic() + 10
        while "Night Shift" not in self.search(carol, "owls"):  # the catalogue is polled
            self.assertLess(time.monotonic(), deadline, "the new room never showed up")
            time.sleep(0.2)
        room = self.search(carol, "owls")["Night Shift"]
        rpl = carol.command("getinv", '<inv inviteId="1" domain="%s"/>' % DOMAIN)
        invs = rpl.find(q("data")).findall(q("inv"))
        self.assertEqual([i.find(q("chanib")).get("uri") for i in invs], [room])
        # The room is closed, but the invitation lets carol in (and makes her a member).
        self.assertEqual(code_of(carol.command("join", chanid(room))), 200)
        self.assertEqual(code_of(carol.command("part", '<chanib uri="%s"/>' % room)), 200)
        listed = self.server.confabctl("room", "list")
        self.assertIn("members=carol@%s" % DOMAIN, listed.stdout)
        ctl = self.server.confabctl("room", "revoke", "Night Shift", "carol@%s" % DOMAIN)
        self.assertEqual(ctl.returncode, 0, ctl.stderr)
        deadline = time.monotonic() + 10
        while code_of(carol.command("join", chanid(room))) != 403:
            self.assertLess(time.monotonic(), deadline, "the revocation never took effect")
            time.sleep(0.2)

    def test_fan_out_to_200_participants(self):
        lobby = self.search(self.signed_in("alice"))["Lobby"]
        channel = "sip:ocschat-channel@%s" % DOMAIN
        sessions = []
        for i in range(200):
            ua = self.client("tcp", USERS[i % len(USERS)])
            session = GroupChatSession(ua, channel)
            self.assertEqual(session.open().status, 200)
            self.assertEqual(code_of(session.command("join", chanid(lobby))), 200)
            sessions.append(session)
        poster = sessions[0]
        self.assertEqual(poster.post(lobby, "to all 200"), 200)
        for session in sessions[1:]:
            texts = []
            while "to all 200" not in texts:
                texts += [c.find(q("chat")).text for c in session.chats()]
        for session in sessions:
            self.assertEqual(session.bye().status, 200)


class GroupChatTwoChannelServicesTest(ServerTestCase):
    """Two channel service URIs: the lookup balances sessions over them (each runs on the
    worker owning its URI) and posts and notices reach participants on both."""

    SERVER_CONFIG = {"groupchat": dict(ROOMS, channel_uris=[
        "ocschat-channel-1@%s" % DOMAIN, "ocschat-channel-2@%s" % DOMAIN])}

    def test_least_loaded_and_relayed_posts(self):
        alice = sign_in(self.client("tcp", "alice"), LOOKUP)
        bob = sign_in(self.client("tcp", "bob"), LOOKUP)
        self.assertEqual({alice.service_uri, bob.service_uri},
                         {"sip:ocschat-channel-1@%s" % DOMAIN,
                          "sip:ocschat-channel-2@%s" % DOMAIN})
        rpl = bob.command("chansrch", '<qib qtype="BYNAME" criteria="Lobby" extended="false"/>')
        lobby = rooms_by_name(rpl)["Lobby"]
        self.assertEqual(code_of(bob.command("join", chanid(lobby))), 200)
        self.assertEqual(code_of(alice.command("join", chanid(lobby))), 200)
        ntc = bob.notice("join")
        self.assertEqual(ntc.find(q("data")).find(q("uib")).get("uri"), "sip:alice@%s" % DOMAIN)
        self.assertEqual(alice.post(lobby, "across services"), 200)
        self.assertEqual(bob.chats()[0].find(q("chat")).text, "across services")
        self.assertEqual(bob.post(lobby, "and back"), 200)
        self.assertEqual(alice.chats()[0].find(q("chat")).text, "and back")


class GroupChatFilesTest(ServerTestCase):
    """getfutok / getfdtok and the HTTP file endpoint: a token is good for one transfer of
    one file in one room, in one direction."""

    SERVER_CONFIG = {"groupchat": dict(ROOMS, file_address="127.0.0.1", max_file_size=1000)}

    def token(self, session, command, room, name):
        rpl = session.command(command, '<ftdb channelUri="%s" fileUrl="%s"/>' % (room, name))
        self.assertEqual(code_of(rpl), 200)
        self.assertEqual(rpl.get("id"), "rpl:getftok")
        tok = rpl.find(q("data")).find(q("token"))
        return tok.get("serveruri") + "/" + tok.get("token")

    def http(self, method, url, data=None):
        req = urllib.request.Request(url, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def test_upload_then_download_with_single_use_tokens(self):
        alice = sign_in(self.client("tcp", "alice"), LOOKUP)
        rpl = alice.command("chansrch", '<qib qtype="BYNAME" criteria="" extended="false"/>')
        rooms = rooms_by_name(rpl)
        url = self.token(alice, "getfutok", rooms["Lobby"], "notes.txt")
        self.assertEqual(self.http("PUT", url, b"file body")[0], 201)
        self.assertEqual(self.http("PUT", url, b"again")[0], 403)  # single use
        down = self.token(alice, "getfdtok", rooms["Lobby"], "notes.txt")
        self.assertEqual(self.http("GET", down), (200, b"file body"))
        self.assertEqual(self.http("GET", down)[0], 403)
        big = self.token(alice, "getfutok", rooms["Lobby"], "big.bin")
        self.assertEqual(self.http("PUT", big, b"x" * 5000)[0], 413)
        # bob may not upload to the auditorium, nor learn of the secret room.
        bob = sign_in(self.client("tcp", "bob"), LOOKUP)
        rpl = bob.command("getfutok", '<ftdb channelUri="%s" fileUrl="a.txt"/>' % rooms["Keynote"])
        self.assertEqual(code_of(rpl), 403)
        rpl = bob.command("getfdtok", '<ftdb channelUri="%s" fileUrl="a.txt"/>'
                          % rooms["Hidden Lair"])
        self.assertEqual(code_of(rpl), 404)


class GroupChatCrashTest(unittest.TestCase):
    """kill -9 while posting: every post that got its 200 is in the history once."""

    def test_acknowledged_posts_survive_kill_9(self):
        server = ConfabServer(groupchat=ROOMS)
        self.addCleanup(server.cleanup)
        server.start()
        from sipclient import SipClient
        from server import password_of

        def ua(user):
            client = SipClient("tcp", server.addr("tcp"), user, password_of(user),
                               domain=DOMAIN, timeout=5)
            self.addCleanup(client.close)
            return client

        alice = sign_in(ua("alice"), LOOKUP)
        rpl = alice.command("chansrch", '<qib qtype="BYNAME" criteria="Lobby" extended="false"/>')
        lobby = rooms_by_name(rpl)["Lobby"]
        self.assertEqual(code_of(alice.command("join", chanid(lobby))), 200)
        acked = []
        stop = threading.Event()

        def poster():
            n = 0
            while not stop.is_set():
                text = "crash-post-%d" % n
                n += 1
                try:
                    status = alice.post(lobby, text)
                except (SipError, OSError):
                    return
                if status == 200:
                    acked.append(text)

        thread = threading.Thread(target=poster, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while len(acked) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)  # bounded by the deadline
        self.assertGreaterEqual(len(acked), 100, "posting did not get going")
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        server.proc = None
        stop.set()
        thread.join(15)
        self.assertFalse(thread.is_alive())
        server.start()
        bob = sign_in(ua("bob"), LOOKUP)
        rpl = bob.command("bccontext", '<chanib uri="%s"/><bcq><last cnt="200"/></bcq>' % lobby)
        self.assertEqual(code_of(rpl), 200)
        texts = [m.find(q("chat")).text
                 for m in rpl.find(q("data")).find(q("chanib")).findall(q("msg"))]
        # max_history is 200 by default: keep the test under it.
        self.assertLess(len(texts), 200)
        self.assertGreaterEqual(len(texts), len(acked))
        for text in acked:
            self.assertEqual(texts.count(text), 1, "acknowledged post %s lost or doubled" % text)


if __name__ == "__main__":
    unittest.main()


class GroupChatPagingAndHttpsTest(ServerTestCase):
    """chansrch and bccontext paging (our wire choice, core-server/groupchat/XCCOS.md), and
    the file endpoint over HTTPS with the TLS listener's certificate (file_tls)."""

    SERVER_CONFIG = {"groupchat": dict(ROOMS, file_address="127.0.0.1", file_tls=True,
                                       search_limit=2)}

    def test_search_pages_until_every_room_was_listed(self):
        alice = sign_in(self.client("tcp", "alice"), LOOKUP)
        qib = '<qib qtype="BYNAME" criteria="" extended="false"/>'
        names = []
        for _ in range(10):
            rpl = alice.command("chansrch", qib)
            self.assertEqual(code_of(rpl), 200)
            data = rpl.find(q("data"))
            page = [c.get("name") for c in data.findall(q("chanib"))]
            self.assertLessEqual(len(page), 2)  # search_limit bounds a page
            names += page
            nxt = data.find(q("qib"))
            if nxt is None:
                break
            qib = '<qib qtype="%s" criteria="%s" extended="%s" cnt="%s" after="%s"/>' % (
                nxt.get("qtype"), nxt.get("criteria"), nxt.get("extended"), nxt.get("cnt"),
                nxt.get("after"))
        self.assertEqual(names, sorted(r["name"] for r in ROOMS["rooms"]))  # alice sees all

    def test_back_history_page_by_page_to_the_first_post(self):
        alice = sign_in(self.client("tcp", "alice"), LOOKUP)
        rooms = rooms_by_name(alice.command(
            "chansrch", '<qib qtype="BYNAME" criteria="kernel" extended="false"/>'))
        kernel = rooms["Kernel"]
        self.assertEqual(code_of(alice.command("join", chanid(kernel))), 200)
        for i in range(7):
            self.assertEqual(alice.post(kernel, "page post %d" % i), 200)
        before, pages = "", []
        for _ in range(10):
            rpl = alice.command("bccontext", '<chanib uri="%s"/><bcq><last cnt="3"%s/></bcq>'
                                % (kernel, before))
            self.assertEqual(code_of(rpl), 200)
            chanib = rpl.find(q("data")).find(q("chanib"))
            msgs = chanib.findall(q("msg"))
            pages.append([m.find(q("chat")).text for m in msgs])
            if chanib.get("more") != "true":
                break
            before = ' before="%s"' % msgs[0].get("msgid")
        self.assertEqual(pages, [["page post 4", "page post 5", "page post 6"],
                                 ["page post 1", "page post 2", "page post 3"],
                                 ["page post 0"]])

    def test_upload_and_download_over_https(self):
        import ssl
        alice = sign_in(self.client("tcp", "alice"), LOOKUP)
        rooms = rooms_by_name(alice.command(
            "chansrch", '<qib qtype="BYNAME" criteria="lobby" extended="false"/>'))
        context = ssl.create_default_context(cafile=self.server.cert_path)
        context.check_hostname = False  # the test certificate names no address

        def transfer(command, name, method, data=None):
            rpl = alice.command(command, '<ftdb channelUri="%s" fileUrl="%s"/>'
                                % (rooms["Lobby"], name))
            self.assertEqual(code_of(rpl), 200)
            tok = rpl.find(q("data")).find(q("token"))
            self.assertTrue(tok.get("serveruri").startswith("https://127.0.0.1:"))
            req = urllib.request.Request(tok.get("serveruri") + "/" + tok.get("token"),
                                         data=data, method=method)
            try:
                with urllib.request.urlopen(req, timeout=10, context=context) as resp:
                    return resp.status, resp.read()
            except urllib.error.HTTPError as err:
                return err.code, err.read()

        self.assertEqual(transfer("getfutok", "secret.txt", "PUT", b"over tls")[0], 201)
        self.assertEqual(transfer("getfdtok", "secret.txt", "GET"), (200, b"over tls"))
        # Plain HTTP to the TLS port gets no file.
        rpl = alice.command("getfdtok", '<ftdb channelUri="%s" fileUrl="secret.txt"/>'
                            % rooms["Lobby"])
        tok = rpl.find(q("data")).find(q("token"))
        plain = tok.get("serveruri").replace("https://", "http://") + "/" + tok.get("token")
        with self.assertRaises(Exception):
            urllib.request.urlopen(plain, timeout=5).read()
