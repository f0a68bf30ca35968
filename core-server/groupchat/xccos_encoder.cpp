// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_encoder.h"

#include "core-server/groupchat/xccos_decoder.h"
#include "core-server/groupchat/xccos_names.h"

namespace core::groupchat {
namespace {

std::string joinIds(const std::vector<uint32_t>& ids) {
  std::string out;
  for (uint32_t id : ids) {
    if (!out.empty()) {
      out.push_back(',');
    }
    out.append(std::to_string(id));
  }
  return out;
}

void writeUser(XmlWriter& xml, const UserRef& user) {
  xml.open("uib").attribute("id", user.id).attribute("uri", user.uri).close();
}

void writeItems(XmlWriter& xml, std::string_view element, const std::vector<ChannelItem>& items) {
  for (const ChannelItem& item : items) {
    xml.open(element).attribute("id", item.id).text(item.value).close();
  }
}

void writeChannel(XmlWriter& xml, const ChannelInfo& channel) {
  xml.open("chanib").attribute("uri", channel.uri.str()).attribute("name", channel.name);
  if (channel.topic) {
    xml.attribute("topic", *channel.topic);
  }
  if (channel.description) {
    xml.attribute("description", *channel.description);
  }
  for (const RoleMembers& role : channel.roles) {
    xml.open("aib").attribute("key", role.key).attribute("value", joinIds(role.user_ids)).close();
  }
  writeItems(xml, "info", channel.info);
  writeItems(xml, "prop", channel.props);
  xml.close();
}

// The attributes and <chat> child shared by <grpchat> and history <msg>.
void writeChatBody(XmlWriter& xml, const ChatMessage& message) {
  xml.attribute("chanUri", message.channel.str())
      .attribute("author", message.author)
      .attribute("ts", formatXccosTime(message.time, TimePrecision::Seconds));
  if (message.id > 0) {
    xml.attribute("msgid", static_cast<uint64_t>(message.id));
  }
  xml.open("chat").text(message.text).close();
}

void writePref(XmlWriter& xml, const PrefItem& pref) {
  xml.open("pref").attribute("label", pref.label).attribute("seqid", pref.seqid);
  if (pref.content) {
    xml.attribute("content", *pref.content);
  }
  xml.close();
}

// Writes the children of <data> for each reply kind.
struct DataWriter {
  XmlWriter& xml;

  void operator()(const EmptyReply&) const {}
  void operator()(const RequestUriReply& r) const {
    xml.open("uib").attribute("uri", r.uri).close();
  }
  void operator()(const ServerInfoReply& r) const {
    xml.open("sib")
        .attribute("infoType", r.info_type)
        .attribute("serverTime", formatXccosTime(r.server_time, TimePrecision::Ticks))
        .attribute("searchLimit", r.search_limit)
        .attribute("messageSizeLimit", r.message_size_limit)
        .attribute("storySizeLimit", r.story_size_limit)
        .attribute("rootUri", r.root_uri.str())
        .attribute("dbVersion", r.db_version)
        .close();
  }
  void operator()(const PrefReply& r) const {
    for (const PrefItem& pref : r.prefs) {
      writePref(xml, pref);
    }
  }
  void operator()(const InvitationsReply& r) const {
    for (const Invitation& inv : r.invitations) {
      xml.open("inv")
          .attribute("inviteId", inv.invite_id)
          .attribute("domain", inv.domain)
          .attribute("author", inv.inviter);
      if (inv.time) {
        xml.attribute("ts", formatXccosTime(*inv.time, TimePrecision::Seconds));
      }
      xml.open("chanib").attribute("uri", inv.channel.str()).attribute("name", inv.channel_name);
      xml.close().close();
    }
  }
  void operator()(const JoinReply& r) const {
    for (const UserRef& user : r.users) {
      writeUser(xml, user);
    }
    for (const ChannelInfo& channel : r.channels) {
      writeChannel(xml, channel);
    }
    for (const FailedItem& failed : r.failed) {
      xml.open("fib")
          .attribute("key", failed.key)
          .attribute("value", failed.value)
          .attribute("domain", failed.domain)
          .close();
    }
  }
  void operator()(const PartReply& r) const {
    xml.open("chanib").attribute("uri", r.channel.str()).close();
  }
  void operator()(const SearchReply& r) const {
    for (const ChannelInfo& channel : r.channels) {
      writeChannel(xml, channel);
    }
    if (r.next) {
      xml.open("qib")
          .attribute("qtype", r.next->qtype)
          .attribute("criteria", r.next->criteria)
          .attribute("extended", r.next->extended ? "true" : "false")
          .attribute("cnt", r.next->count)
          .attribute("after", r.next->after.str())
          .close();
    }
  }
  void operator()(const BackchatReply& r) const {
    xml.open("chanib").attribute("uri", r.channel.str());
    if (r.more) {
      xml.attribute("more", "true");
    }
    for (const ChatMessage& message : r.messages) {
      xml.open("msg").attribute("id", "grpchat");
      writeChatBody(xml, message);
      xml.close();
    }
    xml.close();
  }
  void operator()(const FileTokenReply& r) const {
    xml.open("token").attribute("token", r.token).attribute("serveruri", r.server_uri).close();
  }
};

// Writes the children of <data> for each notice kind.
struct NoticeWriter {
  XmlWriter& xml;

