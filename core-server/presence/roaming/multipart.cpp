// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/multipart.h"

#include "proxy/base/strings.h"

namespace core::presence::roaming {
namespace {

using proxy::makeError;
using proxy::Result;

constexpr std::string_view kCrlf = "\r\n";

bool hasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// RFC 2045 token characters: such a boundary may go unquoted.
bool isToken(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f ||
        std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Header lines of one part, up to the blank line; returns the value of `name`.
std::string headerValue(std::string_view headers, std::string_view name) {
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find('\n', pos);
    if (end == std::string_view::npos) {
      end = headers.size();
    }
    std::string_view line = headers.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        proxy::iequals(proxy::trim(line.substr(0, colon)), name)) {
      return std::string(proxy::trim(line.substr(colon + 1)));
    }
    pos = end + 1;
  }
  return {};
}

std::string stripAngles(std::string_view id) {
  id = proxy::trim(id);
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') {
    id = id.substr(1, id.size() - 2);
  }
  return std::string(id);
}

}  // namespace

std::string makeBoundary(uint64_t random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "confab-";
  for (int shift = 60; shift >= 0; shift -= 4) {
    out += kHex[(random >> shift) & 0xf];
  }
  return out;
}

std::string contentTypeParameter(std::string_view content_type, std::string_view name) {
  size_t pos = content_type.find(';');
  while (pos != std::string_view::npos) {
    ++pos;
    size_t end = pos;
    bool quoted = false;
    while (end < content_type.size() && (quoted || content_type[end] != ';')) {
      if (content_type[end] == '"') {
        quoted = !quoted;
      }
      ++end;
    }
    std::string_view param = proxy::trim(content_type.substr(pos, end - pos));
    const size_t eq = param.find('=');
    if (eq != std::string_view::npos && proxy::iequals(proxy::trim(param.substr(0, eq)), name)) {
      std::string_view value = proxy::trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
    pos = end < content_type.size() ? end : std::string_view::npos;
  }
  return {};
}

Result<MultipartBody> buildMultipartRelated(std::string_view boundary,
                                            const std::vector<MimePart>& parts) {
  if (boundary.empty() || boundary.size() > 70 || hasLineBreak(boundary) ||
      boundary.find('"') != std::string_view::npos) {
    return makeError(500, "multipart: invalid boundary");
  }
  if (parts.empty()) {
    return makeError(500, "multipart: no parts");
  }
  const std::string delimiter = "--" + std::string(boundary);
  MultipartBody out;
  for (const MimePart& p : parts) {
    if (p.content_type.empty() || p.content_id.empty() || hasLineBreak(p.content_type) ||
        hasLineBreak(p.content_id)) {
      return makeError(500, "multipart: a part needs a one-line Content-Type and Content-ID");
    }
    if (p.body.find(delimiter) != std::string::npos) {
      return makeError(500, "multipart: the boundary occurs in a part body");
    }
    out.body += delimiter;
    out.body += kCrlf;
    // No Content-Transfer-Encoding: libpurple's MIME reader (sipe) drops parts
    // marked "binary", the value RFC 4662's examples use; absent, they are read raw.
    out.body += "Content-ID: <" + p.content_id + ">\r\n";
    out.body += "Content-Type: " + p.content_type + "\r\n\r\n";
    out.body += p.body;
    // A blank line after each body: libpurple's MIME reader (sipe) takes the four
    // bytes before the next delimiter to be "\r\n\r\n" and cuts them off.
    out.body += kCrlf;
    out.body += kCrlf;
  }
  out.body += delimiter + "--\r\n";
  // type= is the root's media type without its parameters (RFC 2387 §3.1).
  std::string_view root_type = parts.front().content_type;
  root_type = proxy::trim(root_type.substr(0, root_type.find(';')));
  // boundary goes last and, when it can, unquoted: older libpurple (which sipe
  // parses with) takes everything after the header's last '=' as the boundary.
  const std::string quoted_boundary =
      isToken(boundary) ? std::string(boundary) : "\"" + std::string(boundary) + "\"";
  out.content_type = "multipart/related;type=\"" + std::string(root_type) + "\";start=\"<" +
                     parts.front().content_id + ">\";boundary=" + quoted_boundary;
  return out;
}

Result<std::vector<MimePart>> parseMultipart(std::string_view content_type, std::string_view body,
                                             size_t max_parts) {
  const std::string boundary = contentTypeParameter(content_type, "boundary");
  if (boundary.empty()) {
    return makeError(400, "multipart: Content-Type without boundary");
  }
  const std::string delimiter = "--" + boundary;
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) {
    return makeError(400, "multipart: no opening boundary");
  }
  std::vector<MimePart> parts;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") {
      return parts;  // closing delimiter
    }
    // Skip transport padding and the line break after the delimiter.
    const size_t line_end = body.find('\n', pos);
    if (line_end == std::string_view::npos) {
      return makeError(400, "multipart: truncated after a boundary");
    }
    const size_t start = line_end + 1;
    size_t next = body.find("\n" + delimiter, start);
    if (next == std::string_view::npos) {
      return makeError(400, "multipart: no closing boundary");
    }
    std::string_view part = body.substr(start, next - start);
    if (!part.empty() && part.back() == '\r') {
      part.remove_suffix(1);  // the CRLF before the delimiter belongs to it
    }
    size_t split = part.find("\r\n\r\n");
    size_t skip = 4;
    if (split == std::string_view::npos) {
      split = part.find("\n\n");
      skip = 2;
    }
    if (part.substr(0, 2) == kCrlf || part.substr(0, 1) == "\n") {
      split = 0;  // no headers at all
      skip = part.substr(0, 2) == kCrlf ? 2 : 1;
    }
    if (split == std::string_view::npos) {
      return makeError(400, "multipart: part without a blank line after its headers");
    }
    if (parts.size() >= max_parts) {
      return makeError(400, "multipart: more than " + std::to_string(max_parts) + " parts");
    }
    const std::string_view headers = part.substr(0, split);
    MimePart p;
    p.content_type = headerValue(headers, "Content-Type");
    if (p.content_type.empty()) {
      p.content_type = "text/plain";
    }
    p.content_id = stripAngles(headerValue(headers, "Content-ID"));
    std::string_view content = part.substr(split + skip);
    if (content.ends_with(kCrlf)) {
      content.remove_suffix(2);  // the blank line buildMultipartRelated writes
    }
    p.body = std::string(content);
    parts.push_back(std::move(p));
    pos = next + 1;
  }
}

}  // namespace core::presence::roaming
