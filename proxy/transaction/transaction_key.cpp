// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/transaction_key.h"

#include <charconv>
#include <cstring>

#include "proxy/base/strings.h"
#include "proxy/transaction/branch.h"

namespace proxy::transaction {
namespace {

constexpr char kSep = '\n';  // cannot occur inside an unfolded header value

void appendField(std::string& key, std::string_view field) {
  key += field;
  key += kSep;
}

}  // namespace

std::optional<std::string> legacyServerKey(const sip::SipMessage& request, std::string_view method,
                                           std::string_view to_tag) {
  // RFC 3261 §17.2.3, the RFC 2543 compatible rules.
  const auto& from = request.from();
  auto cseq = request.cseq();
  const std::string_view top_via = request.header(sip::HeaderName::Via);
  if (!from || !cseq || top_via.empty() || request.callId().empty()) {
    return std::nullopt;
  }
  std::string key = "2543";
  key += kSep;
  appendField(key, request.requestUri());
  appendField(key, from->tag());
  appendField(key, request.callId());
  appendField(key, std::to_string(cseq->number));
  appendField(key, top_via);
  appendField(key, method);
  key += to_tag;  // last, so a transaction can derive its ACK key from a prefix
  return key;
}

std::optional<std::string> serverKey(const sip::SipMessage& request, std::string_view method) {
  const auto& via = request.topVia();
  if (!via) {
    return std::nullopt;
  }
  if (!isRfc3261Branch(via->branch())) {
    const auto& to = request.to();
    if (!to) {
      return std::nullopt;
    }
    return legacyServerKey(request, method, to->tag());
  }
  // RFC 3261 §17.2.3: branch (exact), sent-by (host case-insensitive), method.
  // Measured first, then written into one buffer of that size: this runs for
  // every request.
  const std::string_view branch = via->branch();
  const std::string_view host = via->host();
  char port[8];
  auto [port_end, ec] = std::to_chars(port, port + sizeof port, via->port());
  (void)ec;  // a uint16_t always fits
  const std::string_view port_text(port, static_cast<size_t>(port_end - port));
  constexpr std::string_view kPrefix = "3261\n";
  std::string key;
  key.resize(kPrefix.size() + branch.size() + 1 + host.size() + 1 + port_text.size() + 1 +
             method.size());
  char* p = key.data();
  const auto put = [&p](std::string_view s) {
    if (!s.empty()) {  // memcpy from a null data() is undefined even for 0 octets
      std::memcpy(p, s.data(), s.size());
      p += s.size();
    }
  };
  put(kPrefix);
  put(branch);
  *p++ = kSep;
  for (char c : host) {
    *p++ = asciiLower(c);
  }
  *p++ = ':';
  put(port_text);
  *p++ = kSep;
  put(method);
  return key;
}

std::string clientKey(std::string_view branch, std::string_view method) {
  std::string key(branch);
  key += kSep;
  key += method;
  return key;
}

std::optional<std::string> clientKeyOfResponse(const sip::SipMessage& response) {
  const auto& via = response.topVia();
  auto cseq = response.cseq();
  if (!via || !cseq || via->branch().empty()) {
    return std::nullopt;
  }
  return clientKey(via->branch(), cseq->method);
}

}  // namespace proxy::transaction
