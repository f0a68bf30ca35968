// SPDX-License-Identifier: Apache-2.0
// Group-commit throughput of SqliteStore::saveBinding: N saves (default 50,000) from
// `producers` threads into a fresh file, timed from the first save until every
// completion has run. Completions are "posted" inline on the storage thread, so the
// number is the store's, not a loop's.
// Usage: core_storage_bench [writes] [producers] [full] [refresh] [batch=N] [rate=N]
//   full: synchronous=FULL; refresh: then save every binding again (a re-REGISTER),
//   timed separately; batch=N: at most N writes per transaction (default 512), to see
//   the per-commit cost of a lightly loaded server under valgrind; rate=N: submit N
//   saves per second in all (default: as fast as possible), to see how many writes a
//   transaction collects at a given load.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core-server/storage/sqlite_store.h"

using namespace core::storage;

namespace {

struct Args {
  int writes = 50'000;
  int producers = 1;
  bool full = false;
  bool refresh = false;
  uint32_t max_batch = SqliteOptions{}.max_batch;
  int rate = 0;  // saves per second from all producers; 0: no pacing
};

Args parse(int argc, char** argv) {
  Args args;
  args.writes = argc > 1 ? std::atoi(argv[1]) : args.writes;
  args.producers = argc > 2 ? std::max(1, std::atoi(argv[2])) : args.producers;
  for (int i = 3; i < argc; ++i) {
    const std::string word = argv[i];
    args.full = args.full || word == "full";
    args.refresh = args.refresh || word == "refresh";
    if (word.starts_with("batch=")) {
      args.max_batch = static_cast<uint32_t>(std::max(1, std::atoi(word.c_str() + 6)));
    }
    if (word.starts_with("rate=")) {
      args.rate = std::max(0, std::atoi(word.c_str() + 5));
    }
  }
  return args;
}

// Saves binding 0..writes-1 from `producers` threads, waits for every completion and
// prints the throughput; `pass` (0, 1, ...) makes each pass a refresh of the last.
bool savePass(SqliteStore& store, const Args& args, int pass) {
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  const Poster inline_post = [](std::function<void()> task) { task(); };
  const uint64_t commits_before = store.commits();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < args.producers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = p; i < args.writes; i += args.producers) {
        if (args.rate > 0) {  // save i is due i/rate seconds after the start
          std::this_thread::sleep_until(
              start + std::chrono::microseconds(int64_t{i} * 1'000'000 / args.rate));
        }
        BindingRecord b;
        b.aor = "user" + std::to_string(i) + "@example.test";
        b.contact = "sip:user" + std::to_string(i) + "@192.0.2.1:5060;transport=tcp";
        b.instance = "<urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8>";
        b.flow = "tcp:192.0.2.1:5060#" + std::to_string(i);
        b.call_id = "bench-" + std::to_string(i);
        b.cseq = static_cast<uint32_t>(1 + pass);
        b.expires_at = 2'000'000'000 + pass * 3600;
        b.user_agent = "bench/1.0";
        store.saveBinding(std::move(b), inline_post,
                          [&](bool committed) { (committed ? ok : failed)++; });
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const double submit_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  store.flush();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto commits = store.commits() - commits_before;
  std::printf(
      "%s: %d saves (%d ok, %d failed) from %d thread(s), synchronous=%s: %.3f s, "
      "%.0f writes/s, %llu transactions (%.1f writes each); submitting took %.3f s\n",
      pass == 0 ? "insert" : "refresh", args.writes, ok.load(), failed.load(), args.producers,
      args.full ? "FULL" : "NORMAL", seconds, args.writes / seconds,
      static_cast<unsigned long long>(commits),
      commits > 0 ? static_cast<double>(args.writes) / static_cast<double>(commits) : 0.0,
      submit_seconds);
  return ok.load() == args.writes;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  char pattern[] = "/tmp/confab-storage-bench-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = pattern;
  int status = 0;
  {
    auto store = SqliteStore::open(SqliteOptions{
        .path = dir + "/bench.db", .max_batch = args.max_batch, .synchronous_full = args.full});
    if (!store) {
      std::fprintf(stderr, "%s\n", store.error().detail.c_str());
      return 1;
    }
    bool ok = savePass(**store, args, 0);
    if (args.refresh) {
      ok = savePass(**store, args, 1) && ok;
    }
    status = ok ? 0 : 1;
  }
  std::filesystem::remove_all(dir);
  return status;
}
