// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/stream_framer.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace proxy::transport;

namespace {

struct Collector : FramerSink {
  std::vector<std::string> messages;
  int pings = 0;
  bool stop_after_message = false;
  bool onMessage(std::unique_ptr<char[]> bytes, size_t size) override {
    messages.emplace_back(bytes.get(), size);
    return !stop_after_message;
  }
  bool onPing() override {
    ++pings;
    return true;
  }
};

std::string message(std::string_view body, std::string_view cl_header = "Content-Length") {
  std::string m =
      "MESSAGE sip:bob@example.test SIP/2.0\r\n"
      "Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK-1\r\n"
      "Call-ID: abc\r\n";
  m += std::string(cl_header) + ": " + std::to_string(body.size()) + "\r\n\r\n";
  m += body;
  return m;
}

}  // namespace

TEST_CASE("framer: one message in one read") {
  StreamFramer f(65535);
  Collector c;
  std::string m = message("hello");
  CHECK(f.feed(m, c) == FramingError::None);
  REQUIRE(c.messages.size() == 1);
  CHECK(c.messages[0] == m);
  CHECK_FALSE(f.midMessage());
  CHECK(f.buffered() == 0);
}

TEST_CASE("framer: pipelined messages in one read, with CRLFs between them") {
  StreamFramer f(65535);
  Collector c;
  std::string a = message("first"), b = message(""), d = message("third!");
  CHECK(f.feed(a + b + "\r\n" + d, c) == FramingError::None);
  REQUIRE(c.messages.size() == 3);
  CHECK(c.messages[0] == a);
  CHECK(c.messages[1] == b);
  CHECK(c.messages[2] == d);
  CHECK(c.pings == 0);  // one CRLF is a pong, not a ping
}

TEST_CASE("framer: a message split byte by byte") {
  StreamFramer f(65535);
  Collector c;
  std::string m = message("split body") + message("x");
  for (char ch : m) {
    REQUIRE(f.feed(std::string_view(&ch, 1), c) == FramingError::None);
  }
  REQUIRE(c.messages.size() == 2);
  CHECK(c.messages[0] == message("split body"));
  CHECK(c.messages[1] == message("x"));
}

TEST_CASE("framer: every split point of two pipelined messages") {
  std::string stream = "\r\n" + message("abc") + message("defgh", "l");
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    StreamFramer f(65535);
    Collector c;
    REQUIRE(f.feed(std::string_view(stream).substr(0, cut), c) == FramingError::None);
    REQUIRE(f.feed(std::string_view(stream).substr(cut), c) == FramingError::None);
    REQUIRE(c.messages.size() == 2);
    CHECK(c.messages[1] == message("defgh", "l"));
  }
}

TEST_CASE("framer: midMessage tracks a started message") {
  StreamFramer f(65535);
  Collector c;
  CHECK(f.feed("\r\n", c) == FramingError::None);
  CHECK_FALSE(f.midMessage());
  std::string m = message("body");
  CHECK(f.feed(std::string_view(m).substr(0, 10), c) == FramingError::None);
  CHECK(f.midMessage());
  CHECK(f.buffered() == 10);
  CHECK(f.feed(std::string_view(m).substr(10), c) == FramingError::None);
  CHECK_FALSE(f.midMessage());
  CHECK(c.messages.size() == 1);
}

TEST_CASE("framer: RFC 5626 keep-alive ping and pong") {
  StreamFramer f(65535);
  Collector c;
  CHECK(f.feed("\r\n\r\n", c) == FramingError::None);
  CHECK(c.pings == 1);
  CHECK(f.feed("\r\n", c) == FramingError::None);  // pong: ignored
  CHECK(c.pings == 1);
  CHECK(f.feed("\r\n", c) == FramingError::None);  // a second CRLF completes a ping
  CHECK(c.pings == 2);
  // A ping split across reads, then a message.
  CHECK(f.feed("\r", c) == FramingError::None);
  CHECK(f.feed("\n\r", c) == FramingError::None);
  CHECK(f.feed("\n" + message("m"), c) == FramingError::None);
  CHECK(c.pings == 3);
  CHECK(c.messages.size() == 1);
  CHECK(c.messages[0] == message("m"));
}

TEST_CASE("framer: a body holding NUL bytes and CRLFCRLF is taken by length") {
  StreamFramer f(65535);
  Collector c;
  std::string body("a\0b\r\n\r\nc\0", 9);
  std::string m = message(body);
  CHECK(f.feed(m, c) == FramingError::None);
  REQUIRE(c.messages.size() == 1);
  CHECK(c.messages[0].size() == m.size());
  CHECK(c.messages[0] == m);
}

