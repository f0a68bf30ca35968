// SPDX-License-Identifier: Apache-2.0
// What the presence service writes to its PresenceStateStore and how it reads
// it back at start. Values are JSON objects; nlohmann stays in this file.
#include <nlohmann/json.hpp>

#include "core-server/presence/service/dialog_json.h"
#include "core-server/presence/service/presence_service.h"
#include "core-server/presence/service/rule_records.h"
#include "proxy/base/log.h"

namespace core::presence {

namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint32_t number(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint32_t>() : 0;
}

}  // namespace

void PresenceService::persistPublication(const Presentity& p, const Publication& pub) {
  if (store_ == nullptr || pub.body.empty()) {
    return;  // a source without a persistable form (setSource without a body)
  }
  json value = {{"etag", pub.etag},
                {"content_type", pub.content_type},
                {"body", pub.body},
                {"published_at", pub.endpoint.published_at}};
  store_->save(
      PresenceRecord{RecordKind::Publication, pub.etag, p.aor, dump(value), pub.expires_at_unix});
}

void PresenceService::syncPublications(Presentity& p) {
  if (store_ == nullptr) {
    p.stale_records.clear();
    return;
  }
  bool unsaved = false;
  for (const auto& [etag, pub] : p.publications) {
    unsaved = unsaved || pub.unsaved;
  }
  if (!unsaved && p.stale_records.empty()) {
    return;
  }
  const int64_t now = nowMs();
  const int64_t due = p.last_write_ms + int64_t{options_.publication_write_interval_ms};
  // Removals alone go at once: a removed "busy" must not come back after a crash.
  if (!unsaved || now >= due) {
    writePublications(p);
    return;
  }
  if (!p.write_armed) {
    p.write_armed = true;
    arm(TimerItem{due, TimerKind::PublicationWrite, 0, p.aor});
  }
}

void PresenceService::writePublications(Presentity& p) {
  if (store_ == nullptr) {
    return;
  }
  for (const std::string& etag : p.stale_records) {
    store_->erase(RecordKind::Publication, etag);
  }
  p.stale_records.clear();
  bool saved = false;
  for (auto& [etag, pub] : p.publications) {
    if (pub.unsaved) {
      persistPublication(p, pub);
      pub.unsaved = false;
      pub.stored = true;
      saved = true;
    }
  }
  if (saved) {
    p.last_write_ms = nowMs();
  }
}

void PresenceService::persistSubscription(Subscription& s) {
  if (s.dialog.local_cseq >= s.cseq_reserved) {
    s.cseq_reserved = s.dialog.local_cseq + kCseqReserve;
  }
  if (store_ == nullptr) {
    return;
  }
  const DialogState& d = s.dialog;
  json value = {{"watcher", s.watcher},
                {"event", s.event},
                {"event_id", s.event_id},
                {"format", std::string(renderers_.at(s.format).contentType())},
                {"call_id", d.call_id},
                {"local_tag", d.local_tag},
                {"remote_tag", d.remote_tag},
                {"local_uri", d.local_uri},
                {"remote_uri", d.remote_uri},
                {"remote_target", d.remote_target},
                {"route_set", d.route_set},
                {"local_contact", d.local_contact},
                {"flow_token", d.flow_token},
                {"cseq", s.cseq_reserved},
                {"remote_cseq", d.remote_cseq},
                {"benotify", s.benotify}};
  store_->save(PresenceRecord{RecordKind::Subscription, dialogKey(d), s.presentity, dump(value),
                              s.expires_at_unix});
}

std::string ruleKey(std::string_view presentity, const WatcherRule& rule) {
  return std::string(presentity) + (rule.domain ? " domain " : " watcher ") + rule.match;
}

PresenceRecord ruleRecord(std::string_view presentity, const WatcherRule& rule) {
  json value = {{"domain", rule.domain},
                {"match", rule.match},
                {"decision", std::string(decisionName(rule.decision))}};
  return PresenceRecord{RecordKind::Rule, ruleKey(presentity, rule), std::string(presentity),
                        dump(value), 0};
}

