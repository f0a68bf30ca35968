// SPDX-License-Identifier: Apache-2.0
// The REST calls: GET /v1/presence/{aor}, POST /v1/presence/batch and PUT /v1/presence/{id}.
// Lookups of users not cached yet wait (bounded) for the host's first state.
#include <algorithm>

#include "adapters/http_presence/http_response.h"
#include "adapters/http_presence/http_util.h"
#include "adapters/http_presence/server_impl.h"

namespace adapters::http_presence {
int PresenceServer::Impl::onBody(Session& s, const void* in, size_t len) {
  if (s.kind != Session::Kind::kAwaitBody) {
    return 0;
  }
  if (s.body.size() + len > kMaxBody) {
    s.body.clear();
    s.kind = Session::Kind::kIdle;
    s.body_too_large = true;
    return 0;
  }
  s.body.append(static_cast<const char*>(in), len);
  return 0;
}

int PresenceServer::Impl::onBodyComplete(lws* wsi, Session& s) {
  if (s.body_too_large) {
    s.body_too_large = false;
    return respondError(wsi, s, 413, "body too large");
  }
  if (s.kind != Session::Kind::kAwaitBody) {
    return 0;
  }
  const nlohmann::json body = nlohmann::json::parse(s.body, nullptr, false);
  if (s.is_put) {
    return publish(wsi, s, body);
  }
  if (body.is_discarded() || !body.is_object() || !body.contains("users") ||
      !body["users"].is_array()) {
    return respondError(wsi, s, 400, "expected {\"users\": [...]}");
  }
  if (body["users"].size() > config.max_batch) {
    return respondError(wsi, s, 413, "at most " + std::to_string(config.max_batch) + " users");
  }
  s.users.clear();
  for (const auto& u : body["users"]) {
    s.users.push_back(u.is_string() ? normaliseAor(u.get<std::string>()) : std::string());
  }
  return lookup(wsi, s);
}

int PresenceServer::Impl::publish(lws* wsi, Session& s, const nlohmann::json& body) {
  if (s.path_user.empty()) {
    return respondError(wsi, s, 400, "not an AOR");
  }
  if (!s.token->users.allows(s.path_user)) {
    return respondError(wsi, s, 403, "token may not publish for this user");
  }
  if (body.is_discarded() || !body.is_object()) {
    return respondError(wsi, s, 400, "expected a JSON object");
  }
  const uint32_t availability = availabilityFromName(body.value("availability", nlohmann::json()));
  if (availability == 0) {
    return respondError(wsi, s, 400, "unknown availability");
  }
  auto text = [&](const char* key) {
    return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
  };
  const std::string activity = text("activity");
  const std::string note = text("statusMessage");
  confab_presence p{};
  p.size = sizeof p;
  p.aor = s.path_user.c_str();
  p.availability = availability;
  p.activity = activity.c_str();
  p.note = note.c_str();
  const auto& ttl = body.contains("expiresInSeconds") ? body["expiresInSeconds"] : nlohmann::json();
  const uint32_t expires =
      ttl.is_number_unsigned()
          ? static_cast<uint32_t>(std::min<uint64_t>(ttl.get<uint64_t>(), 86400))
          : 3600;
  const int rc = api->publish_presence(host, s.path_user.c_str(), &p, expires);
  if (rc == CONFAB_ERR_IDENTITY) {
    return respondError(wsi, s, 403, "not an identity of this plugin");
  }
  if (rc != CONFAB_OK) {
    return respondError(wsi, s, rc == CONFAB_ERR_INVALID ? 400 : 503, "publish refused");
  }
  return respondJson(wsi, s, 202, {{"id", s.path_user}, {"published", true}});
}

// Starts a GET or batch lookup: answers at once when every user is known, otherwise waits
// (bounded by lookup_timeout_ms) for the host's first state of the new ones.
int PresenceServer::Impl::lookup(lws* wsi, Session& s) {
  s.status.assign(s.users.size(), 0);
  for (size_t i = 0; i < s.users.size(); ++i) {
    const int refused = userRefusal(*s.token, s.users[i]);
    s.status[i] = refused != 0 ? refused : ensureCached(s.users[i]);
  }
  if (lookupComplete(s)) {
    return answerLookup(wsi, s);
  }
  s.kind = Session::Kind::kPending;
  s.deadline_ms = nowMs() + config.lookup_timeout_ms;
  pending.insert(&s);
  return 0;
}

bool PresenceServer::Impl::lookupComplete(const Session& s) const {
  for (size_t i = 0; i < s.users.size(); ++i) {
    if (s.status[i] == 200) {
      auto it = cache.find(s.users[i]);
      if (it != cache.end() && !it->second.known) {
        return false;
      }
    }
  }
  return true;
}

nlohmann::json PresenceServer::Impl::entry(const std::string& aor, int status, int& http_status) {
  if (status == 200) {
    auto it = cache.find(aor);
    if (it != cache.end() && it->second.known) {
      http_status = 200;
      return toJson(it->second.state);
    }
    status = 504;  // the host did not answer in time (or the entry was evicted)
  }
  http_status = status;
  static const std::unordered_map<int, const char*> kReasons = {
      {400, "not an AOR"},
      {403, "token may not see this user"},
      {404, "no such user"},
      {503, "too many users watched"},
      {504, "presence not available yet"}};
  auto reason = kReasons.find(status);
  return {{"id", aor}, {"error", reason != kReasons.end() ? reason->second : "error"}};
}

int PresenceServer::Impl::answerLookup(lws* wsi, Session& s) {
  pending.erase(&s);
  if (!s.batch) {
    int status = 500;
    nlohmann::json body = entry(s.users[0], s.status[0], status);
    return respondJson(wsi, s, static_cast<unsigned>(status), body);
  }
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < s.users.size(); ++i) {
    int status = 500;
    nlohmann::json e = entry(s.users[i], s.status[i], status);
    e["status"] = status;
    out.push_back(std::move(e));
  }
  return respondJson(wsi, s, 200, out);
}

}  // namespace adapters::http_presence
