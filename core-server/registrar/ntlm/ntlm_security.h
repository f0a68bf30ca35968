// SPDX-License-Identifier: Apache-2.0
// NTLM security associations for the whole process. An OCS/Lync-dialect client
// logs on through REGISTER (on its AOR's shard), but afterwards its requests land
// on any shard and messages to it leave from any shard, all signed within its SA.
// So the SAs live here, behind one mutex; only NTLM clients' messages take it —
// digest clients never do (see NtlmFlowSigner, which keeps the per-shard list of
// NTLM connections lock-free).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core-server/registrar/ntlm/ntlm_server.h"
#include "core-server/registrar/ntlm/ntlm_sip.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/base/clock.h"
#include "proxy/base/result.h"

namespace core::registrar::ntlm {

struct NtlmOptions {
  std::string realm = "SIP Communications Service";  // what MS clients expect
  std::string targetname;                            // our FQDN, e.g. "confab.example.test"
  NtlmServerConfig server;
};

class NtlmSecurity {
 public:
  NtlmSecurity(const proxy::Clock& clock, NtlmOptions options);

  // `WWW-Authenticate` value of the first 401 (no gssapi-data).
  std::string offer() const;
  // The second 401's `WWW-Authenticate` value, for gssapi-data "" or a NEGOTIATE.
  proxy::Result<std::string> challenge(std::string_view client_gssapi_data);
  // Checks the AUTHENTICATE of a REGISTER and, if signed, its signature. The user
  // it names must be `claimed_aor` (the To AOR). Returns the opaque of the new SA.
  // 401: challenge again; 403: wrong credentials or not that user.
  proxy::Result<std::string> logon(const proxy::sip::SipMessage& request,
                                   const NtlmCredentials& credentials, std::string_view claimed_aor,
                                   const UserDirectory& users);
  // Verifies a signed request within its SA; returns the SA's AOR.
  proxy::Result<std::string> verify(const proxy::sip::SipMessage& request,
                                    const NtlmCredentials& credentials);
  // The Authentication-Info value that signs `message` within SA `opaque`;
  // nullopt when the SA has gone (expired, forgotten).
  std::optional<std::string> sign(std::string_view opaque, const proxy::sip::SipMessage& message);
  void forget(std::string_view opaque);

  const NtlmOptions& options() const { return options_; }

 private:
  std::optional<NtHash> lookupHash(std::string_view user, std::string_view domain);

  NtlmOptions options_;
  std::mutex mutex_;
  NtlmServer server_;
  std::unordered_map<std::string, std::string> aor_of_;  // opaque -> AOR
  // Set only while logon() holds the mutex: where the NT hash lookup looks.
  const UserDirectory* users_ = nullptr;
  std::string_view claimed_domain_;
};

}  // namespace core::registrar::ntlm
