// SPDX-License-Identifier: Apache-2.0
// confabd: the Confab server. Reads one YAML file, validates it, and runs
// until SIGTERM. `--check-config` only validates.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "proxy/base/log.h"
#include "proxy/config/config.h"
#include "proxy/main/server.h"

namespace {

constexpr const char* kUsage =
    "usage: confabd [--config FILE] [--check-config] [--ports-file FILE] [--log-level LEVEL]\n"
    "  --config FILE      configuration (default conf/confab.yaml)\n"
    "  --check-config     validate the configuration and exit (0 = valid)\n"
    "  --ports-file FILE  write the bound ports as JSON once listening\n"
    "  --log-level LEVEL  override server.log_level (trace|debug|info|warn|error)\n";

struct Args {
  std::string config = "conf/confab.yaml";
  std::string ports_file;
  std::string log_level;
  bool check_only = false;
};

bool parseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "confabd: %s needs a value\n", a.c_str());
        return false;
      }
      out = argv[++i];
      return true;
    };
    if (a == "--config" || a == "-c") {
      if (!value(args.config)) return false;
    } else if (a == "--ports-file") {
      if (!value(args.ports_file)) return false;
    } else if (a == "--log-level") {
      if (!value(args.log_level)) return false;
    } else if (a == "--check-config") {
      args.check_only = true;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "confabd: unknown argument %s\n%s", a.c_str(), kUsage);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parseArgs(argc, argv, args)) {
    return 2;
  }
  auto config = proxy::config::loadConfig(args.config);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().detail.c_str());
    return 2;
  }
  if (args.check_only) {
    std::printf("%s: configuration is valid\n", args.config.c_str());
    return 0;
  }
  proxy::log::setLevel(config->server.log_level);
  if (!args.log_level.empty()) {
    auto level = proxy::log::parseLevel(args.log_level);
    if (!level) {
      std::fprintf(stderr, "confabd: unknown log level %s\n", args.log_level.c_str());
      return 2;
    }
    proxy::log::setLevel(*level);
    config->server.log_level = *level;
  }
  std::signal(SIGPIPE, SIG_IGN);  // a peer closing mid-write must not kill us
  proxy::main::Server server(std::move(*config), {args.config, args.ports_file});
  return server.run();
}
