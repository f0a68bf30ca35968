// SPDX-License-Identifier: Apache-2.0
// ResponseBuilder: a response to a parsed request, RFC 3261 §8.2.6.
#include <string>

#include "proxy/sip/sip_message.h"

namespace proxy::sip {
namespace {

void appendLine(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

ResponseBuilder::ResponseBuilder(const SipMessage& request, int status, std::string_view reason)
    : request_(request),
      status_(status),
      reason_(reason.empty() ? defaultReason(status) : reason) {}

ResponseBuilder& ResponseBuilder::toTag(std::string_view tag) {
  to_tag_ = tag;
  return *this;
}

ResponseBuilder& ResponseBuilder::header(std::string_view name, std::string_view value) {
  appendLine(extra_, name, value);
  return *this;
}

ResponseBuilder& ResponseBuilder::body(std::string_view content_type, std::string_view body) {
  content_type_ = content_type;
  body_ = body;
  return *this;
}

// Via (all, in order), From, To, Call-ID and CSeq are copied (§8.2.6.2); the To
// gets our tag unless it already has one. A To we cannot parse is copied as is.
std::string ResponseBuilder::build() const {
  std::string out;
  out.reserve(512 + extra_.size() + body_.size());
  out.append("SIP/2.0 ").append(std::to_string(status_)).append(" ").append(reason_);
  out.append("\r\n");
  for (const HeaderField& f : request_.fields()) {
    if (f.id == HeaderName::Via) {
      appendLine(out, "Via", f.value);
    }
  }
  if (request_.has(HeaderName::From)) {
    appendLine(out, "From", request_.header(HeaderName::From));
  }
  if (request_.has(HeaderName::To)) {
    out.append("To: ").append(request_.header(HeaderName::To));
    auto to = request_.to();
    if (!to_tag_.empty() && to && to->tag().empty() && !to->isWildcard()) {
      out.append(";tag=").append(to_tag_);
    }
    out.append("\r\n");
  }
  for (HeaderName copied : {HeaderName::CallId, HeaderName::CSeq}) {
    if (request_.has(copied)) {
      appendLine(out, canonicalHeaderName(copied), request_.header(copied));
    }
  }
  // A 100 echoes the request's Timestamp (RFC 3261 §8.2.6.1).
  if (status_ == 100 && request_.has(HeaderName::Timestamp)) {
    appendLine(out, "Timestamp", request_.header(HeaderName::Timestamp));
  }
  out.append(extra_);
  if (!content_type_.empty()) {
    appendLine(out, "Content-Type", content_type_);
  }
  appendLine(out, "Content-Length", std::to_string(body_.size()));
  out.append("\r\n").append(body_);
  return out;
}

}  // namespace proxy::sip
