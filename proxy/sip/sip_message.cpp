// SPDX-License-Identifier: Apache-2.0
// SipMessage: construction, header access, edits and serialization. Parsing
// itself lives in message_parser.cpp.
#include "proxy/sip/sip_message.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "proxy/base/assert.h"
#include "proxy/base/strings.h"
#include "proxy/sip/message_parser.h"
#include "proxy/sip/wire_writer.h"

namespace proxy::sip {
namespace {

struct MethodEntry {
  std::string_view name;
  Method method;
};

// Methods are case-sensitive (RFC 3261 §7.1).
constexpr std::array<MethodEntry, 16> kMethods = {{
    {"INVITE", Method::Invite},
    {"ACK", Method::Ack},
    {"BYE", Method::Bye},
    {"CANCEL", Method::Cancel},
    {"REGISTER", Method::Register},
    {"OPTIONS", Method::Options},
    {"MESSAGE", Method::Message},
    {"SUBSCRIBE", Method::Subscribe},
    {"NOTIFY", Method::Notify},
    {"PUBLISH", Method::Publish},
    {"INFO", Method::Info},
    {"UPDATE", Method::Update},
    {"REFER", Method::Refer},
    {"PRACK", Method::Prack},
    {"SERVICE", Method::Service},
    {"BENOTIFY", Method::Benotify},
}};

}  // namespace

Method lookupMethod(std::string_view token) {
  for (const MethodEntry& e : kMethods) {
    if (e.name.size() == token.size() && e.name == token) {
      return e.method;
    }
  }
  return Method::Unknown;
}

std::string_view methodName(Method m) {
  for (const MethodEntry& e : kMethods) {
    if (e.method == m) {
      return e.name;
    }
  }
  return {};
}

Result<SipMessage> SipMessage::parse(std::unique_ptr<char[]> bytes, size_t size,
                                     const ParseLimits& limits) {
  return parseKeepingOnError(bytes, size, limits);  // on error the bytes die here
}

// On error the bytes go back to the caller; continuation lines may have been
// unfolded in place (CRLF turned into spaces), which keeps them valid SIP text.
Result<SipMessage> SipMessage::parseKeepingOnError(std::unique_ptr<char[]>& bytes, size_t size,
                                                   const ParseLimits& limits) {
  SipMessage msg;
  msg.bytes_ = std::move(bytes);
  msg.size_ = msg.bytes_ ? size : 0;
  if (auto r = Parser::run(msg, limits); !r) {
    bytes = std::move(msg.bytes_);
    return r.error();
  }
  return msg;
}

Result<SipMessage> SipMessage::parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_message_size) {
    return makeError(513, "Message Too Large");  // before copying it
  }
  std::unique_ptr<char[]> bytes(new char[std::max<size_t>(text.size(), 1)]);  // no zero-fill
  if (!text.empty()) {
    std::memcpy(bytes.get(), text.data(), text.size());
  }
  return parse(std::move(bytes), text.size(), limits);
}

SipMessage SipMessage::clone() const {
  SipMessage out;
  out.bytes_.reset(new char[std::max<size_t>(size_, 1)]);  // no zero-fill
  if (size_ > 0) {
    std::memcpy(out.bytes_.get(), bytes_.get(), size_);
  }
  out.size_ = size_;
  // A view points into the received bytes (same offset in the copy), into the
  // arena (copied into the clone's arena), or at static text (kept as is).
  const char* const begin = bytes_.get();
  const char* const end = begin + size_;
  auto rebase = [&](std::string_view v) -> std::string_view {
    if (v.data() == nullptr) {
      return v;
    }
    if (v.data() >= begin && v.data() + v.size() <= end) {
      return {out.bytes_.get() + (v.data() - begin), v.size()};
    }
    for (const std::string& text : arena_) {
      if (v.data() >= text.data() && v.data() + v.size() <= text.data() + text.size()) {
        return out.store(std::string(v));
      }
    }
    return v;  // canonical header names and other literals
  };
  out.is_request_ = is_request_;
  out.method_ = method_;
  out.status_ = status_;
  out.method_text_ = rebase(method_text_);
  out.request_uri_ = rebase(request_uri_);
  out.version_ = rebase(version_);
  out.reason_ = rebase(reason_);
  out.body_ = rebase(body_);
  out.fields_.reserve(fields_.size());
  for (const HeaderField& f : fields_) {
    out.fields_.push_back(HeaderField{f.id, rebase(f.name), rebase(f.value)});
  }
  out.seen_ = seen_;
  return out;
}

