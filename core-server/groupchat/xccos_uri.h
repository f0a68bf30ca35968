// SPDX-License-Identifier: Apache-2.0
// Group-chat node identifiers: channel URIs `ma-chan://<domain>/<uuid>`,
// category URIs `ma-cat://<domain>/<uuid>`, and the split `<chanid key domain
// value>` form that join commands use instead of the URI. Parsing validates the
// domain (DNS name syntax) and the UUID (8-4-4-4-12 hex) and lower-cases both,
// so equal nodes compare equal as strings. Pure values, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace core::groupchat {

enum class NodeKind { Channel, Category };

// True for the canonical 36-character UUID form (either case).
bool isUuid(std::string_view text);
// True for a DNS-style domain: labels of [A-Za-z0-9-] joined by dots, 1..253 bytes.
bool isNodeDomain(std::string_view text);

// The split form of a channel id, as sent in cmd:join / cmd:bjoin.
struct ChanId {
  uint32_t key = 0;    // the client's index of this entry in its request
  std::string domain;  // lower-case
  std::string value;   // the channel UUID, lower-case
};

class NodeUri {
 public:
  // Parses `ma-chan://…` or `ma-cat://…`; anything else (other schemes, a path
  // with more segments, a query, a bad UUID) is a 400 error.
  static proxy::Result<NodeUri> parse(std::string_view text);
  // Parses and requires the given kind.
  static proxy::Result<NodeUri> parse(std::string_view text, NodeKind kind);
  // Builds a URI from validated parts (kind, domain, uuid).
  static proxy::Result<NodeUri> make(NodeKind kind, std::string_view domain, std::string_view uuid);
  // The channel a `<chanid>` names.
  static proxy::Result<NodeUri> fromChanId(const ChanId& id);

  NodeKind kind() const { return kind_; }
  const std::string& domain() const { return domain_; }
  const std::string& uuid() const { return uuid_; }
  std::string str() const;  // the canonical URI text
  ChanId toChanId(uint32_t key) const;

  friend bool operator==(const NodeUri&, const NodeUri&) = default;

 private:
  NodeUri(NodeKind kind, std::string domain, std::string uuid)
      : kind_(kind), domain_(std::move(domain)), uuid_(std::move(uuid)) {}

  NodeKind kind_;
  std::string domain_;
  std::string uuid_;
};

}  // namespace core::groupchat
