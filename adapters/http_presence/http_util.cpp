// SPDX-License-Identifier: Apache-2.0
#include "adapters/http_presence/http_util.h"

#include <algorithm>
#include <cctype>

#include "adapters/api/confab_adapter.h"
#include "adapters/lws_common/lws_io.h"

namespace adapters::http_presence {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string normaliseAor(std::string_view in) {
  std::string s = lower(std::string(in));
  if (s.starts_with("sip:")) {
    s.erase(0, 4);
  }
  const size_t at = s.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= s.size() || s.size() > 256 ||
      s.find_first_of(" \t\r\n/,;<>\"") != std::string::npos) {
    return {};
  }
  return s;
}

std::string header(lws* wsi, lws_token_indexes token) {
  return lws_io::requestHeader(wsi, token, 8192);
}

std::string urlArg(lws* wsi, const char* name_eq) {
  char buf[8192];
  const char* v = lws_get_urlarg_by_name(wsi, name_eq, buf, sizeof buf);
  return v != nullptr ? std::string(v) : std::string();
}

std::vector<std::string> splitComma(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    if (!part.empty()) {
      out.emplace_back(part);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    s.remove_prefix(comma + 1);
  }
  return out;
}

uint32_t availabilityFromName(const nlohmann::json& v) {
  if (v.is_number_integer()) {
    const int64_t n = v.get<int64_t>();
    return n >= 3000 && n < 100000 ? static_cast<uint32_t>(n) : 0;
  }
  if (!v.is_string()) {
    return 0;
  }
  static const std::pair<std::string_view, uint32_t> kNames[] = {
      {"Available", CONFAB_AVAIL_ONLINE},
      {"Busy", CONFAB_AVAIL_BUSY},
      {"DoNotDisturb", CONFAB_AVAIL_DND},
      {"BeRightBack", CONFAB_AVAIL_BRB},
      {"Away", CONFAB_AVAIL_AWAY},
      {"Offline", CONFAB_AVAIL_OFFLINE},
      {"AvailableIdle", 4500},
      {"BusyIdle", 7500},
  };
  const std::string name = v.get<std::string>();
  for (const auto& [n, value] : kNames) {
    if (n == name) {
      return value;
    }
  }
  return 0;
}

}  // namespace adapters::http_presence