std::string_view SipMessage::store(std::string text) {
  arena_.push_front(std::move(text));
  return arena_.front();
}

// ---- Header access ----

const HeaderField* SipMessage::first(HeaderName name) const {
  if (name == HeaderName::Other || (seen_ & headerBit(name)) == 0) {
    return nullptr;
  }
  for (const HeaderField& f : fields_) {
    if (f.id == name) {
      return &f;
    }
  }
  return nullptr;
}

std::string_view SipMessage::header(HeaderName name) const {
  const HeaderField* f = first(name);
  return f == nullptr ? std::string_view() : f->value;
}

std::string_view SipMessage::header(std::string_view name) const {
  const HeaderName id = lookupHeaderName(name);
  if (id != HeaderName::Other) {
    return header(id);
  }
  if ((seen_ & headerBit(HeaderName::Other)) == 0) {
    return {};
  }
  for (const HeaderField& f : fields_) {
    if (f.id == HeaderName::Other && iequals(f.name, name)) {
      return f.value;
    }
  }
  return {};
}

bool SipMessage::has(HeaderName name) const { return first(name) != nullptr; }

size_t SipMessage::count(HeaderName name) const {
  if (name == HeaderName::Other || (seen_ & headerBit(name)) == 0) {
    return 0;
  }
  return static_cast<size_t>(std::count_if(fields_.begin(), fields_.end(),
                                           [name](const HeaderField& f) { return f.id == name; }));
}

std::vector<std::string_view> SipMessage::headers(HeaderName name) const {
  std::vector<std::string_view> out;
  if ((seen_ & headerBit(name)) == 0) {
    return out;
  }
  for (const HeaderField& f : fields_) {
    if (f.id == name && name != HeaderName::Other) {
      out.push_back(f.value);
    }
  }
  return out;
}

