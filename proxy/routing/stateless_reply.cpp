// SPDX-License-Identifier: Apache-2.0
#include "proxy/routing/stateless_reply.h"

#include <vector>

#include "proxy/base/random.h"
#include "proxy/base/strings.h"

namespace proxy::routing {
namespace {

constexpr size_t kMaxReasonLength = 120;

// The response headers we echo, by long and compact name (RFC 3261 §7.3.3).
struct Echo {
  std::string_view name, compact;
};
constexpr Echo kEchoed[] = {
    {"Via", "v"}, {"From", "f"}, {"To", "t"}, {"Call-ID", "i"}, {"CSeq", ""}};

std::string sanitizeReason(std::string_view reason) {
  std::string out;
  for (char c : reason.substr(0, kMaxReasonLength)) {
    out.push_back((c >= 0x20 && c < 0x7f) ? c : ' ');
  }
  return out.empty() ? std::string("Bad Request") : out;
}

// Splits the header section into logical lines (folded continuations joined).
std::vector<std::string> headerLines(std::string_view raw) {
  std::vector<std::string> lines;
  size_t pos = raw.find('\n');  // skip the start line
  while (pos != std::string_view::npos && pos + 1 < raw.size()) {
    size_t start = pos + 1;
    size_t end = raw.find('\n', start);
    std::string_view line = raw.substr(start, end == std::string_view::npos ? raw.size() - start
                                                                            : end - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      break;  // end of headers
    }
    if ((line[0] == ' ' || line[0] == '\t') && !lines.empty()) {
      lines.back() += ' ';
      lines.back() += trim(line);
    } else {
      lines.emplace_back(line);
    }
    pos = end;
  }
  return lines;
}

}  // namespace

std::optional<std::string> buildReplyFromRaw(std::string_view raw, int status,
                                             std::string_view reason) {
  if (raw.substr(0, 4) == "SIP/") {
    return std::nullopt;  // never answer a response
  }
  std::string echoed;
  bool has_via = false;
  bool to_has_tag = false;
  for (const std::string& line : headerLines(raw)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string_view name = trim(std::string_view(line).substr(0, colon));
    std::string_view value = trim(std::string_view(line).substr(colon + 1));
    for (const Echo& e : kEchoed) {
      if (iequals(name, e.name) || (!e.compact.empty() && iequals(name, e.compact))) {
        echoed.append(e.name).append(": ").append(value).append("\r\n");
        has_via |= e.name == "Via";
        if (e.name == "To") {
          to_has_tag = toLower(value).find(";tag=") != std::string::npos;
          if (!to_has_tag) {  // RFC 3261 §8.2.6.2: a final response carries a To tag
            echoed.insert(echoed.size() - 2, ";tag=" + randomToken(10));
          }
        }
      }
    }
  }
  if (!has_via) {
    return std::nullopt;
  }
  std::string out = "SIP/2.0 " + std::to_string(status) + " " + sanitizeReason(reason) + "\r\n";
  out += echoed;
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

}  // namespace proxy::routing
