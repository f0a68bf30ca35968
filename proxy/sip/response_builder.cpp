// SPDX-License-Identifier: Apache-2.0
// ResponseBuilder: a response to a parsed request, RFC 3261 §8.2.6.
#include <algorithm>
#include <cstring>
#include <string>

#include "proxy/sip/sip_message.h"
#include "proxy/sip/wire_writer.h"

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
  const size_t line = WireWriter::lineSize(name, value);
  if (extra_.empty() && extra_inline_size_ + line <= kInlineExtra) {
    char* p = extra_inline_ + extra_inline_size_;
    const auto put = [&p](std::string_view s) {
      if (!s.empty()) {
        std::memcpy(p, s.data(), s.size());
        p += s.size();
      }
    };
    put(name);
    put(": ");
    put(value);
    put("\r\n");
    extra_inline_size_ += line;
    return *this;
  }
  if (extra_.empty()) {  // outgrown the inline room: every line moves to the heap
    extra_.reserve(2 * kInlineExtra);
    extra_.assign(extra_inline_, extra_inline_size_);
  }
  appendLine(extra_, name, value);
  return *this;
}

std::string_view ResponseBuilder::extra() const {
  return extra_.empty() ? std::string_view(extra_inline_, extra_inline_size_)
                        : std::string_view(extra_);
}

ResponseBuilder& ResponseBuilder::body(std::string_view content_type, std::string_view body) {
  content_type_ = content_type;
  body_ = body;
  return *this;
}

// Via (all, in order), From, To, Call-ID and CSeq are copied (§8.2.6.2); the To
// gets our tag unless it already has one. A To we cannot parse is copied as is.
std::string ResponseBuilder::build() const {
  // One pass picks out the copied fields (the first of each, every Via) and
  // adds up their length, so the response is written into one allocation.
  const HeaderField* from = nullptr;
  const HeaderField* to = nullptr;
  const HeaderField* call_id = nullptr;
  const HeaderField* cseq = nullptr;
  const HeaderField* timestamp = nullptr;
  size_t via_size = 0;
  for (const HeaderField& f : request_.fields()) {
    switch (f.id) {
      case HeaderName::Via: via_size += WireWriter::lineSize("Via", f.value); break;
      case HeaderName::From: from = from ? from : &f; break;
      case HeaderName::To: to = to ? to : &f; break;
      case HeaderName::CallId: call_id = call_id ? call_id : &f; break;
      case HeaderName::CSeq: cseq = cseq ? cseq : &f; break;
      case HeaderName::Timestamp: timestamp = timestamp ? timestamp : &f; break;
      default: break;
    }
  }
  bool add_tag = false;
  if (to != nullptr && !to_tag_.empty()) {
    const auto& parsed = request_.to();  // parses the same first To field, once per message
    add_tag = parsed && parsed->tag().empty() && !parsed->isWildcard();
  }
  if (status_ != 100) {
    timestamp = nullptr;  // only a 100 echoes the request's Timestamp (RFC 3261 §8.2.6.1)
  }
  const Decimal status(status_);
  const Decimal content_length(body_.size());
  const auto optionalLine = [](std::string_view name, const HeaderField* f) {
    return f == nullptr ? 0 : WireWriter::lineSize(name, f->value);
  };

  size_t size = status.size() + reason_.size() + 11;  // "SIP/2.0 ", " ", CRLF
  size += via_size + optionalLine("From", from) + optionalLine("To", to) +
          (add_tag ? to_tag_.size() + 5 : 0) + optionalLine("Call-ID", call_id) +
          optionalLine("CSeq", cseq) + optionalLine("Timestamp", timestamp) + extra().size() +
          (content_type_.empty() ? 0 : WireWriter::lineSize("Content-Type", content_type_)) +
          WireWriter::lineSize("Content-Length", content_length.text()) + 2 + body_.size();

  std::string out;
  WireWriter w(out, size);
  w.put("SIP/2.0 ");
  w.put(status);
  w.put(" ");
  w.put(reason_);
  w.put("\r\n");
  for (const HeaderField& f : request_.fields()) {
    if (f.id == HeaderName::Via) {
      w.putLine("Via", f.value);
    }
  }
  if (from != nullptr) {
    w.putLine("From", from->value);
  }
  if (to != nullptr) {
    w.put("To: ");
    w.put(to->value);
    if (add_tag) {
      w.put(";tag=");
      w.put(to_tag_);
    }
    w.put("\r\n");
  }
  if (call_id != nullptr) {
    w.putLine("Call-ID", call_id->value);
  }
  if (cseq != nullptr) {
    w.putLine("CSeq", cseq->value);
  }
  if (timestamp != nullptr) {
    w.putLine("Timestamp", timestamp->value);
  }
  w.put(extra());
  if (!content_type_.empty()) {
    w.putLine("Content-Type", content_type_);
  }
  w.putLine("Content-Length", content_length.text());
  w.put("\r\n");
  w.put(body_);
  return out;
}

}  // namespace proxy::sip
