// SPDX-License-Identifier: Apache-2.0
// The auth and users sections: realm, algorithms, trusted networks, static users.
#include <algorithm>
#include <unordered_map>

#include "proxy/base/strings.h"
#include "proxy/config/config_sections.h"

namespace proxy::config::detail {
namespace {

// The realm goes inside a quoted-string in WWW-Authenticate (RFC 7616 §3.3).
bool isQuotable(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

bool isHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

void readAlgorithms(Diagnostics& diag, const Value& value, AuthConfig& auth) {
  const size_t errors = diag.count();
  std::vector<DigestAlgorithm> algorithms;
  for (const Value& item : readList(diag, value)) {
    const auto name = readString(diag, item);
    if (!name) {
      continue;
    }
    const auto algorithm = parseAlgorithm(trim(*name));
    if (!algorithm) {
      diag.add(item.mark, item.path, "expected SHA-256 or MD5, got " + describe(item.node));
    } else if (std::find(algorithms.begin(), algorithms.end(), *algorithm) != algorithms.end()) {
      diag.add(item.mark, item.path, std::string(algorithmName(*algorithm)) + " is listed twice");
    } else {
      algorithms.push_back(*algorithm);
    }
  }
  if (diag.count() != errors) {
    return;
  }
  if (algorithms.empty()) {
    diag.add(value.mark, value.path, "expected at least one of SHA-256, MD5, got nothing");
    return;
  }
  auth.algorithms = std::move(algorithms);
}

// Reads one HA1 given as hex, reporting a malformed one. The value is as secret
// as a password, so messages describe it without quoting it.
void readHa1(const MapReader& map, std::string_view key, size_t digits, std::string& out) {
  const auto value = map.get(key);
  if (!value) {
    return;
  }
  const auto text = readString(map.diagnostics(), *value);
  if (!text) {
    return;
  }
  if (text->size() != digits || !isHex(*text)) {
    map.diagnostics().add(value->mark, value->path,
                          "expected " + std::to_string(digits) + " hex digits, got " +
                              std::to_string(text->size()) + " characters" +
                              (isHex(*text) ? "" : " (not all hex digits)"));
    return;
  }
  out = toLower(*text);
}

// Whether this user can answer at least one of the offered challenges.
bool canAuthenticate(const UserConfig& user, const AuthConfig& auth) {
  return std::any_of(auth.algorithms.begin(), auth.algorithms.end(), [&](DigestAlgorithm a) {
    return !(a == DigestAlgorithm::Md5 ? user.ha1_md5 : user.ha1_sha256).empty();
  });
}

// The aor of one users[] item, checked against the domains.
void readAor(const MapReader& map, const std::vector<std::string>& domains, UserConfig& user) {
  const auto aor = map.get("aor");
  if (!aor) {
    map.reportMissing("aor");
    return;
  }
  if (auto text = readString(map.diagnostics(), *aor)) {
    // Without domains (already reported) only the syntax can be checked.
    auto normal = domains.empty() ? checkAorSyntax(*text) : normalizeAor(*text, domains);
    if (normal) {
      user.aor = std::move(*normal);
    } else {
      map.diagnostics().add(aor->mark, aor->path, normal.error().detail);
    }
  }
}

// The credentials of one users[] item: a password to hash, or HA1s given as hex.
void readCredentials(const MapReader& map, const Value& item, const std::string& realm,
                     UserConfig& user) {
  Diagnostics& diag = map.diagnostics();
  const auto password = map.get("password");
  const bool has_ha1 = map.get("ha1_md5") || map.get("ha1_sha256");
  if (password && has_ha1) {
    diag.add(password->mark, password->path,
             "give either password or ha1_md5/ha1_sha256, not both");
  } else if (password) {
    const auto text = readString(diag, *password);
    if (text && text->empty()) {
      diag.add(password->mark, password->path, "expected a non-empty password");
    } else if (text && !user.aor.empty()) {
      user = makeUser(std::move(user.aor), realm, *text);
    }
  } else if (has_ha1) {
    readHa1(map, "ha1_md5", 32, user.ha1_md5);
    readHa1(map, "ha1_sha256", 64, user.ha1_sha256);
  } else {
    diag.add(map.mark(), item.path, "expected password, ha1_md5 or ha1_sha256");
  }
}

}  // namespace

void readAuth(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  MapReader map(diag, root.getOrEmpty("auth"),
                {"realm", "algorithms", "nonce_lifetime", "register", "requests",
                 "trusted_networks", "md5_only_user_agents", "ntlm", "ntlm_targetname"});
  AuthConfig& auth = config.auth;
  if (auto value = map.get("realm")) {
    if (auto realm = readString(diag, *value)) {
      if (isQuotable(*realm)) {
        auth.realm = std::move(*realm);
      } else {
        diag.add(value->mark, value->path,
                 "expected a realm without quotes, backslashes or control characters");
      }
    }
  }
  if (auth.realm.empty() && !config.domains.empty()) {
    auth.realm = config.domains.front();
  }
  if (auto value = map.get("algorithms")) {
    readAlgorithms(diag, *value, auth);
  }
  map.read("nonce_lifetime", auth.nonce_lifetime_s, 1, 86400);
  map.read("register", auth.challenge_register);
  map.read("requests", auth.challenge_requests);
  map.read("ntlm", auth.ntlm);
  if (auto value = map.get("ntlm_targetname")) {
    if (auto name = readString(diag, *value)) {
      if (isQuotable(*name)) {
        auth.ntlm_targetname = std::move(*name);  // "" = the default below
      } else {
        diag.add(value->mark, value->path, "expected a host name, e.g. confab.example.test");
      }
    }
  }
  if (auth.ntlm_targetname.empty() && !config.domains.empty()) {
    auth.ntlm_targetname = "confab." + config.domains.front();
  }
  if (auto value = map.get("trusted_networks")) {
    for (const Value& item : readList(diag, *value)) {
      if (auto text = readString(diag, item)) {
        auto cidr = Cidr::parse(*text);
        if (cidr) {
          auth.trusted_networks.push_back(std::move(*cidr));
        } else {
          diag.add(item.mark, item.path, cidr.error().detail);
        }
      }
    }
  }
  if (auto value = map.get("md5_only_user_agents")) {
    auth.md5_only_user_agents.clear();
    for (const Value& item : readList(diag, *value)) {
      if (auto text = readString(diag, item); text && !trim(*text).empty()) {
        auth.md5_only_user_agents.emplace_back(trim(*text));
      } else if (text) {
        diag.add(item.mark, item.path, "expected a User-Agent prefix, got an empty string");
      }
    }
  }
}

void readUsers(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  const auto value = root.get("users");
  if (!value) {
    return;
  }
  // AOR -> index in config.users: duplicates are found in O(1), so large user
  // lists (tens of thousands) load in linear time.
  std::unordered_map<std::string, size_t> seen;
  for (const Value& item : readList(diag, *value)) {
    const size_t errors = diag.count();
    MapReader map(diag, item, {"aor", "password", "ha1_md5", "ha1_sha256"});
    if (diag.count() != errors) {
      continue;  // not a mapping: its keys would only repeat that
    }
    UserConfig user;
    readAor(map, config.domains, user);
    readCredentials(map, item, config.auth.realm, user);
    if (diag.count() != errors) {
      continue;
    }
    if (!canAuthenticate(user, config.auth)) {
      diag.add(map.mark(), item.path,
               "has no HA1 for any algorithm in auth.algorithms, so could never authenticate");
      continue;
    }
    auto [earlier, fresh] = seen.emplace(user.aor, config.users.size());
    if (!fresh) {
      const Value aor = map.getOrEmpty("aor");
      diag.add(aor.mark, aor.path,
               "duplicate user (also users[" + std::to_string(earlier->second) + "])");
      continue;
    }
    config.users.push_back(std::move(user));
  }
}

}  // namespace proxy::config::detail
