// SPDX-License-Identifier: Apache-2.0
// The validated configuration: plain structs mirroring conf/confab.yaml (which
// documents every key; conf/README.md is the reference). loadConfig() is the only
// way to get one: it applies the defaults, checks every value and reports
// problems as "file:line:column: key.path: what was expected". A Config is built
// on the main thread at start-up or reload and then only read, so any thread may
// share it by const reference.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/log.h"
#include "proxy/base/result.h"
#include "proxy/config/cidr.h"
#include "proxy/config/ha1.h"

namespace proxy::config {

// Relative paths (var_dir, certificates, storage.path) are kept as written, i.e.
// relative to the working directory of the process, not to the config file.

struct ServerConfig {
  uint32_t workers = 1;  // shards; 0 = one per CPU core
  log::Level log_level = log::Level::Info;
  bool trace_sip = false;
  std::string var_dir = "var";
};

enum class Transport { Udp, Tcp, Tls };
std::string_view transportName(Transport transport);  // "udp", "tcp", "tls"

struct ListenerConfig {
  Transport transport = Transport::Udp;
  std::string address;      // an IPv4 or IPv6 literal, without brackets
  uint16_t port = 5060;     // 0 = an ephemeral port (tests)
  std::string certificate;  // PEM paths; set exactly when transport is Tls
  std::string private_key;
};

struct StorageConfig {
  std::string path = "var/confab.db";
  uint32_t batch_max = 512;
  uint32_t batch_delay_us = 2000;
};

struct AuthConfig {
  std::string realm;  // never empty after loading: defaults to the first domain
  std::vector<DigestAlgorithm> algorithms = {DigestAlgorithm::Sha256, DigestAlgorithm::Md5};
  uint32_t nonce_lifetime_s = 300;
  bool challenge_register = true;
  bool challenge_requests = true;
  std::vector<Cidr> trusted_networks;
  // User-Agent prefixes (case-insensitive) challenged with MD5 only: clients that
  // give up on a challenge list naming an algorithm they lack, instead of skipping
  // it as RFC 8760 §2.4 asks (Debian 12's baresip 1.0 / libre 1.1 does).
  std::vector<std::string> md5_only_user_agents = {"baresip"};

  // True when the address lies in one of trusted_networks.
  bool isTrusted(std::string_view ip) const;
  bool isTrusted(const sockaddr* address) const;
};

// A static user from the YAML file. Either HA1 may be empty (given as a hash for
// one algorithm only); a user that came with `password:` has both.
struct UserConfig {
  std::string aor;  // "alice@example.test", lowercase
  std::string ha1_md5;
  std::string ha1_sha256;
  // The password when one was given: NTLM needs its own hash (MD4 of UTF-16), which
  // the layers above derive (core_ntlm); the YAML file holds it in clear anyway.
  std::string password;
};

struct RegistrarConfig {
  uint32_t min_expires = 60;
  uint32_t max_expires = 3600;
  uint32_t default_expires = 3600;
  uint32_t max_contacts_per_aor = 16;
};

struct LimitsConfig {
  uint32_t max_message_size = 65535;
  uint32_t max_headers = 128;
  uint32_t max_connections = 10000;
  uint32_t max_connections_per_source = 256;
  uint32_t requests_per_second_per_source = 0;  // 0 = unlimited
  uint32_t tcp_idle_timeout_s = 600;
  uint32_t tcp_message_timeout_s = 30;
  uint32_t max_forwards = 70;
};

struct TransactionConfig {
  uint32_t t1_ms = 500;
  uint32_t t2_ms = 4000;
  uint32_t t4_ms = 5000;
};

struct Config {
  ServerConfig server;
  std::vector<std::string> domains;       // lowercase, at least one, no duplicates
  std::vector<ListenerConfig> listeners;  // at least one
  StorageConfig storage;
  AuthConfig auth;
  std::vector<UserConfig> users;
  RegistrarConfig registrar;
  LimitsConfig limits;
  TransactionConfig transactions;
  std::string source_path;  // the file it was loaded from (or the name given to parseConfig)

  bool isLocalDomain(std::string_view domain) const;  // case-insensitive
};

// Reads and validates a YAML file. On failure the Error detail holds every
// problem found, one "path:line:column: key: message" per line, earliest first.
Result<Config> loadConfig(const std::string& path);

// Same, for text already in memory; `source_name` prefixes the messages.
Result<Config> parseConfig(std::string_view yaml_text, const std::string& source_name);

// Checks an address-of-record ("user@domain") against the configured domains and
// returns it lowercased; the Error detail explains what is wrong (no position).
Result<std::string> normalizeAor(std::string_view aor, const std::vector<std::string>& domains);

// normalizeAor() without the domain check: "user@domain", trimmed and lowercased.
Result<std::string> checkAorSyntax(std::string_view aor);

// The user part of an AOR (before '@'): the digest username.
std::string_view aorUser(std::string_view aor);

// A user with both HA1s computed for `realm`. The password is not kept.
UserConfig makeUser(std::string aor, std::string_view realm, std::string_view password);

}  // namespace proxy::config
