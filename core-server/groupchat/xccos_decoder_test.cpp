// SPDX-License-Identifier: Apache-2.0
// Decodes every client sample of PROTOCOLS.md section (a) (from sipe and the
// SfBServerEnforcer captures), plus the unknown/invalid command paths.
#include "core-server/groupchat/xccos_decoder.h"

#include <doctest/doctest.h>

namespace core::groupchat {
namespace {

constexpr std::string_view kRoom = "ma-chan://contoso.com/094f5a4a-c492-4f6b-91c2-385eba134fd3";

// sipe's envelope: ver, envid, default namespace; one body element.
std::string envelope(std::string_view body, std::string_view envid = "1804289383") {
  return "<xccos ver=\"1\" envid=\"" + std::string(envid) +
         "\" xmlns=\"urn:parlano:xml:ns:xccos\">" + std::string(body) + "</xccos>";
}

template <typename T>
const T& decodeAs(const std::string& xml, std::string_view name) {
  static thread_local ClientEnvelope envelope;
  auto decoded = decodeClient(xml, XmlLimits{});
  INFO(xml);
  REQUIRE_MESSAGE(decoded.ok(), (decoded.ok() ? "" : decoded.error().detail));
  envelope = std::move(*decoded);
  CHECK(envelope.name == name);
  if (const auto* invalid = std::get_if<InvalidCommand>(&envelope.message)) {
    FAIL("invalid command: " << invalid->detail);
  }
  REQUIRE(std::holds_alternative<T>(envelope.message));
  return std::get<T>(envelope.message);
}

TEST_CASE("cmd:requri (sipe, to ocschat@) carries envid and seqid") {
  const std::string xml = envelope("<cmd id=\"cmd:requri\" seqid=\"1\"><data/></cmd>");
  decodeAs<RequestUriCommand>(xml, "requri");
  auto decoded = decodeClient(xml, XmlLimits{});
  REQUIRE(decoded);
  CHECK(decoded->envid == 1804289383u);
  CHECK(decoded->seqid == 1);
}

TEST_CASE("cmd:getserverinfo <sib domain infoType/>") {
  const auto& cmd = decodeAs<GetServerInfoCommand>(
      envelope("<cmd id=\"cmd:getserverinfo\" seqid=\"1\"><data>"
               "<sib domain=\"contoso.com\" infoType=\"123\" /></data></cmd>"),
      "getserverinfo");
  CHECK(cmd.domain == "contoso.com");
  CHECK(cmd.info_type == 123);
}

TEST_CASE("cmd:getpref and cmd:setpref (sipe header comment)") {
  const auto& get = decodeAs<GetPrefCommand>(
      envelope("<cmd id=\"cmd:getpref\" seqid=\"1\"><data>"
               "<pref label=\"kedzie.GroupChannels\" seqid=\"71\" createdefault=\"true\" />"
               "</data></cmd>"),
      "getpref");
  REQUIRE(get.prefs.size() == 1);
  CHECK(get.prefs[0].label == "kedzie.GroupChannels");
  CHECK(get.prefs[0].seqid == 71);
  CHECK(get.prefs[0].create_default);
  CHECK_FALSE(get.prefs[0].content.has_value());

  const auto& set = decodeAs<SetPrefCommand>(
      envelope("<cmd id=\"cmd:setpref\" seqid=\"1\"><data>"
               "<pref label=\"kedzie.GroupChannels\" seqid=\"72\" createdefault=\"false\" "
               "content=\"PGNoYW5zLz4=\" /></data></cmd>"),
      "setpref");
  REQUIRE(set.prefs.size() == 1);
  CHECK(set.prefs[0].seqid == 72);
  CHECK_FALSE(set.prefs[0].create_default);
  CHECK(set.prefs[0].content == "PGNoYW5zLz4=");
}

TEST_CASE("cmd:getinv <inv inviteId domain/> (sipe)") {
  const auto& cmd = decodeAs<GetInvitationsCommand>(
      envelope("<cmd id=\"cmd:getinv\" seqid=\"1\"><data>"
               "<inv inviteId=\"1\" domain=\"contoso.com\"/></data></cmd>"),
      "getinv");
  CHECK(cmd.invite_id == 1);
  CHECK(cmd.domain == "contoso.com");
}

TEST_CASE("cmd:bjoin keeps every chanid in order, normalised") {
  const auto& cmd =
      decodeAs<BatchJoinCommand>(envelope("<cmd id=\"cmd:bjoin\" seqid=\"1\"><data>"
                                          "<chanid key=\"0\" domain=\"contoso.com\" "
                                          "value=\"094f5a4a-c492-4f6b-91c2-385eba134fd3\"/>"
                                          "<chanid key=\"1\" domain=\"Contoso.COM\" "
                                          "value=\"EB1F978A-F9F1-4A8B-B56A-BB62F91AE423\"/>"
                                          "</data></cmd>"),
                                 "bjoin");
  REQUIRE(cmd.channels.size() == 2);
  CHECK(cmd.channels[0].key == 0);
  CHECK(cmd.channels[1].key == 1);
  CHECK(cmd.channels[1].domain == "contoso.com");
  CHECK(cmd.channels[1].value == "eb1f978a-f9f1-4a8b-b56a-bb62f91ae423");
  CHECK(NodeUri::fromChanId(cmd.channels[0])->str() == kRoom);
}

TEST_CASE("cmd:join takes exactly one chanid") {
  const auto& cmd = decodeAs<JoinCommand>(
      envelope("<cmd id=\"cmd:join\" seqid=\"1\"><data><chanid key=\"0\" domain=\"contoso.com\" "
               "value=\"094f5a4a-c492-4f6b-91c2-385eba134fd3\"/></data></cmd>"),
      "join");
  CHECK(cmd.channel.value == "094f5a4a-c492-4f6b-91c2-385eba134fd3");

  auto two = decodeClient(
      envelope("<cmd id=\"cmd:join\" seqid=\"1\"><data>"
               "<chanid key=\"0\" domain=\"a.com\" value=\"094f5a4a-c492-4f6b-91c2-385eba134fd3\"/>"
               "<chanid key=\"1\" domain=\"a.com\" value=\"094f5a4a-c492-4f6b-91c2-385eba134fd3\"/>"
               "</data></cmd>"),
      XmlLimits{});
  REQUIRE(two);
  CHECK(std::holds_alternative<InvalidCommand>(two->message));
}

TEST_CASE("cmd:part <chanib uri/> (sipe)") {
  const auto& cmd =
      decodeAs<PartCommand>(envelope("<cmd id=\"cmd:part\" seqid=\"1\"><data><chanib uri=\"" +
                                     std::string(kRoom) + "\"/></data></cmd>"),
                            "part");
  CHECK(cmd.channel.str() == kRoom);
}

TEST_CASE("cmd:chansrch with empty criteria lists all rooms (sipe)") {
  const auto& cmd = decodeAs<ChannelSearchCommand>(
      envelope("<cmd id=\"cmd:chansrch\" seqid=\"1\"><data>"
               "<qib qtype=\"BYNAME\" criteria=\"\" extended=\"false\"/></data></cmd>"),
      "chansrch");
  CHECK(cmd.qtype == "BYNAME");
  CHECK(cmd.criteria.empty());
  CHECK_FALSE(cmd.extended);
}

TEST_CASE("cmd:bccontext <chanib uri/><bcq><last cnt/></bcq> (sipe)") {
  const auto& cmd = decodeAs<BackchatCommand>(
      envelope("<cmd id=\"cmd:bccontext\" seqid=\"1\"><data><chanib uri=\"" + std::string(kRoom) +
               "\"/><bcq><last cnt=\"25\"/></bcq></data></cmd>"),
      "bccontext");
  CHECK(cmd.channel.str() == kRoom);
  CHECK(cmd.count == 25);
}

TEST_CASE("paging attributes (our choice): qib cnt/after and last before") {
  const auto& search = decodeAs<ChannelSearchCommand>(
      envelope("<cmd id=\"cmd:chansrch\" seqid=\"1\"><data><qib qtype=\"BYNAME\" "
               "criteria=\"k\" extended=\"false\" cnt=\"5\" after=\"" +
               std::string(kRoom) + "\"/></data></cmd>"),
      "chansrch");
  CHECK(search.count == 5u);
  REQUIRE(search.after);
  CHECK(search.after->str() == kRoom);
  const auto& history = decodeAs<BackchatCommand>(
      envelope("<cmd id=\"cmd:bccontext\" seqid=\"1\"><data><chanib uri=\"" + std::string(kRoom) +
               "\"/><bcq><last cnt=\"25\" before=\"42\"/></bcq></data></cmd>"),
      "bccontext");
  CHECK(history.before == 42);
  const auto invalid = [](const std::string& body) {
    auto decoded = decodeClient(envelope(body), XmlLimits{});
    REQUIRE(decoded);
    REQUIRE(std::holds_alternative<InvalidCommand>(decoded->message));
    return std::get<InvalidCommand>(decoded->message).detail;
  };
  CHECK(invalid("<cmd id=\"cmd:bccontext\" seqid=\"1\"><data><chanib uri=\"" + std::string(kRoom) +
                "\"/><bcq><last cnt=\"1\" before=\"-1\"/></bcq></data></cmd>")
            .find("before") != std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:chansrch\" seqid=\"1\"><data><qib qtype=\"BYNAME\" "
                "after=\"sip:x@y\"/></data></cmd>")
            .find("ma-chan") != std::string::npos);
}

TEST_CASE("cmd:getfutok and cmd:getfdtok: the SfBServerEnforcer captures") {
  // Verbatim shape from XCCosContenObjs.cs, pretty-printed as captured.
  const std::string upload =
      "<xccos xmlns=\"urn:parlano:xml:ns:xccos\" ver=\"1\" envid=\"139132350\">\n"
      "    <cmd id=\"cmd:getfutok\" seqid=\"1\">\n"
      "        <data>\n"
      "            <ftdb channelUri=\"ma-chan://lync.nextlabs.solutions/"
      "094f5a4a-c492-4f6b-91c2-385eba134fd3\" fileUrl=\"TestInfoRecord.txt\"/>\n"
      "        </data>\n"
      "    </cmd>\n"
      "</xccos>";
  const auto& up = decodeAs<FileTokenCommand>(upload, "getfutok");
  CHECK(up.direction == FileTokenCommand::Direction::Upload);
  CHECK(up.channel.domain() == "lync.nextlabs.solutions");
  CHECK(up.channel.uuid() == "094f5a4a-c492-4f6b-91c2-385eba134fd3");
  CHECK(up.file_url == "TestInfoRecord.txt");

  const std::string download =
      "<xccos xmlns=\"urn:parlano:xml:ns:xccos\" ver=\"1\" envid=\"139132352\">"
      "<cmd id=\"cmd:getfdtok\" seqid=\"1\"><data>"
      "<ftdb channelUri=\"ma-chan://lync.nextlabs.solutions/"
      "094f5a4a-c492-4f6b-91c2-385eba134fd3\" fileUrl=\"TestInfoRecord-Copy.txt\"/>"
      "</data></cmd></xccos>";
  const auto& down = decodeAs<FileTokenCommand>(download, "getfdtok");
  CHECK(down.direction == FileTokenCommand::Direction::Download);
  CHECK(down.file_url == "TestInfoRecord-Copy.txt");
  CHECK(replyNameFor("getfutok") == "getftok");
  CHECK(replyNameFor("getfdtok") == "getftok");
  CHECK(replyNameFor("bjoin") == "bjoin");
}

TEST_CASE("cmd:nodespermcreatechild <data /> (sipe)") {
  decodeAs<CreateChildPermissionCommand>(
      envelope("<cmd id=\"cmd:nodespermcreatechild\" seqid=\"1\">\n  <data />\n</cmd>"),
      "nodespermcreatechild");
}

TEST_CASE("grpchat post: sipe's shape, CRLF joins restored, entities decoded") {
  const auto& post = decodeAs<ChatPost>(
      envelope("<grpchat id=\"grpchat\" seqid=\"1\" chanUri=\"" + std::string(kRoom) +
               "\" author=\"sip:alice@contoso.com\" ts=\"2010-09-14T14:26:17Z\">"
               "<chat>line one &amp; &lt;two&gt;\r\nline three</chat></grpchat>"),
      "grpchat");
  CHECK(post.channel.str() == kRoom);
  CHECK(post.author == "sip:alice@contoso.com");
  CHECK(post.timestamp == "2010-09-14T14:26:17Z");
  REQUIRE(post.time.has_value());
  CHECK(std::chrono::system_clock::to_time_t(*post.time) == 1284474377);
  CHECK(post.text == "line one & <two>\r\nline three");
}

TEST_CASE("an unknown command decodes to UnknownCommand, not an error") {
  auto decoded = decodeClient(
      envelope("<cmd id=\"cmd:chancreate\" seqid=\"4\"><data><chanib name=\"x\"/></data></cmd>"),
      XmlLimits{});
  REQUIRE(decoded);
  CHECK(decoded->name == "chancreate");
  CHECK(decoded->seqid == 4);
  REQUIRE(std::holds_alternative<UnknownCommand>(decoded->message));
  CHECK(std::get<UnknownCommand>(decoded->message).name == "chancreate");
}

TEST_CASE("bad data inside a known command is InvalidCommand with a reason") {
  const auto invalid = [](const std::string& body) {
    auto decoded = decodeClient(envelope(body), XmlLimits{});
    REQUIRE(decoded);
    REQUIRE(std::holds_alternative<InvalidCommand>(decoded->message));
    return std::get<InvalidCommand>(decoded->message).detail;
  };
  CHECK(invalid("<cmd id=\"cmd:part\" seqid=\"1\"><data/></cmd>").find("chanib") !=
        std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:part\" seqid=\"1\"><data><chanib uri=\"ma-cat://contoso.com/"
                "094f5a4a-c492-4f6b-91c2-385eba134fd3\"/></data></cmd>")
            .find("ma-chan") != std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:bjoin\" seqid=\"1\"><data><chanid key=\"0\" domain=\"contoso.com\""
                " value=\"not-a-uuid\"/></data></cmd>")
            .find("uuid") != std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:bjoin\" seqid=\"1\"><data/></cmd>").find("chanid") !=
        std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:getserverinfo\" seqid=\"1\"><data><sib domain=\"d.com\" "
                "infoType=\"-1\"/></data></cmd>")
            .find("infoType") != std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:setpref\" seqid=\"1\"><data><pref label=\"a\" seqid=\"1\" "
                "content=\"not base64!\"/></data></cmd>")
            .find("base64") != std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:setpref\" seqid=\"1\"><data><pref label=\"a\"/></data></cmd>")
            .find("content") != std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:chansrch\" seqid=\"1\"><data><qib qtype=\"BYNAME\" "
                "extended=\"maybe\"/></data></cmd>")
            .find("boolean") != std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:bccontext\" seqid=\"1\"><data><chanib uri=\"" + std::string(kRoom) +
                "\"/><bcq><range from=\"x\"/></bcq></data></cmd>")
            .find("last") != std::string::npos);
  CHECK(invalid("<cmd id=\"cmd:getfutok\" seqid=\"1\"><data><ftdb channelUri=\"" +
                std::string(kRoom) + "\" fileUrl=\"\"/></data></cmd>")
            .find("fileUrl") != std::string::npos);
  CHECK(invalid("<grpchat seqid=\"1\" chanUri=\"" + std::string(kRoom) + "\"/>").find("chat") !=
        std::string::npos);
  CHECK(invalid("<grpchat seqid=\"1\" chanUri=\"sip:room@x\"><chat>x</chat></grpchat>")
            .find("ma-chan") != std::string::npos);
}

TEST_CASE("isBase64") {
  CHECK(isBase64(""));
  CHECK(isBase64("QQ=="));
  CHECK(isBase64("QUI="));
  CHECK(isBase64("QUJD"));
  CHECK(isBase64("a+/9"));
  CHECK_FALSE(isBase64("QQ="));
  CHECK_FALSE(isBase64("Q==="));
  CHECK_FALSE(isBase64("QQ==QUJD"));
  CHECK_FALSE(isBase64("QU J"));
}

}  // namespace
}  // namespace core::groupchat
