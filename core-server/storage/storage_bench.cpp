// SPDX-License-Identifier: Apache-2.0
// Group-commit throughput of SqliteStore::saveBinding: N saves (default 50,000) from
// `producers` threads into a fresh file, timed from the first save until every
// completion has run. Completions are "posted" inline on the storage thread, so the
// number is the store's, not a loop's. Usage: core_storage_bench [writes] [producers] [full]
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

int main(int argc, char** argv) {
  const int writes = argc > 1 ? std::atoi(argv[1]) : 50'000;
  const int producers = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
  const bool full = argc > 3 && std::string(argv[3]) == "full";
  char pattern[] = "/tmp/confab-storage-bench-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = pattern;
  int status = 0;
  {
    auto store =
        SqliteStore::open(SqliteOptions{.path = dir + "/bench.db", .synchronous_full = full});
    if (!store) {
      std::fprintf(stderr, "%s\n", store.error().detail.c_str());
      return 1;
    }
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    const Poster inline_post = [](std::function<void()> task) { task(); };
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        for (int i = p; i < writes; i += producers) {
          BindingRecord b;
          b.aor = "user" + std::to_string(i) + "@example.test";
          b.contact = "sip:user" + std::to_string(i) + "@192.0.2.1:5060;transport=tcp";
          b.instance = "<urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8>";
          b.flow = "tcp:192.0.2.1:5060#" + std::to_string(i);
          b.call_id = "bench-" + std::to_string(i);
          b.cseq = 1;
          b.expires_at = 2'000'000'000;
          b.user_agent = "bench/1.0";
          (*store)->saveBinding(std::move(b), inline_post,
                                [&](bool committed) { (committed ? ok : failed)++; });
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    const double submit_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    (*store)->flush();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto commits = (*store)->commits();
    std::printf(
        "%d saves (%d ok, %d failed) from %d thread(s), synchronous=%s: %.3f s, "
        "%.0f writes/s, %llu transactions (%.1f writes each); submitting took %.3f s\n",
        writes, ok.load(), failed.load(), producers, full ? "FULL" : "NORMAL", seconds,
        writes / seconds, static_cast<unsigned long long>(commits),
        commits > 0 ? static_cast<double>(writes) / static_cast<double>(commits) : 0.0,
        submit_seconds);
    status = ok.load() == writes ? 0 : 1;
  }
  std::filesystem::remove_all(dir);
  return status;
}
