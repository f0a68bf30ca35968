// SPDX-License-Identifier: Apache-2.0
#include "tests/support/dns/dns_answer.h"

namespace confab::testdns {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr uint8_t kRcodeServfail = 2;
constexpr uint8_t kRcodeNxdomain = 3;

uint16_t get16(std::string_view s, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(s[at]) << 8) |
                               static_cast<uint8_t>(s[at + 1]));
}

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}

// Reads the uncompressed QNAME at `at`; returns the offset after it, or 0 if malformed.
size_t readQname(std::string_view q, size_t at, std::string& name) {
  while (at < q.size()) {
    auto len = static_cast<uint8_t>(q[at]);
    if (len == 0) {
      return at + 1;
    }
    if (len > 63 || at + 1 + len > q.size()) {
      return 0;  // compression pointers never appear in a lone question
    }
    if (!name.empty()) {
      name.push_back('.');
    }
    name.append(q.substr(at + 1, len));
    at += 1 + len;
  }
  return 0;
}

}  // namespace

std::string typeName(uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    default:
      return std::to_string(type);
  }
}

std::optional<Answer> answerQuery(const Zone& zone, std::string_view query) {
  if (query.size() < kHeaderSize || (static_cast<uint8_t>(query[2]) & 0x80) != 0 ||
      get16(query, 4) != 1) {
    return std::nullopt;  // a response, or not exactly one question
  }
  std::string raw_name;
  size_t end = readQname(query, kHeaderSize, raw_name);
  if (end == 0 || end + 4 > query.size()) {
    return std::nullopt;
  }
  Answer answer;
  answer.name = normaliseName(raw_name);
  answer.type = get16(query, end);
  std::string_view question = query.substr(kHeaderSize, end + 4 - kHeaderSize);

  uint8_t rcode = 0;
  std::string records;
  uint16_t count = 0;
  auto behaviour = zone.behaviours.find(answer.name);
  if (behaviour != zone.behaviours.end() && behaviour->second.drop) {
    answer.outcome = "DROP";
    return answer;
  }
  if (behaviour != zone.behaviours.end() && behaviour->second.servfail) {
    rcode = kRcodeServfail;
    answer.outcome = "SERVFAIL";
  } else {
    bool name_exists = false;
    std::string owner = encodeName(answer.name);
    for (const Record& r : zone.records) {
      if (r.name != answer.name) {
        continue;
      }
      name_exists = true;
      if (static_cast<uint16_t>(r.type) != answer.type) {
        continue;
      }
      records += owner;
      put16(records, answer.type);
      put16(records, 1);  // class IN
      put32(records, r.ttl);
      put16(records, static_cast<uint16_t>(r.rdata.size()));
      records += r.rdata;
      ++count;
    }
    rcode = name_exists ? 0 : kRcodeNxdomain;
    answer.outcome = name_exists ? "NOERROR " + std::to_string(count) : "NXDOMAIN";
  }

  std::string wire;
  wire.append(query.substr(0, 2));  // the query's ID
  // QR=1, opcode copied, AA=1, RD copied; RA=0 and the rcode.
  wire.push_back(static_cast<char>(0x80 | (query[2] & 0x79) | 0x04));
  wire.push_back(static_cast<char>(rcode));
  put16(wire, 1);
  put16(wire, count);
  put16(wire, 0);
  put16(wire, 0);
  wire.append(question);  // echoed byte for byte, as resolvers compare it
  wire += records;
  answer.wire = std::move(wire);
  return answer;
}

}  // namespace confab::testdns
