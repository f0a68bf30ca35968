// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/xccos_text.h"

#include <optional>

namespace core::groupchat {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Decodes one UTF-8 sequence at text[i], advancing i. Rejects overlong forms,
// surrogates and values above U+10FFFF (RFC 3629 §3). On failure i moves one
// byte, so callers can resynchronise.
std::optional<char32_t> nextCodePoint(std::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  char32_t c = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, c = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, c = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, c = lead & 0x07, min = 0x10000;
  } else {
    ++i;
    return std::nullopt;
  }
  if (i + length > text.size()) {
    ++i;
    return std::nullopt;
  }
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return std::nullopt;
    }
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    ++i;
    return std::nullopt;
  }
  i += length;
  return c;
}

enum class Quote { None, Double };

void appendEscaped(std::string& out, std::string_view utf8, Quote quote) {
  out.reserve(out.size() + utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    const size_t start = i;
    const std::optional<char32_t> c = nextCodePoint(utf8, i);
    if (!c) {
      out.append(kReplacement);
      continue;
    }
    if (!isXmlChar(*c)) {
      continue;  // cannot be carried by XML 1.0 at all, not even as a reference
    }
    switch (*c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '\r':
        out.append("&#13;");
        break;
      case '"':
        out.append(quote == Quote::Double ? "&quot;" : "\"");
        break;
      case '\n':
        out.append(quote == Quote::Double ? "&#10;" : "\n");
        break;
      case '\t':
        out.append(quote == Quote::Double ? "&#9;" : "\t");
        break;
      default:
        out.append(utf8.substr(start, i - start));
        break;
    }
  }
}

}  // namespace

bool isXmlChar(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

proxy::Result<std::string> normalizeChatText(std::string_view utf8, ControlChars policy) {
  std::string out;
  out.reserve(utf8.size() + 8);
  size_t i = 0;
  while (i < utf8.size()) {
    const size_t start = i;
    const std::optional<char32_t> c = nextCodePoint(utf8, i);
    if (!c) {
      return proxy::makeError(400, "chat text: invalid UTF-8 at byte " + std::to_string(start));
    }
    if (*c == '\r' || *c == '\n') {
      if (*c == '\r' && i < utf8.size() && utf8[i] == '\n') {
        ++i;  // CRLF is one break
      }
      out.append("\r\n");
    } else if (!isXmlChar(*c)) {
      if (policy == ControlChars::Reject) {
        return proxy::makeError(
            400, "chat text: character not allowed in XML at byte " + std::to_string(start));
      }
    } else {
      out.append(utf8.substr(start, i - start));
    }
  }
  return out;
}

void appendXmlText(std::string& out, std::string_view utf8) {
  appendEscaped(out, utf8, Quote::None);
}

void appendXmlAttribute(std::string& out, std::string_view utf8) {
  appendEscaped(out, utf8, Quote::Double);
}

proxy::Result<void> checkPostSize(std::string_view text, PostKind kind, const PostLimits& limits) {
  const uint32_t limit = kind == PostKind::Story ? limits.story_bytes : limits.message_bytes;
  if (text.size() > limit) {
    return proxy::makeError(413, std::string(kind == PostKind::Story ? "story" : "message") +
                                     " of " + std::to_string(text.size()) +
                                     " bytes is over the limit of " + std::to_string(limit));
  }
  return {};
}

}  // namespace core::groupchat
