// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/register_response.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "core-server/registrar/register_request.h"
#include "proxy/base/random.h"
#include "proxy/base/strings.h"

namespace core::registrar {
namespace {

namespace sip = proxy::sip;

constexpr size_t kToTagLength = 10;
constexpr size_t kHttpDateLength = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"

std::string newTag() { return proxy::randomToken(kToTagLength); }

void appendDecimal(std::string& out, uint64_t v) {
  char buf[20];
  const auto end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  out.append(buf, end);
}

// Writes `v` as exactly `width` decimal digits ending just before `end`.
void putDigits(char* end, unsigned v, int width) {
  for (int i = 1; i <= width; ++i, v /= 10) {
    end[-i] = static_cast<char>('0' + v % 10);
  }
}

// The rfc1123-date of `unix_s` into `out` (kHttpDateLength chars). Calendar
// arithmetic instead of gmtime_r + snprintf: a 200 OK carries one, and the
// printf machinery cost more than the rest of the response. Fixed English
// names: the wire format must not follow the process locale.
std::string_view formatHttpDate(int64_t unix_s, char (&out)[kHttpDateLength + 1]) {
  using namespace std::chrono;
  static constexpr char kDays[] = "SunMonTueWedThuFriSat";
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const sys_seconds t{seconds{unix_s}};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{t - day};
  const unsigned wday = weekday{day}.c_encoding();
  const unsigned month = static_cast<unsigned>(ymd.month()) - 1;
  // rfc1123-date has a 4DIGIT year; the clock will not reach 10000.
  const unsigned year = static_cast<unsigned>(static_cast<int>(ymd.year())) % 10000;

  char* p = std::copy_n(kDays + 3 * wday, 3, out);
  p = std::copy_n(", DD ", 5, p);
  putDigits(p - 1, static_cast<unsigned>(ymd.day()), 2);
  p = std::copy_n(kMonths + 3 * month, 3, p);
  p = std::copy_n(" YYYY HH:MM:SS GMT", 18, p);
  putDigits(p - 13, year, 4);
  putDigits(p - 10, static_cast<unsigned>(hms.hours().count()), 2);
  putDigits(p - 7, static_cast<unsigned>(hms.minutes().count()), 2);
  putDigits(p - 4, static_cast<unsigned>(hms.seconds().count()), 2);
  *p = '\0';
  return {out, kHttpDateLength};
}

// formatHttpDate() of the last second asked for: every 200 OK of that second
// carries the same Date. Per thread, as each shard builds its own responses.
std::string_view cachedHttpDate(int64_t unix_s) {
  thread_local int64_t second = -1;
  thread_local char text[kHttpDateLength + 1];
  if (unix_s != second) {
    formatHttpDate(unix_s, text);
    second = unix_s;
  }
  return {text, kHttpDateLength};
}

// Appends renderContact(binding, now) to `out`.
void appendContact(std::string& out, const Binding& binding, int64_t now) {
  out += '<';
  out += binding.contact;
  out += '>';
  if (!binding.params.empty()) {
    out += ';';
    out += binding.params;
  }
  if (!binding.instance.empty()) {
    out += ';';
    out += renderParam("+sip.instance", binding.instance, true, /*quoted=*/true);
  }
  if (binding.q1000 != 1000) {
    out += ";q=";
    out += formatQ(binding.q1000);
  }
  out += ";expires=";
  appendDecimal(out,
                static_cast<uint64_t>(binding.expires_at > now ? binding.expires_at - now : 0));
}

void addDialectHeaders(sip::ResponseBuilder& builder, const sip::SipMessage& req) {
  if (!isMicrosoftClient(req)) {
    builder.header("Allow-Events", "presence, presence.winfo");
    return;
  }
  // Accepts the keep-alive the client offered in its own ms-keep-alive header.
  builder.header("ms-keep-alive", "UAS; tcp=no; hop-hop=yes; end-end=no; timeout=300");
  builder.header("Allow-Events",
                 "vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,"
                 "vnd-microsoft-roaming-ACL,presence,presence.wpending,"
                 "vnd-microsoft-roaming-self,vnd-microsoft-provisioning-v2");
  builder.header("Supported", "adhoclist");
  builder.header("Supported", "com.microsoft.msrtc.presence");
  builder.header("Supported", "msrtc-event-categories");
}

}  // namespace

std::string httpDate(int64_t unix_s) {
  char buf[kHttpDateLength + 1];
  return std::string(formatHttpDate(unix_s, buf));
}

std::string renderContact(const Binding& binding, int64_t now) {
  std::string out;
  appendContact(out, binding, now);
  return out;
}

bool isMicrosoftClient(const sip::SipMessage& req) {
  if (req.has(sip::HeaderName::MsKeepAlive)) {
    return true;
  }
  for (std::string_view tag : req.tokens(sip::HeaderName::Supported)) {
    if (proxy::iequals(tag, "msrtc-event-categories") ||
        proxy::iequals(tag, "com.microsoft.msrtc.presence")) {
      return true;
    }
  }
  return false;
}

std::string buildRegisterOk(const sip::SipMessage& req, const std::vector<const Binding*>& bindings,
                            std::optional<uint32_t> granted, int64_t now) {
  sip::ResponseBuilder builder(req, 200, "OK");
  builder.toTag(newTag());
  std::string value;  // reused for every header value: one allocation, not one per Contact
  value.reserve(128);
  for (const Binding* b : bindings) {
    value.clear();
    appendContact(value, *b, now);
    builder.header("Contact", value);
  }
  if (granted) {
    value.clear();
    appendDecimal(value, *granted);
    builder.header("Expires", value);
  }
  builder.header("Date", cachedHttpDate(now));
  addDialectHeaders(builder, req);
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
