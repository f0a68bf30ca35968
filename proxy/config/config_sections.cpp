// SPDX-License-Identifier: Apache-2.0
#include "proxy/config/config_sections.h"

#include <arpa/inet.h>

#include <algorithm>

#include "proxy/base/strings.h"

namespace proxy::config::detail {
namespace {

constexpr uint32_t kMaxExpires = 31536000;  // a year: longer is certainly a typo
constexpr uint32_t kMaxMessageSize = 16u << 20;

// Reads a string that must not be empty (paths, names).
void readRequiredText(const MapReader& map, std::string_view key, std::string& out,
                      std::string_view what) {
  const auto value = map.get(key);
  if (!value) {
    return;
  }
  if (auto text = readString(map.diagnostics(), *value)) {
    if (text->empty()) {
      map.diagnostics().add(value->mark, value->path,
                            "expected " + std::string(what) + ", got " + describe(value->node));
    } else {
      out = std::move(*text);
    }
  }
}

bool isDomainName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.' || name.front() == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

// "127.0.0.1", "::1" or "[::1]"; returns the address without brackets, or "".
std::string ipLiteral(std::string_view text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::string address(text);
  unsigned char bytes[16];
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1 ||
      inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    return address;
  }
  return std::string();
}

std::optional<Transport> parseTransport(std::string_view name) {
  for (Transport t : {Transport::Udp, Transport::Tcp, Transport::Tls}) {
    if (iequals(name, transportName(t))) {
      return t;
    }
  }
  return std::nullopt;
}

// One listeners[] item; nullopt (reported) when it has any error.
std::optional<ListenerConfig> readListener(Diagnostics& diag, const Value& item) {
  const size_t errors = diag.count();
  MapReader map(diag, item, {"transport", "address", "port", "certificate", "private_key"});
  if (diag.count() != errors) {
    return std::nullopt;  // not a mapping: its keys would only repeat that
  }
  ListenerConfig listener;
  if (auto transport = map.get("transport")) {
    if (auto name = readString(diag, *transport)) {
      if (auto parsed = parseTransport(*name)) {
        listener.transport = *parsed;
      } else {
        diag.add(transport->mark, transport->path,
                 "expected udp, tcp or tls, got " + describe(transport->node));
      }
    }
  } else {
    map.reportMissing("transport");
  }
  if (auto address = map.get("address")) {
    if (auto text = readString(diag, *address)) {
      listener.address = ipLiteral(trim(*text));
      if (listener.address.empty()) {
        diag.add(address->mark, address->path,
                 "expected an IPv4 or IPv6 address such as 0.0.0.0 or ::, got " +
                     describe(address->node));
      }
    }
  } else {
    map.reportMissing("address");
  }
  const bool tls = listener.transport == Transport::Tls;
  listener.port = tls ? 5061 : 5060;  // RFC 3261 §19.1.2 default ports
  map.read("port", listener.port, 0, 65535);
  for (auto [key, out] : {std::pair{"certificate", &listener.certificate},
                          std::pair{"private_key", &listener.private_key}}) {
    if (tls && !map.get(key)) {
      diag.add(map.mark(), map.childPath(key), "required for a tls listener (a PEM file path)");
    } else if (!tls && map.get(key)) {
      diag.add(map.get(key)->mark, map.childPath(key), "only used by tls listeners");
    } else {
      readRequiredText(map, key, *out, "a PEM file path");
    }
  }
  if (diag.count() != errors) {
    return std::nullopt;
  }
  return listener;
}

}  // namespace

void readServer(const MapReader& root, Config& config) {
  MapReader map(root.diagnostics(), root.getOrEmpty("server"),
                {"workers", "log_level", "trace_sip", "var_dir"});
  ServerConfig& server = config.server;
  map.read("workers", server.workers, 0, 64);
  if (auto value = map.get("log_level")) {
    if (auto name = readString(map.diagnostics(), *value)) {
      if (auto level = log::parseLevel(toLower(*name))) {
        server.log_level = *level;
      } else {
        map.diagnostics().add(
            value->mark, value->path,
            "expected trace, debug, info, warn, error or off, got " + describe(value->node));
      }
    }
  }
  map.read("trace_sip", server.trace_sip);
  readRequiredText(map, "var_dir", server.var_dir, "a directory path");
}

void readDomains(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  const auto value = root.get("domains");
  if (!value) {
    root.reportMissing("domains");
    return;
  }
  const size_t errors = diag.count();
  const std::vector<Value> items = readList(diag, *value);
  if (items.empty() && diag.count() == errors) {
    diag.add(value->mark, value->path,
             "expected at least one domain, got " + describe(value->node));
  }
  for (const Value& item : items) {
    const auto text = readString(diag, item);
    if (!text) {
      continue;
    }
    std::string domain = toLower(trim(*text));
    if (!isDomainName(domain) && ipLiteral(domain).empty()) {
      diag.add(item.mark, item.path,
               "expected a domain name such as example.com, got " + describe(item.node));
      continue;
    }
    auto earlier = std::find(config.domains.begin(), config.domains.end(), domain);
    if (earlier != config.domains.end()) {
      diag.add(item.mark, item.path,
               "duplicate domain (also domains[" +
                   std::to_string(earlier - config.domains.begin()) + "])");
      continue;
    }
    config.domains.push_back(std::move(domain));
  }
}

