// SPDX-License-Identifier: Apache-2.0
// StreamFramer cuts a TCP/TLS byte stream into SIP messages by Content-Length
// (RFC 3261 §18.3) and spots RFC 5626 §4.4.1 keep-alives between messages. It
// is pure (no I/O, no clock): feed it bytes, it calls a sink. One framer per
// connection, used on that connection's shard thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace proxy::transport {

enum class FramingError {
  None,
  MissingContentLength,      // RFC 3261 §18.3: mandatory on stream transports
  InvalidContentLength,      // not a plain decimal number
  ConflictingContentLength,  // several Content-Length headers that disagree
  MessageTooLarge,           // headers + body over the limit
  HeaderTooLarge,            // no blank line within the limit (also: binary garbage)
};

// A short snake_case name for counters and logs ("no_content_length", ...).
std::string_view framingErrorName(FramingError e);

// Receives what the framer finds. Returning false stops the current feed() (the
// owner closed the connection from inside the callback).
class FramerSink {
 public:
  virtual ~FramerSink() = default;
  // A complete message (headers and body), in an exactly sized heap buffer.
  virtual bool onMessage(std::unique_ptr<char[]> bytes, size_t size) = 0;
  // A double CRLF outside a message: answer with a single CRLF (RFC 5626 §4.4.1).
  virtual bool onPing() = 0;
};

class StreamFramer {
 public:
  explicit StreamFramer(size_t max_message_size) : max_(max_message_size) {}

  // Consumes all of `input`, reporting complete messages and pings in order. After an
  // error the framer is dead: the caller closes the connection; later feeds return it again.
  FramingError feed(std::string_view input, FramerSink& sink);

  // True while part of a message has arrived but not all of it (for the slow-sender timer).
  bool midMessage() const { return state_ == State::Head || state_ == State::Body; }
  // Bytes held across feeds (a partial header section or a partial body).
  size_t buffered() const;

 private:
  enum class State { Idle, Head, Body, Failed };

  size_t skipIdle(std::string_view input, size_t pos, FramerSink& sink, bool& stop);
  size_t takeHead(std::string_view input, size_t pos, FramerSink& sink, bool& stop);
  size_t takeBody(std::string_view input, size_t pos, FramerSink& sink, bool& stop);
  // With the header section complete in `head`, sizes the message and starts the body.
  bool startMessage(std::string_view head);
  FramingError fail(FramingError e);

  size_t max_;
  State state_ = State::Idle;
  FramingError error_ = FramingError::None;
  unsigned line_ends_ = 0;       // Idle: consecutive line ends (two make a ping)
  std::string head_;             // Head: the header section so far
  std::unique_ptr<char[]> msg_;  // Body: the message being completed, exactly sized
  size_t msg_size_ = 0;
  size_t msg_filled_ = 0;
};

// Finds Content-Length (or compact "l") in a header section that ends with the blank
// line. Returns the length or the framing error. Exposed for tests.
struct ContentLengthResult {
  size_t length = 0;
  FramingError error = FramingError::None;
};
ContentLengthResult findContentLength(std::string_view head);

}  // namespace proxy::transport