  void operator()(const JoinNotice& n) const {
    for (const JoinedUser& user : n.users) {
      xml.open("uib").attribute("uri", user.uri);
      for (const RoomRole& role : user.roles) {
        xml.open("aib")
            .attribute("key", role.key)
            .attribute("domain", role.channel.domain())
            .attribute("value", role.channel.uuid())
            .close();
      }
      xml.close();
    }
  }
  void operator()(const PartNotice& n) const {
    xml.open("chanib").attribute("uri", n.channel.str());
    for (const std::string& uri : n.user_uris) {
      xml.open("uib").attribute("uri", uri).close();
    }
    xml.close();
  }
};

std::string_view noticeId(const Notice& notice) {
  if (const auto* join = std::get_if<JoinNotice>(&notice)) {
    return join->batch ? "ntc:bjoin" : "ntc:join";
  }
  return "ntc:part";
}

}  // namespace

void writeReplyData(XmlWriter& xml, const ReplyData& data) {
  xml.open("data");
  std::visit(DataWriter{xml}, data);
  xml.close();
}

EnvelopeBuilder::EnvelopeBuilder(uint64_t envid) {
  // Attribute order follows the SfB capture; XML does not care, people do.
  xml_.open("xccos")
      .attribute("xmlns:xsd", xccos::kXsdNamespace)
      .attribute("xmlns:xsi", xccos::kXsiNamespace)
      .attribute("ver", xccos::kVersion)
      .attribute("envid", envid)
      .attribute("xmlns", xccos::kNamespace);
}

void EnvelopeBuilder::begin(Kind kind) {
  if (kind_ != Kind::None && kind_ != kind) {
    mixed_ = true;
  }
  kind_ = kind;
  ++count_;
}

EnvelopeBuilder& EnvelopeBuilder::reply(std::string_view name, const CommandRef& ref,
                                        const ResultCode& code, const ReplyData& data) {
  begin(Kind::Reply);
  xml_.open("rpl").attribute("id", "rpl:" + std::string(name)).attribute("seqid", next_seqid_++);
  xml_.open("commandid").attribute("seqid", ref.seqid).attribute("envid", ref.envid).close();
  xml_.open("resp").attribute("code", static_cast<uint64_t>(code.code)).text(code.text).close();
  writeReplyData(xml_, data);
  xml_.close();
  return *this;
}

EnvelopeBuilder& EnvelopeBuilder::replyTo(const ClientEnvelope& request, const ResultCode& code,
                                          const ReplyData& data) {
  return reply(replyNameFor(request.name), CommandRef{request.envid, request.seqid}, code, data);
}

EnvelopeBuilder& EnvelopeBuilder::rejectTo(const ClientEnvelope& request) {
  const bool unknown = std::holds_alternative<UnknownCommand>(request.message);
  return replyTo(request, unknown ? xccos::kNotImplemented : xccos::kBadRequest, EmptyReply{});
}

EnvelopeBuilder& EnvelopeBuilder::notice(const Notice& notice) {
  begin(Kind::Notice);
  xml_.open("ntc").attribute("id", noticeId(notice)).attribute("seqid", next_seqid_++);
  xml_.open("data");
  std::visit(NoticeWriter{xml_}, notice);
  xml_.close().close();
  return *this;
}

EnvelopeBuilder& EnvelopeBuilder::chat(const ChatMessage& message) {
  begin(Kind::Chat);
  xml_.open("grpchat").attribute("id", "grpchat").attribute("seqid", next_seqid_++);
  writeChatBody(xml_, message);
  xml_.close();
  return *this;
}

std::string EnvelopeBuilder::finish() {
  while (xml_.depth() > 0) {
    xml_.close();
  }
  return xml_.take();
}

}  // namespace core::groupchat
