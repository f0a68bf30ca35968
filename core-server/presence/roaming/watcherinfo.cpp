// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/roaming/watcherinfo.h"

#include <array>
#include <optional>

#include "core-server/presence/roaming/roaming_namespaces.h"
#include "core-server/presence/xml_tree.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/strings.h"

namespace core::presence::roaming {
namespace {

using proxy::makeError;
using proxy::Result;

constexpr std::array<std::string_view, 4> kStatusNames = {"pending", "active", "waiting",
                                                          "terminated"};
constexpr std::array<std::string_view, 8> kEventNames = {"subscribe", "approved",  "deactivated",
                                                         "probation", "rejected",  "timeout",
                                                         "giveup",    "noresource"};

template <typename Enum, size_t N>
std::optional<Enum> lookup(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) {
      return static_cast<Enum>(i);
    }
  }
  return std::nullopt;
}

std::string required(const XmlElement& e, std::string_view name, std::string& error) {
  auto value = e.attribute(name);
  if (!value || proxy::trim(*value).empty()) {
    error = "watcherinfo: <" + std::string(e.local()) + "> without " + std::string(name);
    return {};
  }
  return std::string(proxy::trim(*value));
}

Result<Watcher> parseWatcher(const XmlElement& e) {
  std::string error;
  Watcher w;
  w.id = required(e, "id", error);
  const std::string status = required(e, "status", error);
  const std::string event = required(e, "event", error);
  if (!error.empty()) {
    return makeError(400, error);
  }
  auto s = lookup<WatcherStatus>(kStatusNames, status);
  auto ev = lookup<WatcherEvent>(kEventNames, event);
  if (!s || !ev) {
    return makeError(400, "watcherinfo: unknown watcher status or event");
  }
  w.status = *s;
  w.event = *ev;
  w.uri = std::string(proxy::trim(e.text()));
  if (w.uri.empty()) {
    return makeError(400, "watcherinfo: <watcher> without URI");
  }
  w.display_name = std::string(e.attribute("display-name").value_or(""));
  for (auto [name, field] : {std::pair{"expiration", &w.expiration},
                             std::pair{"duration-subscribed", &w.duration_subscribed}}) {
    if (auto v = e.attribute(name)) {
      auto n = proxy::parseUnsigned<uint32_t>(proxy::trim(*v));
      if (!n) {
        return makeError(400, "watcherinfo: " + std::string(name) + " is not a number");
      }
      *field = *n;
    }
  }
  return w;
}

}  // namespace

std::string_view watcherStatusName(WatcherStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

std::string_view watcherEventName(WatcherEvent event) {
  return kEventNames[static_cast<size_t>(event)];
}

std::string renderWatcherInfo(const WatcherInfo& info) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("watcherinfo");
  w.attribute("xmlns", ns::kWatcherInfo);
  w.attribute("version", std::to_string(info.version));
  w.attribute("state", info.full_state ? "full" : "partial");
  for (const WatcherList& list : info.lists) {
    w.open("watcher-list");
    w.attribute("resource", list.resource);
    w.attribute("package", list.package);
    for (const Watcher& watcher : list.watchers) {
      w.open("watcher");
      w.attribute("id", watcher.id);
      w.attribute("status", watcherStatusName(watcher.status));
      w.attribute("event", watcherEventName(watcher.event));
      if (!watcher.display_name.empty()) {
        w.attribute("display-name", watcher.display_name);
      }
      if (watcher.expiration != 0) {
        w.attribute("expiration", std::to_string(watcher.expiration));
      }
      if (watcher.duration_subscribed != 0) {
        w.attribute("duration-subscribed", std::to_string(watcher.duration_subscribed));
      }
      w.text(watcher.uri);
      w.close();
    }
    w.close();
  }
  w.close();
  return out;
}

Result<WatcherInfo> parseWatcherInfo(std::string_view xml, const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kWatcherInfo, "watcherinfo")) {
    return makeError(400, "watcherinfo: root element must be {" + std::string(ns::kWatcherInfo) +
                              "}watcherinfo, got " + root.expandedName());
  }
  WatcherInfo info;
  std::string error;
  const std::string version = required(root, "version", error);
  const std::string state = required(root, "state", error);
  if (!error.empty()) {
    return makeError(400, error);
  }
  auto v = proxy::parseUnsigned<uint32_t>(version);
  if (!v || (state != "full" && state != "partial")) {
    return makeError(400, "watcherinfo: bad version or state");
  }
  info.version = *v;
  info.full_state = state == "full";
  for (XmlElement l : root.children()) {
    if (!l.is(ns::kWatcherInfo, "watcher-list")) {
      continue;
    }
    WatcherList list;
    list.resource = required(l, "resource", error);
    list.package = required(l, "package", error);
    if (!error.empty()) {
      return makeError(400, error);
    }
    for (XmlElement e : l.children()) {
      if (!e.is(ns::kWatcherInfo, "watcher")) {
        continue;
      }
      auto watcher = parseWatcher(e);
      if (!watcher) {
        return watcher.error();
      }
      list.watchers.push_back(std::move(*watcher));
    }
    info.lists.push_back(std::move(list));
  }
  return info;
}

std::string renderWpending(const std::vector<PendingWatcher>& watchers) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("watchers");
  for (const PendingWatcher& p : watchers) {
    w.open("watcher");
    w.attribute("uri", p.uri);
    w.attribute("displayName", p.display_name);
    w.close();
  }
  w.close();
  return out;
}

}  // namespace core::presence::roaming
