// SPDX-License-Identifier: Apache-2.0
// The `presence:` section: PUBLISH / SUBSCRIBE expiry bounds, NOTIFY rate,
// limits, the federated default, static authorization rules and the XCAP server.
#include <string>

#include "proxy/base/strings.h"
#include "proxy/config/config_sections.h"

namespace proxy::config::detail {

namespace {

constexpr uint32_t kMaxExpires = 31536000;  // a year: longer is certainly a typo

bool isAction(std::string_view action) {
  return action == "allow" || action == "confirm" || action == "block" || action == "deny";
}

constexpr std::string_view kActions = "allow, confirm, block or deny";

// min <= default <= max, reported at the offending key.
void checkOrder(const MapReader& map, std::string_view prefix, uint32_t min, uint32_t max,
                uint32_t fallback) {
  Diagnostics& diag = map.diagnostics();
  const std::string p(prefix);
  if (min > max) {
    const Value at = map.getOrEmpty(p + "_min_expires");
    diag.add(at.mark, at.path,
             "must not exceed " + p + "_max_expires (" + std::to_string(max) + ")");
  } else if (fallback < min || fallback > max) {
    const Value at = map.getOrEmpty(p + "_default_expires");
    diag.add(at.mark, at.path, "must be between " + p + "_min_expires and " + p + "_max_expires");
  }
}

void readRule(Diagnostics& diag, const Value& item, Config& config) {
  const size_t errors = diag.count();
  MapReader map(diag, item, {"presentity", "watcher", "domain", "action"});
  if (diag.count() != errors) {
    return;
  }
  PresenceRuleConfig rule;
  if (auto presentity = map.get("presentity")) {
    if (auto text = readString(diag, *presentity)) {
      auto aor =
          config.domains.empty() ? checkAorSyntax(*text) : normalizeAor(*text, config.domains);
      if (aor) {
        rule.presentity = std::move(*aor);
      } else {
        diag.add(presentity->mark, presentity->path, aor.error().detail);
      }
    }
  } else {
    map.reportMissing("presentity");
  }
  const auto watcher = map.get("watcher");
  const auto domain = map.get("domain");
  if (watcher.has_value() == domain.has_value()) {
    diag.add(map.mark(), item.path, "give exactly one of watcher or domain");
  } else if (watcher) {
    if (auto text = readString(diag, *watcher)) {
      auto aor = checkAorSyntax(*text);
      if (aor) {
        rule.watcher = std::move(*aor);
      } else {
        diag.add(watcher->mark, watcher->path, aor.error().detail);
      }
    }
  } else if (auto text = readString(diag, *domain)) {
    if (text->empty() || text->find('@') != std::string::npos) {
      diag.add(domain->mark, domain->path, "expected a domain, got " + describe(domain->node));
    } else {
      rule.domain = toLower(trim(*text));
    }
  }
  if (auto action = map.get("action")) {
    if (auto text = readString(diag, *action)) {
      if (isAction(*text)) {
        rule.action = *text;
      } else {
        diag.add(action->mark, action->path,
                 "expected " + std::string(kActions) + ", got " + describe(action->node));
      }
    }
  } else {
    map.reportMissing("action");
  }
  if (diag.count() == errors) {
    config.presence.rules.push_back(std::move(rule));
  }
}

void readXcap(Diagnostics& diag, const Value& value, Config& config) {
  MapReader map(diag, value,
                {"enabled", "address", "port", "root", "max_document_size", "max_lists",
                 "max_entries", "tls", "certificate", "private_key"});
  XcapConfig& x = config.presence.xcap;
  map.read("enabled", x.enabled);
  map.read("address", x.address);
  map.read("port", x.port, 0, 65535);
  map.read("root", x.root);
  map.read("max_document_size", x.max_document_size, 256, 16 * 1024 * 1024);
  map.read("max_lists", x.max_lists, 1, 64);  // MS-SIP: 64 groups per list
  map.read("max_entries", x.max_entries, 1, 100000);
  map.read("tls", x.tls);
  map.read("certificate", x.certificate);
  map.read("private_key", x.private_key);
  if (x.address.empty()) {
    const Value at = map.getOrEmpty("address");
    diag.add(at.mark, at.path, "expected an IPv4 address to listen on, got \"\"");
  }
  if (!x.root.starts_with('/') || x.root.find_first_of(" ?#~") != std::string::npos) {
    const Value at = map.getOrEmpty("root");
    diag.add(at.mark, at.path, "expected a path such as /xcap, got \"" + x.root + "\"");
  }
  if (x.certificate.empty() != x.private_key.empty()) {
    const Value at = map.getOrEmpty(x.certificate.empty() ? "certificate" : "private_key");
    diag.add(at.mark, at.path, "certificate and private_key go together");
    return;
  }
  if (!x.tls) {
    if (!x.certificate.empty()) {
      const Value at = map.getOrEmpty("certificate");
      diag.add(at.mark, at.path, "is used only with tls: true");
    }
    return;
  }
  for (const ListenerConfig& listener : config.listeners) {
    if (x.certificate.empty() && listener.transport == Transport::Tls) {
      x.certificate = listener.certificate;  // the server's own certificate
      x.private_key = listener.private_key;
    }
  }
  if (x.certificate.empty()) {
    const Value at = map.getOrEmpty("tls");
    diag.add(at.mark, at.path,
             "needs certificate and private_key, or a tls listener to borrow them from");
  }
}

}  // namespace

void readPresence(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  MapReader map(
      diag, root.getOrEmpty("presence"),
      {"publish_min_expires", "publish_max_expires", "publish_default_expires",
       "subscribe_min_expires", "subscribe_max_expires", "subscribe_default_expires",
       "min_notify_interval_ms", "publication_write_interval_ms", "max_subscriptions_per_watcher",
       "max_watchers_per_presentity", "max_publication_size", "federated", "rules", "xcap"});
  PresenceConfig& p = config.presence;
  const size_t errors = diag.count();
  map.read("publish_min_expires", p.publish_min_expires, 1, kMaxExpires);
  map.read("publish_max_expires", p.publish_max_expires, 1, kMaxExpires);
  map.read("publish_default_expires", p.publish_default_expires, 1, kMaxExpires);
  map.read("subscribe_min_expires", p.subscribe_min_expires, 1, kMaxExpires);
  map.read("subscribe_max_expires", p.subscribe_max_expires, 1, kMaxExpires);
  map.read("subscribe_default_expires", p.subscribe_default_expires, 1, kMaxExpires);
  map.read("min_notify_interval_ms", p.min_notify_interval_ms, 0, 60000);
  map.read("publication_write_interval_ms", p.publication_write_interval_ms, 0, 60000);
  map.read("max_subscriptions_per_watcher", p.max_subscriptions_per_watcher, 1, 1000000);
  map.read("max_watchers_per_presentity", p.max_watchers_per_presentity, 1, 1000000);
  map.read("max_publication_size", p.max_publication_size, 256, 16 * 1024 * 1024);
  if (auto federated = map.get("federated")) {
    if (auto text = readString(diag, *federated)) {
      if (isAction(*text)) {
        p.federated = *text;
      } else {
        diag.add(federated->mark, federated->path,
                 "expected " + std::string(kActions) + ", got " + describe(federated->node));
      }
    }
  }
  if (diag.count() == errors) {
    checkOrder(map, "publish", p.publish_min_expires, p.publish_max_expires,
               p.publish_default_expires);
    checkOrder(map, "subscribe", p.subscribe_min_expires, p.subscribe_max_expires,
               p.subscribe_default_expires);
  }
  if (auto xcap = map.get("xcap")) {
    readXcap(diag, *xcap, config);
  }
  if (auto rules = map.get("rules")) {
    for (const Value& item : readList(diag, *rules)) {
      readRule(diag, item, config);
    }
  }
}

}  // namespace proxy::config::detail
