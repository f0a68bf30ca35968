// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/mesh.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core-server/im/im_formats.h"

namespace core::im {
namespace {

using proxy::sip::SipMessage;

const std::string kConf = "im-conf-7@example.test";
const std::string kBob = "bob@example.test";  // the OCS participant P

// A header value of a request text ("" if absent).
std::string headerOf(const std::string& text, std::string_view name) {
  const std::string key = "\r\n" + std::string(name) + ": ";
  size_t at = text.find(key);
  if (at == std::string::npos) {
    return {};
  }
  at += key.size();
  return text.substr(at, text.find("\r\n", at) - at);
}

std::string tagOf(const std::string& value) {
  size_t at = value.find(";tag=");
  return at == std::string::npos ? std::string() : value.substr(at + 5);
}

std::string methodOf(const std::string& text) { return text.substr(0, text.find(' ')); }

struct Out {
  std::string text;
  std::function<void(Mesh::Response)> done;
};

struct Fixture {
  std::vector<Out> out;
  std::vector<PageMessage> to_focus;
  std::vector<std::pair<std::string, std::string>> left;
  Mesh mesh{[this](std::string text, std::optional<proxy::transport::Flow>,
                   std::function<void(Mesh::Response)> done) {
              out.push_back({std::move(text), std::move(done)});
            },
            [this](PageMessage m, StatusCallback done) {
              to_focus.push_back(std::move(m));
              done(202);
            },
            [this](const std::string& c, const std::string& aor) { left.emplace_back(c, aor); },
            [](const std::optional<proxy::transport::Flow>&) {
              return std::string("<sip:im-mesh@127.0.0.1:5060;transport=tcp;sh=0>");
            },
            Mesh::Options{0, "confab-test", 10000}};
  Mesh::Endpoint endpoint{"sip:bob@127.0.0.1:5070;transport=tcp", std::nullopt};

