// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/offline_mailbox.h"

#include <atomic>
#include <csignal>
#include <cstdlib>

#include "proxy/base/counters.h"
#include "proxy/base/log.h"

namespace core::im {

namespace {

// Test builds only: CONFAB_TEST_KILL_AFTER_OFFLINE_2XX=N kills the process
// (SIGKILL, like kill -9) when the Nth offline delivery got its 2xx, before the
// delete is submitted: the window "exactly once" has to survive.
void testKillBeforeDelete() {
#ifndef NDEBUG
  static const long kill_at = [] {
    const char* env = std::getenv("CONFAB_TEST_KILL_AFTER_OFFLINE_2XX");
    return env != nullptr ? std::strtol(env, nullptr, 10) : 0L;
  }();
  static std::atomic<long> delivered{0};
  if (kill_at > 0 && ++delivered == kill_at) {
    LOG_WARN("im: test hook: SIGKILL after offline delivery %ld", kill_at);
    std::raise(SIGKILL);
  }
#endif
}

}  // namespace

OfflineMailbox::OfflineMailbox(OfflineStore& store, storage::Poster post, MailboxLimits limits,
                               Deliver deliver)
    : store_(store),
      post_(std::move(post)),
      limits_(limits),
      deliver_(std::move(deliver)),
      alive_(std::make_shared<OfflineMailbox*>(this)) {}

OfflineMailbox::~OfflineMailbox() { *alive_ = nullptr; }

void OfflineMailbox::load(std::vector<StoredMessage> messages) {
  for (StoredMessage& m : messages) {
    Box& box = boxes_[m.recipient];
    box.count += 1;
    box.bytes += m.bytes();
    box.queue.push_back(std::move(m));
  }
}

Admission OfflineMailbox::store(StoredMessage message, std::function<void(bool ok)> committed) {
  static auto full = proxy::counters::get("im.offline.quota_refused");
  Box& box = boxes_[message.recipient];
  if (box.count + 1 > limits_.max_messages) {
    full.add();
    forgetIfEmpty(message.recipient);
    return Admission::TooManyMessages;
  }
  if (box.bytes + message.bytes() > limits_.max_bytes) {
    full.add();
    forgetIfEmpty(message.recipient);
    return Admission::TooManyBytes;
  }
  box.count += 1;
  box.bytes += message.bytes();
  box.committing += 1;
  std::weak_ptr<OfflineMailbox*> weak = alive_;
  std::string aor = message.recipient;
  auto copy = std::make_shared<StoredMessage>(message);
  store_.insert(std::move(message), post_,
                [weak, aor, copy, committed = std::move(committed)](bool ok, int64_t id) {
                  if (auto self = weak.lock(); self && *self != nullptr) {
                    (*self)->onCommitted(aor, std::move(*copy), ok, id);
                  }
                  committed(ok);
                });
  return Admission::Accepted;
}

void OfflineMailbox::onCommitted(const std::string& aor, StoredMessage message, bool ok,
                                 int64_t id) {
  static auto stored = proxy::counters::get("im.offline.stored");
  static auto failed = proxy::counters::get("im.offline.store_failed");
  auto it = boxes_.find(aor);
  if (it == boxes_.end()) {
    return;
  }
  Box& box = it->second;
  box.committing -= 1;
  if (!ok) {
    failed.add();
    box.count -= 1;
    box.bytes -= message.bytes();
    forgetIfEmpty(aor);
    return;
  }
  stored.add();
  message.id = id;
  box.queue.push_back(std::move(message));  // commits complete in submission order
  if (!box.delivering) {
    deliverFront(aor);  // the recipient may have come back meanwhile
  }
}

bool OfflineMailbox::hasBacklog(std::string_view aor) const {
  auto it = boxes_.find(aor);
  return it != boxes_.end() && it->second.count > 0;
}

void OfflineMailbox::kick(std::string_view aor) {
  auto it = boxes_.find(aor);
  if (it != boxes_.end() && !it->second.delivering) {
    deliverFront(it->first);
  }
}

void OfflineMailbox::kickAll() {
  std::vector<std::string> waiting;
  for (const auto& [aor, box] : boxes_) {
    if (!box.delivering && !box.queue.empty()) {
      waiting.push_back(aor);
    }
  }
  for (const std::string& aor : waiting) {
    kick(aor);
  }
}

void OfflineMailbox::deliverFront(const std::string& aor_ref) {
  const std::string aor = aor_ref;  // the map entry may go inside the callback
  auto it = boxes_.find(aor);
  if (it == boxes_.end() || it->second.delivering || it->second.queue.empty()) {
    return;
  }
  Box& box = it->second;
  box.delivering = true;
  const int64_t id = box.queue.front().id;
  std::weak_ptr<OfflineMailbox*> weak = alive_;
  deliver_(box.queue.front(), [weak, aor, id](bool delivered) {
    if (auto self = weak.lock(); self && *self != nullptr) {
      (*self)->onDelivered(aor, id, delivered);
    }
  });
}

void OfflineMailbox::onDelivered(const std::string& aor, int64_t id, bool delivered) {
  static auto out = proxy::counters::get("im.offline.delivered");
  auto it = boxes_.find(aor);
  if (it == boxes_.end()) {
    return;
  }
  Box& box = it->second;
  box.delivering = false;
  if (box.queue.empty() || box.queue.front().id != id) {
    return;  // expired meanwhile
  }
  if (!delivered) {
    return;  // kept; retried on the next registration or retry tick
  }
  out.add();
  testKillBeforeDelete();
  store_.remove(id, {}, {});  // only now: an endpoint has accepted it
  dropFront(box);
  if (box.queue.empty()) {
    forgetIfEmpty(aor);
    return;
  }
  deliverFront(aor);
}

void OfflineMailbox::dropFront(Box& box) {
  box.count -= 1;
  box.bytes -= box.queue.front().bytes();
  box.queue.pop_front();
}

void OfflineMailbox::forgetIfEmpty(const std::string& aor) {
  auto it = boxes_.find(aor);
  if (it != boxes_.end() && it->second.count == 0 && !it->second.delivering) {
    boxes_.erase(it);
  }
}

size_t OfflineMailbox::expire(int64_t now_unix) {
  static auto expired = proxy::counters::get("im.offline.expired");
  size_t dropped = 0;
  for (auto it = boxes_.begin(); it != boxes_.end();) {
    Box& box = it->second;
    auto& q = box.queue;
    // The message out for delivery stays: its answer decides.
    size_t i = box.delivering ? 1 : 0;
    while (i < q.size()) {
      if (q[i].received_at + limits_.max_age_s <= now_unix) {
        store_.remove(q[i].id, {}, {});
        box.count -= 1;
        box.bytes -= q[i].bytes();
        q.erase(q.begin() + static_cast<std::ptrdiff_t>(i));
        ++dropped;
      } else {
        ++i;
      }
    }
    if (box.count == 0 && !box.delivering) {
      it = boxes_.erase(it);
    } else {
      ++it;
    }
  }
  if (dropped > 0) {
    expired.add(dropped);
    LOG_INFO("im: %zu offline messages expired undelivered", dropped);
  }
  return dropped;
}

size_t OfflineMailbox::queued(std::string_view aor) const {
  auto it = boxes_.find(aor);
  return it == boxes_.end() ? 0 : it->second.queue.size();
}

size_t OfflineMailbox::queuedTotal() const {
  size_t n = 0;
  for (const auto& [aor, box] : boxes_) {
    n += box.queue.size();
  }
  return n;
}

}  // namespace core::im
