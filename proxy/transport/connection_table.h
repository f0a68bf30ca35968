// SPDX-License-Identifier: Apache-2.0
// One shard's stream connections, indexed by connection id (for flows) and by
// protocol + remote address + verified TLS name (for reuse by sendTo; the name is
// empty for connections that verified nothing). A closed connection is
// unindexed at once and destroyed on the next loop iteration, because it is
// usually closing from inside one of its own callbacks. Shard thread only.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/transport/stream_connection.h"
#include "proxy/transport/transport.h"
#include "proxy/uv/handle.h"

namespace proxy::transport {

class ConnectionTable {
 public:
  explicit ConnectionTable(uv_loop_t& loop);
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // Takes ownership and indexes by id and by (protocol, remote, verifiedName()); a newer
  // connection with the same key replaces the older one in the reuse index.
  StreamConnection& add(std::unique_ptr<StreamConnection> connection);
  StreamConnection* find(uint64_t id) const;
  StreamConnection* findByRemote(Protocol protocol, const Address& remote,
                                 std::string_view verified_name = {}) const;

  // Unindexes `connection` and destroys it soon (next loop iteration or reap()).
  void retire(StreamConnection& connection);
  // Destroys retired connections now. Never call from a connection's own callback.
  void reap();

  // Live connections (for shutdown).
  std::vector<StreamConnection*> snapshot() const;
  size_t size() const { return by_id_.size(); }

 private:
  struct RemoteKey {
    Protocol protocol;
    Address remote;
    std::string verified_name;
    bool operator==(const RemoteKey& o) const {
      return protocol == o.protocol && remote == o.remote && verified_name == o.verified_name;
    }
  };
  struct RemoteKeyHash {
    size_t operator()(const RemoteKey& k) const {
      return (k.remote.hash() * 31 + static_cast<size_t>(k.protocol)) * 31 +
             std::hash<std::string>()(k.verified_name);
    }
  };
  static RemoteKey keyOf(const StreamConnection& c) {
    return RemoteKey{c.flow().protocol, c.flow().remote, c.verifiedName()};
  }

  std::unordered_map<uint64_t, std::unique_ptr<StreamConnection>> by_id_;
  std::unordered_map<RemoteKey, StreamConnection*, RemoteKeyHash> by_remote_;
  std::vector<std::unique_ptr<StreamConnection>> retired_;
  uv::Handle<uv_idle_t> reaper_;  // runs once after a retire, then stops
};

}  // namespace proxy::transport
