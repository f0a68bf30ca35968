// SPDX-License-Identifier: Apache-2.0
#include "adapters/http_presence/webhooks.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstring>

#include "adapters/lws_common/lws_io.h"

namespace adapters::http_presence {
namespace {

// The wsi's user pointer carries the delivery id, never a pointer: a late callback for a
// forgotten delivery then finds nothing instead of freed memory.
void* idToUser(uint64_t id) { return reinterpret_cast<void*>(static_cast<uintptr_t>(id)); }
uint64_t userToId(void* user) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(user)); }

}  // namespace

std::string hmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
           &length) == nullptr) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

WebhookSender::WebhookSender(const Config& config, const confab_host_api* api, confab_host* host)
    : config_(config), api_(api), host_(host) {}

WebhookSender::~WebhookSender() { shutdown(); }

void WebhookSender::shutdown() {
  for (auto& [id, d] : deliveries_) {
    lws_sul_cancel(&d->timer.sul);
  }
  deliveries_.clear();
}

void WebhookSender::onChange(const std::string& aor, const std::string& body) {
  if (context_ == nullptr) {
    return;
  }
  for (size_t i = 0; i < config_.webhooks.size(); ++i) {
    const WebhookConfig& hook = config_.webhooks[i];
    if (!hook.users.allows(aor)) {
      continue;
    }
    if (deliveries_.size() >= config_.webhook_max_pending) {
      count("webhook_dropped");  // a receiver that is down for long must not eat our memory
      continue;
    }
    auto d = std::make_unique<Delivery>();
    d->id = next_id_++;
    d->hook = i;
    d->body = body;
    d->signature = hook.secret.empty() ? "" : "sha256=" + hmacSha256Hex(hook.secret, body);
    d->owner = this;
    d->timer.delivery = d.get();
    Delivery& ref = *d;
    deliveries_.emplace(ref.id, std::move(d));
    start(ref);
  }
}

void WebhookSender::start(Delivery& d) {
  const WebhookConfig& hook = config_.webhooks[d.hook];
  d.attempt += 1;
  d.in_flight = true;
  d.status = 0;
  count("webhook_attempts");
  lws_client_connect_info info;
  std::memset(&info, 0, sizeof info);
  info.context = context_;
  info.address = hook.host.c_str();
  info.port = hook.port;
  info.path = hook.path.c_str();
  info.host = hook.host.c_str();
  info.origin = hook.host.c_str();
  info.method = "POST";
  info.local_protocol_name = kProtocolName;
  info.userdata = idToUser(d.id);
  const uint64_t id = d.id;
  if (lws_client_connect_via_info(&info) == nullptr) {
    finish(id, false);  // no-op when the error callback already finished this attempt
  }
}

void WebhookSender::finish(uint64_t id, bool ok) {
  auto it = deliveries_.find(id);
  if (it == deliveries_.end() || !it->second->in_flight) {
    return;
  }
  Delivery& d = *it->second;
  d.in_flight = false;
  if (ok) {
    count("webhook_delivered");
    deliveries_.erase(it);
    return;
  }
  count("webhook_failures");
  if (d.attempt >= config_.webhook_attempts) {
    count("webhook_abandoned");
    api_->log(host_, CONFAB_LOG_WARN,
              ("webhook " + config_.webhooks[d.hook].url + " failed " + std::to_string(d.attempt) +
               " times; event dropped")
                  .c_str());
    deliveries_.erase(it);
    return;
  }
  // base * 2^(n-1), capped at 60 s, times a jitter in [0.5, 1.5) so receivers coming back up
  // are not hit by every sender at once.
  const double base = static_cast<double>(config_.webhook_retry_base_ms) *
                      static_cast<double>(1ULL << std::min<uint32_t>(d.attempt - 1, 16));
  const double jitter = std::uniform_real_distribution<double>(0.5, 1.5)(jitter_);
  const double delay_ms = std::min(60000.0, base) * jitter;
  lws_sul_schedule(
      context_, 0, &d.timer.sul,
      [](lws_sorted_usec_list_t* sul) {
        Delivery* due = reinterpret_cast<RetryTimer*>(sul)->delivery;
        due->owner->start(*due);
      },
      static_cast<lws_usec_t>(delay_ms * 1000));
}

WebhookSender::Delivery* WebhookSender::find(void* user) {
  auto it = deliveries_.find(userToId(user));
  return it == deliveries_.end() ? nullptr : it->second.get();
}

int WebhookSender::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                            size_t len) {
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      Delivery* d = find(user);
      if (d == nullptr) {
        return -1;
      }
      auto** p = static_cast<unsigned char**>(in);
      unsigned char* end = *p + len - 1;
      if (lws_io::addHeader(wsi, "content-type:", "application/json", p, end) != 0 ||
          lws_add_http_header_content_length(wsi, d->body.size(), p, end) != 0 ||
          lws_io::addHeader(wsi, "x-confab-event:", "presence", p, end) != 0 ||
          lws_io::addHeader(wsi, "x-confab-delivery:", std::to_string(d->id), p, end) != 0 ||
          lws_io::addHeader(wsi, "x-confab-attempt:", std::to_string(d->attempt), p, end) != 0 ||
          (!d->signature.empty() &&
           lws_io::addHeader(wsi, "x-confab-signature:", d->signature, p, end))) {
        return -1;
      }
      lws_client_http_body_pending(wsi, 1);
      lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
      Delivery* d = find(user);
      if (d == nullptr) {
        return -1;
      }
      lws_client_http_body_pending(wsi, 0);
      if (lws_io::writeWithPre(wsi, d->body, LWS_WRITE_HTTP_FINAL) !=
          static_cast<int>(d->body.size())) {
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
      if (Delivery* d = find(user)) {
        d->status = static_cast<int>(lws_http_client_http_response(wsi));
      }
      return 0;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
      char buf[LWS_PRE + 1024];
      char* p = buf + LWS_PRE;
      int n = sizeof buf - LWS_PRE;
      return lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
      return 0;  // the receiver's answer body is not interesting
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
      if (Delivery* d = find(user)) {
        finish(d->id, d->status >= 200 && d->status < 300);
      }
      return -1;  // one POST per connection: close it
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
      if (Delivery* d = find(user)) {
        // A 2xx whose connection closed before "completed" still reached the receiver.
        finish(d->id, d->status >= 200 && d->status < 300);
      }
      return 0;
    default:
      break;
  }
  return 0;
}

}  // namespace adapters::http_presence
