// SPDX-License-Identifier: Apache-2.0
// The zone a test DNS server answers from, read from YAML:
//
//   records:
//     - {name: b.test, type: NAPTR, ttl: 60, order: 10, preference: 10, flags: s,
//        service: "SIPS+D2T", regexp: "", replacement: _sips._tcp.b.test}
//     - {name: _sips._tcp.b.test, type: SRV, ttl: 60, priority: 10, weight: 5, port: 5061,
//        target: sip1.b.test}
//     - {name: sip1.b.test, type: A, ttl: 60, address: 127.0.0.1}
//     - {name: sip1.b.test, type: AAAA, ttl: 60, address: "::1"}
//   names:                       # optional per-name behaviour, any query type
//     broken.b.test: {servfail: true}   # answer SERVFAIL
//     silent.b.test: {drop: true}       # never answer (the client times out)
//
// Names are case-insensitive, written without the trailing dot; ttl defaults to 60.
// A name with records but none of the asked type answers NOERROR with no answers
// (NODATA); an unknown name answers NXDOMAIN. Test code only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace confab::testdns {

enum class RecordType : uint16_t { A = 1, NAPTR = 35, SRV = 33, AAAA = 28 };

struct Record {
  std::string name;  // lowercase, no trailing dot
  RecordType type = RecordType::A;
  uint32_t ttl = 60;
  std::string rdata;  // encoded wire-format RDATA
};

struct NameBehaviour {
  bool servfail = false;
  bool drop = false;
};

struct Zone {
  std::vector<Record> records;
  std::map<std::string, NameBehaviour> behaviours;  // by lowercase name
};

// Parses the YAML text above; the error names the offending record.
proxy::Result<Zone> parseZone(std::string_view yaml);
proxy::Result<Zone> loadZoneFile(const std::string& path);

// "b.test" -> "\1b\4test\0" (no compression). Empty on an invalid name.
std::string encodeName(std::string_view name);
std::string normaliseName(std::string_view name);  // lowercase, trailing dot removed

}  // namespace confab::testdns
