// SPDX-License-Identifier: Apache-2.0
// The confabd process: builds the store, transports and shards from a Config,
// runs the main thread's loop (signals, user-table refresh, reload) and shuts
// everything down in order on SIGTERM/SIGINT. SIGHUP re-reads the config file
// and applies what can change live (log level, users); the rest is logged as
// needing a restart.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "proxy/config/config.h"

namespace proxy::main {

struct ServerOptions {
  std::string config_path;
  std::string ports_file;  // written once listening: {"udp":N,"tcp":N,"tls":N}
};

class Server {
 public:
  Server(config::Config config, ServerOptions options);
  ~Server();

  // Runs until a termination signal. Returns the process exit code.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace proxy::main
