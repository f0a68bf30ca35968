// SPDX-License-Identifier: Apache-2.0
// SIP/SIPS URIs (RFC 3261 §19.1) as views into text owned by someone else.
// A Uri never owns bytes: it must not outlive the string it was parsed from
// (normally a SipMessage's buffer). Other schemes (tel:, http:, ...) parse as
// "absolute" URIs with only scheme and the opaque rest set.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/param_list.h"

namespace proxy::sip {

// Finds a parameter by case-insensitive name; nullptr if absent.
const Param* findParam(std::span<const Param> params, std::string_view name);
const Param* findParam(const std::vector<Param>& params, std::string_view name);

class Uri {
 public:
  // Parses "sip:user:pw@host:port;params?headers". The text must outlive the Uri.
  static Result<Uri> parse(std::string_view text);

  std::string_view scheme() const { return scheme_; }  // "sip", "sips", "tel", ...
  bool isSip() const { return sip_; }                  // sip or sips
  std::string_view user() const { return user_; }      // still %-escaped
  std::string_view password() const { return password_; }
  std::string_view host() const { return host_; }      // IPv6 keeps its [brackets]
  uint16_t port() const { return port_; }              // 0 when absent
  std::span<const Param> paramList() const { return params_.span(); }
  // The same as a vector (made on first use; see ParamList::vector()).
  const std::vector<Param>& params() const { return params_.vector(); }
  const Param* param(std::string_view name) const { return findParam(params_.span(), name); }
  std::string_view headers() const { return headers_; }  // after '?', raw
  std::string_view opaque() const { return opaque_; }    // non-SIP schemes: all after ':'
  std::string_view text() const { return text_; }

  // "user@host" with the user unescaped and the host lowercased: the key the
  // registrar and location service use. "host" alone when there is no user.
  std::string aor() const;

  // RFC 3261 §19.1.4 comparison (scheme, escapes, case rules, transport/user/ttl/
  // method/maddr parameters, headers).
  bool equivalent(const Uri& other) const;

 private:
  friend class NameAddr;  // parses its URI in place

  // Each step returns nullptr, or why the text is malformed (the 400 detail).
  const char* parseText(std::string_view text);
  const char* parseSipPart(std::string_view rest);
  const char* parseSipComponents(std::string_view rest);
  const char* parseHostPort(std::string_view rest, size_t& i);

  std::string_view text_, scheme_, user_, password_, host_, headers_, opaque_;
  uint16_t port_ = 0;
  bool sip_ = false;
  ParamList params_;
};

// Decodes %HH escapes; invalid escapes are kept literally (RFC 4475 esc02).
std::string unescape(std::string_view s);

}  // namespace proxy::sip
