// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/ntlm/ntlm_security.h"

#include "proxy/base/log.h"
#include "proxy/base/strings.h"

namespace core::registrar::ntlm {

NtlmSecurity::NtlmSecurity(const proxy::Clock& clock, NtlmOptions options)
    : options_(std::move(options)),
      server_(
          clock,
          [this](std::string_view user, std::string_view domain) {
            return lookupHash(user, domain);
          },
          options_.server) {}

std::string NtlmSecurity::offer() const {
  return server_.challengeOffer(options_.realm, options_.targetname);
}

proxy::Result<std::string> NtlmSecurity::challenge(std::string_view client_gssapi_data) {
  std::lock_guard lock(mutex_);
  auto challenge = server_.challenge(options_.realm, options_.targetname, client_gssapi_data);
  if (!challenge) {
    return challenge.error();
  }
  return NtlmServer::challengeHeader(*challenge);
}

// NTLM names a user as (user, domain): "alice@example.test" with no domain, or
// "alice" in a Windows domain. Either way it must be a user of the claimed
// AOR's domain, so a bare name is completed with that domain.
std::optional<NtHash> NtlmSecurity::lookupHash(std::string_view user, std::string_view) {
  if (users_ == nullptr) {
    return std::nullopt;
  }
  std::string aor = proxy::toLower(user);
  if (aor.find('@') == std::string::npos) {
    aor += "@" + proxy::toLower(claimed_domain_);
  }
  const storage::UserRecord* record = users_->findAor(aor);
  if (record == nullptr || record->nt_hash.empty()) {
    return std::nullopt;  // unknown, or added before NTLM hashes were kept
  }
  auto bytes = fromHex(record->nt_hash);
  if (!bytes || bytes->size() != 16) {
    return std::nullopt;
  }
  NtHash hash{};
  std::copy(bytes->begin(), bytes->end(), hash.begin());
  return hash;
}

proxy::Result<std::string> NtlmSecurity::logon(const proxy::sip::SipMessage& request,
                                               const NtlmCredentials& credentials,
                                               std::string_view claimed_aor,
                                               const UserDirectory& users) {
  std::lock_guard lock(mutex_);
  users_ = &users;
  claimed_domain_ = claimed_aor.substr(claimed_aor.find('@') + 1);
  auto logon = server_.authenticate(credentials.opaque, credentials.gssapi_data);
  users_ = nullptr;
  if (!logon) {
    return logon.error();
  }
  // The logged-on user must be the AOR it registers.
  std::string aor = proxy::toLower(logon->user);
  if (aor.find('@') == std::string::npos) {
    aor += "@" + std::string(claimed_domain_);
  }
  if (aor != claimed_aor) {
    server_.forget(credentials.opaque);
    return proxy::makeError(403, "Credentials Do Not Match To");
  }
  if (credentials.signed_message()) {
    auto verified =
        server_.verifyRequest(credentials.opaque, signedFieldsOf(request), credentials.crand,
                              credentials.cnum, credentials.response);
    if (!verified) {
      server_.forget(credentials.opaque);
      return verified.error();
    }
  }
  aor_of_[std::string(credentials.opaque)] = aor;
  return std::string(credentials.opaque);
}

proxy::Result<std::string> NtlmSecurity::verify(const proxy::sip::SipMessage& request,
                                                const NtlmCredentials& credentials) {
  std::lock_guard lock(mutex_);
  auto verified = server_.verifyRequest(credentials.opaque, signedFieldsOf(request),
                                        credentials.crand, credentials.cnum, credentials.response);
  if (!verified) {
    return verified.error();
  }
  auto it = aor_of_.find(std::string(credentials.opaque));
  if (it == aor_of_.end()) {
    return proxy::makeError(401, "Unknown Security Association");
  }
  return it->second;
}

std::optional<std::string> NtlmSecurity::sign(std::string_view opaque,
                                              const proxy::sip::SipMessage& message) {
  std::lock_guard lock(mutex_);
  auto signed_message = server_.sign(opaque, signedFieldsOf(message));
  if (!signed_message) {
    aor_of_.erase(std::string(opaque));
    return std::nullopt;
  }
  return std::move(signed_message->header);
}

void NtlmSecurity::forget(std::string_view opaque) {
  std::lock_guard lock(mutex_);
  server_.forget(opaque);
  aor_of_.erase(std::string(opaque));
}

}  // namespace core::registrar::ntlm
