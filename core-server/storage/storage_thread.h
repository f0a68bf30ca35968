// SPDX-License-Identifier: Apache-2.0
// The one thread that writes to SQLite. It owns the write connection; other threads
// queue writes with submit() and never wait on disk. The thread takes up to max_batch
// queued writes (waiting at most max_delay_us after the first for others to join), runs
// them in ONE transaction (group commit), and then posts each write's completion back
// through the Poster given with it. Writes commit in submission order.
// Binding saves, the bulk of the traffic, are queued as data (submitSave) rather than as
// closures: consecutive saves in a batch are handed to the SaveBindings function together,
// which writes them with a few multi-row statements instead of one statement each.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <variant>
#include <vector>

#include "core-server/storage/sqlite_connection.h"
#include "core-server/storage/store.h"

namespace core::storage {

class StorageThread {
 public:
  // Runs on the storage thread inside the batch transaction; false fails this write only.
  using Write = std::function<bool(Connection&)>;
  // Saves `bindings` in order, on the storage thread inside the batch transaction; false
  // if any failed. Saves must be upserts: after a failure the thread saves the same
  // bindings again one at a time, to fail only those that fail alone.
  using SaveBindings = std::function<bool(Connection&, std::span<const BindingRecord* const>)>;

  struct Options {
    uint32_t max_batch = 512;
    uint32_t max_delay_us = 2000;
  };

  // Without `save_bindings`, every submitSave() fails.
  StorageThread(std::unique_ptr<Connection> connection, Options options,
                SaveBindings save_bindings = {});
  // Commits everything still queued, then joins the thread.
  ~StorageThread();
  StorageThread(const StorageThread&) = delete;
  StorageThread& operator=(const StorageThread&) = delete;

  // Thread-safe. `done(ok)` is posted through `post` after the commit (or its failure);
  // either may be empty for fire-and-forget writes.
  void submit(Write write, Poster post, std::function<void(bool)> done);
  // Thread-safe. Like submit(), for a write that SaveBindings performs.
  void submitSave(BindingRecord binding, Poster post, std::function<void(bool)> done);
  // Thread-safe. Blocks until every write submitted before the call has been committed
  // (or has failed). Must not be called from the storage thread.
  void flush();

  // Statistics for tests and the admin page; thread-safe.
  uint64_t commits() const;  // transactions committed
  uint64_t writes() const;   // writes completed, successful or not
  // Writes submitted and not yet completed (queued or in the batch being committed).
  uint64_t depth() const;
  // The same summed over every StorageThread of the process, lock-free: what overload
  // protection reads on the message path (proxy/routing/overload.h).
  static uint64_t depthInProcess();

 private:
  struct Pending {
    std::variant<Write, BindingRecord> work;  // a BindingRecord is a save
    Poster post;
    std::function<void(bool)> done;
    bool applied = false;  // the write succeeded (it commits if its batch does)
  };

  void enqueue(Pending pending);
  void run();
  // Waits for the next batch (possibly none, after a quiet spell); returns false once
  // stopped with nothing left to do. `busy`: the last call took a batch.
  bool takeBatch(std::vector<Pending>& batch, bool& busy);
  void commitBatch(std::vector<Pending>& batch);
  // Applies the write at the front of `rest`, or all the saves that start there;
  // returns how many writes it took.
  size_t applyNext(Connection& db, std::span<Pending> rest);
  void applySaves(Connection& db, std::span<Pending> saves);
  void postCompletions(std::vector<Pending>& batch, bool committed);

  const Options options_;
  std::unique_ptr<Connection> connection_;      // used only on thread_
  const SaveBindings save_bindings_;            // called only on thread_
  std::vector<const BindingRecord*> save_run_;  // thread_'s scratch for applySaves()

  mutable std::mutex mutex_;         // guards the fields below; held only to hand writes over
  std::condition_variable wake_;     // the writer: work, a flush, or stop
  std::condition_variable settled_;  // flushers: a batch finished
  std::deque<Pending> queue_;
  uint64_t submitted_ = 0;    // sequence number of the last queued write
  uint64_t completed_ = 0;    // sequence number of the last write whose completion is posted
  uint64_t flush_until_ = 0;  // a flusher waits for this sequence: skip the batching delay
  uint64_t commits_ = 0;
  uint64_t writes_ = 0;
  bool stopping_ = false;
  bool writer_idle_ = false;  // the writer sleeps until a submit wakes it

  std::thread thread_;  // last: starts after every field above is ready
};

}  // namespace core::storage
