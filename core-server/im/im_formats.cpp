// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/im_formats.h"

#include <expat.h>
#include <openssl/evp.h>

#include <ctime>
#include <memory>

#include "proxy/base/strings.h"

namespace core::im {
namespace {

// The text of the first element named `element` and the value of `attribute` on
// the first element carrying it (local names, namespaces ignored), via expat.
struct XmlPick {
  std::string_view element;
  std::string_view attribute;
  std::string text{};
  std::string attribute_value{};
  std::string root{};
  XML_Parser parser = nullptr;
  bool refused = false;
  int depth_in_element = 0;
  bool element_done = false;
  bool attribute_seen = false;
};

std::string_view localName(const char* name) {
  std::string_view n(name);
  size_t sep = n.rfind('|');  // namespace separator of XML_ParserCreateNS
  return sep == std::string_view::npos ? n : n.substr(sep + 1);
}

void onStart(void* data, const char* name, const char** attrs) {
  auto* pick = static_cast<XmlPick*>(data);
  std::string_view local = localName(name);
  if (pick->root.empty()) {
    pick->root = std::string(local);
  }
  if (pick->depth_in_element > 0) {
    ++pick->depth_in_element;
  } else if (!pick->element_done && local == pick->element) {
    pick->depth_in_element = 1;
  }
  for (int i = 0; attrs[i] != nullptr && !pick->attribute_seen; i += 2) {
    if (!pick->attribute.empty() && localName(attrs[i]) == pick->attribute) {
      pick->attribute_value = attrs[i + 1];
      pick->attribute_seen = true;
    }
  }
}

void onEnd(void* data, const char*) {
  auto* pick = static_cast<XmlPick*>(data);
  if (pick->depth_in_element > 0 && --pick->depth_in_element == 0) {
    pick->element_done = true;
  }
}

void onText(void* data, const char* s, int len) {
  auto* pick = static_cast<XmlPick*>(data);
  if (pick->depth_in_element > 0 && pick->text.size() < 256) {
    pick->text.append(s, static_cast<size_t>(len));
  }
}

// Parses `xml`; false when it is not well-formed (or uses a DTD: no entity tricks).
bool pickXml(std::string_view xml, XmlPick& pick) {
  if (xml.size() > 16384) {
    return false;
  }
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(
      XML_ParserCreateNS("UTF-8", '|'), XML_ParserFree);
  if (!parser) {
    return false;
  }
  pick.parser = parser.get();
  XML_SetUserData(parser.get(), &pick);
  XML_SetElementHandler(parser.get(), onStart, onEnd);
  XML_SetCharacterDataHandler(parser.get(), onText);
  XML_SetStartDoctypeDeclHandler(parser.get(),
                                 [](void* data, const char*, const char*, const char*, int) {
                                   auto* p = static_cast<XmlPick*>(data);
                                   p->refused = true;  // no DTD, so no entity expansion tricks
                                   XML_StopParser(p->parser, XML_FALSE);
                                 });
  bool ok =
      XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) == XML_STATUS_OK;
  return ok && !pick.refused;
}

}  // namespace

bool isOcsMediaLine(std::string_view line) {
  // "m=message <port> sip <fmt>": MSRP's "m=message <port> TCP/MSRP *" is another thing.
  if (line.starts_with("m=x-ms-message ")) {
    return true;
  }
  if (!line.starts_with("m=message ")) {
    return false;
  }
  std::string_view rest = line.substr(10);
  size_t space = rest.find(' ');
  return space != std::string_view::npos &&
         proxy::toLower(rest.substr(space + 1)).starts_with("sip ");
}

std::optional<bool> parseIsComposing(std::string_view xml) {
  XmlPick pick{.element = "state", .attribute = {}};
  if (!pickXml(xml, pick) || pick.root != "isComposing" || !pick.element_done) {
    return std::nullopt;
  }
  std::string state = proxy::toLower(proxy::trim(pick.text));
  if (state == "active") {
    return true;
  }
  if (state == "idle") {
    return false;
  }
  return std::nullopt;
}

std::string buildIsComposing(bool active) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
      "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">"
      "<state>";
  out.append(active ? "active" : "idle");
  out.append("</state><contenttype>text/plain</contenttype>");
  if (active) {
    out.append("<refresh>60</refresh>");  // RFC 3994 §3: the receiver times out otherwise
  }
  out.append("</isComposing>\r\n");
  return out;
}

