// SPDX-License-Identifier: Apache-2.0
// A parsed SIP message. It owns the bytes it was parsed from; every view it
// returns points into those bytes or into its own arena, so views live exactly
// as long as the message. Moving the message never moves the bytes (they are on
// the heap). Single-threaded; moved (never shared) between shards.
//
// Parsing splits list headers (Via, Contact, Route, ...) into one field per
// value and unfolds continuation lines in place, so consumers never see LWS
// folding. Edits (prepend a Via, drop a Route, set the Request-URI) store new
// text in the arena and are reflected by serialize().
#pragma once

#include <cstddef>
#include <cstdint>
#include <forward_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/header_name.h"
#include "proxy/sip/name_addr.h"
#include "proxy/sip/uri.h"

namespace proxy::sip {

enum class Method : uint8_t {
  Unknown = 0, Invite, Ack, Bye, Cancel, Register, Options, Message, Subscribe, Notify,
  Publish, Info, Update, Refer, Prack, Service, Benotify
};
Method lookupMethod(std::string_view token);
std::string_view methodName(Method m);

struct ParseLimits {
  size_t max_message_size = 65535;
  size_t max_headers = 128;
};

struct HeaderField {
  HeaderName id = HeaderName::Other;
  std::string_view name;   // as received (or canonical for added fields)
  std::string_view value;  // trimmed, unfolded; one value for list headers
};

class SipMessage {
 public:
  // Parses one complete message (start line, headers, body framed by
  // Content-Length when present, else the rest of the bytes). Errors carry the
  // status to answer with (400, 505, ...) or 0 when the message is unanswerable
  // (not SIP at all, a malformed response).
  static Result<SipMessage> parse(std::unique_ptr<char[]> bytes, size_t size,
                                  const ParseLimits& limits = {});
  // Like parse(), but on failure hands the bytes back in `bytes`, so the caller
  // can still answer the request from its raw text (routing/stateless_reply.h).
  static Result<SipMessage> parseKeepingOnError(std::unique_ptr<char[]>& bytes, size_t size,
                                                const ParseLimits& limits = {});
  // Convenience for tests and tools: copies `text`.
  static Result<SipMessage> parse(std::string_view text, const ParseLimits& limits = {});

  // A deep copy that serializes as this message does (edits included), without
  // serializing and parsing again: a proxy forwards its own copy of a request.
  // Its raw() is the received bytes, as here.
  SipMessage clone() const;

  SipMessage(SipMessage&&) noexcept = default;
  SipMessage& operator=(SipMessage&&) noexcept = default;

  bool isRequest() const { return is_request_; }
  bool isResponse() const { return !is_request_; }

  // Requests.
  Method method() const { return method_; }
  std::string_view methodText() const { return method_text_; }
  std::string_view requestUri() const { return request_uri_; }
  void setRequestUri(std::string uri);

  // Responses.
  int statusCode() const { return status_; }
  std::string_view reasonPhrase() const { return reason_; }

  std::string_view version() const { return version_; }  // "SIP/2.0"

  // Header access. header() returns the first value or "" when absent.
  std::string_view header(HeaderName name) const;
  std::string_view header(std::string_view name) const;  // any header, case-insensitive
  bool has(HeaderName name) const;
  size_t count(HeaderName name) const;
  std::vector<std::string_view> headers(HeaderName name) const;  // all values, wire order
  // Comma-separated tokens across every field of `name` (Require, Supported,
  // Allow, ...), trimmed, empty ones skipped.
  std::vector<std::string_view> tokens(HeaderName name) const;
  const std::vector<HeaderField>& fields() const { return fields_; }

  // Typed accessors (parse on demand; the views point into this message).
  // From, To and the top Via are parsed once and kept: the references stay valid
  // until the message dies or that header is edited.
  std::string_view callId() const { return header(HeaderName::CallId); }
  const Result<NameAddr>& from() const;
  const Result<NameAddr>& to() const;
  Result<CSeq> cseq() const;
  const Result<Via>& topVia() const;
  // Frees the parsed From, To and Via kept by the accessors above (made again on
  // demand): for a message kept long, such as a client transaction's request.
  void dropParsedHeaders();
  std::optional<uint32_t> maxForwards() const;
  std::optional<uint32_t> expires() const;  // the Expires header
  std::string_view body() const { return body_; }

  // Edits; new text is copied into the arena.
  void prependHeader(HeaderName name, std::string value);
  void appendHeader(HeaderName name, std::string value);
  void appendHeader(std::string_view name, std::string value);  // extension headers
  void setHeader(HeaderName name, std::string value);  // replace all values by one
  bool removeFirst(HeaderName name);
  void removeAll(HeaderName name);
  void setBody(std::string body);  // also updates Content-Length on serialize
  void setMaxForwards(uint32_t hops);  // setHeader(MaxForwards, decimal)

  // Serializes with a correct Content-Length; list headers go one per line.
  std::string serialize() const;
  void serializeTo(std::string& out) const;

  // The raw received bytes (for traces).
  std::string_view raw() const { return {bytes_.get(), size_}; }

 private:
  SipMessage() = default;
  friend class Parser;
  std::string_view store(std::string text);         // copies into the arena
  const HeaderField* first(HeaderName name) const;  // nullptr when absent
  void forgetParsed(HeaderName name);               // an edit of `name` outdates its parsed form

  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
  bool is_request_ = true;
  Method method_ = Method::Unknown;
  std::string_view method_text_, request_uri_, version_, reason_, body_;
  int status_ = 0;
  std::vector<HeaderField> fields_;
  // headerBit() of every id some field has had: a clear bit means no field has
  // it, so a lookup of an absent header (most of them) skips the scan. Removals
  // leave bits set; they only cost that scan.
  uint64_t seen_ = 0;
  // Edit arena. List nodes never move, so neither do the strings (nor their
  // SSO bytes); an empty list allocates nothing, unlike std::deque.
  std::forward_list<std::string> arena_;
  // Several layers read From, To and the top Via of every message (validation,
  // transaction keys, routing, the response): each is parsed once, on first use.
  // One small allocation each, not one block for all three: over a kilobyte
  // together, a block would miss malloc's per-thread cache.
  mutable std::unique_ptr<Result<NameAddr>> from_, to_;
  mutable std::unique_ptr<Result<Via>> top_via_;
};

// Builds a response to `request` (RFC 3261 §8.2.6): copies Via, From, To,
// Call-ID and CSeq; adds a To tag when given and the To has none.
class ResponseBuilder {
 public:
  ResponseBuilder(const SipMessage& request, int status, std::string_view reason);
  ResponseBuilder& toTag(std::string_view tag);
  ResponseBuilder& header(std::string_view name, std::string_view value);
  ResponseBuilder& body(std::string_view content_type, std::string_view body);
  std::string build() const;

 private:
  std::string_view extra() const;

  const SipMessage& request_;
  int status_;
  std::string reason_;
  std::string to_tag_;
  // The added "Name: value\r\n" lines: in extra_inline_ while they fit (a
  // typical response adds a few short ones), then all of them in extra_.
  static constexpr size_t kInlineExtra = 256;
  size_t extra_inline_size_ = 0;
  char extra_inline_[kInlineExtra];
  std::string extra_;
  std::string content_type_, body_;
};

// The default reason phrase for a status code ("Not Found").
std::string_view defaultReason(int status);

}  // namespace proxy::sip
