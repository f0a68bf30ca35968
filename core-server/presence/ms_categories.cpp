// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/ms_categories.h"

#include "core-server/presence/namespaces.h"
#include "core-server/presence/timestamp.h"
#include "core-server/presence/xml_fragment.h"
#include "core-server/presence/xml_tree.h"
#include "proxy/base/strings.h"

namespace core::presence {
namespace {

using proxy::makeError;
using proxy::Result;
using proxy::trim;

std::string trimmedText(const XmlElement& e) { return std::string(trim(e.text())); }

std::string attr(const XmlElement& e, std::string_view name) {
  return std::string(e.attribute(name).value_or(""));
}

bool isTrue(std::optional<std::string_view> v) { return v && proxy::iequals(trim(*v), "true"); }

int64_t timeAttr(const XmlElement& e, std::string_view name) {
  return parseRfc3339(trim(e.attribute(name).value_or(""))).value_or(0);
}

// A whole unsigned number attribute; nullopt if absent, an error if malformed.
Result<std::optional<uint32_t>> numberAttr(const XmlElement& e, std::string_view name,
                                           const std::string& where) {
  const auto raw = e.attribute(name);
  if (!raw) {
    return std::optional<uint32_t>();
  }
  const auto n = proxy::parseUnsigned<uint32_t>(trim(*raw));
  if (!n) {
    return makeError(400, where + ": " + std::string(name) + "=\"" + std::string(*raw) +
                              "\" is not an unsigned 32-bit number");
  }
  return std::optional<uint32_t>(*n);
}

StateKind kindOf(std::string_view type) {
  if (type == "userState") {
    return StateKind::User;
  }
  if (type == "machineState") {
    return StateKind::Machine;
  }
  if (type == "calendarState") {
    return StateKind::Calendar;
  }
  if (type == "phoneState") {
    return StateKind::Phone;
  }
  if (type == "aggregateState") {
    return StateKind::Aggregate;
  }
  return StateKind::Other;
}

Activity parseActivity(const XmlElement& e) {
  Activity a;
  a.token = std::string(trim(e.attribute("token").value_or("")));
  a.min_availability =
      proxy::parseUnsigned<uint32_t>(trim(e.attribute("minAvailability").value_or(""))).value_or(0);
  a.max_availability =
      proxy::parseUnsigned<uint32_t>(trim(e.attribute("maxAvailability").value_or(""))).value_or(0);
  if (auto custom = e.firstChild(ns::kMsState, "custom")) {
    a.custom = trimmedText(*custom);
    a.custom_lang = attr(*custom, "lang");
  }
  return a;
}

Result<MsState> parseState(const XmlElement& e, const std::string& where) {
  MsState s;
  std::string_view type = e.attribute("type", ns::kXsi).value_or("");
  if (const size_t colon = type.find(':'); colon != std::string_view::npos) {
    type.remove_prefix(colon + 1);  // "st:userState" -> "userState"
  }
  s.type = std::string(type);
  s.kind = kindOf(type);
  s.manual = isTrue(e.attribute("manual"));
  s.start_time = timeAttr(e, "startTime");
  s.last_active = timeAttr(e, "lastActive");
  for (XmlElement child : e.children()) {
    if (child.ns() != ns::kMsState) {
      continue;  // extensions (ct:delimiter, ct:extension) stay in the raw payload
    }
    if (child.local() == "availability") {
      const auto n = proxy::parseUnsigned<uint32_t>(trimmedText(child));
      if (!n) {
        return makeError(400, where + ": <availability> is not an unsigned number");
      }
      s.availability = *n;
    } else if (child.local() == "activity") {
      s.activity = parseActivity(child);
    } else if (child.local() == "endpointLocation") {
      s.endpoint_location = trimmedText(child);
    } else if (child.local() == "meetingSubject") {
      s.meeting_subject = trimmedText(child);
    } else if (child.local() == "meetingLocation") {
      s.meeting_location = trimmedText(child);
    } else if (child.local() == "device") {
      s.device = trimmedText(child);
    }
  }
  return s;
}

std::optional<Note> parseNote(const XmlElement& e) {
  const auto body = e.firstChild(ns::kMsNote, "body");
  if (!body) {
    return std::nullopt;  // <note/> without a body clears the note
  }
  Note n;
  n.text = trimmedText(*body);
  n.lang = attr(*body, "lang");
  n.type = proxy::iequals(attr(*body, "type"), "OOF") ? NoteType::OutOfOffice : NoteType::Personal;
  n.start = timeAttr(*body, "startTime");
  n.end = timeAttr(*body, "endTime");
  return n;
}

// A media capability counts when the endpoint can capture or render it.
bool mediaFlag(const XmlElement& e) {
  return isTrue(e.attribute("capture")) || isTrue(e.attribute("render"));
}

DeviceInfo parseDevice(const XmlElement& e) {
  DeviceInfo d;
  d.endpoint_id = attr(e, "endpointId");
  for (XmlElement child : e.children()) {
    if (child.is(ns::kMsDevice, "capabilities")) {
      d.contact = attr(child, "uri");
      d.caps.im = false;  // a capabilities list names everything the device does
      d.caps.voice = false;
      d.caps.video = false;
      for (XmlElement cap : child.children()) {
        if (cap.is(ns::kMsDevice, "text")) {
          d.caps.im = mediaFlag(cap);
        } else if (cap.is(ns::kMsDevice, "voice")) {
          d.caps.voice = mediaFlag(cap);
        } else if (cap.is(ns::kMsDevice, "video")) {
          d.caps.video = mediaFlag(cap);
        }
      }
    } else if (child.is(ns::kMsDevice, "timezone")) {
      d.timezone = trimmedText(child);
    } else if (child.is(ns::kMsDevice, "machineName")) {
      d.device_name = trimmedText(child);
    }
  }
  return d;
}

// The modelled categories must use their MS namespace: anything else is a
// client bug we would otherwise silently misread.
Result<void> requirePayload(const XmlElement& payload, std::string_view ns, std::string_view local,
                            const std::string& where) {
  if (!payload.is(ns, local)) {
    return makeError(400, where + ": payload must be {" + std::string(ns) + "}" +
                              std::string(local) + ", got " + payload.expandedName());
  }
  return {};
}

Result<void> decodePayload(const XmlElement& holder, CategoryPublication& pub,
                           const std::string& where) {
  std::optional<XmlElement> payload;
  for (XmlElement child : holder.children()) {
    payload = child;
    break;
  }
  if (!payload) {
    return {};  // empty: a removal or a "cleared" category
  }
  pub.xml = serializeChildren(holder);
  if (pub.name == "state") {
    if (auto r = requirePayload(*payload, ns::kMsState, "state", where); !r) {
      return r;
    }
    auto state = parseState(*payload, where);
    if (!state) {
      return state.error();
    }
    pub.state = std::move(*state);
  } else if (pub.name == "note") {
    if (auto r = requirePayload(*payload, ns::kMsNote, "note", where); !r) {
      return r;
    }
    pub.note = parseNote(*payload);
  } else if (pub.name == "device") {
    if (auto r = requirePayload(*payload, ns::kMsDevice, "device", where); !r) {
      return r;
    }
    pub.device = parseDevice(*payload);
  }
  return {};
}

Result<ExpireType> parseExpireType(std::string_view s, const std::string& where) {
  if (s == "static") {
    return ExpireType::Static;
  }
  if (s == "endpoint") {
    return ExpireType::Endpoint;
  }
  if (s == "user") {
    return ExpireType::User;
  }
  if (s == "time") {
    return ExpireType::Time;
  }
  return makeError(400, where + ": unknown expireType \"" + std::string(s) + "\"");
}

struct NumberField {
  std::string_view name;
  uint32_t* target;
};

Result<CategoryPublication> parsePublication(const XmlElement& e, size_t index) {
  const std::string where = "msrtc publish: publication " + std::to_string(index);
  CategoryPublication pub;
  pub.name = attr(e, "categoryName");
  if (pub.name.empty()) {
    return makeError(400, where + ": missing categoryName");
  }
  const std::string named = where + " (" + pub.name + ")";
  for (const NumberField f :
       {NumberField{"instance", &pub.instance}, NumberField{"container", &pub.container},
        NumberField{"version", &pub.version}}) {
    auto n = numberAttr(e, f.name, named);
    if (!n) {
      return n.error();
    }
    if (!*n) {
      return makeError(400, named + ": missing " + std::string(f.name));
    }
    *f.target = **n;
  }
  const auto expire_type = e.attribute("expireType");
  if (!expire_type) {
    return makeError(400, named + ": missing expireType");
  }
  auto type = parseExpireType(trim(*expire_type), named);
  if (!type) {
    return type.error();
  }
  pub.expire_type = *type;
  auto expires = numberAttr(e, "expires", named);
  if (!expires) {
    return expires.error();
  }
  pub.expires = *expires;
  if (auto r = decodePayload(e, pub, named); !r) {
    return r.error();
  }
  return pub;
}

Result<CategoryPublication> parseCategory(const XmlElement& e, size_t index) {
  const std::string where = "msrtc categories: category " + std::to_string(index);
  CategoryPublication cat;
  cat.name = attr(e, "name");
  if (cat.name.empty()) {
    return makeError(400, where + ": missing name");
  }
  const std::string named = where + " (" + cat.name + ")";
  for (const NumberField f :
       {NumberField{"instance", &cat.instance}, NumberField{"container", &cat.container},
        NumberField{"version", &cat.version}}) {
    auto n = numberAttr(e, f.name, named);
    if (!n) {
      return n.error();
    }
    *f.target = n->value_or(0);
  }
  cat.publish_time = timeAttr(e, "publishTime");
  if (auto r = decodePayload(e, cat, named); !r) {
    return r.error();
  }
  return cat;
}

}  // namespace

std::string_view expireTypeName(ExpireType type) {
  switch (type) {
    case ExpireType::Static:
      return "static";
    case ExpireType::Endpoint:
      return "endpoint";
    case ExpireType::User:
      return "user";
    case ExpireType::Time:
      return "time";
  }
  return "static";
}

Result<CategoryPublish> parseCategoryPublish(std::string_view xml, const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kMsRichPresence, "publish")) {
    return makeError(400, "msrtc publish: root element must be {" +
                              std::string(ns::kMsRichPresence) + "}publish, got " +
                              root.expandedName());
  }
  const auto publications = root.firstChild(ns::kMsRichPresence, "publications");
  if (!publications) {
    return makeError(400, "msrtc publish: no <publications> element");
  }
  CategoryPublish out;
  out.uri = attr(*publications, "uri");
  size_t index = 0;
  for (XmlElement e : publications->children()) {
    if (!e.is(ns::kMsRichPresence, "publication")) {
      continue;
    }
    auto pub = parsePublication(e, ++index);  // 1-based, as the 409 fault counts them
    if (!pub) {
      return pub.error();
    }
    out.publications.push_back(std::move(*pub));
  }
  return out;
}

Result<CategoriesDocument> parseCategories(std::string_view xml, const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kMsCategories, "categories")) {
    return makeError(400, "msrtc categories: root element must be {" +
                              std::string(ns::kMsCategories) + "}categories, got " +
                              root.expandedName());
  }
  CategoriesDocument out;
  out.uri = attr(root, "uri");
  size_t index = 0;
  for (XmlElement e : root.children()) {
    if (!e.is(ns::kMsCategories, "category")) {
      continue;
    }
    auto cat = parseCategory(e, ++index);
    if (!cat) {
      return cat.error();
    }
    out.categories.push_back(std::move(*cat));
  }
  return out;
}

}  // namespace core::presence
