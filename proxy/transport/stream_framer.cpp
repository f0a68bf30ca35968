// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/stream_framer.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "proxy/base/strings.h"

namespace proxy::transport {
namespace {

constexpr std::string_view kBlankLine = "\r\n\r\n";

bool isContentLength(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "l");  // RFC 3261 §7.3.3 compact form
}

// How many leading bytes of `next` complete a blank line begun at the end of `prev`
// (the terminator straddles two reads), or 0.
size_t straddlingTerminator(std::string_view prev, std::string_view next) {
  for (size_t have = 3; have >= 1; --have) {
    if (prev.size() < have || next.size() < kBlankLine.size() - have) {
      continue;
    }
    if (prev.substr(prev.size() - have) == kBlankLine.substr(0, have) &&
        next.substr(0, kBlankLine.size() - have) == kBlankLine.substr(have)) {
      return kBlankLine.size() - have;
    }
  }
  return 0;
}

}  // namespace

std::string_view framingErrorName(FramingError e) {
  switch (e) {
    case FramingError::None:
      return "none";
    case FramingError::MissingContentLength:
      return "no_content_length";
    case FramingError::InvalidContentLength:
      return "bad_content_length";
    case FramingError::ConflictingContentLength:
      return "conflicting_content_length";
    case FramingError::MessageTooLarge:
      return "oversize";
    case FramingError::HeaderTooLarge:
      return "header_too_large";
  }
  return "unknown";
}

ContentLengthResult findContentLength(std::string_view head) {
  ContentLengthResult result;
  bool found = false;
  bool in_content_length = false;  // the previous line was a Content-Length header
  std::string_view value;
  size_t pos = head.find("\r\n");  // the start line may hold ':' (URIs); skip it
  auto settle = [&]() -> bool {    // records `value` of one Content-Length header
    auto n = parseUnsigned<uint64_t>(trim(value));
    if (!n) {
      result.error = FramingError::InvalidContentLength;
      return false;
    }
    if (found && *n != result.length) {
      result.error = FramingError::ConflictingContentLength;
      return false;
    }
    found = true;
    result.length = static_cast<size_t>(*n);
    return true;
  };
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos || end == start) {
      break;  // the blank line
    }
    std::string_view line = head.substr(start, end - start);
    pos = end;
    if (line.front() == ' ' || line.front() == '\t') {  // RFC 3261 §7.3.1 folding
      if (in_content_length && !trim(line).empty()) {
        if (!trim(value).empty()) {
          result.error = FramingError::InvalidContentLength;
          return result;
        }
        value = line;
      }
      continue;
    }
    if (in_content_length && !settle()) {
      return result;
    }
    // Only "Content-Length" and "l" qualify: most lines are rejected on their first byte.
    if (const char first = asciiLower(line.front()); first != 'c' && first != 'l') {
      in_content_length = false;
      continue;
    }
    size_t colon = line.find(':');
    in_content_length =
        colon != std::string_view::npos && isContentLength(trim(line.substr(0, colon)));
    if (in_content_length) {
      value = line.substr(colon + 1);
    }
  }
  if (in_content_length && !settle()) {
    return result;
  }
  if (!found) {
    result.error = FramingError::MissingContentLength;
  }
  return result;
}

size_t StreamFramer::buffered() const {
  if (state_ == State::Head) {
    return head_.size();
  }
  if (state_ == State::Body) {
    return msg_filled_;
  }
  return 0;
}

FramingError StreamFramer::fail(FramingError e) {
  state_ = State::Failed;
  error_ = e;
  head_ = std::string();
  msg_.reset();
  return e;
}