std::optional<WatcherRule> ruleFromRecord(const PresenceRecord& record) {
  json j = json::parse(record.value, nullptr, false);
  auto decision = j.is_object() ? parseDecision(text(j, "decision")) : std::nullopt;
  if (!decision || text(j, "match").empty()) {
    return std::nullopt;
  }
  auto domain = j.find("domain");
  return WatcherRule{domain != j.end() && domain->is_boolean() && domain->get<bool>(),
                     text(j, "match"), *decision};
}

void PresenceService::persistRule(std::string_view presentity_aor, const WatcherRule& rule) {
  if (store_ != nullptr) {
    store_->save(ruleRecord(presentity_aor, rule));
  }
}

std::vector<RuleChange> diffRules(const std::vector<PresenceRecord>& before,
                                  const std::vector<PresenceRecord>& after) {
  using Rules = std::map<std::string, std::pair<std::string, WatcherRule>>;  // by key
  auto index = [](const std::vector<PresenceRecord>& records) {
    Rules rules;
    for (const PresenceRecord& record : records) {
      if (record.kind == RecordKind::Rule) {
        if (auto rule = ruleFromRecord(record)) {
          rules[record.key] = {record.aor, *rule};
        }
      }
    }
    return rules;
  };
  const Rules old_rules = index(before);
  const Rules new_rules = index(after);
  std::vector<RuleChange> changes;
  for (const auto& [key, rule] : new_rules) {
    auto it = old_rules.find(key);
    if (it == old_rules.end() || it->second != rule) {
      changes.push_back(RuleChange{rule.first, rule.second, false});
    }
  }
  for (const auto& [key, rule] : old_rules) {
    if (new_rules.count(key) == 0) {
      changes.push_back(RuleChange{rule.first, rule.second, true});
    }
  }
  return changes;
}

void PresenceService::applyRuleChanges(const std::vector<RuleChange>& changes,
                                       const std::function<bool(std::string_view aor)>& owns) {
  for (const RuleChange& change : changes) {
    if (!owns(change.presentity)) {
      continue;
    }
    if (!change.removed) {
      setRule(change.presentity, change.rule, /*persist=*/false);  // it is stored already
    } else if (Presentity* p = findPresentity(change.presentity);
               p != nullptr && p->rules.remove(change.rule.domain, change.rule.match)) {
      reevaluate(*p);  // the store has dropped it already
    }
  }
}

void PresenceService::load(const std::vector<PresenceRecord>& records,
                           const std::function<bool(std::string_view aor)>& owns) {
  // Rules first: restored subscriptions are authorized against them.
  for (RecordKind kind : {RecordKind::Rule, RecordKind::Publication, RecordKind::Subscription}) {
    for (const PresenceRecord& record : records) {
      if (record.kind != kind || !owns(record.aor)) {
        continue;
      }
      if (record.expires_at != 0 && record.expires_at <= clock_.unixSeconds()) {
        if (store_ != nullptr) {
          store_->erase(record.kind, record.key);
        }
        continue;
      }
      switch (kind) {
        case RecordKind::Rule:
          restoreRule(record);
          break;
        case RecordKind::Publication:
          restorePublication(record);
          break;
        case RecordKind::Subscription:
          restoreSubscription(record);
          break;
        case RecordKind::MsAccount:
        case RecordKind::Winfo:
        case RecordKind::EventList:
        case RecordKind::MsSelf:
        case RecordKind::MsBatch:
          break;  // the stages' (core-server/presence/stages)
      }
    }
  }
  for (auto& [aor, p] : presentities_) {
    recompute(*p, /*notify_watchers=*/false);
  }
}

void PresenceService::restoreRule(const PresenceRecord& record) {
  auto rule = ruleFromRecord(record);
  if (!rule) {
    LOG_WARN("presence: unreadable rule record %s", record.key.c_str());
    return;
  }
  presentity(record.aor).rules.set(*rule);
}