  void event(MeshEvent::Kind kind, const std::string& member,
             std::vector<std::string> participants = {}, std::string type = "text/plain",
             std::string body = {}) {
    PageMessage m;
    m.to_aor = kBob;
    m.content_type = std::move(type);
    m.body = std::move(body);
    m.mesh.kind = kind;
    m.mesh.conversation = kConf;
    m.mesh.member = member;
    m.mesh.participants = std::move(participants);
    mesh.deliver(m, endpoint, [](int) {});
  }
  // Answers out[i] (an INVITE) with 200, bob's tag "b<i>".
  void accept(size_t i) {
    auto done = std::move(out[i].done);
    done(Mesh::Response{200, "b" + std::to_string(i), "sip:bob@127.0.0.1:5070;transport=tcp"});
  }
  // A request from bob inside the dialog opened by out[invite].
  Mesh::Answer fromBob(size_t invite, std::string_view method, std::string_view type = {},
                       std::string_view body = {}) {
    const std::string& inv = out[invite].text;
    std::string text = std::string(method) + " sip:im-mesh@127.0.0.1:5060;sh=0 SIP/2.0\r\n";
    text += "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK" + std::to_string(++branch) + "\r\n";
    text += "From: <sip:bob@example.test>;tag=b" + std::to_string(invite) + "\r\n";
    text += "To: " + headerOf(inv, "From") + "\r\n";
    text += "Call-ID: " + headerOf(inv, "Call-ID") + "\r\n";
    text += "CSeq: " + std::to_string(branch) + " " + std::string(method) + "\r\n";
    if (!type.empty()) {
      text += "Content-Type: " + std::string(type) + "\r\n";
    }
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
    auto request = SipMessage::parse(text);
    REQUIRE(request);
    Mesh::Answer got;
    mesh.onInDialog(*request, [&got](Mesh::Answer a) { got = std::move(a); });
    return got;
  }
  int branch = 0;
};

TEST_CASE("mesh: one dialog per other member, one Call-ID, triggered multiparty INVITEs") {
  CHECK(meshShardOf("abc-sh3@confab-mesh") == 3u);
  CHECK(!meshShardOf("abc@confab-im"));
  CHECK(!meshShardOf("abc-shx@confab-mesh"));
  Fixture f;
  f.event(MeshEvent::Kind::Joined, kBob, {"alice@example.test", kBob, "carol@example.test"});
  REQUIRE(f.out.size() == 2);
  CHECK(methodOf(f.out[0].text) == "INVITE");
  CHECK(headerOf(f.out[0].text, "From").starts_with("<sip:alice@example.test>;tag="));
  CHECK(headerOf(f.out[1].text, "From").starts_with("<sip:carol@example.test>;tag="));
  CHECK(tagOf(headerOf(f.out[0].text, "From")) != tagOf(headerOf(f.out[1].text, "From")));
  CHECK(headerOf(f.out[0].text, "Call-ID") == headerOf(f.out[1].text, "Call-ID"));
  CHECK(meshShardOf(headerOf(f.out[0].text, "Call-ID")) == 0u);
  CHECK(headerOf(f.out[0].text, "To") == "<sip:bob@example.test>");
  CHECK(headerOf(f.out[0].text, "TriggeredInvite") == "TRUE");
  CHECK(headerOf(f.out[0].text, "Require") == "com.microsoft.rtc-multiparty");
  CHECK(f.out[0].text.find("m=message") != std::string::npos);
  CHECK(f.mesh.legs() == 1);
  CHECK(f.mesh.dialogs() == 2);
  // A later joiner: one more dialog in the same Call-ID; a repeated join adds none.
  f.event(MeshEvent::Kind::Joined, "dave@example.test");
  f.event(MeshEvent::Kind::Joined, "dave@example.test");
  REQUIRE(f.out.size() == 3);
  CHECK(headerOf(f.out[2].text, "From").starts_with("<sip:dave@example.test>"));
  CHECK(headerOf(f.out[2].text, "Call-ID") == headerOf(f.out[0].text, "Call-ID"));
}

TEST_CASE("mesh: a member's messages go on its own dialog, queued until it is up") {
  Fixture f;
  f.event(MeshEvent::Kind::Joined, kBob, {"alice@example.test", kBob, "carol@example.test"});
  f.event(MeshEvent::Kind::Message, "carol@example.test", {}, "text/plain", "early");
  REQUIRE(f.out.size() == 2);  // waits for carol's dialog
  f.accept(0);
  f.accept(1);
  // ACK for each 2xx, then the queued message on carol's dialog.
  REQUIRE(f.out.size() == 5);
  CHECK(methodOf(f.out[2].text) == "ACK");
  CHECK(methodOf(f.out[4].text) == "MESSAGE");
  CHECK(headerOf(f.out[4].text, "From") == headerOf(f.out[1].text, "From"));
  CHECK(headerOf(f.out[4].text, "To") == "<sip:bob@example.test>;tag=b1");
  CHECK(f.out[4].text.ends_with("early"));
  f.event(MeshEvent::Kind::Message, "alice@example.test", {}, "text/plain", "hi");
  REQUIRE(f.out.size() == 6);
  CHECK(headerOf(f.out[5].text, "From") == headerOf(f.out[0].text, "From"));
  CHECK(headerOf(f.out[5].text, "CSeq") == "2 MESSAGE");
  // Typing on the member's dialog as KeyboardActivity INFO.
  f.event(MeshEvent::Kind::Message, "alice@example.test", {}, std::string(kIsComposingType),
          buildIsComposing(true));
  REQUIRE(f.out.size() == 7);
  CHECK(methodOf(f.out[6].text) == "INFO");
  CHECK(headerOf(f.out[6].text, "From") == headerOf(f.out[0].text, "From"));
}

TEST_CASE("mesh: bob's per-member copies make one send; the same text typed again is another") {
  Fixture f;
  f.event(MeshEvent::Kind::Joined, kBob, {"alice@example.test", kBob, "carol@example.test"});
  f.accept(0);
  f.accept(1);
  CHECK(f.fromBob(0, "MESSAGE", "text/plain", "hello").status == 202);
  CHECK(f.fromBob(1, "MESSAGE", "text/plain", "hello").status == 200);  // the copy for carol
  REQUIRE(f.to_focus.size() == 1);
  CHECK(f.to_focus[0].to_aor == kConf);
  CHECK(f.to_focus[0].from == "<sip:bob@example.test>");
  CHECK(f.to_focus[0].body == "hello");
  // Copies may come in any order; a second "hello" on a dialog that had one is new.
  f.fromBob(1, "MESSAGE", "text/plain", "hello");
  f.fromBob(0, "MESSAGE", "text/plain", "hello");
  CHECK(f.to_focus.size() == 2);
  // Two sends of one text whose copies interleave: still two.
  f.fromBob(0, "MESSAGE", "text/plain", "ok");
  f.fromBob(0, "MESSAGE", "text/plain", "ok");
  f.fromBob(1, "MESSAGE", "text/plain", "ok");
  f.fromBob(1, "MESSAGE", "text/plain", "ok");
  CHECK(f.to_focus.size() == 4);
  // Typing copies collapse the same way.
  f.fromBob(0, "INFO", kKeyboardActivityType, buildKeyboardActivity(true));
  f.fromBob(1, "INFO", kKeyboardActivityType, buildKeyboardActivity(true));
  REQUIRE(f.to_focus.size() == 5);
  CHECK(f.to_focus[4].content_type == kIsComposingType);
  // Refresh and OPTIONS inside a member's dialog are ours to answer.
  Mesh::Answer refresh = f.fromBob(0, "UPDATE");
  CHECK(refresh.status == 200);
  CHECK(refresh.with_sdp);
  CHECK(f.fromBob(1, "OPTIONS").status == 200);
}

TEST_CASE("mesh: leaving ends dialogs; bob's BYE on every dialog makes bob leave") {
  Fixture f;
  f.event(MeshEvent::Kind::Joined, kBob, {"alice@example.test", kBob, "carol@example.test"});
  f.accept(0);
  f.accept(1);
  const size_t before = f.out.size();
  f.event(MeshEvent::Kind::Left, "carol@example.test");
  REQUIRE(f.out.size() == before + 1);
  CHECK(methodOf(f.out.back().text) == "BYE");
  CHECK(headerOf(f.out.back().text, "From") == headerOf(f.out[1].text, "From"));
  CHECK(f.mesh.membersOf(kBob, kConf) == std::vector<std::string>{"alice@example.test"});
  // A request on carol's ended dialog: 481.
  CHECK(f.fromBob(1, "MESSAGE", "text/plain", "late").status == 481);
  // bob closes the chat: BYE on the last dialog, and he leaves the conversation.
  CHECK(f.fromBob(0, "BYE").status == 200);
  REQUIRE(f.left.size() == 1);
  CHECK(f.left[0] == std::make_pair(kConf, kBob));
  CHECK(f.mesh.legs() == 0);
}

TEST_CASE("mesh: a refused INVITE, a lost dialog, a member leaving mid-INVITE, bob gone") {
  Fixture f;
  f.event(MeshEvent::Kind::Joined, kBob, {"alice@example.test", kBob, "carol@example.test"});
  // carol leaves before bob's client answers her INVITE: the late 2xx is ACKed and BYEd.
  f.event(MeshEvent::Kind::Left, "carol@example.test");
  f.accept(1);
  REQUIRE(f.out.size() == 4);
  CHECK(methodOf(f.out[2].text) == "ACK");
  CHECK(methodOf(f.out[3].text) == "BYE");
  // alice's dialog is refused: no dialog left, bob has left.
  auto refuse = std::move(f.out[0].done);
  refuse(Mesh::Response{603, {}, {}});
  CHECK(f.left.size() == 1);
  CHECK(f.mesh.legs() == 0);

  Fixture g;
  g.event(MeshEvent::Kind::Joined, kBob, {"alice@example.test", kBob});
  g.accept(0);
  g.event(MeshEvent::Kind::Message, "alice@example.test", {}, "text/plain", "one");
  REQUIRE(g.out.size() == 3);
  auto lost = std::move(g.out[2].done);
  lost(Mesh::Response{481, {}, {}});  // bob's client lost the dialog: INVITEd again, resent
  REQUIRE(g.out.size() == 4);
  CHECK(methodOf(g.out[3].text) == "INVITE");
  CHECK(headerOf(g.out[3].text, "Call-ID") == headerOf(g.out[0].text, "Call-ID"));
  g.accept(3);
  REQUIRE(g.out.size() == 6);
  CHECK(methodOf(g.out[5].text) == "MESSAGE");
  CHECK(g.out[5].text.ends_with("one"));
  g.mesh.userGone(kBob);
  CHECK(g.left.size() == 1);
  CHECK(g.mesh.legs() == 0);
}

TEST_CASE("mesh: bob's own triggered INVITE is answered locally") {
  Fixture f;
  f.event(MeshEvent::Kind::Joined, kBob, {"alice@example.test", kBob});
  const std::string call_id = headerOf(f.out[0].text, "Call-ID");
  std::string text =
      "INVITE sip:carol@example.test SIP/2.0\r\n"
      "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKt1\r\n"
      "From: <sip:bob@example.test>;tag=bt\r\nTo: <sip:carol@example.test>\r\n"
      "Call-ID: " +
      call_id +
      "\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@127.0.0.1:5070>\r\nTriggeredInvite: TRUE\r\n"
      "Content-Length: 0\r\n\r\n";
  auto request = SipMessage::parse(text);
  REQUIRE(request);
  Mesh::Answer a = f.mesh.onTriggeredInvite(*request, "carol@example.test");
  CHECK(a.status == 200);
  CHECK(!a.to_tag.empty());
  CHECK(f.mesh.dialogs() == 2);
  f.event(MeshEvent::Kind::Message, "carol@example.test", {}, "text/plain", "via sipe's dialog");
  CHECK(methodOf(f.out.back().text) == "MESSAGE");
  CHECK(headerOf(f.out.back().text, "To") == "<sip:bob@example.test>;tag=bt");
  std::string unknown = text;
  unknown.replace(unknown.find(call_id), call_id.size(), "nope-sh0@confab-mesh");
  CHECK(f.mesh.onTriggeredInvite(*SipMessage::parse(unknown), "carol@example.test").status == 481);
}

}  // namespace
}  // namespace core::im
