// SPDX-License-Identifier: Apache-2.0
// confabctl: manages the users stored in Confab's database. It reads the same
// confab.yaml as confabd (and reports its errors the same way), then changes the
// SQLite store at storage.path directly; WAL and the busy timeout make that safe
// while confabd runs, and the server notices through Store::changedExternally().
// Passwords are hashed into HA1s at once and never stored or logged.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/registrar/ntlm/ntlm_crypto.h"
#include "core-server/storage/store.h"
#include "proxy/base/log.h"
#include "proxy/config/config.h"
#include "tools/confabctl/groupchat_commands.h"
#include "tools/confabctl/presence_commands.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "usage: confabctl [--config PATH] user add AOR PASSWORD\n"
    "       confabctl [--config PATH] user del AOR\n"
    "       confabctl [--config PATH] user list\n"
    "       confabctl --help\n"
    "\n"
    "Manages the users in Confab's database (storage.path in the configuration).\n"
    "  --config PATH  configuration file (default conf/confab.yaml)\n"
    "  user add       adds AOR (user@domain, one of the configured domains), or replaces\n"
    "                 its password; PASSWORD \"-\" reads it from the first line of stdin\n"
    "  user del       removes AOR\n"
    "  user list      prints every stored AOR, one per line\n"
    "Exit status: 0 success, 1 the operation failed, 2 usage or configuration error.\n";

int usageError(std::string_view message) {
  std::cerr << "confabctl: " << message << "\n" << kUsage;
  return kExitUsage;
}

// A bad argument: the message alone says what is wrong, no need for the whole usage.
int badArgument(std::string_view message) {
  std::cerr << "confabctl: " << message << "\n";
  return kExitUsage;
}

int failed(std::string_view message) {
  std::cerr << "confabctl: " << message << "\n";
  return kExitFailed;
}

bool hasUser(core::storage::Store& store, const std::string& aor) {
  const auto users = store.loadUsers();
  return std::any_of(users.begin(), users.end(),
                     [&](const core::storage::UserRecord& u) { return u.aor == aor; });
}

int addUser(const proxy::config::Config& config, core::storage::Store& store,
            const std::string& aor, std::string password) {
  if (password == "-" && !std::getline(std::cin, password)) {
    return badArgument("user add: no password on stdin");
  }
  if (password.empty()) {
    return badArgument("user add: the password must not be empty");
  }
  const bool existed = hasUser(store, aor);
  proxy::config::UserConfig user = proxy::config::makeUser(aor, config.auth.realm, password);
  auto nt_hash = core::registrar::ntlm::ntHash(password);
  password.assign(password.size(), '\0');  // best effort: the hashes are all we keep
  user.password.assign(user.password.size(), '\0');
  if (!nt_hash) {
    return failed("cannot compute the NTLM hash (is OpenSSL's legacy provider installed?)");
  }
  const core::storage::UserRecord record{user.aor, config.auth.realm, user.ha1_md5, user.ha1_sha256,
                                         core::registrar::ntlm::toHex(*nt_hash)};
  if (!store.putUser(record)) {
    return failed("cannot store " + aor + " in " + config.storage.path);
  }
  std::cout << (existed ? "updated " : "added ") << aor << "\n";
  return kExitOk;
}

int deleteUser(const proxy::config::Config& config, core::storage::Store& store,
               const std::string& aor) {
  if (!hasUser(store, aor)) {
    return failed("no such user: " + aor);
  }
  if (!store.deleteUser(aor)) {
    return failed("cannot delete " + aor + " from " + config.storage.path);
  }
  std::cout << "deleted " << aor << "\n";
  return kExitOk;
}

int listUsers(core::storage::Store& store) {
  auto users = store.loadUsers();
  std::sort(users.begin(), users.end(), [](const auto& a, const auto& b) { return a.aor < b.aor; });
  for (const auto& user : users) {
    std::cout << user.aor << "\n";
  }
  return kExitOk;
}

// Runs a checked `user` command: loads the config, opens the store, does the work.
int runUserCommand(const std::string& config_path, std::vector<std::string>& args) {
  const std::string& verb = args[1];
  auto config = proxy::config::loadConfig(config_path);
  if (!config) {
    std::cerr << config.error().detail << "\n";
    return kExitUsage;
  }
  std::string aor;
  if (verb != "list") {
    // A user whose domain was since removed from the config can still be deleted.
    auto normal = verb == "add" ? proxy::config::normalizeAor(args[2], config->domains)
                                : proxy::config::checkAorSyntax(args[2]);
    if (!normal) {
      return badArgument("user " + verb + ": " + normal.error().detail);
    }
    aor = std::move(*normal);
  }

  std::string error;
  core::storage::SqliteOptions options;  // batching settings do not matter for user writes
  options.path = config->storage.path;
  auto store = core::storage::openSqliteStore(options, &error);
  if (store == nullptr) {
    return failed("cannot open the database: " + error);
  }
  if (verb == "add") {
    return addUser(*config, *store, aor, std::move(args[3]));
  }
  if (verb == "del") {
    return deleteUser(*config, *store, aor);
  }
  return listUsers(*store);
}

}  // namespace

int main(int argc, char** argv) {
  proxy::log::setLevel(proxy::log::Level::Warn);  // stdout is for results; keep stderr quiet
  std::string config_path = "conf/confab.yaml";
  std::vector<std::string> args;
  // Options come before the command, so a password may start with '-'.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!args.empty() || !arg.starts_with("-")) {
      args.emplace_back(arg);
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage << "Group chat:\n"
                << confabctl::kGroupChatUsage << "Presence:\n"
                << confabctl::kPresenceUsage;
      return kExitOk;
    } else if (arg == "--config" || arg == "-c") {
      if (++i == argc) {
        return usageError("--config needs a path");
      }
      config_path = argv[i];
    } else if (arg.starts_with("--config=")) {
      config_path = std::string(arg.substr(9));
    } else {
      return usageError("unknown option " + std::string(arg));
    }
  }
  if (!args.empty() && confabctl::isGroupChatCommand(args[0])) {
    return confabctl::runGroupChatCommand(config_path, args);
  }
  if (!args.empty() && confabctl::isPresenceCommand(args[0])) {
    return confabctl::runPresenceCommand(config_path, args);
  }
  if (args.empty() || args[0] != "user") {
    return usageError(args.empty() ? "missing command" : "unknown command " + args[0]);
  }
  const std::string verb = args.size() > 1 ? args[1] : "";
  const size_t want = verb == "add" ? 4 : verb == "del" ? 3 : verb == "list" ? 2 : 0;
  if (want == 0) {
    return usageError(verb.empty() ? "user: missing add, del or list" : "user: unknown " + verb);
  }
  if (args.size() != want) {
    return usageError("user " + verb + ": wrong number of arguments");
  }
  return runUserCommand(config_path, args);
}