std::optional<bool> parseKeyboardActivity(std::string_view xml) {
  XmlPick pick{.element = "status", .attribute = "status"};
  if (!pickXml(xml, pick) || pick.root != "KeyboardActivity" || !pick.attribute_seen) {
    return std::nullopt;
  }
  std::string status = proxy::toLower(proxy::trim(pick.attribute_value));
  if (status == "type") {
    return true;
  }
  if (status == "idle") {
    return false;
  }
  return std::nullopt;
}

std::string buildKeyboardActivity(bool typing) {
  std::string out = "<?xml version=\"1.0\"?><KeyboardActivity> <status status=\"";
  out.append(typing ? "type" : "idle");
  out.append("\" /></KeyboardActivity>");
  return out;
}

std::string base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c != ' ' && c != '\r' && c != '\n' && c != '\t' && c != '"') {
      clean.push_back(c);
    }
  }
  if (clean.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out(3 * clean.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) {
    return std::nullopt;
  }
  size_t size = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (size_t i = clean.size(); i > 0 && clean[i - 1] == '=' && size > 0; --i) {
    --size;
  }
  out.resize(size);
  return out;
}

namespace {

// The media type of a Content-Type value, lower case, without parameters.
std::string mediaTypeOf(std::string_view content_type) {
  return proxy::toLower(proxy::trim(content_type.substr(0, content_type.find(';'))));
}

// The boundary parameter of a multipart Content-Type, unquoted ("" if none).
std::string_view boundaryOf(std::string_view content_type) {
  const std::string lower = proxy::toLower(content_type);
  size_t at = lower.find("boundary=");
  while (at != std::string::npos && at > 0 && lower[at - 1] != ';' && lower[at - 1] != ' ' &&
         lower[at - 1] != '\t') {
    at = lower.find("boundary=", at + 1);
  }
  if (at == std::string::npos) {
    return {};
  }
  std::string_view value = content_type.substr(at + 9);
  if (value.starts_with('"')) {
    const size_t close = value.find('"', 1);
    return close == std::string_view::npos ? std::string_view() : value.substr(1, close - 1);
  }
  return proxy::trim(value.substr(0, value.find(';')));
}

// One part: headers (only Content-Type matters here), a blank line, the body.
std::optional<BodyPart> parsePart(std::string_view text) {
  BodyPart part{"text/plain", {}};
  while (true) {
    const size_t eol = text.find('\n');
    if (eol == std::string_view::npos) {
      return std::nullopt;  // no blank line after the headers
    }
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      break;
    }
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        proxy::toLower(proxy::trim(line.substr(0, colon))) == "content-type") {
      part.content_type = std::string(proxy::trim(line.substr(colon + 1)));
    }
  }
  part.body = std::string(text);
  return part;
}

}  // namespace

std::optional<std::vector<BodyPart>> splitMultipart(std::string_view content_type,
                                                    std::string_view body) {
  const std::string_view boundary = boundaryOf(content_type);
  if (!mediaTypeOf(content_type).starts_with("multipart/") || boundary.empty() ||
      boundary.size() > 70) {  // RFC 2046 §5.1.1
    return std::nullopt;
  }
  const std::string delimiter = "--" + std::string(boundary);
  // The first delimiter starts the body or a line (a preamble may come before).
  size_t at = body.starts_with(delimiter) ? 0 : body.find("\n" + delimiter);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  at = at == 0 && body.starts_with(delimiter) ? delimiter.size() : at + 1 + delimiter.size();
  std::vector<BodyPart> parts;
  while (true) {
    if (body.substr(at).starts_with("--")) {
      return parts.empty() ? std::nullopt : std::optional(std::move(parts));  // close delimiter
    }
    const size_t start = body.find('\n', at);  // the rest of the delimiter line
    if (start == std::string_view::npos) {
      return std::nullopt;
    }
    const size_t next = body.find("\n" + delimiter, start);
    if (next == std::string_view::npos) {
      return std::nullopt;  // no closing delimiter
    }
    std::string_view text = body.substr(start + 1, next - start - 1);
    if (text.ends_with('\r')) {
      text.remove_suffix(1);  // the CRLF before a delimiter belongs to it
    }
    auto part = parsePart(text);
    if (!part) {
      return std::nullopt;
    }
    parts.push_back(std::move(*part));
    at = next + 1 + delimiter.size();
  }
}