void readListeners(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  const auto value = root.get("listeners");
  if (!value) {
    root.reportMissing("listeners");
    return;
  }
  const size_t errors = diag.count();
  const std::vector<Value> items = readList(diag, *value);
  if (items.empty() && diag.count() == errors) {
    diag.add(value->mark, value->path,
             "expected at least one listener, got " + describe(value->node));
  }
  std::vector<std::string> indexes;  // listeners' item paths, parallel to config.listeners
  for (const Value& item : items) {
    auto listener = readListener(diag, item);
    if (!listener) {
      continue;
    }
    // TCP and TLS share the stream socket space; UDP has its own.
    for (size_t i = 0; i < config.listeners.size(); ++i) {
      const ListenerConfig& other = config.listeners[i];
      const bool same_socket_type =
          (other.transport == Transport::Udp) == (listener->transport == Transport::Udp);
      if (same_socket_type && listener->port != 0 && other.port == listener->port &&
          other.address == listener->address) {
        diag.add(item.mark, item.path, "address and port already used by " + indexes[i]);
      }
    }
    indexes.push_back(item.path);
    config.listeners.push_back(std::move(*listener));
  }
}

void readStorage(const MapReader& root, Config& config) {
  MapReader map(root.diagnostics(), root.getOrEmpty("storage"),
                {"path", "batch_max", "batch_delay_us"});
  readRequiredText(map, "path", config.storage.path, "a database file path");
  map.read("batch_max", config.storage.batch_max, 1, 100000);
  map.read("batch_delay_us", config.storage.batch_delay_us, 0, 1000000);
}

void readRegistrar(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  MapReader map(diag, root.getOrEmpty("registrar"),
                {"min_expires", "max_expires", "default_expires", "max_contacts_per_aor"});
  RegistrarConfig& r = config.registrar;
  const size_t errors = diag.count();
  map.read("min_expires", r.min_expires, 1, kMaxExpires);
  map.read("max_expires", r.max_expires, 1, kMaxExpires);
  map.read("default_expires", r.default_expires, 1, kMaxExpires);
  map.read("max_contacts_per_aor", r.max_contacts_per_aor, 1, 1000);
  if (diag.count() != errors) {
    return;  // the order checks below would only repeat those errors
  }
  if (r.min_expires > r.max_expires) {
    const Value at = map.getOrEmpty("min_expires");
    diag.add(at.mark, at.path,
             "must not exceed max_expires (" + std::to_string(r.max_expires) + ")");
  } else if (r.default_expires < r.min_expires || r.default_expires > r.max_expires) {
    const Value at = map.getOrEmpty("default_expires");
    diag.add(at.mark, at.path,
             "must be between min_expires (" + std::to_string(r.min_expires) +
                 ") and max_expires (" + std::to_string(r.max_expires) + ")");
  }
}

void readLimits(const MapReader& root, Config& config) {
  MapReader map(
      root.diagnostics(), root.getOrEmpty("limits"),
      {"max_message_size", "max_headers", "max_connections", "max_connections_per_source",
       "requests_per_second_per_source", "tcp_idle_timeout", "tcp_message_timeout", "max_forwards",
       "store_queue_max", "notify_pending_max", "overload_retry_after_s"});
  LimitsConfig& l = config.limits;
  map.read("max_message_size", l.max_message_size, 1, kMaxMessageSize);
  map.read("max_headers", l.max_headers, 1, 10000);
  map.read("max_connections", l.max_connections, 1, 1000000);
  map.read("max_connections_per_source", l.max_connections_per_source, 1, 1000000);
  map.read("requests_per_second_per_source", l.requests_per_second_per_source, 0, 1000000);
  map.read("tcp_idle_timeout", l.tcp_idle_timeout_s, 1, 86400);
  map.read("tcp_message_timeout", l.tcp_message_timeout_s, 1, 3600);
  map.read("max_forwards", l.max_forwards, 1, 255);
  map.read("store_queue_max", l.store_queue_max, 0, 100000000);
  map.read("notify_pending_max", l.notify_pending_max, 0, 100000000);
  map.read("overload_retry_after_s", l.overload_retry_after_s, 1, 3600);
}

void readTransactions(const MapReader& root, Config& config) {
  Diagnostics& diag = root.diagnostics();
  MapReader map(diag, root.getOrEmpty("transactions"), {"t1_ms", "t2_ms", "t4_ms"});
  TransactionConfig& t = config.transactions;
  const size_t errors = diag.count();
  map.read("t1_ms", t.t1_ms, 1, 60000);
  map.read("t2_ms", t.t2_ms, 1, 600000);
  map.read("t4_ms", t.t4_ms, 1, 600000);
  if (diag.count() == errors && t.t2_ms < t.t1_ms) {
    const Value at = map.getOrEmpty("t2_ms");
    diag.add(at.mark, at.path, "must not be less than t1_ms (" + std::to_string(t.t1_ms) + ")");
  }
}

}  // namespace proxy::config::detail
