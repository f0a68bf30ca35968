// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/transport_counters.h"

#include <array>
#include <string>

namespace proxy::transport {
namespace {

constexpr size_t kDrops = static_cast<size_t>(Drop::Count);

constexpr std::array<std::string_view, kDrops> kDropNames = {
    "oversize",
    "header_too_large",
    "no_content_length",
    "bad_content_length",
    "conflicting_content_length",
    "rate_limit",
    "no_handler",
    "max_connections",
    "max_connections_per_source",
    "message_timeout",
    "handshake_timeout",
    "connect_timeout",
    "connect_failed",
    "tls_handshake",
    "tls_error",
    "tls_setup",
    "slow_reader",
    "queue_full",
    "flow_gone",
    "udp_send_error",
    "no_udp_socket",
};

static_assert(!kDropNames[kDrops - 1].empty(), "a Drop has no name");

struct DropCounters {
  std::array<counters::Counter, kDrops> cells = make();
  static std::array<counters::Counter, kDrops> make() {
    return makeAt(std::make_index_sequence<kDrops>());
  }
  template <size_t... I>
  static std::array<counters::Counter, kDrops> makeAt(std::index_sequence<I...>) {
    return {counters::get("transport.drop." + std::string(kDropNames[I]))...};
  }
};

const DropCounters& dropCounters() {
  static const DropCounters kCounters;  // interned once; thread-safe static init
  return kCounters;
}

}  // namespace

std::string_view dropName(Drop d) {
  size_t i = static_cast<size_t>(d);
  return i < kDrops ? kDropNames[i] : "unknown";
}

Drop dropFor(FramingError e) {
  switch (e) {
    case FramingError::MissingContentLength:
      return Drop::NoContentLength;
    case FramingError::InvalidContentLength:
      return Drop::BadContentLength;
    case FramingError::ConflictingContentLength:
      return Drop::ConflictingContentLength;
    case FramingError::MessageTooLarge:
      return Drop::Oversize;
    case FramingError::HeaderTooLarge:
    case FramingError::None:
      break;
  }
  return Drop::HeaderTooLarge;
}

void countDrop(Drop d) {
  size_t i = static_cast<size_t>(d);
  if (i < kDrops) {
    dropCounters().cells[i].add();
  }
}

uint64_t dropCount(Drop d) {
  size_t i = static_cast<size_t>(d);
  return i < kDrops ? dropCounters().cells[i].value() : 0;
}

const TransportCounters& transportCounters() {
  static const TransportCounters kCounters;
  return kCounters;
}

}  // namespace proxy::transport
