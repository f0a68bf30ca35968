// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/service/dialog_json.h"

namespace core::presence {

using nlohmann::json;

std::string jsonText(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint32_t jsonNumber(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint32_t>() : 0;
}

bool jsonFlag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::string jsonDump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string restoredFlowToken(std::string token) {
  return token.starts_with("udp/") ? token : std::string();
}

json dialogToJson(const DialogState& d, uint32_t cseq_bound) {
  return json{{"call_id", d.call_id},        {"local_tag", d.local_tag},
              {"remote_tag", d.remote_tag},  {"local_uri", d.local_uri},
              {"remote_uri", d.remote_uri},  {"remote_target", d.remote_target},
              {"route_set", d.route_set},    {"local_contact", d.local_contact},
              {"flow_token", d.flow_token},  {"cseq", cseq_bound},
              {"remote_cseq", d.remote_cseq}};
}

std::optional<DialogState> dialogFromJson(const json& j) {
  if (!j.is_object()) {
    return std::nullopt;
  }
  DialogState d;
  d.call_id = jsonText(j, "call_id");
  d.local_tag = jsonText(j, "local_tag");
  d.remote_tag = jsonText(j, "remote_tag");
  d.local_uri = jsonText(j, "local_uri");
  d.remote_uri = jsonText(j, "remote_uri");
  d.remote_target = jsonText(j, "remote_target");
  if (auto routes = j.find("route_set"); routes != j.end() && routes->is_array()) {
    for (const json& route : *routes) {
      if (route.is_string()) {
        d.route_set.push_back(route.get<std::string>());
      }
    }
  }
  d.local_contact = jsonText(j, "local_contact");
  d.flow_token = restoredFlowToken(jsonText(j, "flow_token"));
  d.local_cseq = jsonNumber(j, "cseq");
  d.remote_cseq = jsonNumber(j, "remote_cseq");
  if (d.call_id.empty() || d.local_tag.empty() || d.remote_target.empty()) {
    return std::nullopt;
  }
  return d;
}

void saveDialogRecord(PresenceStateStore* store, RecordKind kind, const DialogState& dialog,
                      const std::string& aor, const json& value, int64_t expires_at_unix) {
  if (store != nullptr) {
    store->save(PresenceRecord{kind, dialogKey(dialog), aor, jsonDump(value), expires_at_unix});
  }
}

void eraseDialogRecord(PresenceStateStore* store, RecordKind kind, const DialogState& dialog) {
  if (store != nullptr) {
    store->erase(kind, dialogKey(dialog));
  }
}

}  // namespace core::presence
