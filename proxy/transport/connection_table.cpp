// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/connection_table.h"

namespace proxy::transport {

ConnectionTable::ConnectionTable(uv_loop_t& loop) : reaper_(loop, uv_idle_init) {
  reaper_->data = this;
}

StreamConnection& ConnectionTable::add(std::unique_ptr<StreamConnection> connection) {
  StreamConnection& c = *connection;
  by_remote_[keyOf(c)] = &c;
  by_id_[c.id()] = std::move(connection);
  return c;
}

StreamConnection* ConnectionTable::find(uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

StreamConnection* ConnectionTable::findByRemote(Protocol protocol, const Address& remote,
                                                std::string_view verified_name) const {
  auto it = by_remote_.find(RemoteKey{protocol, remote, std::string(verified_name)});
  return it == by_remote_.end() ? nullptr : it->second;
}

void ConnectionTable::retire(StreamConnection& connection) {
  auto it = by_id_.find(connection.id());
  if (it == by_id_.end() || it->second.get() != &connection) {
    return;
  }
  auto remote = by_remote_.find(keyOf(connection));
  if (remote != by_remote_.end() && remote->second == &connection) {
    by_remote_.erase(remote);
  }
  retired_.push_back(std::move(it->second));
  by_id_.erase(it);
  if (reaper_) {
    // An idle handle makes the loop poll without blocking, so the reap happens next turn.
    uv_idle_start(reaper_.get(), [](uv_idle_t* idle) noexcept {
      if (auto* self = static_cast<ConnectionTable*>(idle->data)) {
        self->reap();
      }
    });
  }
}

void ConnectionTable::reap() {
  if (reaper_) {
    uv_idle_stop(reaper_.get());
  }
  // Destructors may run done callbacks that retire more connections: loop until quiet.
  while (!retired_.empty()) {
    std::vector<std::unique_ptr<StreamConnection>> batch = std::move(retired_);
    retired_.clear();
    batch.clear();
  }
}

std::vector<StreamConnection*> ConnectionTable::snapshot() const {
  std::vector<StreamConnection*> out;
  out.reserve(by_id_.size());
  for (const auto& [id, c] : by_id_) {
    out.push_back(c.get());
  }
  return out;
}

}  // namespace proxy::transport
