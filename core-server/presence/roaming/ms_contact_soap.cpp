// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/ms_contact_soap.h"

#include <array>
#include <utility>

#include "core-server/presence/roaming/roaming_namespaces.h"
#include "core-server/presence/xml_fragment.h"
#include "core-server/presence/xml_tree.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/strings.h"

namespace core::presence::roaming {
namespace {

using proxy::makeError;
using proxy::Result;

constexpr std::array<std::pair<std::string_view, ContactSoapMethod>, 5> kMethods = {{
    {"setContact", ContactSoapMethod::SetContact},
    {"deleteContact", ContactSoapMethod::DeleteContact},
    {"addGroup", ContactSoapMethod::AddGroup},
    {"modifyGroup", ContactSoapMethod::ModifyGroup},
    {"deleteGroup", ContactSoapMethod::DeleteGroup},
}};

// MS-SIP methods that exist but that this server does not implement.
constexpr std::array<std::string_view, 2> kUnsupported = {"setACE", "directorySearch"};

std::optional<XmlElement> param(const XmlElement& method, std::string_view name) {
  return method.firstChild(ns::kWinRtcSip, name);
}

std::string paramText(const XmlElement& method, std::string_view name) {
  auto e = param(method, name);
  return e ? std::string(proxy::trim(e->text())) : std::string();
}

Result<std::string> requiredText(const XmlElement& method, std::string_view name) {
  auto e = param(method, name);
  if (!e) {
    return makeError(
        400, "SOAP " + std::string(method.local()) + ": missing <m:" + std::string(name) + ">");
  }
  std::string text(proxy::trim(e->text()));
  if (text.empty()) {
    return makeError(
        400, "SOAP " + std::string(method.local()) + ": empty <m:" + std::string(name) + ">");
  }
  return text;
}

Result<uint32_t> requiredNumber(const XmlElement& method, std::string_view name) {
  auto text = requiredText(method, name);
  if (!text) {
    return text.error();
  }
  auto n = proxy::parseUnsigned<uint32_t>(*text);
  if (!n) {
    return makeError(400, "SOAP " + std::string(method.local()) + ": <m:" + std::string(name) +
                              "> is not a number");
  }
  return *n;
}

Result<void> parseGroupIds(std::string_view text, std::vector<uint32_t>& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && proxy::isLws(text[pos])) {
      ++pos;
    }
    size_t end = pos;
    while (end < text.size() && !proxy::isLws(text[end])) {
      ++end;
    }
    if (end > pos) {
      auto id = proxy::parseUnsigned<uint32_t>(text.substr(pos, end - pos));
      if (!id) {
        return makeError(400, "SOAP setContact: <m:groups> holds a non-numeric group id");
      }
      out.push_back(*id);
    }
    pos = end;
  }
  return {};
}

Result<bool> parseBool(std::string_view text) {
  if (text.empty() || text == "true" || text == "1") {
    return true;  // MS-SIP: subscribed is required; absent reads as the usual "true"
  }
  if (text == "false" || text == "0") {
    return false;
  }
  return makeError(400, "SOAP setContact: <m:subscribed> is not a boolean");
}

Result<void> parseSetContact(const XmlElement& m, ContactSoapRequest& out) {
  auto uri = requiredText(m, "URI");
  if (!uri) {
    return uri.error();
  }
  out.contact.uri = std::move(*uri);
  if (auto e = param(m, "displayName")) {
    out.contact.name = e->text();  // keep the alias as typed, spaces included
  }
  if (auto r = parseGroupIds(paramText(m, "groups"), out.contact.groups); !r) {
    return r;
  }
  auto subscribed = parseBool(paramText(m, "subscribed"));
  if (!subscribed) {
    return subscribed.error();
  }
  out.contact.subscribed = *subscribed;
  out.contact.external_uri = paramText(m, "externalURI");
  if (auto ext = param(m, "contactExtension")) {
    out.contact.extension = serializeChildren(*ext);
  }
  return {};
}

