// SPDX-License-Identifier: Apache-2.0
#include "core-server/storage/storage_thread.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core-server/storage/storage_testing.h"

using namespace core::storage;
using namespace core::storage::testing;
using namespace std::chrono_literals;

namespace {

// A scratch database with one table and a writer thread on it.
struct Fixture {
  explicit Fixture(StorageThread::Options options, ConnectionOptions connection = {},
                   StorageThread::SaveBindings save_bindings = {}) {
    auto setup = Connection::open(path, connection);
    REQUIRE(setup);
    REQUIRE(
        (*setup)->exec("PRAGMA journal_mode=WAL; CREATE TABLE t(k INTEGER PRIMARY KEY);"
                       "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
                       "CREATE TABLE child(id INTEGER REFERENCES parent(id) "
                       "DEFERRABLE INITIALLY DEFERRED);"));
    auto writer_connection = Connection::open(path, connection);
    REQUIRE(writer_connection);
    writer = std::make_unique<StorageThread>(std::move(*writer_connection), options,
                                             std::move(save_bindings));
  }

  void insert(int64_t k, std::function<void(bool)> done) {
    writer->submit(
        [k](Connection& db) {
          Statement* s = db.prepare("INSERT INTO t(k) VALUES(?1)");
          return s != nullptr && s->bindInt(1, k).run();
        },
        loop.poster(), std::move(done));
  }

  TempDir dir;
  std::string path = dir.file("thread.db");
  TestLoop loop;
  std::unique_ptr<StorageThread> writer;
};

// Saves each binding as key `cseq` of table t, as an upsert (as the real one is), and
// refuses the AOR "bad"; records how many bindings each call got.
StorageThread::SaveBindings saveCseqs(std::vector<size_t>& runs) {
  return [&runs](Connection& db, std::span<const BindingRecord* const> bindings) {
    runs.push_back(bindings.size());
    for (const BindingRecord* b : bindings) {
      Statement* s = db.prepare("INSERT INTO t(k) VALUES(?1) ON CONFLICT(k) DO NOTHING");
      if (b->aor == "bad" || s == nullptr || !s->bindInt(1, b->cseq).run()) {
        return false;
      }
    }
    return true;
  };
}

BindingRecord withCseq(uint32_t cseq, const std::string& aor = "a@x") {
  BindingRecord b = makeBinding(aor, "sip:a@1");
  b.cseq = cseq;
  return b;
}

}  // namespace