std::vector<std::string_view> SipMessage::tokens(HeaderName name) const {
  std::vector<std::string_view> out;
  for (std::string_view value : headers(name)) {
    while (!value.empty()) {
      const size_t comma = value.find(',');
      const std::string_view token = trim(value.substr(0, comma));
      if (!token.empty()) {
        out.push_back(token);
      }
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
  }
  return out;
}

// ---- Typed accessors ----

namespace {

template <typename T>
const Result<T>& parseOnce(std::unique_ptr<Result<T>>& slot, const HeaderField* f,
                           const char* missing) {
  if (!slot) {
    // Not make_unique: initialized from the prvalue, the parse writes straight
    // into the heap slot instead of being moved there (a NameAddr is ~550 octets).
    slot.reset(
        new Result<T>(f == nullptr ? Result<T>(makeError(400, missing)) : T::parse(f->value)));
  }
  return *slot;
}

}  // namespace

void SipMessage::forgetParsed(HeaderName name) {
  if (name == HeaderName::From) {
    from_.reset();
  } else if (name == HeaderName::To) {
    to_.reset();
  } else if (name == HeaderName::Via) {
    top_via_.reset();
  }
}

void SipMessage::dropParsedHeaders() {
  from_.reset();
  to_.reset();
  top_via_.reset();
}

const Result<NameAddr>& SipMessage::from() const {
  return parseOnce(from_, first(HeaderName::From), "Missing From");
}

const Result<NameAddr>& SipMessage::to() const {
  return parseOnce(to_, first(HeaderName::To), "Missing To");
}

Result<CSeq> SipMessage::cseq() const {
  const HeaderField* f = first(HeaderName::CSeq);
  if (f == nullptr) {
    return makeError(400, "Missing CSeq");
  }
  return CSeq::parse(f->value);
}

const Result<Via>& SipMessage::topVia() const {
  return parseOnce(top_via_, first(HeaderName::Via), "Missing Via");
}

std::optional<uint32_t> SipMessage::maxForwards() const {
  const HeaderField* f = first(HeaderName::MaxForwards);
  return f == nullptr ? std::nullopt : parseUnsigned<uint32_t>(f->value);
}

std::optional<uint32_t> SipMessage::expires() const {
  const HeaderField* f = first(HeaderName::Expires);
  return f == nullptr ? std::nullopt : parseUnsigned<uint32_t>(f->value);
}

// ---- Edits ----

void SipMessage::setRequestUri(std::string uri) { request_uri_ = store(std::move(uri)); }

// Inserted before the first field of the same name, or at the top: a new Via or
// Record-Route lands above the existing ones.
void SipMessage::prependHeader(HeaderName name, std::string value) {
  ASSERT(name != HeaderName::Other);
  forgetParsed(name);
  seen_ |= headerBit(name);
  const HeaderField field{name, canonicalHeaderName(name), store(std::move(value))};
  auto it = std::find_if(fields_.begin(), fields_.end(),
                         [name](const HeaderField& f) { return f.id == name; });
  fields_.insert(it == fields_.end() ? fields_.begin() : it, field);
}

// Inserted after the last field of the same name, or at the end.
void SipMessage::appendHeader(HeaderName name, std::string value) {
  ASSERT(name != HeaderName::Other);
  forgetParsed(name);
  seen_ |= headerBit(name);
  const HeaderField field{name, canonicalHeaderName(name), store(std::move(value))};
  auto it = std::find_if(fields_.rbegin(), fields_.rend(),
                         [name](const HeaderField& f) { return f.id == name; });
  fields_.insert(it.base(), field);
}

void SipMessage::appendHeader(std::string_view name, std::string value) {
  const HeaderName id = lookupHeaderName(name);
  if (id != HeaderName::Other) {
    appendHeader(id, std::move(value));
    return;
  }
  seen_ |= headerBit(id);
  const HeaderField field{id, store(std::string(name)), store(std::move(value))};
  auto it = std::find_if(fields_.rbegin(), fields_.rend(), [name](const HeaderField& f) {
    return f.id == HeaderName::Other && iequals(f.name, name);
  });
  fields_.insert(it.base(), field);
}

void SipMessage::setHeader(HeaderName name, std::string value) {
  forgetParsed(name);
  auto it = std::find_if(fields_.begin(), fields_.end(),
                         [name](const HeaderField& f) { return f.id == name; });
  if (it == fields_.end()) {
    appendHeader(name, std::move(value));
    return;
  }
  it->value = store(std::move(value));
  const auto first = static_cast<size_t>(it - fields_.begin());
  size_t index = 0;
  std::erase_if(fields_, [&](const HeaderField& f) { return index++ != first && f.id == name; });
}

bool SipMessage::removeFirst(HeaderName name) {
  forgetParsed(name);
  auto it = std::find_if(fields_.begin(), fields_.end(),
                         [name](const HeaderField& f) { return f.id == name; });
  if (it == fields_.end()) {
    return false;
  }
  fields_.erase(it);
  return true;
}

void SipMessage::removeAll(HeaderName name) {
  forgetParsed(name);
  std::erase_if(fields_, [name](const HeaderField& f) { return f.id == name; });
}

void SipMessage::setBody(std::string body) { body_ = store(std::move(body)); }

void SipMessage::setMaxForwards(uint32_t hops) {
  setHeader(HeaderName::MaxForwards, std::to_string(hops));
}

// ---- Serialization ----

std::string SipMessage::serialize() const {
  std::string out;
  serializeTo(out);
  return out;
}

// Content-Length is always recomputed and written last (RFC 3261 §18.3, §20.14).
void SipMessage::serializeTo(std::string& out) const {
  const Decimal status(status_);
  const Decimal content_length(body_.size());
  size_t size = is_request_ ? method_text_.size() + request_uri_.size() + 11  // 2 SP, SIP/2.0, CRLF
                            : status.size() + reason_.size() + 11;            // SIP/2.0, 2 SP, CRLF
  for (const HeaderField& f : fields_) {
    if (f.id != HeaderName::ContentLength) {
      size += WireWriter::lineSize(f.name, f.value);
    }
  }
  size += WireWriter::lineSize("Content-Length", content_length.text()) + 2 + body_.size();

  WireWriter w(out, size);
  if (is_request_) {
    w.put(method_text_);
    w.put(" ");
    w.put(request_uri_);
    w.put(" SIP/2.0\r\n");
  } else {
    w.put("SIP/2.0 ");
    w.put(status);
    w.put(" ");
    w.put(reason_);
    w.put("\r\n");
  }
  for (const HeaderField& f : fields_) {
    if (f.id != HeaderName::ContentLength) {
      w.putLine(f.name, f.value);
    }
  }
  w.putLine("Content-Length", content_length.text());
  w.put("\r\n");
  w.put(body_);
}

}  // namespace proxy::sip
