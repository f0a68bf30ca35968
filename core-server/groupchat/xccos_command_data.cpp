// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_command_data.h"

#include <limits>

#include "core-server/groupchat/xccos_decoder.h"
#include "core-server/groupchat/xccos_names.h"
#include "proxy/base/strings.h"

namespace core::groupchat::detail {
namespace {

using proxy::Result;

proxy::Error bad(const XmlElement& element, std::string_view what) {
  return proxy::makeError(400, "<" + element.name + "> " + std::string(what));
}

// The one child `name` of `data`, or an error naming what is missing.
Result<const XmlElement*> requireChild(const XmlElement& data, std::string_view name) {
  const XmlElement* child = data.child(xccos::kNamespace, name);
  if (child == nullptr) {
    return bad(data, "needs a <" + std::string(name) + "> child");
  }
  return child;
}

Result<uint32_t> requireUint32(const XmlElement& element, std::string_view name) {
  auto value = requireUnsigned(element, name);
  if (!value) {
    return value.error();
  }
  if (*value > std::numeric_limits<uint32_t>::max()) {
    return bad(element, std::string(name) + " is out of range");
  }
  return static_cast<uint32_t>(*value);
}

// xs:boolean: true/false/1/0; an absent attribute is `fallback`.
Result<bool> optionalBool(const XmlElement& element, std::string_view name, bool fallback) {
  const auto text = element.attribute(name);
  if (!text) {
    return fallback;
  }
  if (*text == "true" || *text == "1") {
    return true;
  }
  if (*text == "false" || *text == "0") {
    return false;
  }
  return bad(element, std::string(name) + " is not a boolean");
}

Result<NodeUri> requireChannel(const XmlElement& element, std::string_view name) {
  auto text = requireAttribute(element, name);
  if (!text) {
    return text.error();
  }
  return NodeUri::parse(*text, NodeKind::Channel);
}

Result<ChanId> readChanId(const XmlElement& chanid) {
  auto key = requireUint32(chanid, "key");
  auto domain = requireAttribute(chanid, "domain");
  auto value = requireAttribute(chanid, "value");
  if (!key || !domain || !value) {
    return !key ? key.error() : !domain ? domain.error() : value.error();
  }
  auto uri = NodeUri::make(NodeKind::Channel, *domain, *value);
  if (!uri) {
    return uri.error();
  }
  return uri->toChanId(*key);
}

Result<PrefItem> readPref(const XmlElement& pref, bool needs_content) {
  auto label = requireAttribute(pref, "label");
  if (!label || label->empty()) {
    return bad(pref, "needs a label");
  }
  PrefItem item;
  item.label = std::string(*label);
  if (pref.attribute("seqid")) {  // absent when the client holds no copy yet
    auto seqid = requireUnsigned(pref, "seqid");
    if (!seqid) {
      return seqid.error();
    }
    item.seqid = *seqid;
  }
  auto create_default = optionalBool(pref, "createdefault", false);
  if (!create_default) {
    return create_default.error();
  }
  item.create_default = *create_default;
  if (const auto content = pref.attribute("content")) {
    if (!isBase64(*content)) {
      return bad(pref, "content is not base64");
    }
    item.content = std::string(*content);
  } else if (needs_content) {
    return bad(pref, "needs content");
  }
  return item;
}

Result<std::vector<PrefItem>> readPrefs(const XmlElement& data, bool needs_content) {
  std::vector<PrefItem> prefs;
  for (const XmlElement* pref : data.childrenNamed(xccos::kNamespace, "pref")) {
    auto item = readPref(*pref, needs_content);
    if (!item) {
      return item.error();
    }
    prefs.push_back(std::move(*item));
  }
  if (prefs.empty()) {
    return bad(data, "needs at least one <pref>");
  }
  return prefs;
}

// One parser per command; each reads `data` and returns the typed command.
Result<ClientMessage> parseServerInfo(const XmlElement& data) {
  auto sib = requireChild(data, "sib");
  if (!sib) {
    return sib.error();
  }
  auto domain = requireAttribute(**sib, "domain");
  auto info_type = requireUint32(**sib, "infoType");
  if (!domain || !info_type) {
    return !domain ? domain.error() : info_type.error();
  }
  return ClientMessage(GetServerInfoCommand{std::string(*domain), *info_type});
}

Result<ClientMessage> parseGetPref(const XmlElement& data) {
  auto prefs = readPrefs(data, false);
  if (!prefs) {
    return prefs.error();
  }
  return ClientMessage(GetPrefCommand{std::move(*prefs)});
}

Result<ClientMessage> parseSetPref(const XmlElement& data) {
  auto prefs = readPrefs(data, true);
  if (!prefs) {
    return prefs.error();
  }
  return ClientMessage(SetPrefCommand{std::move(*prefs)});
}

Result<ClientMessage> parseGetInvitations(const XmlElement& data) {
  auto inv = requireChild(data, "inv");
  if (!inv) {
    return inv.error();
  }
  auto invite_id = requireUnsigned(**inv, "inviteId");
  auto domain = requireAttribute(**inv, "domain");
  if (!invite_id || !domain) {
    return !invite_id ? invite_id.error() : domain.error();
  }
  return ClientMessage(GetInvitationsCommand{*invite_id, std::string(*domain)});
}

Result<std::vector<ChanId>> readChanIds(const XmlElement& data) {
  std::vector<ChanId> ids;
  for (const XmlElement* chanid : data.childrenNamed(xccos::kNamespace, "chanid")) {
    auto id = readChanId(*chanid);
    if (!id) {
      return id.error();
    }
    ids.push_back(std::move(*id));
  }
  if (ids.empty()) {
    return bad(data, "needs at least one <chanid>");
  }
  return ids;
}

Result<ClientMessage> parseBatchJoin(const XmlElement& data) {
  auto ids = readChanIds(data);
  if (!ids) {
    return ids.error();
  }
  return ClientMessage(BatchJoinCommand{std::move(*ids)});
}

Result<ClientMessage> parseJoin(const XmlElement& data) {
  auto ids = readChanIds(data);
  if (!ids) {
    return ids.error();
  }
  if (ids->size() != 1) {
    return bad(data, "of cmd:join needs exactly one <chanid> (use cmd:bjoin for more)");
  }
  return ClientMessage(JoinCommand{std::move(ids->front())});
}

Result<ClientMessage> parsePart(const XmlElement& data) {
  auto chanib = requireChild(data, "chanib");
  if (!chanib) {
    return chanib.error();
  }
  auto channel = requireChannel(**chanib, "uri");
  if (!channel) {
    return channel.error();
  }
  return ClientMessage(PartCommand{std::move(*channel)});
}

Result<ClientMessage> parseSearch(const XmlElement& data) {
  auto qib = requireChild(data, "qib");
  if (!qib) {
    return qib.error();
  }
  auto qtype = requireAttribute(**qib, "qtype");
  if (!qtype || qtype->empty()) {
    return bad(**qib, "needs a qtype");
  }
  auto extended = optionalBool(**qib, "extended", false);
  if (!extended) {
    return extended.error();
  }
  const std::string criteria(((*qib)->attribute("criteria")).value_or(""));
  ChannelSearchCommand command{std::string(*qtype), criteria, *extended, {}, {}};
  if ((*qib)->attribute("cnt")) {
    auto count = requireUint32(**qib, "cnt");
    if (!count) {
      return count.error();
    }
    command.count = *count;
  }
  if ((*qib)->attribute("after")) {
    auto after = requireChannel(**qib, "after");
    if (!after) {
      return after.error();
    }
    command.after = std::move(*after);
  }
  return ClientMessage(std::move(command));
}

Result<ClientMessage> parseBackchat(const XmlElement& data) {
  auto chanib = requireChild(data, "chanib");
  auto bcq = requireChild(data, "bcq");
  if (!chanib || !bcq) {
    return !chanib ? chanib.error() : bcq.error();
  }
  auto channel = requireChannel(**chanib, "uri");
  if (!channel) {
    return channel.error();
  }
  // Only <last cnt/> is known (sipe); any other query form is refused, not guessed.
  auto last = requireChild(**bcq, "last");
  if (!last) {
    return last.error();
  }
  auto count = requireUint32(**last, "cnt");
  if (!count) {
    return count.error();
  }
  BackchatCommand command{std::move(*channel), *count, {}};
  if ((*last)->attribute("before")) {
    auto before = requireUnsigned(**last, "before");
    if (!before) {
      return before.error();
    }
    if (*before > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return bad(**last, "before is out of range");
    }
    command.before = static_cast<int64_t>(*before);
  }
  return ClientMessage(std::move(command));
}

Result<ClientMessage> parseFileToken(const XmlElement& data, FileTokenCommand::Direction dir) {
  auto ftdb = requireChild(data, "ftdb");
  if (!ftdb) {
    return ftdb.error();
  }
  auto channel = requireChannel(**ftdb, "channelUri");
  auto file_url = requireAttribute(**ftdb, "fileUrl");
  if (!channel || !file_url) {
    return !channel ? channel.error() : file_url.error();
  }
  if (file_url->empty()) {
    return bad(**ftdb, "needs a non-empty fileUrl");
  }
  return ClientMessage(FileTokenCommand{dir, std::move(*channel), std::string(*file_url)});
}

Result<ClientMessage> parseRequestUri(const XmlElement&) {
  return ClientMessage(RequestUriCommand{});
}
Result<ClientMessage> parseCreatePermission(const XmlElement&) {
  return ClientMessage(CreateChildPermissionCommand{});
}
Result<ClientMessage> parseUploadToken(const XmlElement& data) {
  return parseFileToken(data, FileTokenCommand::Direction::Upload);
}
Result<ClientMessage> parseDownloadToken(const XmlElement& data) {
  return parseFileToken(data, FileTokenCommand::Direction::Download);
}

struct CommandParser {
  std::string_view name;
  Result<ClientMessage> (*parse)(const XmlElement& data);
};

constexpr CommandParser kParsers[] = {
    {"requri", parseRequestUri},
    {"getserverinfo", parseServerInfo},
    {"getpref", parseGetPref},
    {"setpref", parseSetPref},
    {"getinv", parseGetInvitations},
    {"bjoin", parseBatchJoin},
    {"join", parseJoin},
    {"part", parsePart},
    {"chansrch", parseSearch},
    {"bccontext", parseBackchat},
    {"getfutok", parseUploadToken},
    {"getfdtok", parseDownloadToken},
    {"nodespermcreatechild", parseCreatePermission},
};

const XmlElement& emptyData() {
  static const XmlElement empty{std::string(xccos::kNamespace), "data", {}, {}, {}};
  return empty;
}

}  // namespace

proxy::Result<std::string_view> requireAttribute(const XmlElement& element, std::string_view name) {
  const auto value = element.attribute(name);
  if (!value) {
    return bad(element, "needs a " + std::string(name) + " attribute");
  }
  return *value;
}

proxy::Result<uint64_t> requireUnsigned(const XmlElement& element, std::string_view name) {
  auto text = requireAttribute(element, name);
  if (!text) {
    return text.error();
  }
  const auto value = proxy::parseUnsigned<uint64_t>(*text);
  if (!value) {
    return bad(element,
               std::string(name) + " is not an unsigned number: '" + std::string(*text) + "'");
  }
  return *value;
}

ClientMessage decodeCommandData(std::string_view name, const XmlElement* data) {
  for (const CommandParser& parser : kParsers) {
    if (parser.name == name) {
      auto message = parser.parse(data != nullptr ? *data : emptyData());
      if (!message) {
        return InvalidCommand{std::string(name), message.error().detail};
      }
      return std::move(*message);
    }
  }
  return UnknownCommand{std::string(name)};
}

}  // namespace core::groupchat::detail
