// SPDX-License-Identifier: Apache-2.0
#include "tests/support/dns/zone.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace confab::testdns {
namespace {

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

// A <character-string>: one length byte and up to 255 bytes.
bool putCharString(std::string& out, std::string_view s) {
  if (s.size() > 255) {
    return false;
  }
  out.push_back(static_cast<char>(s.size()));
  out.append(s);
  return true;
}

proxy::Result<std::string> rdataFor(const YAML::Node& n, RecordType type) {
  auto str = [&](const char* key) { return n[key] ? n[key].as<std::string>() : std::string(); };
  auto u16 = [&](const char* key) { return n[key] ? n[key].as<uint16_t>() : uint16_t{0}; };
  std::string rdata;
  switch (type) {
    case RecordType::A: {
      in_addr a{};
      if (inet_pton(AF_INET, str("address").c_str(), &a) != 1) {
        return proxy::makeError(0, "bad IPv4 address '" + str("address") + "'");
      }
      rdata.assign(reinterpret_cast<const char*>(&a), sizeof a);
      return rdata;
    }
    case RecordType::AAAA: {
      in6_addr a{};
      if (inet_pton(AF_INET6, str("address").c_str(), &a) != 1) {
        return proxy::makeError(0, "bad IPv6 address '" + str("address") + "'");
      }
      rdata.assign(reinterpret_cast<const char*>(&a), sizeof a);
      return rdata;
    }
    case RecordType::SRV: {
      put16(rdata, u16("priority"));
      put16(rdata, u16("weight"));
      put16(rdata, u16("port"));
      std::string target = encodeName(str("target"));
      if (target.empty()) {
        return proxy::makeError(0, "bad SRV target");
      }
      return rdata + target;
    }
    case RecordType::NAPTR: {
      put16(rdata, u16("order"));
      put16(rdata, u16("preference"));
      if (!putCharString(rdata, str("flags")) || !putCharString(rdata, str("service")) ||
          !putCharString(rdata, str("regexp"))) {
        return proxy::makeError(0, "NAPTR string too long");
      }
      std::string replacement = encodeName(str("replacement"));
      if (replacement.empty()) {
        return proxy::makeError(0, "bad NAPTR replacement");
      }
      return rdata + replacement;
    }
  }
  return proxy::makeError(0, "unknown type");
}

std::optional<RecordType> typeNamed(const std::string& s) {
  if (s == "A") return RecordType::A;
  if (s == "AAAA") return RecordType::AAAA;
  if (s == "SRV") return RecordType::SRV;
  if (s == "NAPTR") return RecordType::NAPTR;
  return std::nullopt;
}

}  // namespace

std::string normaliseName(std::string_view name) {
  std::string out;
  for (char c : name) {
    out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
  }
  while (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  return out;
}

std::string encodeName(std::string_view name) {
  std::string n = normaliseName(name);
  std::string out;
  size_t start = 0;
  while (start < n.size()) {
    size_t dot = n.find('.', start);
    if (dot == std::string::npos) {
      dot = n.size();
    }
    size_t len = dot - start;
    if (len == 0 || len > 63) {
      return {};
    }
    out.push_back(static_cast<char>(len));
    out.append(n, start, len);
    start = dot + 1;
  }
  out.push_back('\0');  // also the whole encoding of the root "."
  return out;
}

proxy::Result<Zone> parseZone(std::string_view yaml) {
  Zone zone;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    for (const auto& n : root["records"]) {
      Record r;
      r.name = normaliseName(n["name"] ? n["name"].as<std::string>() : "");
      std::string type_name = n["type"] ? n["type"].as<std::string>() : "";
      auto type = typeNamed(type_name);
      if (r.name.empty() || !type) {
        return proxy::makeError(
            0, "record '" + r.name + "': missing name or unknown type '" + type_name + "'");
      }
      r.type = *type;
      r.ttl = n["ttl"] ? n["ttl"].as<uint32_t>() : 60;
      auto rdata = rdataFor(n, r.type);
      if (!rdata) {
        return proxy::makeError(
            0, "record '" + r.name + "' " + type_name + ": " + rdata.error().detail);
      }
      r.rdata = std::move(*rdata);
      zone.records.push_back(std::move(r));
    }
    for (const auto& kv : root["names"]) {
      NameBehaviour b;
      b.servfail = kv.second["servfail"] && kv.second["servfail"].as<bool>();
      b.drop = kv.second["drop"] && kv.second["drop"].as<bool>();
      zone.behaviours[normaliseName(kv.first.as<std::string>())] = b;
    }
  } catch (const YAML::Exception& e) {  // the zone is control-plane test input
    return proxy::makeError(0, std::string("zone YAML: ") + e.what());
  }
  return zone;
}

proxy::Result<Zone> loadZoneFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return proxy::makeError(0, "cannot read zone file " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return parseZone(text.str());
}

}  // namespace confab::testdns
