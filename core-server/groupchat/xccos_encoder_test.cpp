// SPDX-License-Identifier: Apache-2.0
// Encodes server envelopes and checks them by parsing them back (expat), both
// against the captured samples (SfB getftok, sipe's sib / nodespermcreatechild /
// aib examples) and for every reply, notice and batching shape.
#include "core-server/groupchat/xccos_encoder.h"

#include <doctest/doctest.h>

#include "core-server/groupchat/xccos_decoder.h"
#include "core-server/groupchat/xccos_testing.h"

namespace core::groupchat {
namespace {

using testing::attr;
using testing::attributeNames;
using testing::child;
using testing::childNames;
using testing::parseOrFail;
using Names = std::vector<std::string>;

constexpr std::string_view kRoomUuid = "094f5a4a-c492-4f6b-91c2-385eba134fd3";

NodeUri room(std::string_view uuid = kRoomUuid) {
  return *NodeUri::make(NodeKind::Channel, "contoso.com", uuid);
}

XccosClock::time_point at(int64_t unix_seconds, int64_t nanos = 0) {
  return XccosClock::time_point(std::chrono::duration_cast<XccosClock::duration>(
      std::chrono::seconds(unix_seconds) + std::chrono::nanoseconds(nanos)));
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// Same names, namespaces, attributes (in order) and trimmed text, recursively.
void checkSameShape(const XmlElement& ours, const XmlElement& sample) {
  INFO("at <" << sample.name << ">");
  CHECK(ours.name == sample.name);
  CHECK(ours.ns == sample.ns);
  CHECK(attributeNames(ours) == attributeNames(sample));
  for (const XmlAttribute& a : sample.attributes) {
    CHECK(attr(ours, a.name) == a.value);
  }
  CHECK(trimmed(ours.text) == trimmed(sample.text));
  REQUIRE(childNames(ours) == childNames(sample));
  for (size_t i = 0; i < sample.children.size(); ++i) {
    checkSameShape(ours.children[i], sample.children[i]);
  }
}

// The <data> of the single rpl in `xml`.
XmlElement replyData(const std::string& xml) {
  const XmlElement root = parseOrFail(xml);
  return child(child(root, "rpl"), "data");
}

TEST_CASE("rpl:getftok matches the SfBServerEnforcer capture") {
  const std::string sample =
      "<xccos xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ver=\"1\" "
      "envid=\"7962449779256945056\" xmlns=\"urn:parlano:xml:ns:xccos\">\n"
      "    <rpl id=\"rpl:getftok\" seqid=\"1\">\n"
      "        <commandid seqid=\"1\" envid=\"139132352\" />\n"
      "        <resp code=\"200\">SUCCESS_OK</resp>\n"
      "        <data>\n"
      "            <token token=\"effab007-2465-45c5-b62f-04e1689cdd10\" "
      "serveruri=\"https://lync-server.lync.nextlabs.solutions/PersistentChat/"
      "MGCWebService.asmx\" />\n"
      "        </data>\n"
      "    </rpl>\n"
      "</xccos>";
  const std::string ours =
      EnvelopeBuilder(7962449779256945056u)
          .reply("getftok", CommandRef{139132352, 1}, xccos::kSuccess,
                 FileTokenReply{"effab007-2465-45c5-b62f-04e1689cdd10",
                                "https://lync-server.lync.nextlabs.solutions/PersistentChat/"
                                "MGCWebService.asmx"})
          .finish();
  checkSameShape(parseOrFail(ours), parseOrFail(sample));
  // The declarations themselves, which a parser consumes rather than reports.
  CHECK(ours.rfind("<xccos xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
                   "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ver=\"1\" "
                   "envid=\"7962449779256945056\" xmlns=\"urn:parlano:xml:ns:xccos\">",
                   0) == 0);
}

TEST_CASE("replyTo answers getfutok with rpl:getftok, echoing envid and seqid") {
  auto request = decodeClient(
      "<xccos ver=\"1\" envid=\"139132350\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<cmd id=\"cmd:getfutok\" seqid=\"3\"><data><ftdb channelUri=\"ma-chan://contoso.com/" +
          std::string(kRoomUuid) + "\" fileUrl=\"a.txt\"/></data></cmd></xccos>",
      XmlLimits{});
  REQUIRE(request);
  const XmlElement root = parseOrFail(
      EnvelopeBuilder(1).replyTo(*request, xccos::kSuccess, FileTokenReply{"t", "u"}).finish());
  const XmlElement& rpl = child(root, "rpl");
  CHECK(attr(rpl, "id") == "rpl:getftok");
  CHECK(attr(child(rpl, "commandid"), "envid") == "139132350");
  CHECK(attr(child(rpl, "commandid"), "seqid") == "3");
}

TEST_CASE("rpl:nodespermcreatechild matches sipe's sample, with an empty <data/>") {
  const std::string sample =
      "<xccos ver=\"1\" envid=\"5\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<rpl id=\"rpl:nodespermcreatechild\" seqid=\"1\">"
      "<commandid seqid=\"1\" envid=\"42\" /><resp code=\"200\">SUCCESS_OK</resp><data />"
      "</rpl></xccos>";
  const std::string ours =
      EnvelopeBuilder(5)
          .reply("nodespermcreatechild", CommandRef{42, 1}, xccos::kSuccess, EmptyReply{})
          .finish();
  checkSameShape(parseOrFail(ours), parseOrFail(sample));
  CHECK(ours.find("<data/></rpl>") != std::string::npos);
}

TEST_CASE("rpl:getserverinfo <sib> matches sipe's sample") {
  const std::string sample =
      "<data><sib infoType=\"123\" serverTime=\"2010-09-14T14:26:17.6206356Z\" "
      "searchLimit=\"999\" messageSizeLimit=\"512\" storySizeLimit=\"4096\" "
      "rootUri=\"ma-cat://contoso.com/3ea3a5a8-ef36-46cf-898f-7a5133931d63\" "
      "dbVersion=\"3ea3a5a8-ef36-46cf-898f-7a5133931d63\" /></data>";
  ServerInfoReply info{123,
                       at(1284474377, 620635600),
                       999,
                       512,
                       4096,
                       *NodeUri::parse("ma-cat://contoso.com/3ea3a5a8-ef36-46cf-898f-7a5133931d63"),
                       "3ea3a5a8-ef36-46cf-898f-7a5133931d63"};
  XmlWriter xml;
  writeReplyData(xml, info);
  checkSameShape(parseOrFail(xml.str()), parseOrFail(sample));
}

TEST_CASE("rpl:requri, rpl:part and rpl:getpref data") {
  const auto data = [](const ReplyData& reply) {
    return replyData(EnvelopeBuilder(1).reply("x", {}, xccos::kSuccess, reply).finish());
  };
  CHECK(attr(child(data(RequestUriReply{"sip:chat-pool@contoso.com"}), "uib"), "uri") ==
        "sip:chat-pool@contoso.com");
  CHECK(attr(child(data(PartReply{room()}), "chanib"), "uri") == room().str());

  const XmlElement prefs = data(PrefReply{{PrefItem{"kedzie.GroupChannels", 72, false, "QUJD"}}});
  CHECK(attributeNames(child(prefs, "pref")) == Names{"label", "seqid", "content"});
  CHECK(attr(child(prefs, "pref"), "seqid") == "72");
  CHECK(attr(child(prefs, "pref"), "content") == "QUJD");
}

TEST_CASE("rpl:bjoin: users, then rooms with roles, info and props, then failures") {
  JoinReply reply;
  reply.users = {{0, "sip:alice@contoso.com"}, {1, "sip:bob@contoso.com"}};
  ChannelInfo channel{room(), "Lobby", "Welcome", "The lobby", {}, {}, {}};
  channel.roles = {{xccos::kRoleMember, {0, 1}}, {xccos::kRoleChannelOperator, {1}}};
  channel.info = {userCountInfo(2)};
  channel.props = {channelProperty(xccos::kPropLogged, true)};
  reply.channels = {channel};
  reply.failed = {failedChannel(room("eb1f978a-f9f1-4a8b-b56a-bb62f91ae423"))};

  const XmlElement data =
      replyData(EnvelopeBuilder(1).reply("bjoin", {}, xccos::kSuccess, reply).finish());
  CHECK(childNames(data) == Names{"uib", "uib", "chanib", "fib"});
  CHECK(attr(child(data, "uib", 1), "id") == "1");
  CHECK(attr(child(data, "uib", 1), "uri") == "sip:bob@contoso.com");
  const XmlElement& chanib = child(data, "chanib");
  CHECK(attributeNames(chanib) == Names{"uri", "name", "topic", "description"});
  CHECK(attr(chanib, "uri") == room().str());
  CHECK(attr(chanib, "topic") == "Welcome");
  CHECK(childNames(chanib) == Names{"aib", "aib", "info", "prop"});
  CHECK(attr(child(chanib, "aib"), "key") == "3984");
  CHECK(attr(child(chanib, "aib"), "value") == "0,1");
  CHECK(attr(child(chanib, "aib", 1), "key") == "12276");
  CHECK(attr(child(chanib, "aib", 1), "value") == "1");
  CHECK(child(chanib, "info").text == "2");
  const XmlElement& fib = child(data, "fib");
  CHECK(attributeNames(fib) == Names{"key", "value", "domain"});
  CHECK(attr(fib, "key") == "OPERATION_FAILED");
  CHECK(attr(fib, "value") == "eb1f978a-f9f1-4a8b-b56a-bb62f91ae423");
  CHECK(attr(fib, "domain") == "contoso.com");
}

TEST_CASE("rpl:chansrch carries the ids sipe reads") {
  ChannelInfo found{room(), "Private room", std::nullopt, "Secret plans", {}, {}, {}};
  found.info = {userCountInfo(17), visibilityInfo(true)};
  found.props = {channelProperty(xccos::kPropFilePost, true),
                 channelProperty(xccos::kPropInvite, false),
                 channelProperty(xccos::kPropLogged, true)};
  const XmlElement data = replyData(
      EnvelopeBuilder(1).reply("chansrch", {}, xccos::kSuccess, SearchReply{{found}, {}}).finish());
  const XmlElement& chanib = child(data, "chanib");
  CHECK(attributeNames(chanib) == Names{"uri", "name", "description"});
  CHECK(attr(child(chanib, "info", 0), "id") == "urn:parlano:ma:info:ucnt");
  CHECK(child(chanib, "info", 0).text == "17");
  CHECK(attr(child(chanib, "info", 1), "id") == "urn:parlano:ma:info:visibilty");
  CHECK(child(chanib, "info", 1).text == "private");
  CHECK(attr(child(chanib, "prop", 0), "id") == "urn:parlano:ma:prop:filepost");
  CHECK(child(chanib, "prop", 1).text == "false");
  CHECK(attr(child(chanib, "prop", 2), "id") == "urn:parlano:ma:prop:logged");
}

TEST_CASE("rpl:bccontext history: <msg id=grpchat> inside the chanib, CRLF intact") {
  BackchatReply history{room(), {}};
  history.messages = {{room(), "sip:alice@contoso.com", at(1284474377), "first\r\nsecond"},
                      {room(), "sip:bob@contoso.com", at(1284474400), "a < b & \"c\""}};
  const XmlElement data =
      replyData(EnvelopeBuilder(1).reply("bccontext", {}, xccos::kSuccess, history).finish());
  const XmlElement& chanib = child(data, "chanib");
  CHECK(attr(chanib, "uri") == room().str());
  CHECK(childNames(chanib) == Names{"msg", "msg"});
  const XmlElement& msg = child(chanib, "msg");
  CHECK(attributeNames(msg) == Names{"id", "chanUri", "author", "ts"});
  CHECK(attr(msg, "id") == "grpchat");
  CHECK(attr(msg, "ts") == "2010-09-14T14:26:17Z");
  CHECK(child(msg, "chat").text == "first\r\nsecond");
  CHECK(child(child(chanib, "msg", 1), "chat").text == "a < b & \"c\"");
}

TEST_CASE("rpl:getinv lists invitations in the shape we chose") {
  Invitation inv{7, "contoso.com", room(), "Lobby", "sip:bob@contoso.com", at(1284474377)};
  const XmlElement data = replyData(
      EnvelopeBuilder(1).reply("getinv", {}, xccos::kSuccess, InvitationsReply{{inv}}).finish());
  const XmlElement& element = child(data, "inv");
  CHECK(attributeNames(element) == Names{"inviteId", "domain", "author", "ts"});
  CHECK(attr(element, "inviteId") == "7");
  CHECK(attr(child(element, "chanib"), "uri") == room().str());
  CHECK(attr(child(element, "chanib"), "name") == "Lobby");
  CHECK(
      childNames(
          replyData(
              EnvelopeBuilder(1).reply("getinv", {}, xccos::kSuccess, InvitationsReply{}).finish()))
          .empty());
}

TEST_CASE("error replies carry code and text with an empty <data/>") {
  auto unknown = decodeClient(
      "<xccos ver=\"1\" envid=\"9\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<cmd id=\"cmd:chancreate\" seqid=\"2\"><data/></cmd></xccos>",
      XmlLimits{});
  REQUIRE(unknown);
  XmlElement root = parseOrFail(EnvelopeBuilder(1).rejectTo(*unknown).finish());
  const XmlElement& rpl = child(root, "rpl");
  CHECK(attr(rpl, "id") == "rpl:chancreate");
  CHECK(attr(child(rpl, "resp"), "code") == "501");
  CHECK(child(rpl, "resp").text == "NOT_IMPLEMENTED");
  CHECK(child(rpl, "data").children.empty());

  auto invalid = decodeClient(
      "<xccos ver=\"1\" envid=\"9\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<cmd id=\"cmd:part\" seqid=\"2\"><data/></cmd></xccos>",
      XmlLimits{});
  REQUIRE(invalid);
  root = parseOrFail(EnvelopeBuilder(1).rejectTo(*invalid).finish());
  CHECK(attr(child(child(root, "rpl"), "resp"), "code") == "400");
  CHECK(child(child(root, "rpl"), "resp").text == "BAD_REQUEST");

  CHECK(resultCodeFor(404) == xccos::kNotFound);
  CHECK(resultCodeFor(413) == xccos::kLimitExceeded);
  CHECK(resultCodeFor(418) == xccos::kServerError);
}

TEST_CASE("notices: ntc:join, ntc:bjoin and ntc:part shapes sipe reads") {
  JoinNotice join{false, {{"sip:carol@contoso.com", {{xccos::kRoleChannelOperator, room()}}}}};
  XmlElement root = parseOrFail(EnvelopeBuilder(1).notice(join).finish());
  const XmlElement& ntc = child(root, "ntc");
  CHECK(attr(ntc, "id") == "ntc:join");
  const XmlElement& uib = child(child(ntc, "data"), "uib");
  CHECK(attr(uib, "uri") == "sip:carol@contoso.com");
  CHECK(attributeNames(child(uib, "aib")) == Names{"key", "domain", "value"});
  CHECK(attr(child(uib, "aib"), "key") == "12276");
  CHECK(attr(child(uib, "aib"), "domain") == "contoso.com");
  CHECK(attr(child(uib, "aib"), "value") == kRoomUuid);

  join.batch = true;
  root = parseOrFail(EnvelopeBuilder(1).notice(join).finish());
  CHECK(attr(child(root, "ntc"), "id") == "ntc:bjoin");

  root = parseOrFail(
      EnvelopeBuilder(1).notice(PartNotice{room(), {"sip:carol@contoso.com"}}).finish());
  const XmlElement& chanib = child(child(child(root, "ntc"), "data"), "chanib");
  CHECK(attr(child(root, "ntc"), "id") == "ntc:part");
  CHECK(attr(chanib, "uri") == room().str());
  CHECK(attr(child(chanib, "uib"), "uri") == "sip:carol@contoso.com");
}

TEST_CASE("grpchat fan-out decodes back to the same post") {
  const ChatMessage message{room(), "sip:alice@contoso.com", at(1284474377),
                            "hello <all> & \"friends\"\r\nline two", 0};
  const std::string xml = EnvelopeBuilder(18446744073709551615u).chat(message).finish();
  auto decoded = decodeClient(xml, XmlLimits{});
  REQUIRE(decoded);
  CHECK(decoded->envid == 18446744073709551615u);
  CHECK(decoded->name == "grpchat");
  REQUIRE(std::holds_alternative<ChatPost>(decoded->message));
  const ChatPost& post = std::get<ChatPost>(decoded->message);
  CHECK(post.channel == message.channel);
  CHECK(post.author == message.author);
  CHECK(post.time == message.time);
  CHECK(post.text == message.text);
}

TEST_CASE("batching: siblings in order, seqids counting up, kinds tracked") {
  EnvelopeBuilder builder(77);
  builder.reply("bjoin", {10, 1}, xccos::kSuccess, JoinReply{})
      .reply("bccontext", {11, 1}, xccos::kSuccess, BackchatReply{room(), {}, false});
  CHECK(builder.count() == 2);
  CHECK(builder.homogeneous());
  builder.chat({room(), "sip:a@contoso.com", at(0), "hi"});
  CHECK_FALSE(builder.homogeneous());
  CHECK(builder.bytes() > 0);
  const XmlElement root = parseOrFail(builder.finish());
  CHECK(childNames(root) == Names{"rpl", "rpl", "grpchat"});
  CHECK(attr(child(root, "rpl", 0), "seqid") == "1");
  CHECK(attr(child(root, "rpl", 1), "seqid") == "2");
  CHECK(attr(child(root, "rpl", 1), "id") == "rpl:bccontext");
  CHECK(attr(child(child(root, "rpl", 1), "commandid"), "envid") == "11");
  CHECK(attr(child(root, "grpchat"), "seqid") == "3");
}

TEST_CASE("whatever the data, the output is well-formed XML") {
  ChannelInfo nasty{room(),
                    std::string("a\"b<c>&d\x01\x02"
                                "e\xff",
                                12),
                    "t\tq\nz",
                    std::nullopt,
                    {},
                    {},
                    {}};
  const XmlElement data = replyData(
      EnvelopeBuilder(1).reply("chansrch", {}, xccos::kSuccess, SearchReply{{nasty}, {}}).finish());
  CHECK(attr(child(data, "chanib"), "name") == "a\"b<c>&de\xEF\xBF\xBD");
  CHECK(attr(child(data, "chanib"), "topic") == "t\tq\nz");
}

}  // namespace
}  // namespace core::groupchat