TEST_CASE("framer: compact l and case-insensitive names, space before the colon") {
  for (std::string header : {"l", "L", "content-length", "CONTENT-LENGTH", "Content-Length "}) {
    StreamFramer f(65535);
    Collector c;
    CHECK(f.feed(message("12345", header), c) == FramingError::None);
    REQUIRE(c.messages.size() == 1);
    CHECK(c.messages[0].size() == message("12345", header).size());
  }
}

TEST_CASE("framer: Content-Length errors close the stream") {
  auto frame = [](const std::string& text) {
    StreamFramer f(65535);
    Collector c;
    FramingError e = f.feed(text, c);
    CHECK(c.messages.empty());
    return e;
  };
  std::string start = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK-x\r\n";
  CHECK(frame(start + "\r\n") == FramingError::MissingContentLength);
  CHECK(frame(start + "Content-Length: -1\r\n\r\n") == FramingError::InvalidContentLength);
  CHECK(frame(start + "Content-Length: abc\r\n\r\n") == FramingError::InvalidContentLength);
  CHECK(frame(start + "Content-Length: \r\n\r\n") == FramingError::InvalidContentLength);
  CHECK(frame(start + "Content-Length: +5\r\n\r\n") == FramingError::InvalidContentLength);
  CHECK(frame(start + "Content-Length: 99999999999999999999999\r\n\r\n") ==
        FramingError::InvalidContentLength);
  CHECK(frame(start + "Content-Length: 3\r\nl: 4\r\n\r\n") ==
        FramingError::ConflictingContentLength);
  // The start line holds a URI with ':' and is never taken for a header.
  CHECK(frame("l: 5 sip:x SIP/2.0\r\nVia: v\r\n\r\n") == FramingError::MissingContentLength);
}

TEST_CASE("framer: repeated equal Content-Length and folded values are accepted") {
  StreamFramer f(65535);
  Collector c;
  std::string m = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nok";
  CHECK(f.feed(m, c) == FramingError::None);
  std::string folded = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length:\r\n  2\r\n\r\nok";
  CHECK(f.feed(folded, c) == FramingError::None);
  CHECK(c.messages.size() == 2);
}

TEST_CASE("framer: a message over the limit is refused before its body arrives") {
  StreamFramer f(200);
  Collector c;
  std::string head = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 500\r\n\r\n";
  CHECK(f.feed(head, c) == FramingError::MessageTooLarge);
  CHECK(f.feed("more", c) == FramingError::MessageTooLarge);  // dead after an error
  CHECK(c.messages.empty());
}

TEST_CASE("framer: exactly at the limit passes, one byte over fails") {
  std::string m = message("0123456789");
  {
    StreamFramer f(m.size());
    Collector c;
    CHECK(f.feed(m, c) == FramingError::None);
    CHECK(c.messages.size() == 1);
  }
  {
    StreamFramer f(m.size() - 1);
    Collector c;
    CHECK(f.feed(m, c) == FramingError::MessageTooLarge);
  }
}

TEST_CASE("framer: headers that never end are cut at the limit") {
  StreamFramer f(1024);
  Collector c;
  std::string line = "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  FramingError e = f.feed("INVITE sip:a@b SIP/2.0\r\n", c);
  for (int i = 0; i < 100 && e == FramingError::None; ++i) {
    e = f.feed(line, c);
  }
  CHECK(e == FramingError::HeaderTooLarge);
}

TEST_CASE("framer: binary garbage is refused within the limit") {
  StreamFramer f(4096);
  Collector c;
  std::string garbage;
  for (int i = 0; i < 10000; ++i) {
    garbage.push_back(static_cast<char>((i * 131 + 7) % 251 + 1));
  }
  // Either no blank line (header too large) or a blank line without Content-Length.
  FramingError e = f.feed(garbage, c);
  CHECK(e != FramingError::None);
  CHECK(c.messages.empty());
  StreamFramer g(4096);
  CHECK(g.feed(std::string("\x16\x03\x01\x00\xa5\r\n\r\n", 9), c) ==
        FramingError::MissingContentLength);
}

TEST_CASE("framer: a sink that stops the feed stops it") {
  StreamFramer f(65535);
  Collector c;
  c.stop_after_message = true;
  CHECK(f.feed(message("a") + message("b"), c) == FramingError::None);
  CHECK(c.messages.size() == 1);
}

TEST_CASE("findContentLength reads the header section only") {
  auto r = findContentLength("SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nl:7\r\n\r\n");
  CHECK(r.error == FramingError::None);
  CHECK(r.length == 7);
  CHECK(framingErrorName(FramingError::MissingContentLength) == "no_content_length");
}
