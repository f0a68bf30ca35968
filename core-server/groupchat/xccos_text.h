// SPDX-License-Identifier: Apache-2.0
// Text rules for XCCOS: chat bodies are plain UTF-8 text whose lines are joined
// with CRLF, and everything we write must be well-formed XML 1.0. This file
// normalises chat text (line breaks, characters XML cannot carry), escapes text
// and attribute values for the encoder, and checks post sizes against the
// limits advertised in rpl:getserverinfo. Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace core::groupchat {

// True for code points allowed by XML 1.0 §2.2 (Char).
bool isXmlChar(char32_t c);

// What to do with characters XML 1.0 cannot carry (C0 controls other than TAB,
// LF and CR; U+FFFE; U+FFFF).
enum class ControlChars { Strip, Reject };

// Canonical chat text: valid UTF-8 (else a 400 error), no characters XML cannot
// carry (stripped or a 400 error, per `policy`), and every line break (CRLF,
// lone CR, lone LF) written as CRLF. XML parsers fold CRLF to LF on the way in,
// so decoded chat text goes through this to get its CRLF joins back.
proxy::Result<std::string> normalizeChatText(std::string_view utf8, ControlChars policy);

// Appends `utf8` as XML character data: & < > escaped, CR written as &#13; so
// CRLF survives the receiver's end-of-line folding. Invalid UTF-8 becomes
// U+FFFD and characters XML cannot carry are dropped, so output is always
// well-formed whatever the source (database rows included).
void appendXmlText(std::string& out, std::string_view utf8);
// The same for a double-quoted attribute value: also escapes `"`, and writes
// TAB, LF and CR as character references so attribute normalisation keeps them.
void appendXmlAttribute(std::string& out, std::string_view utf8);

// Size limits from rpl:getserverinfo (bytes; UCMA documents both in bytes).
struct PostLimits {
  uint32_t message_bytes = 512;  // messageSizeLimit: any chat message
  uint32_t story_bytes = 4096;   // storySizeLimit: a "story" (long post)
};
enum class PostKind { Message, Story };

// Checks the UTF-8 byte length of normalised chat text against the limit for
// `kind`; over the limit is a 413 error naming both sizes.
proxy::Result<void> checkPostSize(std::string_view text, PostKind kind, const PostLimits& limits);

}  // namespace core::groupchat
