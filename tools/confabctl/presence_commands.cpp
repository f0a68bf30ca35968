// SPDX-License-Identifier: Apache-2.0
#include "tools/confabctl/presence_commands.h"

#include <algorithm>
#include <iostream>
#include <string_view>
#include <tuple>

#include "core-server/presence/service/rule_records.h"
#include "core-server/presence/service/rules_version.h"
#include "core-server/presence/service/stored_presence_state.h"
#include "core-server/storage/store.h"
#include "proxy/base/clock.h"
#include "proxy/base/strings.h"
#include "proxy/config/config.h"

namespace confabctl {

const char* const kPresenceUsage =
    "       confabctl [--config PATH] presence rule add PRESENTITY (--watcher AOR | --domain D)\n"
    "                 allow|confirm|block|deny\n"
    "       confabctl [--config PATH] presence rule del PRESENTITY (--watcher AOR | --domain D)\n"
    "       confabctl [--config PATH] presence rule list [PRESENTITY]\n"
    "  rule add       who may watch PRESENTITY (a user of a configured domain): allow, confirm\n"
    "                 (pending until decided; shown in presence.winfo / roaming-self), block\n"
    "                 (accepted, always sees offline) or deny (403); a watcher rule beats a\n"
    "                 domain rule; replaces the rule for the same watcher or domain\n"
    "  rule del       removes that rule (the defaults apply again)\n"
    "  rule list      prints \"PRESENTITY watcher|domain MATCH DECISION\" lines\n";

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

using core::presence::PresenceRecord;
using core::presence::RecordKind;
using core::presence::WatcherRule;

int usage(std::string_view message) {
  std::cerr << "confabctl: presence " << message << "\n" << kPresenceUsage;
  return kExitUsage;
}

int failed(std::string_view message) {
  std::cerr << "confabctl: " << message << "\n";
  return kExitFailed;
}

// "example.test" (no user part, no spaces), lowercased; "" when malformed.
std::string checkDomain(std::string_view domain) {
  std::string d = proxy::toLower(proxy::trim(domain));
  const bool bad = d.empty() || d.size() > 253 || std::any_of(d.begin(), d.end(), [](char c) {
                     return c == '@' || c == ' ' || c == ';' || c == '<' || c == '>' || c < 0x21;
                   });
  return bad ? std::string() : d;
}

// args[3] = PRESENTITY, then --watcher AOR | --domain D; fills `rule` and `presentity`.
int parseTarget(const proxy::config::Config& config, const std::vector<std::string>& args,
                std::string& presentity, WatcherRule& rule) {
  auto aor = proxy::config::normalizeAor(args[3], config.domains);
  if (!aor) {
    return usage("rule: " + aor.error().detail);
  }
  presentity = *aor;
  if (args[4] == "--watcher") {
    auto watcher = proxy::config::checkAorSyntax(args[5]);
    if (!watcher) {
      return usage("rule: --watcher: " + watcher.error().detail);
    }
    rule.domain = false;
    rule.match = *watcher;
  } else if (args[4] == "--domain") {
    rule.domain = true;
    rule.match = checkDomain(args[5]);
    if (rule.match.empty()) {
      return usage("rule: --domain: not a domain: " + args[5]);
    }
  } else {
    return usage("rule: expected --watcher AOR or --domain D, got " + args[4]);
  }
  return kExitOk;
}

std::vector<std::pair<std::string, WatcherRule>> storedRules(core::storage::Store& store) {
  std::vector<std::pair<std::string, WatcherRule>> rules;
  const std::string kind = core::presence::StoredPresenceState::kindName(RecordKind::Rule);
  for (auto& state : store.loadStates(kind, proxy::SystemClock::instance().unixSeconds())) {
    const PresenceRecord record{RecordKind::Rule, std::move(state.key), std::move(state.aor),
                                std::move(state.value), state.expires_at};
    if (auto rule = core::presence::ruleFromRecord(record)) {
      rules.emplace_back(record.aor, *rule);
    }
  }
  std::sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.domain, a.second.match) <
           std::tie(b.first, b.second.domain, b.second.match);
  });
  return rules;
}

}  // namespace

bool isPresenceCommand(const std::string& command) { return command == "presence"; }

int runPresenceCommand(const std::string& config_path, const std::vector<std::string>& args) {
  if (args.size() < 3 || args[1] != "rule") {
    return usage(args.size() < 2 ? "missing rule" : "unknown " + args[1]);
  }
  const std::string& verb = args[2];
  const size_t want = verb == "add" ? 7 : verb == "del" ? 6 : 0;
  if (verb == "list" ? args.size() > 4 : want == 0 || args.size() != want) {
    return usage(want == 0 && verb != "list" ? "rule: unknown " + verb
                                             : "rule " + verb + ": wrong number of arguments");
  }
  auto config = proxy::config::loadConfig(config_path);
  if (!config) {
    std::cerr << config.error().detail << "\n";
    return kExitUsage;
  }
  std::string presentity;
  WatcherRule rule;
  if (verb != "list") {
    if (int status = parseTarget(*config, args, presentity, rule); status != kExitOk) {
      return status;
    }
  }
  if (verb == "add") {
    auto decision = core::presence::parseDecision(proxy::toLower(args[6]));
    if (!decision) {
      return usage("rule add: expected allow, confirm, block or deny, got " + args[6]);
    }
    rule.decision = *decision;
  }
  std::string list_filter;
  if (verb == "list" && args.size() == 4) {
    auto aor = proxy::config::checkAorSyntax(args[3]);
    if (!aor) {
      return usage("rule list: " + aor.error().detail);
    }
    list_filter = *aor;
  }

  std::string error;
  core::storage::SqliteOptions options;
  options.path = config->storage.path;
  auto store = core::storage::openSqliteStore(options, &error);
  if (store == nullptr) {
    return failed("cannot open the database: " + error);
  }
  core::presence::StoredPresenceState state(*store, proxy::SystemClock::instance());
  const auto rules = storedRules(*store);
  if (verb == "list") {
    for (const auto& [aor, r] : rules) {
      if (list_filter.empty() || aor == list_filter) {
        std::cout << aor << (r.domain ? " domain " : " watcher ") << r.match << " "
                  << core::presence::decisionName(r.decision) << "\n";
      }
    }
    return kExitOk;
  }
  const bool existed = std::any_of(rules.begin(), rules.end(), [&](const auto& stored) {
    return stored.first == presentity && stored.second.domain == rule.domain &&
           stored.second.match == rule.match;
  });
  const PresenceRecord record = core::presence::ruleRecord(presentity, rule);
  const std::string what = presentity + (rule.domain ? " domain " : " watcher ") + rule.match;
  if (verb == "del") {
    if (!existed) {
      return failed("no such rule: " + what);
    }
    state.erase(RecordKind::Rule, record.key);
    core::presence::bumpRulesVersion(*store);  // after the rule: the server reads it then
    store->flush();
    std::cout << "deleted " << what << "\n";
    return kExitOk;
  }
  state.save(record);
  core::presence::bumpRulesVersion(*store);
  store->flush();
  std::cout << (existed ? "updated " : "added ") << what << " "
            << core::presence::decisionName(rule.decision) << "\n";
  return kExitOk;
}

}  // namespace confabctl
