// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xcap/http_digest.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "proxy/base/counters.h"
#include "proxy/base/strings.h"

namespace core::presence::xcap {
namespace {

namespace sip = proxy::sip;

// The path of a request-target, %XX decoded (the query, if any, dropped).
std::string percentDecoded(std::string_view uri) {
  uri = uri.substr(0, uri.find('?'));
  std::string out;
  for (size_t i = 0; i < uri.size(); ++i) {
    unsigned value = 0;
    if (uri[i] == '%' && i + 2 < uri.size() &&
        std::from_chars(uri.data() + i + 1, uri.data() + i + 3, value, 16).ptr ==
            uri.data() + i + 3) {
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(uri[i]);
    }
  }
  return out;
}

}  // namespace

HttpDigest::HttpDigest(DigestOptions options, std::shared_ptr<const registrar::UserTable> users,
                       const proxy::Clock& clock)
    : options_(std::move(options)),
      key_(registrar::NonceKey::generate()),
      opaque_(key_.opaque(options_.realm)),
      clock_(clock),
      nonce_counts_(options_.max_tracked_nonces),
      users_(std::move(users)) {}

void HttpDigest::setUsers(std::shared_ptr<const registrar::UserTable> users) {
  std::lock_guard lock(users_mutex_);
  users_ = std::move(users);
}

DigestOutcome HttpDigest::check(std::string_view method, std::string_view path,
                                std::string_view authorization, std::string_view domain) {
  static auto failed = proxy::counters::get("xcap.auth.failed");
  static auto replayed = proxy::counters::get("xcap.auth.stale");
  auto creds = sip::parseCredentials(authorization);
  if (!creds || !proxy::iequals(creds->scheme, "Digest") ||
      proxy::unquoted(creds->realm) != options_.realm) {
    return DigestChallenge{};
  }
  if (percentDecoded(proxy::unquoted(creds->uri)) != path) {
    failed.add();  // credentials made for another resource (RFC 7616 §3.4.6)
    return DigestChallenge{};
  }
  const auto algorithm = sip::parseAlgorithm(proxy::unquoted(creds->algorithm));
  const auto nc = sip::parseNonceCount(creds->nc);
  if (!algorithm ||
      std::find(options_.algorithms.begin(), options_.algorithms.end(), *algorithm) ==
          options_.algorithms.end() ||
      !proxy::iequals(proxy::unquoted(creds->qop), "auth") ||
      proxy::unquoted(creds->cnonce).empty() || !nc) {
    failed.add();
    return DigestChallenge{};
  }
  const std::string_view nonce = proxy::unquoted(creds->nonce);
  const int64_t now = clock_.unixSeconds();
  const registrar::NonceState state =
      key_.check(nonce, options_.realm, now, options_.nonce_lifetime_s);
  if (state == registrar::NonceState::Forged) {
    failed.add();
    return DigestChallenge{};
  }
  std::shared_ptr<const registrar::UserTable> table;
  {
    std::lock_guard lock(users_mutex_);
    table = users_;
  }
  registrar::UserDirectory users(table);
  const storage::UserRecord* user =
      users.lookup(proxy::unquoted(creds->username), options_.realm, domain);
  if (user == nullptr) {
    failed.add();
    return DigestChallenge{};
  }
  const std::string& ha1 =
      *algorithm == sip::DigestAlgorithm::Sha256 ? user->ha1_sha256 : user->ha1_md5;
  const std::string expected =
      sip::computeResponse(*algorithm, ha1, method, proxy::unquoted(creds->uri), nonce, creds->nc,
                           proxy::unquoted(creds->cnonce), "auth");
  if (ha1.empty() || !proxy::sameHexConstantTime(proxy::unquoted(creds->response), expected)) {
    failed.add();
    return DigestChallenge{};
  }
  if (state == registrar::NonceState::Expired || !nonce_counts_.accept(nonce, *nc)) {
    replayed.add();
    return DigestChallenge{true};
  }
  nonce_counts_.sweep(now - options_.nonce_lifetime_s);
  return DigestUser{user->aor};
}

std::vector<std::string> HttpDigest::challenges(bool stale) const {
  const std::string nonce = key_.issue(clock_.unixSeconds(), options_.realm);
  std::vector<std::string> out;
  for (sip::DigestAlgorithm algorithm : options_.algorithms) {
    out.push_back(sip::digestChallenge(options_.realm, nonce, opaque_, algorithm, stale));
  }
  return out;
}

}  // namespace core::presence::xcap
