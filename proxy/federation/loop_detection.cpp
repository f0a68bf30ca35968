// SPDX-License-Identifier: Apache-2.0
#include "proxy/federation/loop_detection.h"

#include <cstdint>

#include "proxy/base/strings.h"

namespace proxy::federation {
namespace {

// FNV-1a: the hash only has to tell this request from its retargeted self.
void mix(uint64_t& h, std::string_view text) {
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  h ^= 0xff;  // field separator
  h *= 1099511628211ull;
}

std::string_view tagOf(const Result<sip::NameAddr>& header) {
  return header ? header->tag() : std::string_view();
}

}  // namespace

std::string loopHash(const sip::SipMessage& request) {
  uint64_t h = 14695981039346656037ull;
  mix(h, request.requestUri());
  mix(h, request.callId());
  mix(h, tagOf(request.from()));
  mix(h, tagOf(request.to()));
  mix(h, request.header(sip::HeaderName::CSeq));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(12, '0');
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = kHex[(h >> (4 * i)) & 0xf];
  }
  return out;
}

std::string loopViaParams(const sip::SipMessage& request) {
  return ";" + std::string(kLoopParam) + "=" + loopHash(request);
}

bool isLooping(const sip::SipMessage& request, const routing::LocalAddresses& us) {
  std::string hash;  // computed only when a Via of ours carries a hash
  for (std::string_view value : request.headers(sip::HeaderName::Via)) {
    auto via = sip::Via::parse(value);
    if (!via) {
      continue;
    }
    const sip::Param* lh = via->param(kLoopParam);
    if (lh == nullptr) {
      continue;
    }
    std::string sent_by = std::string(via->host()) + ":" + std::to_string(via->port());
    bool ours = false;
    for (auto protocol :
         {transport::Protocol::Udp, transport::Protocol::Tcp, transport::Protocol::Tls}) {
      std::string mine = us.sentBy(protocol);
      ours |= !mine.empty() && iequals(mine, sent_by);
    }
    if (!ours) {
      continue;
    }
    if (hash.empty()) {
      hash = loopHash(request);
    }
    if (lh->value == hash) {
      return true;
    }
  }
  return false;
}

}  // namespace proxy::federation
