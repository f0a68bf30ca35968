// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/authenticator.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/strings.h"

namespace core::registrar {
namespace {

namespace sip = proxy::sip;
using proxy::counters::Counter;

struct AuthCounters {
  Counter no_credentials = proxy::counters::get("auth.no_credentials");
  Counter bad_credentials = proxy::counters::get("auth.bad_credentials");
  Counter forged_nonce = proxy::counters::get("auth.forged_nonce");
  Counter failed = proxy::counters::get("auth.failed");
  Counter stale = proxy::counters::get("auth.stale_nonce");
  Counter replay = proxy::counters::get("auth.nonce_replay");
  Counter forbidden = proxy::counters::get("auth.forbidden");
  Counter ok = proxy::counters::get("auth.ok");
};

// Interned once; bumping a handle is lock-free.
const AuthCounters& stats() {
  static const AuthCounters counters;
  return counters;
}

std::string_view domainOf(std::string_view aor) {
  const size_t at = aor.rfind('@');
  return at == std::string_view::npos ? aor : aor.substr(at + 1);
}

// lower == toLower(s), without making the lowercase copy.
bool isLowercaseOf(std::string_view lower, std::string_view s) {
  if (lower.size() != s.size()) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (lower[i] != proxy::asciiLower(s[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

Authenticator::Authenticator(AuthOptions options, const NonceKey& key, const UserDirectory& users,
                             const proxy::Clock& clock)
    : options_(std::move(options)),
      key_(key),
      opaque_(key_.opaque(options_.realm)),
      users_(users),
      clock_(clock),
      nonce_counts_(options_.max_tracked_nonces),
      recent_nonces_(kRecentNonces) {}

size_t Authenticator::recentSlot(const char* nonce) {
  // Hex digits of the nonce's random part: unpredictable, so they spread.
  uint64_t digits = 0;
  std::memcpy(&digits, nonce + 24, sizeof digits);
  return static_cast<size_t>((digits * 0x9e3779b97f4a7c15ULL) >> 32) & (kRecentNonces - 1);
}

NonceState Authenticator::nonceState(std::string_view nonce, int64_t now, NonceId& id) const {
  if (nonce.size() == NonceKey::kNonceLength) {
    const RecentNonce& recent = recent_nonces_[recentSlot(nonce.data())];
    // An unused slot's text (all '\0') is no nonce of ours and fails the MAC.
    if (recent.text[0] != '\0' && NonceKey::sameNonce(recent.text.data(), nonce.data())) {
      id = recent.id;
      return NonceKey::ageState(recent.id.issued, now, options_.nonce_lifetime_s);
    }
  }
  return key_.check(nonce, options_.realm, now, options_.nonce_lifetime_s, &id);
}

bool Authenticator::pickCredentials(const sip::SipMessage& req, bool proxy, Chosen& out) const {
  const auto header = proxy ? sip::HeaderName::ProxyAuthorization : sip::HeaderName::Authorization;
  size_t best = options_.algorithms.size();
  // The fields themselves rather than req.headers(header): no vector per check.
  for (const sip::HeaderField& field : req.fields()) {
    if (field.id != header) {
      continue;
    }
    auto creds = sip::parseCredentials(field.value);
    // RFC 4475 §3.3.7 (regaut01): an unknown scheme is ignored, not an error.
    if (!creds || !proxy::iequals(creds->scheme, "Digest") ||
        proxy::unquoted(creds->realm) != options_.realm) {
      continue;
    }
    const auto algorithm = sip::parseAlgorithm(proxy::unquoted(creds->algorithm));
    for (size_t i = 0; algorithm && i < best; ++i) {
      if (options_.algorithms[i] == *algorithm) {
        best = i;
        out = Chosen{*creds, *algorithm};
      }
    }
  }
  return best < options_.algorithms.size();
}

std::string_view Authenticator::ha2(sip::DigestAlgorithm algorithm, std::string_view method,
                                    std::string_view uri) {
  Ha2Cache& c = ha2_cache_;
  const std::string_view key = c.method_uri;
  const bool hit = !key.empty() && c.algorithm == algorithm &&
                   key.size() == method.size() + 1 + uri.size() && key.starts_with(method) &&
                   key[method.size()] == ':' && key.ends_with(uri);
  if (!hit) {
    c.algorithm = algorithm;
    c.method_uri.assign(method).append(":").append(uri);
    c.ha2 = sip::computeHa2(algorithm, method, uri);
  }
  return c.ha2;
}

bool Authenticator::responseMatches(const Chosen& chosen, const storage::UserRecord& user,
                                    std::string_view method) {
  const auto& c = chosen.creds;
  const bool sha = chosen.algorithm == sip::DigestAlgorithm::Sha256;
  const std::string& ha1 = sha ? user.ha1_sha256 : user.ha1_md5;  // lowercase (UserTable)
  if (ha1.empty()) {
    return false;  // no HA1 for this algorithm: the user cannot use it
  }
  // RFC 7616 §3.4.1: the response covers the method and the credentials' uri.
  char expected[sip::kMaxDigestHexLength];
  const size_t length = sip::computeResponseFromHa2Into(
      chosen.algorithm, ha1, ha2(chosen.algorithm, method, proxy::unquoted(c.uri)),
      proxy::unquoted(c.nonce), c.nc, proxy::unquoted(c.cnonce), "auth", expected);
  return proxy::sameHexConstantTime(proxy::unquoted(c.response),
                                    std::string_view(expected, length));
}

AuthOutcome Authenticator::check(const sip::SipMessage& req, bool proxy,
                                 std::string_view claimed_aor) {
  Chosen chosen;
  if (!pickCredentials(req, proxy, chosen)) {
    stats().no_credentials.add();
    return Challenge{false};
  }
  const auto& c = chosen.creds;
  const auto nc = sip::parseNonceCount(c.nc);
  // We always offer qop="auth", so RFC 2069-style answers without it are refused.
  if (!proxy::iequals(proxy::unquoted(c.qop), "auth") || proxy::unquoted(c.cnonce).empty() || !nc) {
    stats().bad_credentials.add();
    return Challenge{false};
  }
  const std::string_view nonce = proxy::unquoted(c.nonce);
  const int64_t now = clock_.unixSeconds();
  NonceId nonce_id;
  const NonceState state = nonceState(nonce, now, nonce_id);
  if (state == NonceState::Forged) {
    stats().forged_nonce.add();
    return Challenge{false};
  }
  const storage::UserRecord* user =
      users_.lookup(proxy::unquoted(c.username), options_.realm, domainOf(claimed_aor));
  if (user == nullptr || !responseMatches(chosen, *user, req.methodText())) {
    stats().failed.add();
    LOG_DEBUG("auth: digest failed for user '%.*s'", static_cast<int>(c.username.size()),
              c.username.data());
    return Challenge{false};
  }
  if (!isLowercaseOf(user->aor, claimed_aor)) {
    stats().forbidden.add();
    return Forbidden{"Username does not match the AOR"};
  }
  if (state == NonceState::Expired) {
    stats().stale.add();
    return Challenge{true};
  }
  if (!nonce_counts_.accept(nonce_id, *nc)) {
    stats().replay.add();
    return Challenge{true};
  }
  stats().ok.add();
  return Authenticated{user->aor};
}

bool Authenticator::lacksCredentials(const sip::SipMessage& req, bool proxy) {
  const auto header = proxy ? sip::HeaderName::ProxyAuthorization : sip::HeaderName::Authorization;
  if (req.has(header)) {
    Chosen chosen;
    if (pickCredentials(req, proxy, chosen)) {
      return false;
    }
  }
  stats().no_credentials.add();
  return true;
}

std::vector<std::string> Authenticator::challengeHeaders(bool stale, const sip::SipMessage& req) {
  std::string_view agent = req.header(sip::HeaderName::UserAgent);
  for (const std::string& prefix : options_.md5_only_user_agents) {
    if (agent.size() >= prefix.size() && proxy::iequals(agent.substr(0, prefix.size()), prefix) &&
        std::find(options_.algorithms.begin(), options_.algorithms.end(),
                  sip::DigestAlgorithm::Md5) != options_.algorithms.end()) {
      return challengesFor(stale, {sip::DigestAlgorithm::Md5});
    }
  }
  return challengeHeaders(stale);
}

std::vector<std::string> Authenticator::challengeHeaders(bool stale) {
  return challengesFor(stale, options_.algorithms);
}

std::vector<std::string> Authenticator::challengesFor(
    bool stale, const std::vector<sip::DigestAlgorithm>& algorithms) {
  char nonce_text[NonceKey::kNonceLength];
  NonceId id;
  key_.issueInto(clock_.unixSeconds(), options_.realm, nonce_text, &id);
  const std::string_view nonce(nonce_text, sizeof nonce_text);
  RecentNonce& recent = recent_nonces_[recentSlot(nonce_text)];
  std::memcpy(recent.text.data(), nonce_text, sizeof nonce_text);
  recent.id = id;
  std::vector<std::string> out;
  out.reserve(algorithms.size());
  for (sip::DigestAlgorithm algorithm : algorithms) {
    out.push_back(sip::digestChallenge(options_.realm, nonce, opaque_, algorithm, stale));
  }
  return out;
}

bool Authenticator::trusted(const proxy::transport::Address& source) const {
  return options_.is_trusted && options_.is_trusted(source);
}

void Authenticator::sweep() {
  nonce_counts_.sweep(clock_.unixSeconds() - options_.nonce_lifetime_s);
}

}  // namespace core::registrar
