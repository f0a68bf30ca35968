// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/topology.h"

#include <vector>

#include "proxy/base/strings.h"
#include "proxy/routing/record_route.h"
#include "proxy/sip/name_addr.h"

namespace proxy::federation {
namespace {

std::string_view transportParam(transport::Protocol protocol) {
  switch (protocol) {
    case transport::Protocol::Udp:
      return "udp";
    case transport::Protocol::Tcp:
      return "tcp";
    case transport::Protocol::Tls:
      return "tls";
  }
  return "tcp";
}

void appendParams(std::string& out, std::span<const sip::Param> params) {
  for (const sip::Param& p : params) {
    out += ';';
    out += p.name;
    if (p.has_value) {
      out += '=';
      if (p.quoted) {
        out += '"';
      }
      out += p.value;
      if (p.quoted) {
        out += '"';
      }
    }
  }
}

// "a, ms-benotify, b" without the ms-* tags; "" when none is left.
std::string withoutMicrosoftTags(std::string_view value) {
  std::string out;
  appendListItems(out, value, [](std::string_view tag) { return !isMicrosoftHeader(tag); });
  return out;
}

bool credentialsForRealm(std::string_view value, std::string_view realm) {
  size_t at = 0;
  std::string lower = toLower(value);
  std::string needle = "realm=";
  while ((at = lower.find(needle, at)) != std::string::npos) {
    std::string_view rest = std::string_view(value).substr(at + needle.size());
    if (rest.starts_with('"')) {
      rest.remove_prefix(1);
    }
    if (iequals(rest.substr(0, realm.size()), realm) &&
        (rest.size() == realm.size() || rest[realm.size()] == '"' || rest[realm.size()] == ',' ||
         rest[realm.size()] == ' ')) {
      return true;
    }
    at += needle.size();
  }
  return false;
}

}  // namespace

std::optional<std::string> encodeContact(std::string_view contact,
                                         const routing::LocalAddresses& us,
                                         transport::Protocol protocol) {
  auto parsed = sip::NameAddr::parse(contact);
  if (!parsed || parsed->isWildcard() || !parsed->uri().isSip() || us.isUs(parsed->uri())) {
    return std::nullopt;
  }
  std::string edge = us.sentBy(protocol);
  if (edge.empty()) {
    return std::nullopt;
  }
  const sip::Uri& uri = parsed->uri();
  std::string out;
  if (!parsed->displayName().empty()) {
    out += '"';
    out += parsed->displayName();  // escapes kept as received
    out += "\" ";
  }
  out += '<';
  out += uri.scheme();
  out += ':';
  if (!uri.user().empty()) {
    out += uri.user();
    out += '@';
  }
  out += edge;
  out += ";transport=";
  out += transportParam(protocol);
  out += ';';
  out += kContactParam;
  out += '=';
  out += routing::sealText(parsed->uriText());
  out += '>';
  appendParams(out, parsed->paramList());
  return out;
}

std::optional<std::string> decodeContactUri(const sip::Uri& uri,
                                            const routing::LocalAddresses& us) {
  const sip::Param* fc = uri.param(kContactParam);
  if (fc == nullptr || !us.isUs(uri)) {
    return std::nullopt;
  }
  auto original = routing::openText(fc->value);
  if (!original || !sip::Uri::parse(*original)) {
    return std::nullopt;
  }
  return original;
}

bool isMicrosoftHeader(std::string_view name) {
  return name.size() > 3 && (iequals(name.substr(0, 3), "ms-") ||
                             (name.size() > 5 && iequals(name.substr(0, 5), "x-ms-")));
}

void rewriteForPeer(sip::SipMessage& message, const PeerRewrite& how) {
  const bool standard = how.dialect == config::PeerDialect::Standard;
  // Edited in place, header name by header name: a field without an id (the
  // ms-* extensions) can only go with all Other fields, which are put back.
  // Nothing is parsed again, so nothing can fail and leave the message as it was.
  struct Edit {
    sip::HeaderName id;
    bool changed = false;
    std::vector<std::string> names, values;  // what stays, in wire order
  };
  std::vector<Edit> edits;
  auto editOf = [&edits](sip::HeaderName id) -> Edit& {
    for (Edit& e : edits) {
      if (e.id == id) {
        return e;
      }
    }
    return edits.emplace_back(Edit{id, false, {}, {}});
  };
  for (const sip::HeaderField& f : message.fields()) {
    std::optional<std::string> value;  // set: the field stays with this value
    switch (f.id) {
      case sip::HeaderName::Via:
        if (!how.hide_topology || !message.isRequest()) {
          continue;
        }
        break;  // ours goes on top when it is sent; see Target::restore_vias
      case sip::HeaderName::Contact:
        if (!how.hide_topology || how.us == nullptr) {
          continue;
        }
        value = encodeContact(f.value, *how.us, how.protocol);
        if (!value) {
          value = std::string(f.value);  // already ours, or not a SIP URI
        }
        break;
      case sip::HeaderName::Authorization:
      case sip::HeaderName::ProxyAuthorization:
        if (!credentialsForRealm(f.value, how.realm)) {
          value = std::string(f.value);  // our credentials end at our edge (RFC 3261 §22.3)
        }
        break;
      case sip::HeaderName::Supported:
      case sip::HeaderName::Require:
      case sip::HeaderName::ProxyRequire:
        if (!standard) {
          continue;
        }
        if (std::string tags = withoutMicrosoftTags(f.value); !tags.empty()) {
          value = std::move(tags);
        }
        break;
      case sip::HeaderName::MsKeepAlive:
        if (!standard) {
          continue;
        }
        break;
      case sip::HeaderName::Other:
        if (!standard) {
          continue;
        }
        if (!isMicrosoftHeader(f.name)) {
          value = std::string(f.value);
        }
        break;
      default:
        continue;
    }
    Edit& edit = editOf(f.id);
    edit.changed |= !value || *value != f.value;
    if (value) {
      edit.names.emplace_back(f.name);
      edit.values.push_back(std::move(*value));
    }
  }
  for (Edit& edit : edits) {
    if (!edit.changed) {
      continue;
    }
    if (edit.values.empty() || edit.id == sip::HeaderName::Other) {
      message.removeAll(edit.id);  // the kept extension headers go back below, at the end
    } else {
      message.setHeader(edit.id, std::move(edit.values.front()));  // keeps the first's place
    }
    for (size_t i = edit.id == sip::HeaderName::Other ? 0 : 1; i < edit.values.size(); ++i) {
      if (edit.id == sip::HeaderName::Other) {
        message.appendHeader(std::string_view(edit.names[i]), std::move(edit.values[i]));
      } else {
        message.appendHeader(edit.id, std::move(edit.values[i]));  // after the first
      }
    }
  }
}

}  // namespace proxy::federation
