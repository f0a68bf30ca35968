// SPDX-License-Identifier: Apache-2.0
// The `adapters:` section: the Prometheus endpoint (`metrics:`, absent = off)
// and the plugins, each with its identities (AORs in our domains, each owned by
// one plugin), limits and its own `config:` mapping, handed to it as YAML text.
#include <set>
#include <string>

#include "proxy/base/strings.h"
#include "proxy/config/config_sections.h"

namespace proxy::config::detail {

namespace {

// Plugins read their config with simple parsers too: emit block style throughout.
void blockStyle(YAML::Node node) {
  if (node.IsMap()) {
    node.SetStyle(YAML::EmitterStyle::Block);
    for (auto it = node.begin(); it != node.end(); ++it) {
      blockStyle(it->second);
    }
  } else if (node.IsSequence()) {
    node.SetStyle(YAML::EmitterStyle::Block);
    for (auto it = node.begin(); it != node.end(); ++it) {
      blockStyle(*it);
    }
  }
}

bool validName(std::string_view name) {
  if (name.empty() || name.size() > 32) {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

void readMetrics(Diagnostics& diag, const Value& value, AdaptersConfig& adapters) {
  MapReader map(diag, value, {"address", "port"});
  std::string address = "127.0.0.1";
  map.read("address", address);
  map.read("port", adapters.metrics_port, 0, 65535);
  if (trim(address).empty()) {
    const Value at = map.getOrEmpty("address");
    diag.add(at.mark, at.path, "expected an IP address to listen on, got \"\"");
  }
  adapters.metrics_address = std::string(trim(address));
}

void readPlugin(Diagnostics& diag, const Value& item, const Config& config,
                std::set<std::string>& identities, AdaptersConfig& adapters) {
  const size_t errors = diag.count();
  MapReader map(diag, item,
                {"name", "path", "identities", "call_timeout_ms", "queue_limit", "config"});
  AdapterConfig plugin;
  map.read("name", plugin.name);
  map.read("path", plugin.path);
  map.read("call_timeout_ms", plugin.call_timeout_ms, 10, 600000);
  map.read("queue_limit", plugin.queue_limit, 1, 10000000);
  if (!map.get("name")) {
    map.reportMissing("name");
  } else if (diag.count() == errors && !validName(plugin.name)) {
    const Value at = map.getOrEmpty("name");
    diag.add(at.mark, at.path,
             "expected a name of 1-32 characters a-z, 0-9, '-' and '_', got " + describe(at.node));
  }
  for (const auto& other : adapters.plugins) {
    if (!plugin.name.empty() && other.name == plugin.name) {
      const Value at = map.getOrEmpty("name");
      diag.add(at.mark, at.path, "duplicate plugin name \"" + plugin.name + "\"");
    }
  }
  if (!map.get("path")) {
    map.reportMissing("path");
  } else if (trim(plugin.path).empty()) {
    const Value at = map.getOrEmpty("path");
    diag.add(at.mark, at.path, "expected the path of a shared object, got \"\"");
  }
  if (auto list = map.get("identities")) {
    for (const Value& entry : readList(diag, *list)) {
      auto text = readString(diag, entry);
      if (!text) {
        continue;
      }
      std::string_view aor = trim(*text);
      if (aor.starts_with("sip:")) {
        aor.remove_prefix(4);
      }
      auto normal = normalizeAor(aor, config.domains);
      if (!normal) {
        diag.add(entry.mark, entry.path, normal.error().detail);
      } else if (!identities.insert(*normal).second) {
        diag.add(entry.mark, entry.path,
                 "identity " + *normal + " is already given (to this or another plugin)");
      } else {
        plugin.identities.push_back(*normal);
      }
    }
  }
  if (auto own = map.get("config")) {
    if (!own->node.IsNull() && !own->node.IsMap()) {
      diag.add(own->mark, own->path, "expected a mapping, got " + describe(own->node));
    } else if (own->node.IsMap()) {
      YAML::Node copy = YAML::Clone(own->node);
      blockStyle(copy);
      YAML::Emitter out;
      out << copy;
      plugin.config_yaml = std::string(out.c_str()) + "\n";
    }
  }
  if (diag.count() == errors) {
    adapters.plugins.push_back(std::move(plugin));
  }
}

}  // namespace

void readAdapters(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  MapReader map(diag, root.getOrEmpty("adapters"), {"metrics", "plugins"});
  AdaptersConfig& adapters = config.adapters;
  if (auto metrics = map.get("metrics")) {
    readMetrics(diag, *metrics, adapters);
  }
  if (auto plugins = map.get("plugins")) {
    std::set<std::string> identities;
    for (const Value& item : readList(diag, *plugins)) {
      readPlugin(diag, item, config, identities, adapters);
    }
  }
}

}  // namespace proxy::config::detail
