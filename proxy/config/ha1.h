// SPDX-License-Identifier: Apache-2.0
// Digest HA1 hashing (RFC 7616 §3.4.2): H(username ":" realm ":" password).
// Passwords exist only while a user is being added (YAML `password:` at load
// time, or confabctl); everything downstream keeps the HA1s alone. This is the
// one place the hash is computed, so the server and confabctl always agree.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace proxy::config {

// The digest algorithms we offer (RFC 8760), in the order an operator lists them.
enum class DigestAlgorithm { Sha256, Md5 };

// The token used on the wire and in YAML: "SHA-256" or "MD5".
std::string_view algorithmName(DigestAlgorithm algorithm);

// Case-insensitive inverse of algorithmName(); nullopt for anything else.
std::optional<DigestAlgorithm> parseAlgorithm(std::string_view name);

// Lowercase hex H(user:realm:password). The password is fed to the digest in
// place, never copied into another buffer.
std::string computeHa1(DigestAlgorithm algorithm, std::string_view user, std::string_view realm,
                       std::string_view password);

}  // namespace proxy::config