std::optional<BodyPart> chooseAlternative(std::string_view content_type, std::string_view body,
                                          const std::vector<std::string_view>& acceptable) {
  if (mediaTypeOf(content_type) != kMultipartAlternative) {
    return std::nullopt;
  }
  auto parts = splitMultipart(content_type, body);
  if (!parts) {
    return std::nullopt;
  }
  for (auto it = parts->rbegin(); it != parts->rend(); ++it) {
    const std::string type = mediaTypeOf(it->content_type);
    for (std::string_view wanted : acceptable) {
      if (type == wanted) {
        return std::move(*it);
      }
    }
  }
  return std::nullopt;
}

std::string buildMsTextFormat(std::string_view content_type, std::string_view body) {
  if (auto part = chooseAlternative(content_type, body, {"text/html", "text/plain"})) {
    return buildMsTextFormat(part->content_type, part->body);
  }
  std::string type(content_type.empty() ? std::string_view("text/plain") : content_type);
  std::string out = type;
  if (proxy::toLower(type).find("charset") == std::string::npos) {
    out.append("; charset=UTF-8");
  }
  out.append(";ms-body=").append(base64Encode(body));
  return out;
}

std::optional<InlineMessage> parseMsTextFormat(std::string_view value) {
  InlineMessage m;
  std::optional<std::string> body;
  size_t pos = 0;
  bool first = true;
  while (pos <= value.size()) {
    size_t semi = value.find(';', pos);
    std::string_view part =
        proxy::trim(value.substr(pos, semi == std::string_view::npos ? value.npos : semi - pos));
    if (first) {
      m.content_type = std::string(part);
      first = false;
    } else if (proxy::toLower(part).starts_with("ms-body=")) {
      body = base64Decode(part.substr(8));
      if (!body) {
        return std::nullopt;
      }
    } else if (!part.empty() && !proxy::toLower(part).starts_with("msgr=")) {
      m.content_type.append(";").append(part);
    }
    if (semi == std::string_view::npos) {
      break;
    }
    pos = semi + 1;
  }
  if (!body || m.content_type.empty()) {
    return std::nullopt;
  }
  m.body = std::move(*body);
  return m;
}

std::string imSessionSdp(std::string_view ip) {
  const bool v6 = ip.find(':') != std::string_view::npos;
  const std::string_view family = v6 ? "IP6" : "IP4";
  std::string out = "v=0\r\n";
  out.append("o=- 0 0 IN ").append(family).append(" ").append(ip).append("\r\n");
  out.append("s=session\r\nc=IN ").append(family).append(" ").append(ip).append("\r\n");
  out.append("t=0 0\r\nm=message 5060 sip null\r\n");
  out.append(
      "a=accept-types:text/plain text/html multipart/alternative "
      "application/im-iscomposing+xml application/ms-imdn+xml\r\n");
  return out;
}

bool offersImSession(std::string_view sdp) {
  if (sdp.size() > 16384 || !proxy::trim(sdp).starts_with("v=")) {
    return false;
  }
  size_t pos = 0;
  while (pos < sdp.size()) {
    size_t eol = sdp.find('\n', pos);
    std::string_view line = sdp.substr(pos, eol == std::string_view::npos ? sdp.npos : eol - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.size() < 2 || line[1] != '=') {
      return false;  // RFC 4566 §5: every line is <type>=<value>
    }
    if (isOcsMediaLine(line)) {
      return true;
    }
    if (eol == std::string_view::npos) {
      break;
    }
    pos = eol + 1;
  }
  return false;
}

bool isSessionModeEndpoint(std::string_view user_agent, std::string_view contact_params) {
  std::string ua = proxy::toLower(user_agent);
  for (std::string_view mark : {"uccapi", "sipe", "office communicator", "lync", "skype for"}) {
    if (ua.find(mark) != std::string::npos) {
      return true;
    }
  }
  return proxy::toLower(contact_params).find("benotify") != std::string::npos;
}

std::string httpDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

}  // namespace core::im
