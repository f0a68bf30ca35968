// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/header_name.h"

#include <doctest/doctest.h>

#include <cctype>
#include <string>

#include "proxy/sip/sip_message.h"

namespace proxy::sip {
namespace {

TEST_CASE("method lookup is case-sensitive and covers the known methods") {
  for (Method m : {Method::Invite, Method::Ack, Method::Bye, Method::Cancel, Method::Register,
                   Method::Options, Method::Message, Method::Subscribe, Method::Notify,
                   Method::Publish, Method::Info, Method::Update, Method::Refer, Method::Prack,
                   Method::Service, Method::Benotify}) {
    CHECK(lookupMethod(methodName(m)) == m);
  }
  CHECK(lookupMethod("invite") == Method::Unknown);
  CHECK(lookupMethod("RE%47IST%45R") == Method::Unknown);
  CHECK(lookupMethod("") == Method::Unknown);
  CHECK(methodName(Method::Unknown).empty());
}

TEST_CASE("header name lookup: canonical, compact, any case") {
  for (int i = 1; i < static_cast<int>(HeaderName::Count_); ++i) {
    const auto id = static_cast<HeaderName>(i);
    const std::string_view name = canonicalHeaderName(id);
    REQUIRE_FALSE(name.empty());
    CHECK_MESSAGE(lookupHeaderName(name) == id, name);
    std::string upper(name);
    for (char& c : upper) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    CHECK_MESSAGE(lookupHeaderName(upper) == id, upper);
  }
  CHECK(canonicalHeaderName(HeaderName::CallId) == "Call-ID");
  CHECK(canonicalHeaderName(HeaderName::CSeq) == "CSeq");
  CHECK(canonicalHeaderName(HeaderName::WwwAuthenticate) == "WWW-Authenticate");
  CHECK(canonicalHeaderName(HeaderName::Other).empty());
  CHECK(lookupHeaderName("i") == HeaderName::CallId);
  CHECK(lookupHeaderName("M") == HeaderName::Contact);
  CHECK(lookupHeaderName("e") == HeaderName::ContentEncoding);
  CHECK(lookupHeaderName("c") == HeaderName::ContentType);
  CHECK(lookupHeaderName("k") == HeaderName::Supported);
  CHECK(lookupHeaderName("s") == HeaderName::Subject);
  CHECK(lookupHeaderName("o") == HeaderName::Event);
  CHECK(lookupHeaderName("u") == HeaderName::AllowEvents);
  CHECK(lookupHeaderName("r") == HeaderName::ReferTo);
  CHECK(lookupHeaderName("b") == HeaderName::ReferredBy);
  CHECK(lookupHeaderName("x") == HeaderName::SessionExpires);
  CHECK(lookupHeaderName("a") == HeaderName::Other);  // Accept-Contact: not indexed
  CHECK(lookupHeaderName("") == HeaderName::Other);
  CHECK(lookupHeaderName("Vias") == HeaderName::Other);
  CHECK(lookupHeaderName("C%6Fntact") == HeaderName::Other);
  CHECK(lookupHeaderName("Content-Length-Extended-Long-Name") == HeaderName::Other);
  CHECK(isListHeader(HeaderName::Via));
  CHECK(isListHeader(HeaderName::Contact));
  CHECK(isListHeader(HeaderName::RecordRoute));
  CHECK_FALSE(isListHeader(HeaderName::From));
  CHECK_FALSE(isListHeader(HeaderName::WwwAuthenticate));
  CHECK_FALSE(isListHeader(HeaderName::Other));
}

}  // namespace
}  // namespace proxy::sip
