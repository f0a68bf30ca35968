// SPDX-License-Identifier: Apache-2.0
#include "adapters/host/host_api.h"

#include <cstring>
#include <string>

#include "adapters/host/adapter_host.h"
#include "adapters/host/plugin.h"
#include "proxy/base/log.h"

namespace adapters {

namespace {

// The plugin, when `host` is the calling thread's own; else nullptr.
Plugin* caller(confab_host* host) {
  Plugin* self = Plugin::current();
  return self != nullptr && self->handle() == host ? self : nullptr;
}

std::string text(const char* s) { return s == nullptr ? std::string() : std::string(s); }

void apiLog(confab_host* host, int level, const char* message) {
  Plugin* self = caller(host);
  const std::string line = text(message);
  const char* name = self != nullptr ? self->name().c_str() : "?";
  switch (level) {
    case CONFAB_LOG_DEBUG:
      LOG_DEBUG("plugin %s: %s", name, line.c_str());
      break;
    case CONFAB_LOG_INFO:
      LOG_INFO("plugin %s: %s", name, line.c_str());
      break;
    case CONFAB_LOG_WARN:
      LOG_WARN("plugin %s: %s", name, line.c_str());
      break;
    default:
      LOG_ERROR("plugin %s: %s", name, line.c_str());
      break;
  }
}

void* apiLoop(confab_host* host) {
  Plugin* self = caller(host);
  return self != nullptr ? self->loop() : nullptr;
}

const char* apiConfig(confab_host* host) {
  Plugin* self = caller(host);
  return self != nullptr ? self->options().config_yaml.c_str() : "";
}

const char* apiDomain(confab_host* host) {
  Plugin* self = caller(host);
  return self != nullptr ? self->host().defaultDomain().c_str() : "";
}

int apiSend(confab_host* host, uint64_t request_id, const char* from_identity, const char* to_aor,
            const char* content_type, const char* body, size_t body_len, int32_t store_if_offline) {
  Plugin* self = caller(host);
  if (self == nullptr) {
    return CONFAB_ERR_THREAD;
  }
  if (from_identity == nullptr || to_aor == nullptr || (body == nullptr && body_len > 0)) {
    return CONFAB_ERR_INVALID;
  }
  std::string payload(body == nullptr ? "" : std::string(body, body_len));
  return self->host().sendMessage(*self, request_id, text(from_identity), text(to_aor),
                                  content_type == nullptr || *content_type == '\0'
                                      ? std::string("text/plain")
                                      : std::string(content_type),
                                  std::move(payload), store_if_offline != 0);
}

int apiAnswer(confab_host* host, uint64_t message_id, int32_t status) {
  Plugin* self = caller(host);
  if (self == nullptr) {
    return CONFAB_ERR_THREAD;
  }
  return self->host().answerFromPlugin(*self, message_id, status);
}

int apiPublish(confab_host* host, const char* identity, const confab_presence* presence,
               uint32_t expires_s) {
  Plugin* self = caller(host);
  if (self == nullptr) {
    return CONFAB_ERR_THREAD;
  }
  if (identity == nullptr || (presence == nullptr && expires_s != 0)) {
    return CONFAB_ERR_INVALID;
  }
  PresenceEvent state;
  if (presence != nullptr) {
    if (!CONFAB_HAS_FIELD(presence, confab_presence, note)) {
      return CONFAB_ERR_INVALID;
    }
    state.availability = presence->availability;
    state.activity = text(presence->activity);
    state.note = text(presence->note);
  }
  return self->host().publish(*self, text(identity), std::move(state), expires_s);
}

int apiSubscribe(confab_host* host, const char* aor) {
  Plugin* self = caller(host);
  if (self == nullptr) {
    return CONFAB_ERR_THREAD;
  }
  return aor == nullptr ? CONFAB_ERR_INVALID : self->host().subscribe(*self, text(aor));
}

int apiUnsubscribe(confab_host* host, const char* aor) {
  Plugin* self = caller(host);
  if (self == nullptr) {
    return CONFAB_ERR_THREAD;
  }
  return aor == nullptr ? CONFAB_ERR_INVALID : self->host().unsubscribe(*self, text(aor));
}

int apiIsLocalUser(confab_host* host, const char* aor) {
  Plugin* self = caller(host);
  if (self == nullptr || aor == nullptr) {
    return 0;
  }
  return self->host().isLocalUser(text(aor)) ? 1 : 0;
}

void apiCount(confab_host* host, const char* name, uint64_t delta) {
  Plugin* self = caller(host);
  if (self == nullptr || name == nullptr) {
    return;
  }
  const std::string suffix = text(name);
  if (suffix.empty() || suffix.size() > 64) {
    return;
  }
  for (char c : suffix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok) {
      return;  // names end up as Prometheus metric names
    }
  }
  self->count(suffix, delta);
}

const confab_host_api kApi = {
    sizeof(confab_host_api),
    CONFAB_ADAPTER_ABI_VERSION,
    apiLog,
    apiLoop,
    apiConfig,
    apiDomain,
    apiSend,
    apiAnswer,
    apiPublish,
    apiSubscribe,
    apiUnsubscribe,
    apiIsLocalUser,
    apiCount,
};

}  // namespace

const confab_host_api& hostApi() { return kApi; }

}  // namespace adapters
