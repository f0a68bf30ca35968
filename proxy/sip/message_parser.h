// SPDX-License-Identifier: Apache-2.0
// Internal to proxy/sip: the single-pass parser behind SipMessage::parse(). It
// reads the message's own buffer, unfolds continuation lines in place and fills
// the start line, the fields and the body view. Runs on whichever thread calls
// SipMessage::parse(); it holds no state beyond one call.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "proxy/base/result.h"
#include "proxy/sip/sip_message.h"

namespace proxy::sip {

class Parser {
 public:
  // Parses msg.bytes_[0, msg.size_). On error the message is left half-filled
  // and must be discarded.
  static Result<void> run(SipMessage& msg, const ParseLimits& limits);

 private:
  Parser(SipMessage& msg, const ParseLimits& limits);

  // Each step returns false after recording the failure in error_ (cheaper than
  // a Result per header on the hot path).
  bool parseAll();
  bool parseStartLine();
  bool parseRequestLine(std::string_view line);
  bool parseStatusLine(std::string_view line);
  bool parseHeaders();
  bool parseHeaderLine(std::string_view line);
  bool addListField(HeaderName id, std::string_view name, std::string_view value);
  // Runs once per field: always folded into its callers.
  [[gnu::always_inline]] bool addField(HeaderName id, std::string_view name,
                                       std::string_view value);
  bool noteContentLength(std::string_view value);
  bool frameBody();
  size_t logicalLineEnd(size_t begin);
  bool fail(int status, const char* detail);          // 0 for responses
  bool failExactly(int status, const char* detail);   // status as given

  SipMessage& msg_;
  const ParseLimits& limits_;
  char* buf_;
  size_t size_;
  size_t pos_ = 0;
  std::optional<uint64_t> content_length_;
  int error_status_ = 0;
  const char* error_detail_ = "";
};

}  // namespace proxy::sip
