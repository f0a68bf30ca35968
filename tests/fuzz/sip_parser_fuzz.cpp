// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the SIP message layer: parse arbitrary bytes, run the
// validators and every typed accessor, then check that serialize() output
// parses back to the same fields and body. Any crash, sanitizer report or
// failed invariant (__builtin_trap) is a bug.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "proxy/sip/digest.h"
#include "proxy/sip/sip_message.h"
#include "proxy/sip/validate.h"

namespace {

using namespace proxy::sip;

void require(bool invariant) {
  if (!invariant) {
    __builtin_trap();
  }
}

ParseLimits unlimited() {
  ParseLimits limits;
  limits.max_message_size = std::numeric_limits<size_t>::max();
  limits.max_headers = std::numeric_limits<size_t>::max();
  return limits;
}

void touchUri(std::string_view text) {
  auto uri = Uri::parse(text);
  if (uri) {
    (void)uri->aor();
    require(uri->equivalent(*uri));
    (void)unescape(uri->user());
  }
}

void touchAccessors(const SipMessage& msg) {
  (void)msg.from();
  (void)msg.to();
  (void)msg.cseq();
  (void)msg.maxForwards();
  (void)msg.expires();
  (void)msg.tokens(HeaderName::Supported);
  for (const HeaderField& f : msg.fields()) {
    if (f.id == HeaderName::Via) {
      (void)Via::parse(f.value);
    } else if (f.id == HeaderName::Contact || f.id == HeaderName::Route ||
               f.id == HeaderName::RecordRoute) {
      if (auto na = NameAddr::parse(f.value)) {
        touchUri(na->uriText());
      }
    } else if (f.id == HeaderName::Authorization || f.id == HeaderName::ProxyAuthorization) {
      (void)parseCredentials(f.value);
    }
  }
  if (msg.isRequest()) {
    touchUri(msg.requestUri());
    (void)validateRequest(msg);
    (void)unsupportedRequires(msg, {"path", "gruu"});
    // Whatever we can parse, we can answer, and the answer parses too.
    const std::string response = ResponseBuilder(msg, 400, "").toTag("t").build();
    require(SipMessage::parse(response, unlimited()).ok());
  } else {
    (void)validateResponse(msg);
  }
}

size_t fieldsWithoutContentLength(const SipMessage& msg) {
  return msg.fields().size() - msg.count(HeaderName::ContentLength);
}

void checkRoundTrip(const SipMessage& msg) {
  const std::string wire = msg.serialize();
  auto again = SipMessage::parse(wire, unlimited());
  require(again.ok());
  require(again->isRequest() == msg.isRequest());
  require(again->body() == msg.body());
  require(fieldsWithoutContentLength(*again) == fieldsWithoutContentLength(msg));
  require(again->serialize() == wire);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto msg = SipMessage::parse(input);
  if (!msg) {
    return 0;
  }
  touchAccessors(*msg);
  checkRoundTrip(*msg);

  // Edits keep the message serializable.
  msg->prependHeader(HeaderName::Via, "SIP/2.0/UDP fuzz.invalid;branch=z9hG4bK-f");
  msg->removeFirst(HeaderName::Route);
  msg->setMaxForwards(69);
  msg->setBody("x");
  checkRoundTrip(*msg);
  return 0;
}
