// SPDX-License-Identifier: Apache-2.0
// Digest authentication of requests (RFC 3261 §22, RFC 7616, RFC 8760): issues
// challenges with stateless HMAC nonces (nonce.h), verifies Authorization or
// Proxy-Authorization credentials against the UserDirectory, and guards against
// replays with a bounded nonce-count table. It decides; the caller builds the
// 401/407/403 response. One instance per shard, used only on its thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core-server/registrar/nonce.h"
#include "core-server/registrar/nonce_count_table.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/base/clock.h"
#include "proxy/sip/digest.h"
#include "proxy/sip/sip_message.h"
#include "proxy/transport/transport.h"

namespace core::registrar {

struct AuthOptions {
  std::string realm;
  // Offered in this order, one challenge each (RFC 8760 §2.4: most preferred first).
  std::vector<proxy::sip::DigestAlgorithm> algorithms{proxy::sip::DigestAlgorithm::Sha256,
                                                      proxy::sip::DigestAlgorithm::Md5};
  uint32_t nonce_lifetime_s = 300;
  // True for sources whose requests are not challenged (trusted networks). Unset = none.
  std::function<bool(const proxy::transport::Address&)> is_trusted;
  size_t max_tracked_nonces = 65536;  // nonce-count table cap, per shard
  // User-Agent prefixes (case-insensitive) that get an MD5 challenge only, for
  // clients that fail on challenges they cannot answer instead of skipping them.
  std::vector<std::string> md5_only_user_agents;
};

struct Authenticated {
  std::string aor;  // the user's canonical AOR
};
struct Challenge {
  bool stale = false;  // RFC 7616 §3.3: retry with the new nonce, do not ask the user
};
struct Forbidden {
  std::string reason;  // reason phrase for the 403
};
using AuthOutcome = std::variant<Authenticated, Challenge, Forbidden>;

class Authenticator {
 public:
  Authenticator(AuthOptions options, const NonceKey& key, const UserDirectory& users,
                const proxy::Clock& clock);

  // Checks the request's Authorization (proxy=false) or Proxy-Authorization
  // (proxy=true) headers. The credentials must be Digest, for our realm, with an
  // algorithm we offer and qop=auth; their user must be `claimed_aor` (the To AOR
  // of a REGISTER, the From AOR otherwise) or the outcome is Forbidden.
  //
  // Policy choices: a wrong password, an unknown user, a forged nonce or missing
  // credentials get a fresh Challenge (stale=false; an unknown user looks like a
  // wrong password). A correct response on an expired nonce, and a replayed or
  // reordered nonce count with a correct response, get Challenge{stale=true}: the
  // request is refused either way, and only someone who knows the password could
  // have produced it, so the honest client may retry without asking its user.
  AuthOutcome check(const proxy::sip::SipMessage& req, bool proxy, std::string_view claimed_aor);

  // True when the request carries no credentials check() would verify (none for
  // our realm with an algorithm we offer), so check() could only answer
  // Challenge{false}; counted as check() counts that case.
  bool lacksCredentials(const proxy::sip::SipMessage& req, bool proxy);

  // One `Digest ...` challenge per configured algorithm, preference order, all
  // with one new nonce. Put them in WWW-Authenticate (401) or Proxy-Authenticate (407).
  // Clients listed in md5_only_user_agents get the MD5 challenge alone.
  std::vector<std::string> challengeHeaders(bool stale, const proxy::sip::SipMessage& req);
  std::vector<std::string> challengeHeaders(bool stale);

  // Whether requests from `source` skip authentication.
  bool trusted(const proxy::transport::Address& source) const;

  // Forgets nonce counts of expired nonces; call from the per-shard 1 s timer.
  void sweep();

  const AuthOptions& options() const { return options_; }
  size_t trackedNonces() const { return nonce_counts_.size(); }

 private:
  struct Chosen {
    proxy::sip::DigestCredentials creds;
    proxy::sip::DigestAlgorithm algorithm = proxy::sip::DigestAlgorithm::Md5;
  };
  bool pickCredentials(const proxy::sip::SipMessage& req, bool proxy, Chosen& out) const;
  std::vector<std::string> challengesFor(bool stale,
                                         const std::vector<proxy::sip::DigestAlgorithm>& algs);
  bool responseMatches(const Chosen& chosen, const storage::UserRecord& user,
                       std::string_view method);
  // The state of a client's nonce, and its id when it is ours: from the recent
  // nonces when it is one of them, else from its MAC (NonceKey::check).
  NonceState nonceState(std::string_view nonce, int64_t now, NonceId& id) const;
  // H(method:uri), from the cache when it is the last one asked for.
  std::string_view ha2(proxy::sip::DigestAlgorithm algorithm, std::string_view method,
                       std::string_view uri);

  AuthOptions options_;
  NonceKey key_;
  std::string opaque_;  // key_.opaque(realm): constant, so computed once
  const UserDirectory& users_;
  const proxy::Clock& clock_;
  NonceCountTable nonce_counts_;
  // The last HA2 computed: a client sends every request to the same uri (and
  // HA2 is no secret), so a check usually hashes once instead of twice.
  struct Ha2Cache {
    proxy::sip::DigestAlgorithm algorithm = proxy::sip::DigestAlgorithm::Md5;
    std::string method_uri;  // "method:uri"; empty until the first check
    std::string ha2;
  };
  Ha2Cache ha2_cache_;
  // The nonces issued last, each in a slot picked by its random digits. A
  // nonce that equals its slot's text octet for octet is one we made (for our
  // realm, with a valid MAC), so the answer to a challenge, which usually
  // comes back to the shard that sent it within a round trip, is verified
  // without computing the MAC again. Others, and overwritten ones, take the
  // MAC path: the outcome is the same either way, only cheaper.
  static constexpr size_t kRecentNonces = 512;  // a power of two
  struct RecentNonce {
    std::array<char, NonceKey::kNonceLength> text{};  // all '\0' until used
    NonceId id;                                       // NonceKey::idOf(text)
  };
  static size_t recentSlot(const char* nonce);
  std::vector<RecentNonce> recent_nonces_;  // kRecentNonces slots
};

}  // namespace core::registrar
