// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/register_response.h"

#include <time.h>

#include <cstdio>

#include "core-server/registrar/register_request.h"
#include "proxy/base/random.h"

namespace core::registrar {
namespace {

namespace sip = proxy::sip;

constexpr size_t kToTagLength = 10;

std::string newTag() { return proxy::randomToken(kToTagLength); }

}  // namespace

std::string httpDate(int64_t unix_s) {
  // Fixed English names: the wire format must not follow the process locale.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const time_t t = static_cast<time_t>(unix_s);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string renderContact(const Binding& binding, int64_t now) {
  std::string out = "<" + binding.contact + ">";
  if (!binding.params.empty()) {
    out += ";" + binding.params;
  }
  if (!binding.instance.empty()) {
    out += ";" + renderParam("+sip.instance", binding.instance, true, /*quoted=*/true);
  }
  if (binding.q1000 != 1000) {
    out += ";q=" + formatQ(binding.q1000);
  }
  const int64_t left = binding.expires_at > now ? binding.expires_at - now : 0;
  out += ";expires=" + std::to_string(left);
  return out;
}

std::string buildRegisterOk(const sip::SipMessage& req, const std::vector<const Binding*>& bindings,
                            std::optional<uint32_t> granted, int64_t now) {
  sip::ResponseBuilder builder(req, 200, "OK");
  builder.toTag(newTag());
  for (const Binding* b : bindings) {
    builder.header("Contact", renderContact(*b, now));
  }
  if (granted) {
    builder.header("Expires", std::to_string(*granted));
  }
  builder.header("Date", httpDate(now));
  return builder.build();
}

std::string buildChallenge(const sip::SipMessage& req, const std::vector<std::string>& challenges) {
  sip::ResponseBuilder builder(req, 401, "Unauthorized");
  builder.toTag(newTag());
  for (const std::string& c : challenges) {
    builder.header("WWW-Authenticate", c);
  }
  return builder.build();
}

std::string buildRegisterError(const sip::SipMessage& req, const proxy::Error& error,
                               uint32_t min_expires) {
  const std::string_view reason =
      error.detail.empty() ? sip::defaultReason(error.status) : std::string_view(error.detail);
  sip::ResponseBuilder builder(req, error.status, reason);
  builder.toTag(newTag());
  if (error.status == 423) {
    builder.header("Min-Expires", std::to_string(min_expires));
  }
  return builder.build();
}

}  // namespace core::registrar