Result<void> parseMethod(const XmlElement& m, ContactSoapRequest& out) {
  switch (out.method) {
    case ContactSoapMethod::SetContact:
      return parseSetContact(m, out);
    case ContactSoapMethod::DeleteContact: {
      auto uri = requiredText(m, "URI");
      if (!uri) {
        return uri.error();
      }
      out.uri = std::move(*uri);
      return {};
    }
    case ContactSoapMethod::ModifyGroup:
    case ContactSoapMethod::DeleteGroup: {
      auto id = requiredNumber(m, "groupID");
      if (!id) {
        return id.error();
      }
      out.group_id = *id;
      if (out.method == ContactSoapMethod::DeleteGroup) {
        return {};
      }
      [[fallthrough]];
    }
    case ContactSoapMethod::AddGroup: {
      auto e = param(m, "name");
      if (!e) {
        return makeError(400, "SOAP " + std::string(m.local()) + ": missing <m:name>");
      }
      out.group_name = e->text();
      out.external_uri = paramText(m, "externalURI");
      return {};
    }
  }
  return {};
}

}  // namespace

std::string_view contactSoapMethodName(ContactSoapMethod method) {
  for (const auto& [name, value] : kMethods) {
    if (value == method) {
      return name;
    }
  }
  return "unknown";
}

Result<ContactSoapRequest> parseContactSoap(std::string_view xml, const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kSoapEnvelope, "Envelope")) {
    return makeError(400, "SOAP: root element must be {" + std::string(ns::kSoapEnvelope) +
                              "}Envelope, got " + root.expandedName());
  }
  auto body = root.firstChild(ns::kSoapEnvelope, "Body");
  if (!body) {
    return makeError(400, "SOAP: Envelope without Body");
  }
  std::optional<XmlElement> method;
  for (XmlElement e : body->children()) {
    method = e;
    break;
  }
  if (!method) {
    return makeError(400, "SOAP: empty Body");
  }
  if (method->ns() != ns::kWinRtcSip) {
    return makeError(400, "SOAP: method must be in namespace " + std::string(ns::kWinRtcSip) +
                              ", got " + method->expandedName());
  }
  ContactSoapRequest out;
  bool known = false;
  for (const auto& [name, value] : kMethods) {
    if (method->local() == name) {
      out.method = value;
      known = true;
    }
  }
  if (!known) {
    for (std::string_view name : kUnsupported) {
      if (method->local() == name) {
        return makeError(501, "SOAP method " + std::string(name) + " is not supported");
      }
    }
    return makeError(400, "SOAP: unknown method " + std::string(method->local()));
  }
  if (auto e = param(*method, "deltaNum")) {
    auto n = proxy::parseUnsigned<uint32_t>(proxy::trim(e->text()));
    if (!n) {
      return makeError(400, "SOAP: <m:deltaNum> is not a number");
    }
    out.delta_num = *n;
  }
  if (auto r = parseMethod(*method, out); !r) {
    return r.error();
  }
  return out;
}

std::string renderAddGroupResponse(uint32_t group_id) {
  std::string out;
  XmlWriter w(out);
  w.open("SOAP-ENV:Envelope");
  w.attribute("xmlns:SOAP-ENV", ns::kSoapEnvelope);
  w.open("SOAP-ENV:Body");
  w.open("m:addGroup");
  w.attribute("xmlns:m", ns::kWinRtcSip);
  w.leaf("m:groupID", std::to_string(group_id));
  w.close();
  w.close();
  w.close();
  return out;
}

Result<ContactSoapOutcome> applyContactSoap(ContactList& list, const ContactSoapRequest& request,
                                            const ContactListLimits& limits) {
  ContactSoapOutcome outcome;
  Result<ContactListDelta> delta = ContactListDelta{};
  switch (request.method) {
    case ContactSoapMethod::SetContact:
      delta = list.setContact(request.contact, limits);
      break;
    case ContactSoapMethod::DeleteContact:
      delta = list.deleteContact(request.uri);
      break;
    case ContactSoapMethod::AddGroup:
      if (const ContactGroup* existing = list.groupByName(request.group_name)) {
        outcome.delta.delta_num = list.deltaNum();
        outcome.response_body = renderAddGroupResponse(existing->id);
        return outcome;
      }
      delta = list.addGroup(request.group_name, request.external_uri, limits);
      if (delta) {
        outcome.response_body = renderAddGroupResponse(delta->added_groups.front().id);
      }
      break;
    case ContactSoapMethod::ModifyGroup:
      delta = list.modifyGroup(request.group_id, request.group_name, request.external_uri, limits);
      break;
    case ContactSoapMethod::DeleteGroup:
      delta = list.deleteGroup(request.group_id);
      break;
  }
  if (!delta) {
    return delta.error();
  }
  outcome.delta = std::move(*delta);
  return outcome;
}

}  // namespace core::presence::roaming