TEST_CASE("many queued writes share few transactions (group commit)") {
  Fixture f({.max_batch = 100, .max_delay_us = 200'000});
  constexpr int kWrites = 2000;
  int ok = 0;
  for (int i = 0; i < kWrites; ++i) {
    f.insert(i, [&](bool committed) { ok += committed ? 1 : 0; });
  }
  REQUIRE(f.loop.runUntil([&] { return ok == kWrites; }));
  CHECK(f.writer->writes() == kWrites);
  CHECK(f.writer->commits() >= kWrites / 100);
  CHECK(f.writer->commits() <= kWrites / 50);  // full batches, not one per write
  CHECK(countRows(f.path, "t") == kWrites);
}

TEST_CASE("completions are posted, never run on the storage thread, and only after commit") {
  Fixture f({.max_batch = 16, .max_delay_us = 1000});
  std::vector<int64_t> seen_by_other_connection;
  for (int i = 0; i < 5; ++i) {
    f.insert(i, [&, i](bool committed) {
      CHECK(committed);
      seen_by_other_connection.push_back(countRows(f.path, "t", "k = " + std::to_string(i)));
    });
  }
  f.writer->flush();
  CHECK(seen_by_other_connection.empty());  // nothing runs until the loop runs it
  CHECK(f.loop.posted() == 5);
  REQUIRE(f.loop.runUntil([&] { return seen_by_other_connection.size() == 5; }));
  CHECK(seen_by_other_connection == std::vector<int64_t>(5, 1));
}

TEST_CASE("right after a batch, the writer takes the next writes without being woken") {
  Fixture f({.max_batch = 100, .max_delay_us = 100'000});
  int ok = 0;
  auto count = [&](bool committed) { ok += committed ? 1 : 0; };
  f.insert(1, count);
  REQUIRE(f.loop.runUntil([&] { return ok == 1; }));
  // The writer is in its batching wait now: these submits do not wake it (it is not
  // idle), and they must still commit, together, when that wait ends.
  f.insert(2, count);
  f.insert(3, count);
  REQUIRE(f.loop.runUntil([&] { return ok == 3; }));
  CHECK(f.writer->commits() == 2);
  CHECK(countRows(f.path, "t") == 3);
}

TEST_CASE("flush does not wait out the batching delay") {
  Fixture f({.max_batch = 1000, .max_delay_us = 30'000'000});
  f.insert(1, {});
  const auto start = std::chrono::steady_clock::now();
  f.writer->flush();
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(countRows(f.path, "t") == 1);
}

TEST_CASE("a failed write fails alone; the rest of its batch commits") {
  Fixture f({.max_batch = 64, .max_delay_us = 100'000});
  std::vector<int> results;  // 1 ok, 0 failed, in completion order
  f.insert(1, [&](bool ok) { results.push_back(ok); });
  f.insert(1, [&](bool ok) { results.push_back(ok); });  // duplicate key
  f.insert(2, [&](bool ok) { results.push_back(ok); });
  f.writer->flush();
  REQUIRE(f.loop.runUntil([&] { return results.size() == 3; }));
  CHECK(results == std::vector<int>{1, 0, 1});
  CHECK(f.writer->commits() == 1);
  CHECK(countRows(f.path, "t") == 2);
}

TEST_CASE("a failed commit reports every write of the batch as failed and keeps none") {
  Fixture f({.max_batch = 64, .max_delay_us = 100'000});
  std::vector<int> results;
  f.insert(1, [&](bool ok) { results.push_back(ok); });
  // Checked only at COMMIT: a deferred foreign key pointing nowhere.
  f.writer->submit([](Connection& db) { return db.exec("INSERT INTO child(id) VALUES(42)"); },
                   f.loop.poster(), [&](bool ok) { results.push_back(ok); });
  f.writer->flush();
  REQUIRE(f.loop.runUntil([&] { return results.size() == 2; }));
  CHECK(results == std::vector<int>{0, 0});
  CHECK(f.writer->commits() == 0);
  CHECK(countRows(f.path, "t") == 0);

  bool later = false;
  f.insert(3, [&](bool ok) { later = ok; });  // the writer recovers
  REQUIRE(f.loop.runUntil([&] { return later; }));
}

TEST_CASE("a batch that cannot get the write lock fails instead of hanging") {
  Fixture f({.max_batch = 8, .max_delay_us = 0}, {.busy_timeout_ms = 50});
  auto holder = Connection::open(f.path, {});
  REQUIRE(holder);
  REQUIRE((*holder)->exec("BEGIN IMMEDIATE"));
  std::optional<bool> result;
  f.insert(1, [&](bool ok) { result = ok; });
  REQUIRE(f.loop.runUntil([&] { return result.has_value(); }));
  CHECK_FALSE(*result);
  REQUIRE((*holder)->exec("COMMIT"));
  result.reset();
  f.insert(1, [&](bool ok) { result = ok; });
  REQUIRE(f.loop.runUntil([&] { return result.has_value(); }));
  CHECK(*result);
}

TEST_CASE("destroying the thread commits what is still queued") {
  Fixture f({.max_batch = 10, .max_delay_us = 50'000});
  std::atomic<int> posted{0};
  std::atomic<int> ok{0};
  for (int i = 0; i < 95; ++i) {
    f.writer->submit(
        [i](Connection& db) {
          Statement* s = db.prepare("INSERT INTO t(k) VALUES(?1)");
          return s != nullptr && s->bindInt(1, i).run();
        },
        [&](std::function<void()> task) {
          posted++;
          task();
        },
        [&](bool committed) { ok += committed ? 1 : 0; });
  }
  f.writer.reset();
  CHECK(posted.load() == 95);
  CHECK(ok.load() == 95);
  CHECK(countRows(f.path, "t") == 95);
}

TEST_CASE("writes from several threads all land") {
  Fixture f({.max_batch = 32, .max_delay_us = 500});
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&f, t] {
      for (int i = 0; i < kEach; ++i) {
        f.insert(t * kEach + i, {});
      }
    });
  }
  for (auto& producer : producers) {
    producer.join();
  }
  f.writer->flush();
  CHECK(countRows(f.path, "t") == kThreads * kEach);
  CHECK(f.writer->writes() == kThreads * kEach);
}

TEST_CASE("consecutive saves of a batch are saved together, in order with the other writes") {
  std::vector<size_t> runs;
  Fixture f({.max_batch = 64, .max_delay_us = 200'000}, {}, saveCseqs(runs));
  std::vector<int> order;  // completion order
  auto note = [&](int id) { return [&order, id](bool ok) { order.push_back(ok ? id : -id); }; };
  f.writer->submitSave(withCseq(1), f.loop.poster(), note(1));
  f.writer->submitSave(withCseq(2), f.loop.poster(), note(2));
  f.writer->submitSave(withCseq(3), f.loop.poster(), note(3));
  f.insert(100, note(100));
  f.writer->submitSave(withCseq(4), f.loop.poster(), note(4));
  f.writer->flush();
  REQUIRE(f.loop.runUntil([&] { return order.size() == 5; }));
  CHECK(runs == std::vector<size_t>{3, 1});
  CHECK(order == std::vector<int>{1, 2, 3, 100, 4});
  CHECK(f.writer->commits() == 1);
  CHECK(f.writer->writes() == 5);
  CHECK(countRows(f.path, "t") == 5);
}

TEST_CASE("a save that fails fails alone, though it was saved together with others") {
  std::vector<size_t> runs;
  Fixture f({.max_batch = 64, .max_delay_us = 200'000}, {}, saveCseqs(runs));
  std::vector<int> results;
  auto note = [&](bool ok) { results.push_back(ok); };
  f.writer->submitSave(withCseq(1), f.loop.poster(), note);
  f.writer->submitSave(withCseq(2, "bad"), f.loop.poster(), note);
  f.writer->submitSave(withCseq(3), f.loop.poster(), note);
  f.writer->flush();
  REQUIRE(f.loop.runUntil([&] { return results.size() == 3; }));
  CHECK(results == std::vector<int>{1, 0, 1});
  CHECK(runs == std::vector<size_t>{3, 1, 1, 1});  // together, then again one by one
  CHECK(f.writer->commits() == 1);
  CHECK(countRows(f.path, "t") == 2);
}

TEST_CASE("without a way to save bindings, saves fail and other writes still commit") {
  Fixture f({.max_batch = 64, .max_delay_us = 200'000});
  std::vector<int> results;
  f.writer->submitSave(withCseq(1), f.loop.poster(), [&](bool ok) { results.push_back(ok); });
  f.insert(2, [&](bool ok) { results.push_back(ok); });
  f.writer->flush();
  REQUIRE(f.loop.runUntil([&] { return results.size() == 2; }));
  CHECK(results == std::vector<int>{0, 1});
  CHECK(countRows(f.path, "t") == 1);
}

TEST_CASE("depth counts writes submitted and not yet completed, also process-wide") {
  Fixture f({.max_batch = 1000, .max_delay_us = 30'000'000});  // nothing commits on its own
  const uint64_t before = StorageThread::depthInProcess();
  CHECK(f.writer->depth() == 0);
  f.insert(1, {});
  f.insert(2, {});
  CHECK(f.writer->depth() == 2);
  CHECK(StorageThread::depthInProcess() == before + 2);
  f.writer->flush();
  CHECK(f.writer->depth() == 0);
  CHECK(StorageThread::depthInProcess() == before);
}
