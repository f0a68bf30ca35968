// SPDX-License-Identifier: Apache-2.0
#include "core-server/storage/storage_thread.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>

#include "proxy/base/log.h"

namespace core::storage {

namespace {
std::atomic<uint64_t> g_depth_in_process{0};
}  // namespace

StorageThread::StorageThread(std::unique_ptr<Connection> connection, Options options,
                             SaveBindings save_bindings)
    : options_{std::max<uint32_t>(options.max_batch, 1), options.max_delay_us},
      connection_(std::move(connection)),
      save_bindings_(std::move(save_bindings)),
      thread_([this] { run(); }) {}

StorageThread::~StorageThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();  // run() drains the queue before it returns
}

void StorageThread::submit(Write write, Poster post, std::function<void(bool)> done) {
  enqueue(Pending{std::move(write), std::move(post), std::move(done)});
}

void StorageThread::submitSave(BindingRecord binding, Poster post, std::function<void(bool)> done) {
  enqueue(Pending{std::move(binding), std::move(post), std::move(done)});
}

void StorageThread::enqueue(Pending pending) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(pending));
    ++submitted_;
    g_depth_in_process.fetch_add(1, std::memory_order_relaxed);
    // Only a writer asleep with nothing to do needs this write's wake; a writer in its
    // batching wait wakes by itself, or at a full batch. Most submits skip the futex call.
    wake = (writer_idle_ && queue_.size() == 1) || queue_.size() == options_.max_batch;
  }
  if (wake) {
    wake_.notify_one();
  }
}

void StorageThread::flush() {
  std::unique_lock lock(mutex_);
  const uint64_t target = submitted_;
  flush_until_ = std::max(flush_until_, target);
  wake_.notify_one();
  settled_.wait(lock, [&] { return completed_ >= target; });
}

uint64_t StorageThread::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

uint64_t StorageThread::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

uint64_t StorageThread::depth() const {
  std::lock_guard lock(mutex_);
  return submitted_ - completed_;
}

uint64_t StorageThread::depthInProcess() {
  return g_depth_in_process.load(std::memory_order_relaxed);
}

void StorageThread::run() {
  proxy::log::setThreadTag("store");
  std::vector<Pending> batch;
  batch.reserve(options_.max_batch);
  bool busy = false;
  while (takeBatch(batch, busy)) {
    if (!batch.empty()) {
      commitBatch(batch);
      batch.clear();
    }
  }
}

bool StorageThread::takeBatch(std::vector<Pending>& batch, bool& busy) {
  std::unique_lock lock(mutex_);
  if (!busy || options_.max_delay_us == 0) {
    writer_idle_ = true;  // the next submit wakes us
    wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    writer_idle_ = false;
  }
  // Right after a batch, under load, the batching wait starts at once rather than on the
  // next submit's wake: one wakeup per batch instead of two, and no write waits longer.
  if (options_.max_delay_us > 0) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(options_.max_delay_us);
    wake_.wait_until(lock, deadline, [&] {
      return queue_.size() >= options_.max_batch || stopping_ || flush_until_ > completed_;
    });
  }
  if (queue_.empty()) {
    busy = false;  // a quiet spell: sleep until the next submit
    return !stopping_;
  }
  busy = true;
  const auto count = std::min<size_t>(queue_.size(), options_.max_batch);
  const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(count);
  batch.insert(batch.end(), std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
  queue_.erase(queue_.begin(), end);
  return true;
}

void StorageThread::commitBatch(std::vector<Pending>& batch) {
  Connection& db = *connection_;
  // Through the statement cache: parsing BEGIN and COMMIT anew costs more than a row.
  bool open = db.run("BEGIN IMMEDIATE");
  if (!open) {
    LOG_ERROR("storage: cannot begin a transaction: %s", db.lastError().c_str());
  }
  for (size_t i = 0; open && i < batch.size();) {
    i += applyNext(db, std::span(batch).subspan(i));
    open = db.inTransaction();  // false when SQLite rolled the whole batch back
  }
  const bool committed = open && db.run("COMMIT");
  if (open && !committed) {
    LOG_ERROR("storage: commit of %zu writes failed: %s", batch.size(), db.lastError().c_str());
    if (db.inTransaction()) {
      db.exec("ROLLBACK");
    }
  }
  {
    std::lock_guard lock(mutex_);  // counted first: a completion may read the counters
    writes_ += batch.size();
    commits_ += committed ? 1 : 0;
  }
  postCompletions(batch, committed);
  {
    std::lock_guard lock(mutex_);
    completed_ += batch.size();
    g_depth_in_process.fetch_sub(batch.size(), std::memory_order_relaxed);
  }
  settled_.notify_all();
}

size_t StorageThread::applyNext(Connection& db, std::span<Pending> rest) {
  Pending& first = rest.front();
  if (auto* write = std::get_if<Write>(&first.work)) {
    first.applied = (*write)(db);
    if (!first.applied) {
      LOG_ERROR("storage: write failed: %s", db.lastError().c_str());
    }
    return 1;
  }
  const auto is_save = [](const Pending& p) {
    return std::holds_alternative<BindingRecord>(p.work);
  };
  const auto saves =
      static_cast<size_t>(std::find_if_not(rest.begin(), rest.end(), is_save) - rest.begin());
  applySaves(db, rest.first(saves));
  return saves;
}

void StorageThread::applySaves(Connection& db, std::span<Pending> saves) {
  if (!save_bindings_) {
    LOG_ERROR("storage: %zu binding saves with no way to save them", saves.size());
    return;
  }
  save_run_.clear();
  for (const Pending& save : saves) {
    save_run_.push_back(&std::get<BindingRecord>(save.work));
  }
  if (save_bindings_(db, save_run_)) {
    for (Pending& save : saves) {
      save.applied = true;
    }
    return;
  }
  LOG_ERROR("storage: saving %zu bindings failed: %s", saves.size(), db.lastError().c_str());
  // Each one again alone (saves are upserts: repeating those that went through is
  // harmless), so that one bad binding fails alone, as any other write would.
  for (size_t i = 0; i < saves.size() && db.inTransaction(); ++i) {
    saves[i].applied = save_bindings_(db, {&save_run_[i], 1});
    if (!saves[i].applied) {
      LOG_ERROR("storage: write failed: %s", db.lastError().c_str());
    }
  }
}

void StorageThread::postCompletions(std::vector<Pending>& batch, bool committed) {
  // Completions go out only now that the batch is durable (or known to be lost).
  for (Pending& pending : batch) {
    if (pending.post && pending.done) {
      pending.post(
          [done = std::move(pending.done), ok = committed && pending.applied] { done(ok); });
    }
  }
}

}  // namespace core::storage
