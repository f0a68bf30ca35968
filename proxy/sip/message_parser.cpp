// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/message_parser.h"

#include <algorithm>
#include <cstring>

#include "proxy/base/strings.h"
#include "proxy/sip/grammar.h"

namespace proxy::sip {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// Room for the fields of a message of `size` octets, in one allocation for
// typical messages: about one field per 32 octets, plus a few for the edits a
// proxy makes (Via, Record-Route). Capped so the block stays small enough for
// glibc's per-thread cache (1 KiB); a message with more fields grows the vector.
size_t expectedFields(size_t size) {
  constexpr size_t kTypicalLine = 32;
  constexpr size_t kRoomForEdits = 4;
  constexpr size_t kMaxReserve = 1000 / sizeof(HeaderField);
  return std::min(size / kTypicalLine + kRoomForEdits, kMaxReserve);
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Request-URI = SIP-URI / SIPS-URI / absoluteURI: a scheme, ':' and printable
// non-space characters; never "<...>" (RFC 3261 §7.1, RFC 4475 ltgtruri).
bool looksLikeRequestUri(std::string_view uri) {
  if (uri.empty() || !detail::is(uri[0], detail::kAlpha)) {
    return false;
  }
  size_t i = 1;
  while (i < uri.size() && detail::is(uri[i], detail::kSchemeChar)) {
    ++i;
  }
  if (i >= uri.size() - 1 || uri[i] != ':') {
    return false;
  }
  for (char c : uri) {
    if (!detail::is(c, detail::kOpaqueChar) || static_cast<unsigned char>(c) >= 0x80) {
      return false;
    }
  }
  return true;
}

}  // namespace

Parser::Parser(SipMessage& msg, const ParseLimits& limits)
    : msg_(msg), limits_(limits), buf_(msg.bytes_.get()), size_(msg.size_) {}

Result<void> Parser::run(SipMessage& msg, const ParseLimits& limits) {
  Parser parser(msg, limits);
  if (!parser.parseAll()) {
    return makeError(parser.error_status_, parser.error_detail_);
  }
  return {};
}

bool Parser::failExactly(int status, const char* detail) {
  error_status_ = status;
  error_detail_ = detail;
  return false;
}

// A malformed response cannot be answered: its errors always carry status 0.
bool Parser::fail(int status, const char* detail) {
  return failExactly(msg_.is_request_ ? status : 0, detail);
}

bool Parser::parseAll() {
  if (size_ > limits_.max_message_size) {
    return failExactly(513, "Message Too Large");
  }
  if (buf_ == nullptr) {
    return failExactly(0, "Empty message");
  }
  msg_.fields_.reserve(expectedFields(size_));
  return parseStartLine() && parseHeaders() && frameBody();
}

bool Parser::parseStartLine() {
  // Stream transports may carry CRLF keep-alives before a start line (RFC 3261 §7.5).
  while (pos_ < size_ && (buf_[pos_] == '\r' || buf_[pos_] == '\n')) {
    ++pos_;
  }
  const void* nl = std::memchr(buf_ + pos_, '\n', size_ - pos_);
  if (nl == nullptr) {
    return failExactly(0, "No complete start line");
  }
  const auto lf = static_cast<size_t>(static_cast<const char*>(nl) - buf_);
  size_t end = lf;
  if (end > pos_ && buf_[end - 1] == '\r') {
    --end;
  }
  const std::string_view line(buf_ + pos_, end - pos_);
  pos_ = lf + 1;
  return startsWithNoCase(line, "SIP/") ? parseStatusLine(line) : parseRequestLine(line);
}

// Request-Line = Method SP Request-URI SP SIP-Version CRLF, exactly one SP each
// (RFC 3261 §7.1; RFC 4475 lwsstart, trws, lwsruri are rejected with 400).
bool Parser::parseRequestLine(std::string_view line) {
  const size_t sp1 = line.find(' ');
  if (sp1 == kNpos || sp1 == 0 || detail::scanToken(line, 0) != sp1) {
    return failExactly(0, "Not a SIP request line");
  }
  const std::string_view rest = line.substr(sp1 + 1);
  const size_t sp2 = rest.find(' ');
  if (sp2 == kNpos) {
    return failExactly(0, "Not a SIP request line");
  }
  const std::string_view uri = rest.substr(0, sp2);
  const std::string_view version = rest.substr(sp2 + 1);
  const bool whitespace = std::any_of(version.begin(), version.end(),
                                      [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
  if (uri.empty() || whitespace) {
    return failExactly(400, "Extra whitespace in Request-Line");
  }
  if (version != "SIP/2.0") {  // the usual spelling passes both checks
    if (!startsWithNoCase(version, "SIP/")) {
      return failExactly(0, "Not a SIP request line");
    }
    if (!iequals(version, "SIP/2.0")) {
      return failExactly(505, "Version Not Supported");
    }
  }
  if (!looksLikeRequestUri(uri)) {
    return failExactly(400, "Malformed Request-URI");
  }
  msg_.is_request_ = true;
  msg_.method_text_ = line.substr(0, sp1);
  msg_.method_ = lookupMethod(msg_.method_text_);
  msg_.request_uri_ = uri;
  msg_.version_ = version;
  return true;
}

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF. A bad status
// line makes the response unanswerable, so every error here is status 0.
bool Parser::parseStatusLine(std::string_view line) {
  msg_.is_request_ = false;
  const size_t sp = line.find(' ');
  if (sp == kNpos || !iequals(line.substr(0, sp), "SIP/2.0")) {
    return failExactly(0, "Unsupported version in Status-Line");
  }
  const std::string_view after = line.substr(sp + 1);
  const bool three_digits = after.size() >= 3 && detail::isDigit(after[0]) &&
                            detail::isDigit(after[1]) && detail::isDigit(after[2]);
  if (!three_digits || (after.size() > 3 && after[3] != ' ')) {
    return failExactly(0, "Malformed status code");  // RFC 4475 bigcode
  }
  const int status = (after[0] - '0') * 100 + (after[1] - '0') * 10 + (after[2] - '0');
  if (status < 100 || status > 699) {
    return failExactly(0, "Status code out of range");
  }
  msg_.status_ = status;
  msg_.version_ = line.substr(0, sp);
  msg_.reason_ = after.size() > 4 ? after.substr(4) : std::string_view();
  return true;
}

// The per-line steps (logicalLineEnd, parseHeaderLine, addField) are declared
// inline so they fold into the parseHeaders() loop: it runs once per header line.

// Returns the index of the LF that ends the header line starting at `begin`,
// turning each CRLF + WS continuation into spaces in place (RFC 3261 §7.3.1).
inline size_t Parser::logicalLineEnd(size_t begin) {
  size_t i = begin;
  for (;;) {
    const void* nl = std::memchr(buf_ + i, '\n', size_ - i);
    if (nl == nullptr) {
      return kNpos;
    }
    const auto lf = static_cast<size_t>(static_cast<const char*>(nl) - buf_);
    if (lf + 1 >= size_ || (buf_[lf + 1] != ' ' && buf_[lf + 1] != '\t')) {
      return lf;
    }
    buf_[lf] = ' ';
    if (lf > begin && buf_[lf - 1] == '\r') {
      buf_[lf - 1] = ' ';
    }
    i = lf + 1;
  }
}

bool Parser::parseHeaders() {
  for (;;) {
    if (pos_ < size_ && buf_[pos_] == '\n') {
      ++pos_;
      return true;
    }
    if (pos_ + 1 < size_ && buf_[pos_] == '\r' && buf_[pos_ + 1] == '\n') {
      pos_ += 2;
      return true;
    }
    const size_t lf = pos_ < size_ ? logicalLineEnd(pos_) : kNpos;
    if (lf == kNpos) {
      return fail(400, "Message headers not terminated");  // RFC 4475 baddn
    }
    size_t end = lf;
    if (end > pos_ && buf_[end - 1] == '\r') {
      --end;
    }
    if (!parseHeaderLine(std::string_view(buf_ + pos_, end - pos_))) {
      return false;
    }
    pos_ = lf + 1;
  }
}

// message-header = field-name HCOLON field-value; HCOLON = *( SP / HTAB ) ":" SWS.
inline bool Parser::parseHeaderLine(std::string_view line) {
  const size_t name_end = detail::scanToken(line, 0);
  size_t colon = name_end;
  while (colon < line.size() && (line[colon] == ' ' || line[colon] == '\t')) {
    ++colon;
  }
  if (name_end == 0 || colon >= line.size() || line[colon] != ':') {
    return fail(400, "Malformed header line");
  }
  const std::string_view name = line.substr(0, name_end);
  const std::string_view value = trim(line.substr(colon + 1));
  const HeaderName id = lookupHeaderName(name);
  if (id == HeaderName::ContentLength && !noteContentLength(value)) {
    return false;
  }
  return isListHeader(id) ? addListField(id, name, value) : addField(id, name, value);
}

inline bool Parser::addField(HeaderName id, std::string_view name, std::string_view value) {
  if (msg_.fields_.size() >= limits_.max_headers) {
    return fail(400, "Too many header fields");
  }
  msg_.fields_.push_back(HeaderField{id, name, value});
  msg_.seen_ |= headerBit(id);
  return true;
}

// Splits a list header on commas outside quoted strings and <...>, one field
// per element (RFC 3261 §7.3.1). An empty element between commas is malformed
// (RFC 4475 badinv01); a wholly empty value stays one empty field.
bool Parser::addListField(HeaderName id, std::string_view name, std::string_view value) {
  // Without a comma there is one element: the value, already trimmed.
  if (value.empty() || std::memchr(value.data(), ',', value.size()) == nullptr) {
    return addField(id, name, value);
  }
  size_t start = 0;
  bool in_quote = false;
  int depth = 0;
  auto emit = [&](size_t end) {
    const std::string_view element = trim(value.substr(start, end - start));
    start = end + 1;
    return element.empty() ? fail(400, "Empty element in header list")
                           : addField(id, name, element);
  };
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (!detail::is(c, detail::kListSpecial)) {
      continue;  // the common case: one table lookup per octet
    }
    if (in_quote) {
      if (c == '\\') {
        ++i;  // quoted-pair
      } else if (c == '"') {
        in_quote = false;
      }
    } else if (c == '"') {
      in_quote = true;
    } else if (c == '<') {
      ++depth;
    } else if (c == '>') {
      depth = depth > 0 ? depth - 1 : 0;
    } else if (c == ',' && depth == 0 && !emit(i)) {
      return false;
    }
  }
  return emit(value.size());
}

// Content-Length must be a non-negative decimal (RFC 4475 ncl); repeated values
// must agree (RFC 4475 mcl01).
bool Parser::noteContentLength(std::string_view value) {
  auto length = parseUnsigned<uint64_t>(value);
  if (!length) {
    return fail(400, "Malformed Content-Length");
  }
  if (content_length_ && *content_length_ != *length) {
    return fail(400, "Conflicting Content-Length values");
  }
  content_length_ = length;
  return true;
}

// The body is Content-Length octets; extra octets are ignored (RFC 4475 dblreq).
// Without Content-Length the body is the rest of the datagram (RFC 3261 §18.3).
bool Parser::frameBody() {
  const size_t available = size_ - pos_;
  size_t length = available;
  if (content_length_) {
    if (*content_length_ > available) {
      return fail(400, "Content-Length larger than message");  // RFC 4475 clerr
    }
    length = static_cast<size_t>(*content_length_);
  }
  msg_.body_ = std::string_view(buf_ + pos_, length);
  return true;
}

}  // namespace proxy::sip
