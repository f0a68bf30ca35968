// SPDX-License-Identifier: Apache-2.0
// The server side of [MS-SIPAE] NTLM for one shard: hands out CHALLENGEs,
// checks AUTHENTICATEs against the user store, keeps the resulting security
// associations (SAs) by their opaque value, signs what we send and verifies
// what clients sign. Plain values and no locks: each shard owns one instance.
//
// The exchange (connectionless NTLM, [MS-SIPAE] 3.2.5.1 / 3.3.5.1):
//   REGISTER (no credentials)      -> 401 WWW-Authenticate: challengeOffer()
//   REGISTER gssapi-data=""        -> 401 WWW-Authenticate: challengeHeader(challenge())
//   REGISTER opaque, gssapi-data=AUTHENTICATE [crand, cnum, response]
//                                  -> authenticate(), verifyRequest() when signed,
//                                     200 with Authentication-Info: sign(...).header
// Afterwards every message the client sends carries crand/cnum/response (verifyRequest)
// and every message we send to it carries Authentication-Info (sign).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core-server/registrar/ntlm/ntlm_auth.h"
#include "core-server/registrar/ntlm/ntlm_crypto.h"
#include "core-server/registrar/ntlm/ntlm_signature.h"
#include "proxy/base/clock.h"
#include "proxy/base/result.h"

namespace core::registrar::ntlm {

// The NT hash of (user, domain) exactly as the client named them in
// AUTHENTICATE, or nullopt for an unknown user.
using NtHashLookup =
    std::function<std::optional<NtHash>(std::string_view user, std::string_view domain)>;

struct NtlmServerConfig {
  size_t max_pending = 10'000;             // outstanding challenges; the oldest is dropped
  int64_t challenge_lifetime_ms = 30'000;  // a CHALLENGE must be answered within this
  size_t max_associations = 100'000;       // established SAs; the oldest is dropped
  int64_t association_lifetime_ms = 8LL * 3600 * 1000;  // then the client must log on again
  VerifyPolicy policy;
  int version = 4;  // the [MS-SIPAE] authentication protocol version we announce
  // Where server challenges come from; empty = the CSPRNG. Tests replay captures with it.
  std::function<ServerChallenge()> server_challenge_source;
};

// The flags our CHALLENGE offers: what pidgin-sipe requires in connectionless
// mode (UNICODE, NTLM, ALWAYS_SIGN, EXTENDED_SESSIONSECURITY, TARGET_INFO plus
// SIGN, DATAGRAM, IDENTIFY, KEY_EXCH) and what Office Communicator negotiates
// (VERSION, 128, 56, SEAL, REQUEST_TARGET, TARGET_TYPE_SERVER). No LM_KEY, no OEM.
inline constexpr uint32_t kChallengeFlags =
    kNegotiateUnicode | kRequestTarget | kNegotiateSign | kNegotiateSeal | kNegotiateDatagram |
    kNegotiateNtlm | kNegotiateAlwaysSign | kTargetTypeServer | kNegotiateExtendedSessionSecurity |
    kNegotiateIdentify | kNegotiateTargetInfo | kNegotiateVersion | kNegotiate128 |
    kNegotiateKeyExch | kNegotiate56;

struct Challenge {
  std::string opaque;       // names the SA from now on
  std::string gssapi_data;  // base64 CHALLENGE_MESSAGE
  std::string realm;
  std::string targetname;
  int version = 4;
};

// Who logged on, as the AUTHENTICATE message named them.
struct Logon {
  std::string opaque;
  std::string user;
  std::string domain;
  std::string workstation;
  ResponseKind kind = ResponseKind::NtlmV2;
};

struct SecurityAssociation {
  std::string user;
  std::string domain;
  std::string realm;
  std::string targetname;
  int version = 4;
  SessionKeys keys;
  uint32_t next_snum = 1;
  uint64_t highest_cnum = 0;  // replay window: the highest cnum seen ...
  uint64_t seen_below = 0;    // ... and a bitmap of the 64 cnums below it
  int64_t expires_at_ms = 0;
};

struct SignedMessage {
  std::string rspauth;  // hex NTLMSSP_MESSAGE_SIGNATURE
  std::string srand;
  std::string snum;
  // The whole Authentication-Info value:
  // NTLM rspauth="..", srand="..", snum="..", opaque="..", qop="auth", targetname="..", realm=".."
  std::string header;
};

class NtlmServer {
 public:
  NtlmServer(const proxy::Clock& clock, NtHashLookup lookup, NtlmServerConfig config = {});

  // The first challenge, without gssapi-data: NTLM realm="..", targetname="..", version=4
  std::string challengeOffer(std::string_view realm, std::string_view targetname) const;

  // A new CHALLENGE for a client that sent gssapi-data="" (or a base64
  // NEGOTIATE_MESSAGE). 400 if the client's gssapi-data is neither.
  proxy::Result<Challenge> challenge(std::string_view realm, std::string_view targetname,
                                     std::string_view client_gssapi_data = {});
  // NTLM opaque="..", gssapi-data="..", targetname="..", realm="..", version=4
  static std::string challengeHeader(const Challenge& challenge);

  // Checks the AUTHENTICATE_MESSAGE answering the challenge named `opaque` and,
  // on success, establishes the SA under the same opaque. The challenge is
  // used up either way. Errors: 401 unknown or expired opaque (challenge again),
  // 400 malformed message, 403 wrong credentials / refused response kind.
  proxy::Result<Logon> authenticate(std::string_view opaque, std::string_view gssapi_data);

  // The SA named by `opaque`, or nullptr when unknown or expired.
  const SecurityAssociation* find(std::string_view opaque);

  // Signs a message we send within the SA (a response or a request to the client).
  // 401 when the SA is unknown or expired.
  proxy::Result<SignedMessage> sign(std::string_view opaque, const SignedFields& fields);

  // Verifies a client's signed message: crand, cnum and response from its
  // Authorization/Proxy-Authorization header. 401 unknown SA (challenge again),
  // 403 bad signature or replayed cnum.
  proxy::Result<void> verifyRequest(std::string_view opaque, const SignedFields& fields,
                                    std::string_view crand, std::string_view cnum,
                                    std::string_view response_hex);

  void forget(std::string_view opaque);  // e.g. on de-REGISTER
  size_t pendingCount() const { return pending_.size(); }
  size_t associationCount() const { return associations_.size(); }

 private:
  struct Pending {
    ServerChallenge server_challenge{};
    Bytes challenge_message;  // kept for the MIC
    std::string realm;
    std::string targetname;
    int version = 4;
    int64_t expires_at_ms = 0;
  };
  struct Expiry {
    int64_t at_ms;
    std::string opaque;
  };

  SecurityAssociation* live(std::string_view opaque);  // nullptr when unknown or expired
  void sweep(int64_t now_ms, bool room_for_pending, bool room_for_association);
  std::string newOpaque() const;

  const proxy::Clock& clock_;
  NtHashLookup lookup_;
  NtlmServerConfig config_;
  std::unordered_map<std::string, Pending> pending_;
  std::deque<Expiry> pending_order_;  // insertion order = expiry order
  std::unordered_map<std::string, SecurityAssociation> associations_;
  std::deque<Expiry> association_order_;
};

// Names for the CHALLENGE's TargetInfo derived from the targetname (the server's
// FQDN): DNS computer = targetname, DNS domain = the rest after its first label,
// NetBIOS names = upper-cased first labels, at most 15 characters.
TargetNames targetNamesFor(std::string_view targetname);

}  // namespace core::registrar::ntlm