FramingError StreamFramer::feed(std::string_view input, FramerSink& sink) {
  size_t pos = 0;
  bool stop = false;
  while (!stop && state_ != State::Failed) {
    if (state_ == State::Idle) {
      if (pos == input.size()) {
        break;
      }
      pos = skipIdle(input, pos, sink, stop);
    } else if (state_ == State::Head) {
      if (pos == input.size()) {
        break;
      }
      pos = takeHead(input, pos, sink, stop);
    } else {
      pos = takeBody(input, pos, sink, stop);  // runs once with no input for an empty body
      if (pos == input.size() && state_ == State::Body) {
        break;
      }
    }
  }
  return state_ == State::Failed ? error_ : FramingError::None;
}

size_t StreamFramer::skipIdle(std::string_view input, size_t pos, FramerSink& sink, bool& stop) {
  // RFC 3261 §7.5: CRLFs before a start line are ignored. RFC 5626 §4.4.1: a double
  // CRLF is a ping (answered), a single CRLF is a pong (ignored).
  while (pos < input.size()) {
    char c = input[pos];
    if (c == '\r') {
      ++pos;
      continue;
    }
    if (c == '\n') {
      ++pos;
      if (++line_ends_ == 2) {
        line_ends_ = 0;
        if (!sink.onPing()) {
          stop = true;
          return pos;
        }
      }
      continue;
    }
    line_ends_ = 0;
    state_ = State::Head;
    head_.clear();
    return pos;
  }
  return pos;
}

size_t StreamFramer::takeHead(std::string_view input, size_t pos, FramerSink& sink, bool& stop) {
  std::string_view view = input.substr(pos);
  if (head_.empty()) {  // fast path: the whole header section is in this read
    size_t end = view.find(kBlankLine);
    if (end == std::string_view::npos) {
      if (view.size() > max_) {
        fail(FramingError::HeaderTooLarge);
        return input.size();
      }
      head_.assign(view);
      return input.size();
    }
    size_t head_size = end + kBlankLine.size();
    if (!startMessage(view.substr(0, head_size))) {
      return input.size();
    }
    return takeBody(input, pos + head_size, sink, stop);
  }
  size_t take = straddlingTerminator(head_, view);
  if (take == 0) {
    size_t end = view.find(kBlankLine);
    take = end == std::string_view::npos ? view.size() : end + kBlankLine.size();
  }
  head_.append(view.substr(0, take));
  bool complete = head_.size() >= kBlankLine.size() &&
                  std::string_view(head_).substr(head_.size() - kBlankLine.size()) == kBlankLine;
  if (!complete) {
    if (head_.size() > max_) {
      fail(FramingError::HeaderTooLarge);
    }
    return input.size();
  }
  bool started = startMessage(head_);
  head_.clear();
  if (!started) {
    return input.size();
  }
  return takeBody(input, pos + take, sink, stop);
}

bool StreamFramer::startMessage(std::string_view head) {
  if (head.size() > max_) {
    fail(FramingError::HeaderTooLarge);
    return false;
  }
  ContentLengthResult cl = findContentLength(head);
  if (cl.error != FramingError::None) {
    fail(cl.error);
    return false;
  }
  if (cl.length > max_ - head.size()) {
    fail(FramingError::MessageTooLarge);
    return false;
  }
  msg_size_ = head.size() + cl.length;
  msg_.reset(new char[msg_size_]);
  std::memcpy(msg_.get(), head.data(), head.size());
  msg_filled_ = head.size();
  state_ = State::Body;
  return true;
}

size_t StreamFramer::takeBody(std::string_view input, size_t pos, FramerSink& sink, bool& stop) {
  size_t n = std::min(msg_size_ - msg_filled_, input.size() - pos);
  if (n > 0) {
    std::memcpy(msg_.get() + msg_filled_, input.data() + pos, n);  // bodies may hold NULs
  }
  msg_filled_ += n;
  pos += n;
  if (msg_filled_ == msg_size_) {
    state_ = State::Idle;
    line_ends_ = 0;
    size_t size = std::exchange(msg_size_, 0);
    msg_filled_ = 0;
    if (!sink.onMessage(std::move(msg_), size)) {
      stop = true;
    }
  }
  return pos;
}

}  // namespace proxy::transport
