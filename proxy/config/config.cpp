// SPDX-License-Identifier: Apache-2.0
#include "proxy/config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "proxy/base/strings.h"
#include "proxy/config/config_sections.h"
#include "proxy/config/yaml_reader.h"

namespace proxy::config {
namespace {

// Tabs cannot indent YAML; yaml-cpp's message for them ("illegal map value") is
// cryptic, so say so when the offending line starts with one.
std::string syntaxHint(std::string_view text, int line) {
  size_t start = 0;
  for (int i = 0; i < line && start != std::string_view::npos; ++i) {
    start = text.find('\n', start);
    start = start == std::string_view::npos ? start : start + 1;
  }
  if (start == std::string_view::npos) {
    return "";
  }
  for (size_t i = start; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) {
    if (text[i] == '\t') {
      return " (tabs are not allowed for indentation)";
    }
  }
  return "";
}

bool isAorUserChar(char c) {
  // Characters that would break the AOR or the digest "user:realm" framing.
  return static_cast<unsigned char>(c) > 0x20 && c != 0x7f && c != ':' && c != '@' && c != '"' &&
         c != '<' && c != '>' && c != '\\';
}

}  // namespace

std::string_view transportName(Transport transport) {
  switch (transport) {
    case Transport::Udp:
      return "udp";
    case Transport::Tcp:
      return "tcp";
    case Transport::Tls:
      return "tls";
  }
  return "udp";
}

bool AuthConfig::isTrusted(std::string_view ip) const {
  return std::any_of(trusted_networks.begin(), trusted_networks.end(),
                     [&](const Cidr& cidr) { return cidr.contains(ip); });
}

bool AuthConfig::isTrusted(const sockaddr* address) const {
  return std::any_of(trusted_networks.begin(), trusted_networks.end(),
                     [&](const Cidr& cidr) { return cidr.contains(address); });
}

bool Config::isLocalDomain(std::string_view domain) const {
  return std::any_of(domains.begin(), domains.end(),
                     [&](const std::string& d) { return iequals(d, domain); });
}

std::string_view aorUser(std::string_view aor) { return aor.substr(0, aor.find('@')); }

Result<std::string> checkAorSyntax(std::string_view aor) {
  const std::string text = toLower(trim(aor));
  const size_t at = text.find('@');
  const bool ok =
      at != std::string::npos && at > 0 && at + 1 < text.size() &&
      std::all_of(text.begin(), text.begin() + static_cast<ptrdiff_t>(at), isAorUserChar) &&
      std::all_of(text.begin() + static_cast<ptrdiff_t>(at) + 1, text.end(), isAorUserChar);
  if (!ok) {
    return makeError(0, "expected user@domain, got \"" + std::string(aor) + "\"");
  }
  return text;
}

Result<std::string> normalizeAor(std::string_view aor, const std::vector<std::string>& domains) {
  auto text = checkAorSyntax(aor);
  if (!text) {
    return text;
  }
  const std::string_view domain = std::string_view(*text).substr(text->find('@') + 1);
  if (std::find(domains.begin(), domains.end(), domain) == domains.end()) {
    std::string known;
    for (const std::string& d : domains) {
      known += known.empty() ? d : ", " + d;
    }
    return makeError(0, "domain \"" + std::string(domain) +
                            "\" is not one of the configured domains (" + known + ")");
  }
  return text;
}

UserConfig makeUser(std::string aor, std::string_view realm, std::string_view password) {
  UserConfig user;
  user.ha1_md5 = computeHa1(DigestAlgorithm::Md5, aorUser(aor), realm, password);
  user.ha1_sha256 = computeHa1(DigestAlgorithm::Sha256, aorUser(aor), realm, password);
  user.aor = std::move(aor);
  user.password = std::string(password);
  return user;
}

Result<Config> parseConfig(std::string_view yaml_text, const std::string& source_name) {
  detail::Diagnostics diag(source_name);
  // yaml-cpp throws; this is the boundary where exceptions become a Result.
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
    if (documents.size() > 1) {
      diag.add(documents[1].Mark(), "", "expected a single YAML document, found another");
      return diag.toError();
    }
    const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
    const detail::MapReader map(diag, detail::Value{root, root.Mark(), ""},
                                {"server", "domains", "listeners", "storage", "auth", "users",
                                 "registrar", "limits", "transactions", "presence", "im", "groupchat",
                                 "federation", "adapters"});  // the top-level keys
    if (!root.IsMap() && diag.count() != 0) {
      return diag.toError();  // not a mapping: every section would only repeat that
    }
    Config config;
    config.source_path = source_name;
    detail::readServer(map, config);
    detail::readDomains(map, config);
    detail::readListeners(map, config);
    detail::readStorage(map, config);
    detail::readAuth(map, config);
    detail::readUsers(map, config);
    detail::readRegistrar(map, config);
    detail::readLimits(map, config);
    detail::readTransactions(map, config);
    detail::readPresence(map, config);
    detail::readIm(map, config);
    detail::readGroupChat(map, config);
    detail::readFederation(map, config);
    detail::readAdapters(map, config);
    if (diag.count() != 0) {
      return diag.toError();
    }
    return config;
  } catch (const YAML::Exception& e) {
    diag.add(e.mark, "", "invalid YAML: " + e.msg + syntaxHint(yaml_text, e.mark.line));
    return diag.toError();
  } catch (const std::exception& e) {
    return makeError(0, source_name + ": cannot read configuration: " + e.what());
  }
}

Result<Config> loadConfig(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return makeError(0, path + ": cannot open: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return makeError(0, path + ": cannot read: " + std::strerror(errno));
  }
  return parseConfig(text.str(), path);
}

}  // namespace proxy::config