void PresenceService::restorePublication(const PresenceRecord& record) {
  json j = json::parse(record.value, nullptr, false);
  if (!j.is_object()) {
    LOG_WARN("presence: unreadable publication record %s", record.key.c_str());
    return;
  }
  const std::string body_text = text(j, "body");
  const std::string content_type = text(j, "content_type");
  const SourceParser* parser = parserFor(content_type);
  auto endpoint = parser != nullptr ? (*parser)(body_text, options_.xml)
                                    : proxy::Result<EndpointPresence>(proxy::makeError(400, ""));
  if (!endpoint) {
    LOG_WARN("presence: stored publication %s no longer parses", record.key.c_str());
    return;
  }
  Presentity& p = presentity(record.aor);
  Publication pub;
  pub.etag = record.key;
  pub.stored = true;
  pub.content_type = content_type;
  pub.body = body_text;
  pub.endpoint = std::move(*endpoint);
  pub.endpoint.source_id = pub.etag;
  auto published = j.find("published_at");
  pub.endpoint.published_at =
      published != j.end() && published->is_number_integer() ? published->get<int64_t>() : 0;
  pub.expires_at_unix = record.expires_at;
  pub.expires_ms = record.expires_at == 0
                       ? INT64_MAX
                       : nowMs() + (record.expires_at - clock_.unixSeconds()) * 1000;
  p.ever_seen = true;
  etags_[pub.etag] = p.aor;
  if (pub.expires_at_unix != 0) {
    armPublicationExpiry(p, pub.expires_ms);
  }
  p.publications.emplace(pub.etag, std::move(pub));
}

void PresenceService::restoreSubscription(const PresenceRecord& record) {
  json j = json::parse(record.value, nullptr, false);
  if (!j.is_object()) {
    LOG_WARN("presence: unreadable subscription record %s", record.key.c_str());
    return;
  }
  auto s = std::make_unique<Subscription>();
  s->id = next_id_++;
  s->presentity = record.aor;
  s->watcher = text(j, "watcher");
  s->event = text(j, "event");
  s->event_id = text(j, "event_id");
  s->format = renderers_.find(text(j, "format"));
  DialogState& d = s->dialog;
  d.call_id = text(j, "call_id");
  d.local_tag = text(j, "local_tag");
  d.remote_tag = text(j, "remote_tag");
  d.local_uri = text(j, "local_uri");
  d.remote_uri = text(j, "remote_uri");
  d.remote_target = text(j, "remote_target");
  if (auto routes = j.find("route_set"); routes != j.end() && routes->is_array()) {
    for (const json& route : *routes) {
      if (route.is_string()) {
        d.route_set.push_back(route.get<std::string>());
      }
    }
  }
  d.local_contact = text(j, "local_contact");
  d.flow_token = restoredFlowToken(text(j, "flow_token"));  // a connection did not survive
  d.local_cseq = number(j, "cseq");  // every CSeq we used is below the reserved bound
  d.remote_cseq = number(j, "remote_cseq");
  s->cseq_reserved = d.local_cseq;
  auto benotify = j.find("benotify");
  s->benotify = benotify != j.end() && benotify->is_boolean() && benotify->get<bool>();
  const std::string key = dialogKey(d);
  if (s->format < 0 || s->watcher.empty() || d.call_id.empty() || dialogs_.count(key) != 0) {
    LOG_WARN("presence: dropping unusable subscription record");
    if (store_ != nullptr) {
      store_->erase(RecordKind::Subscription, record.key);
    }
    return;
  }
  s->decision = decide(s->presentity, s->watcher);
  if (s->decision == Decision::Reject) {
    if (store_ != nullptr) {
      store_->erase(RecordKind::Subscription, record.key);
    }
    return;
  }
  s->expires_at_unix = record.expires_at;
  s->expires_ms = nowMs() + (record.expires_at - clock_.unixSeconds()) * 1000;
  s->owed = true;  // tell the watcher the state as it is now, on the first runTimers()
  s->notify_due_ms = nowMs();
  Presentity& p = presentity(s->presentity);
  Subscription& sub = *s;
  dialogs_.emplace(key, sub.id);
  p.watchers.insert(sub.id);
  ++per_watcher_[sub.watcher];
  subscriptions_.emplace(sub.id, std::move(s));
  arm(TimerItem{sub.expires_ms, TimerKind::SubscriptionExpiry, sub.id, {}});
  arm(TimerItem{sub.notify_due_ms, TimerKind::NotifyDue, sub.id, {}});
}

}  // namespace core::presence
