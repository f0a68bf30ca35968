// SPDX-License-Identifier: Apache-2.0
#include "proxy/dns/dns_records.h"

#include <ares.h>
#include <ares_dns.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <algorithm>

#include "proxy/base/strings.h"

namespace proxy::dns {
namespace {

Error parseError(const char* what, int rc) {
  return makeError(503, std::string(what) + ": " + ares_strerror(rc));
}

transport::Address fromInet(int family, const void* raw) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, raw, text, sizeof text);
  return transport::Address::fromIpPort(text, 0).value_or(transport::Address{});
}

// Advances `at` past the (possibly compressed) name there; false if malformed.
bool skipName(const std::vector<unsigned char>& buf, size_t& at) {
  char* name = nullptr;
  long length = 0;
  if (at >= buf.size() ||
      ares_expand_name(buf.data() + at, buf.data(), static_cast<int>(buf.size()), &name, &length) !=
          ARES_SUCCESS) {
    return false;
  }
  ares_free_string(name);
  at += static_cast<size_t>(length);
  return true;
}

}  // namespace

Result<std::vector<NaptrRecord>> parseNaptr(const std::vector<unsigned char>& answer) {
  ares_naptr_reply* head = nullptr;
  int rc = ares_parse_naptr_reply(answer.data(), static_cast<int>(answer.size()), &head);
  if (rc != ARES_SUCCESS) {
    return parseError("NAPTR", rc);
  }
  std::vector<NaptrRecord> out;
  for (auto* r = head; r != nullptr; r = r->next) {
    out.push_back({r->order, r->preference, reinterpret_cast<const char*>(r->flags),
                   reinterpret_cast<const char*>(r->service), r->replacement});
  }
  ares_free_data(head);
  return out;
}

Result<std::vector<SrvRecord>> parseSrv(const std::vector<unsigned char>& answer) {
  ares_srv_reply* head = nullptr;
  int rc = ares_parse_srv_reply(answer.data(), static_cast<int>(answer.size()), &head);
  if (rc != ARES_SUCCESS) {
    return parseError("SRV", rc);
  }
  std::vector<SrvRecord> out;
  for (auto* r = head; r != nullptr; r = r->next) {
    out.push_back({r->priority, r->weight, r->port, r->host});
  }
  ares_free_data(head);
  return out;
}

Result<HostAddresses> parseA(const std::vector<unsigned char>& answer) {
  ares_addrttl ttls[kMaxTargets];
  int count = static_cast<int>(kMaxTargets);
  int rc =
      ares_parse_a_reply(answer.data(), static_cast<int>(answer.size()), nullptr, ttls, &count);
  if (rc != ARES_SUCCESS) {
    return parseError("A", rc);
  }
  HostAddresses out{{}, UINT32_MAX};
  for (int i = 0; i < count; ++i) {
    out.addresses.push_back(fromInet(AF_INET, &ttls[i].ipaddr));
    out.ttl_s = std::min(out.ttl_s, static_cast<uint32_t>(std::max(ttls[i].ttl, 0)));
  }
  return out;
}

Result<HostAddresses> parseAaaa(const std::vector<unsigned char>& answer) {
  ares_addr6ttl ttls[kMaxTargets];
  int count = static_cast<int>(kMaxTargets);
  int rc =
      ares_parse_aaaa_reply(answer.data(), static_cast<int>(answer.size()), nullptr, ttls, &count);
  if (rc != ARES_SUCCESS) {
    return parseError("AAAA", rc);
  }
  HostAddresses out{{}, UINT32_MAX};
  for (int i = 0; i < count; ++i) {
    out.addresses.push_back(fromInet(AF_INET6, &ttls[i].ip6addr));
    out.ttl_s = std::min(out.ttl_s, static_cast<uint32_t>(std::max(ttls[i].ttl, 0)));
  }
  return out;
}

std::optional<uint32_t> minAnswerTtl(const std::vector<unsigned char>& answer) {
  if (answer.size() < HFIXEDSZ) {
    return std::nullopt;
  }
  const unsigned char* header = answer.data();
  size_t questions = DNS_HEADER_QDCOUNT(header);
  size_t answers = std::min<size_t>(DNS_HEADER_ANCOUNT(header), 256);
  size_t at = HFIXEDSZ;
  for (size_t i = 0; i < questions && i < 4; ++i) {
    if (!skipName(answer, at)) {
      return std::nullopt;
    }
    at += QFIXEDSZ;
  }
  std::optional<uint32_t> min;
  for (size_t i = 0; i < answers; ++i) {
    if (!skipName(answer, at) || at + RRFIXEDSZ > answer.size()) {
      break;
    }
    const unsigned char* rr = answer.data() + at;
    // RFC 2181 §8: a TTL with the top bit set is treated as zero.
    uint32_t ttl = DNS_RR_TTL(rr);
    ttl = (ttl & 0x80000000u) != 0 ? 0 : ttl;
    min = std::min(min.value_or(ttl), ttl);
    at += RRFIXEDSZ + DNS_RR_LEN(rr);
  }
  return min;
}

std::optional<transport::Protocol> naptrServiceProtocol(std::string_view service) {
  if (iequals(service, "SIPS+D2T")) {
    return transport::Protocol::Tls;
  }
  if (iequals(service, "SIP+D2T")) {
    return transport::Protocol::Tcp;
  }
  if (iequals(service, "SIP+D2U")) {
    return transport::Protocol::Udp;
  }
  return std::nullopt;
}

std::vector<NaptrRecord> usableNaptr(std::vector<NaptrRecord> records) {
  std::erase_if(records, [](const NaptrRecord& r) {
    return !iequals(r.flags, "s") || !naptrServiceProtocol(r.service) ||
           normaliseDomain(r.replacement).empty();
  });
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.order != b.order ? a.order < b.order : a.preference < b.preference;
  });
  if (records.size() > kMaxTargets) {
    records.resize(kMaxTargets);
  }
  return records;
}

std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records,
                                const std::function<uint64_t()>& random) {
  std::erase_if(records, [](const SrvRecord& r) { return normaliseDomain(r.target).empty(); });
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& a, const auto& b) { return a.priority < b.priority; });
  std::vector<SrvRecord> ordered;
  ordered.reserve(records.size());
  auto group_begin = records.begin();
  while (group_begin != records.end()) {
    auto group_end = std::find_if(group_begin, records.end(), [&](const SrvRecord& r) {
      return r.priority != group_begin->priority;
    });
    std::vector<SrvRecord> group(group_begin, group_end);
    // RFC 2782: zero-weight records first, then a running sum picks each in turn.
    std::stable_partition(group.begin(), group.end(), [](const auto& r) { return r.weight == 0; });
    while (!group.empty()) {
      uint64_t total = 0;
      for (const auto& r : group) {
        total += r.weight;
      }
      uint64_t pick = total == 0 ? 0 : random() % (total + 1);
      uint64_t running = 0;
      size_t chosen = group.size() - 1;
      for (size_t i = 0; i < group.size(); ++i) {
        running += group[i].weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      ordered.push_back(std::move(group[chosen]));
      group.erase(group.begin() + static_cast<std::ptrdiff_t>(chosen));
    }
    group_begin = group_end;
  }
  return ordered;
}

std::string normaliseDomain(std::string_view name) {
  std::string out = toLower(trim(name));
  if (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  if (out.empty() || out.size() > 253) {
    return {};  // also "." alone: the SRV "service not available" target
  }
  for (char c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == ':' || c == '[' || c == ']';  // ':' and '[]' for IPv6 literals
    if (!ok) {
      return {};
    }
  }
  return out;
}

}  // namespace proxy::dns
