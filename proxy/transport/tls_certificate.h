// SPDX-License-Identifier: Apache-2.0
// First-start TLS material: when the configured certificate or key file is
// missing, generate an EC P-256 key and a self-signed certificate for the
// server name with OpenSSL 3. Called by the main program (and tests) before
// Transports::bind(), on any thread; it touches only the two files.
#pragma once

#include <optional>
#include <string>

namespace proxy::transport {

// If `cert_path` or `key_path` is missing, writes a new key (mode 0600) and a
// self-signed certificate (CN and SAN = common_name, SAN IP:127.0.0.1, valid 10
// years, serverAuth+clientAuth) to them, creating parent directories. Existing
// pairs are left alone. Returns an error message, or nullopt on success.
std::optional<std::string> ensureSelfSignedCertificate(const std::string& cert_path,
                                                       const std::string& key_path,
                                                       const std::string& common_name);

}  // namespace proxy::transport
