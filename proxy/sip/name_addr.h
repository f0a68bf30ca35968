// SPDX-License-Identifier: Apache-2.0
// name-addr / addr-spec values of From, To, Contact, Route, Record-Route
// (RFC 3261 §20.10, §25.1), plus Via and CSeq. All views into the header
// value they were parsed from, which must outlive them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/uri.h"

namespace proxy::sip {

class NameAddr {
 public:
  // Accepts `"Display" <uri>;params`, `Display <uri>;params` and bare addr-spec
  // (in which case ;params after the URI are header params, per RFC 3261 §20).
  static Result<NameAddr> parse(std::string_view text);

  // Without the quotes; quoted-pair escapes (\") are left as received.
  std::string_view displayName() const { return display_; }
  const Uri& uri() const { return uri_; }
  std::string_view uriText() const { return uri_text_; }  // the text inside <...>
  std::span<const Param> paramList() const { return params_.span(); }
  // The same as a vector (made on first use; see ParamList::vector()).
  const std::vector<Param>& params() const { return params_.vector(); }
  const Param* param(std::string_view name) const { return findParam(params_.span(), name); }
  std::string_view tag() const;  // "" when absent
  bool isWildcard() const { return wildcard_; }  // Contact: *

 private:
  // Each step returns nullptr, or why the text is malformed (the 400 detail).
  const char* parseText(std::string_view text);
  const char* parseBracketed(std::string_view text, size_t& i);
  const char* parseAddrSpec(std::string_view text, size_t& i);

  std::string_view display_, uri_text_;
  Uri uri_;
  ParamList params_;
  bool wildcard_ = false;
};

class Via {
 public:
  // One via-parm: "SIP/2.0/UDP host:port;branch=...;received=...;rport".
  static Result<Via> parse(std::string_view text);

  std::string_view protocol() const { return protocol_; }    // "SIP/2.0"
  std::string_view transport() const { return transport_; }  // "UDP", "TCP", "TLS", ...
  std::string_view host() const { return host_; }
  uint16_t port() const { return port_; }  // 0 when absent
  std::span<const Param> paramList() const { return params_.span(); }
  // The same as a vector (made on first use; see ParamList::vector()).
  const std::vector<Param>& params() const { return params_.vector(); }
  const Param* param(std::string_view name) const { return findParam(params_.span(), name); }
  std::string_view branch() const { return branch_; }  // "" when absent
  bool hasRport() const { return param("rport") != nullptr; }

 private:
  // Each step returns nullptr, or why the text is malformed (the 400 detail).
  const char* parseText(std::string_view text);
  const char* parseSentBy(std::string_view text, size_t& i);

  std::string_view protocol_, transport_, host_, branch_;
  uint16_t port_ = 0;
  ParamList params_;
};

struct CSeq {
  uint32_t number = 0;
  std::string_view method;
  static Result<CSeq> parse(std::string_view text);  // rejects > 2^32-1 (RFC 4475 scalar02)
};

}  // namespace proxy::sip
