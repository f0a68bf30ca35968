// SPDX-License-Identifier: Apache-2.0
// DNS answers as plain values, decoded with c-ares's parsers, plus the two
// orderings RFC 3263 needs: supported NAPTR services by order/preference, and SRV
// targets by priority then weighted-random (RFC 2782). No DNS is hand-parsed here.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/transport/transport.h"

namespace proxy::dns {

// At most this many NAPTR services, SRV targets and addresses per host are used:
// a hostile zone cannot make one lookup fan out without bound.
constexpr size_t kMaxTargets = 16;

struct NaptrRecord {
  uint16_t order = 0;
  uint16_t preference = 0;
  std::string flags;
  std::string service;
  std::string replacement;
};

struct SrvRecord {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;
};

// Addresses of one host (port 0) and the smallest TTL among them.
struct HostAddresses {
  std::vector<transport::Address> addresses;
  uint32_t ttl_s = 0;
};

// Each returns the c-ares status as the error detail when the answer does not parse.
Result<std::vector<NaptrRecord>> parseNaptr(const std::vector<unsigned char>& answer);
Result<std::vector<SrvRecord>> parseSrv(const std::vector<unsigned char>& answer);
Result<HostAddresses> parseA(const std::vector<unsigned char>& answer);
Result<HostAddresses> parseAaaa(const std::vector<unsigned char>& answer);

// The smallest TTL of the answer section (NAPTR and SRV parsers of c-ares 1.18 drop
// TTLs); walks records with ares_expand_name and the ares_dns.h accessors.
std::optional<uint32_t> minAnswerTtl(const std::vector<unsigned char>& answer);

// "SIPS+D2T" -> Tls, "SIP+D2T" -> Tcp, "SIP+D2U" -> Udp (case-insensitive); others nullopt.
std::optional<transport::Protocol> naptrServiceProtocol(std::string_view service);

// The NAPTR records a SIP client can use ("s" flag, known service), by order then
// preference, at most kMaxTargets.
std::vector<NaptrRecord> usableNaptr(std::vector<NaptrRecord> records);

// RFC 2782: ascending priority; within a priority, repeatedly pick at random with
// probability proportional to weight (weight-0 records rarely first). Drops a lone
// "." target (service explicitly unavailable). `random` returns uniform 64-bit values.
std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records,
                                const std::function<uint64_t()>& random);

// Lowercase, trailing dot removed; empty if `name` cannot be a DNS name.
std::string normaliseDomain(std::string_view name);

}  // namespace proxy::dns
