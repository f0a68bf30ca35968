// SPDX-License-Identifier: Apache-2.0
// HTTP Digest (RFC 7616) for the XCAP endpoint, over the SIP user store: the same realm,
// so the HA1s stored for SIP work unchanged. Nonces are the registrar's stateless HMAC
// nonces (NonceKey, with a key of this endpoint's own) and replays are refused with the
// registrar's nonce-count table, so expiry (stale=true) and nc rules match the SIP side.
// qop=auth only. One instance, used on the HTTP thread only.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core-server/registrar/nonce.h"
#include "core-server/registrar/nonce_count_table.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/base/clock.h"
#include "proxy/sip/digest.h"

namespace core::presence::xcap {

struct DigestOptions {
  std::string realm;
  std::vector<proxy::sip::DigestAlgorithm> algorithms{proxy::sip::DigestAlgorithm::Sha256,
                                                      proxy::sip::DigestAlgorithm::Md5};
  uint32_t nonce_lifetime_s = 300;
  size_t max_tracked_nonces = 65536;
};

struct DigestUser {
  std::string aor;  // canonical, lower-case
};
struct DigestChallenge {
  bool stale = false;
};
using DigestOutcome = std::variant<DigestUser, DigestChallenge>;

class HttpDigest {
 public:
  HttpDigest(DigestOptions options, std::shared_ptr<const registrar::UserTable> users,
             const proxy::Clock& clock);

  // A newer user table (any thread; takes effect for the next request).
  void setUsers(std::shared_ptr<const registrar::UserTable> users);

  // Checks an Authorization header of a request with `method` for `path` (percent-decoded,
  // as lws gives it: the credentials' uri must decode to it) whose user is expected in
  // `domain` (a username without a domain is completed with it).
  DigestOutcome check(std::string_view method, std::string_view path,
                      std::string_view authorization, std::string_view domain);
  // WWW-Authenticate values, one per algorithm, most preferred first.
  std::vector<std::string> challenges(bool stale) const;

 private:
  DigestOptions options_;
  registrar::NonceKey key_;
  std::string opaque_;
  const proxy::Clock& clock_;
  registrar::NonceCountTable nonce_counts_;
  std::mutex users_mutex_;  // only for setUsers(), which comes from the main thread
  std::shared_ptr<const registrar::UserTable> users_;
};

}  // namespace core::presence::xcap
