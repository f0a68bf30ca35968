// SPDX-License-Identifier: Apache-2.0
// name-addr / addr-spec (RFC 3261 §20.10, §25.1) and CSeq (§20.16) parsing.
#include "proxy/sip/name_addr.h"

#include <algorithm>
#include <limits>

#include "proxy/base/strings.h"
#include "proxy/sip/grammar.h"

namespace proxy::sip {
namespace {

using detail::isWs;
using detail::skipWs;

// display-name = *(token LWS) / quoted-string; this is the unquoted form.
bool isTokenDisplayName(std::string_view s) {
  for (char c : s) {
    if (!detail::isToken(c) && !isWs(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

// Parsed in place inside the Result (returned without a copy): a NameAddr is a
// few hundred bytes, mostly its inline parameters.
Result<NameAddr> NameAddr::parse(std::string_view text) {
  Result<NameAddr> result = NameAddr();
  if (const char* error = result->parseText(text)) {
    result = makeError(400, error);
  }
  return result;
}

const char* NameAddr::parseText(std::string_view text) {
  text = trim(text);
  if (text.empty()) {
    return "Empty address";
  }
  if (text == "*") {
    wildcard_ = true;  // Contact: * (RFC 3261 §10.2.2)
    return nullptr;
  }
  size_t i = 0;
  bool bracketed = false;
  if (text[0] == '"') {
    const size_t close = detail::findQuoteEnd(text, 0);
    if (close == std::string_view::npos) {
      return "Unterminated quoted display name";  // RFC 4475 quotbal
    }
    display_ = text.substr(1, close - 1);
    i = skipWs(text, close + 1);
    if (i >= text.size() || text[i] != '<') {
      return "Expected <URI> after display name";
    }
    bracketed = true;
  } else if (const size_t lt = text.find('<'); lt != std::string_view::npos) {
    display_ = trim(text.substr(0, lt));
    if (!isTokenDisplayName(display_)) {
      return "Invalid characters in display name";  // RFC 4475 baddn
    }
    i = lt;
    bracketed = true;
  }
  if (const char* error = bracketed ? parseBracketed(text, i) : parseAddrSpec(text, i)) {
    return error;
  }
  return detail::parseParams(text, i, params_);
}

// "<" URI ">" with no LWS inside the brackets (LAQUOT/RAQUOT, RFC 4475 badaspec).
// Folded into parseText(), its one caller: nearly every address is bracketed.
[[gnu::always_inline]] const char* NameAddr::parseBracketed(std::string_view text, size_t& i) {
  const size_t gt = text.find('>', i + 1);
  if (gt == std::string_view::npos) {
    return "Missing > in address";
  }
  uri_text_ = text.substr(i + 1, gt - i - 1);
  if (uri_text_.empty() || isWs(uri_text_.front()) || isWs(uri_text_.back())) {
    return "Whitespace inside <> in address";
  }
  i = gt + 1;
  return uri_.parseText(uri_text_);
}

// A bare addr-spec: ";params" after it are header parameters, and a URI holding
// ',', ';' or '?' must have been enclosed in <> (RFC 3261 §20.10; RFC 4475 regbadct).
const char* NameAddr::parseAddrSpec(std::string_view text, size_t& i) {
  const size_t semi = text.find(';');
  uri_text_ = trim(text.substr(0, semi));
  if (uri_text_.find_first_of("?,") != std::string_view::npos) {
    return "URI with '?' or ',' must be enclosed in <>";
  }
  i = semi == std::string_view::npos ? text.size() : semi;
  return uri_.parseText(uri_text_);
}

std::string_view NameAddr::tag() const {
  const Param* p = param("tag");
  return p == nullptr ? std::string_view() : p->value;
}

// CSeq = 1*DIGIT LWS Method. The number must fit 32 bits (RFC 3261 §8.1.1.5,
// RFC 4475 scalar02); stricter policy (< 2**31) belongs to validateRequest().
Result<CSeq> CSeq::parse(std::string_view text) {
  text = trim(text);
  // Saturates just above 2**32-1, so any longer number reads as out of range.
  constexpr uint64_t kTooBig = uint64_t{std::numeric_limits<uint32_t>::max()} + 1;
  uint64_t number = 0;
  size_t i = 0;
  while (i < text.size() && detail::isDigit(text[i])) {
    number = std::min(number * 10 + static_cast<uint64_t>(text[i] - '0'), kTooBig);
    ++i;
  }
  if (i == 0) {
    return makeError(400, "Malformed CSeq number");
  }
  if (number == kTooBig) {
    return makeError(400, "CSeq number out of range");
  }
  const size_t method_begin = skipWs(text, i);
  if (method_begin == i) {
    return makeError(400, "Malformed CSeq");
  }
  const size_t method_end = detail::scanToken(text, method_begin);
  if (method_end == method_begin || method_end != text.size()) {
    return makeError(400, "Malformed CSeq method");
  }
  CSeq cseq;
  cseq.number = static_cast<uint32_t>(number);
  cseq.method = text.substr(method_begin);
  return cseq;
}

}  // namespace proxy::sip
