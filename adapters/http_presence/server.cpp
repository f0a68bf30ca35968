// SPDX-License-Identifier: Apache-2.0
// The server's lifecycle (start, shutdown), the libwebsockets callback that routes every event
// to its handler, and the housekeeping tick (lookup deadlines, heartbeats, idle eviction).
#include "adapters/http_presence/server.h"

#include <cstring>

#include "adapters/http_presence/http_util.h"
#include "adapters/http_presence/server_impl.h"

namespace adapters::http_presence {
namespace {

constexpr int64_t kTickMs = 250;

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* impl = static_cast<PresenceServer::Impl*>(lws_context_user(lws_get_context(wsi)));
  if (impl == nullptr) {
    return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
  try {
    return impl->dispatch(wsi, reason, user, in, len);
  } catch (const std::exception& e) {  // nothing may unwind through libwebsockets' C frames
    impl->count("internal_errors");
    impl->log(CONFAB_LOG_ERROR, std::string("http_presence: closing a connection: ") + e.what());
    return -1;
  }
}

const lws_protocols kProtocols[] = {
    {"http", callback, sizeof(Pss), 0, 0, nullptr, 0},
    {"confab-presence", callback, sizeof(Pss), 0, 0, nullptr, 0},
    {WebhookSender::kProtocolName, callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

void PresenceServer::Impl::onTick() {
  const int64_t now = nowMs();
  std::vector<Session*> due;
  for (Session* s : pending) {
    if (now >= s->deadline_ms) {
      due.push_back(s);
    }
  }
  for (Session* s : due) {
    lws_callback_on_writable(s->wsi);
  }
  if (now >= next_heartbeat_ms) {
    next_heartbeat_ms = now + static_cast<int64_t>(config.heartbeat_s) * 1000;
    sendHeartbeats();
  }
  evictIdle(now);
  scheduleTick();
}

void PresenceServer::Impl::scheduleTick() {
  lws_sul_schedule(
      context, 0, &tick.sul,
      [](lws_sorted_usec_list_t* sul) { reinterpret_cast<TickTimer*>(sul)->impl->onTick(); },
      kTickMs * LWS_US_PER_MS);
}

int PresenceServer::Impl::dispatch(lws* wsi, lws_callback_reasons reason, void* user, void* in,
                                   size_t len) {
  switch (reason) {  // client connections are webhooks, whichever protocol lws reports
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
      return webhooks.callback(wsi, reason, user, in, len);
    default:
      break;
  }
  const lws_protocols* protocol = lws_get_protocol(wsi);
  if (protocol != nullptr && protocol->name != nullptr &&
      std::strcmp(protocol->name, WebhookSender::kProtocolName) == 0) {
    return 0;  // a webhook's other events: its user pointer is no Pss
  }
  auto* pss = static_cast<Pss*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      if (stopping || pss == nullptr) {
        return -1;
      }
      return onHttp(wsi, pss, std::string_view(static_cast<const char*>(in)));
    case LWS_CALLBACK_HTTP_BODY:
      return pss != nullptr && pss->session != nullptr ? onBody(*pss->session, in, len) : 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (pss == nullptr || pss->session == nullptr) {
        return -1;
      }
      return onBodyComplete(wsi, *pss->session);
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      if (pss == nullptr || pss->session == nullptr) {
        return 0;
      }
      Session& s = *pss->session;
      if (s.kind == Session::Kind::kPending) {
        return lookupComplete(s) || nowMs() >= s.deadline_ms ? answerLookup(wsi, s) : 0;
      }
      return s.kind == Session::Kind::kSse ? writeStream(wsi, s) : 0;
    }
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      return stopping ? 1 : filterWs(wsi);
    case LWS_CALLBACK_ESTABLISHED:
      return pss != nullptr ? onWsEstablished(wsi, pss) : -1;
    case LWS_CALLBACK_RECEIVE:
      return pss != nullptr && pss->session != nullptr ? onWsReceive(wsi, *pss->session, in, len)
                                                       : -1;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return pss != nullptr && pss->session != nullptr ? writeStream(wsi, *pss->session) : 0;
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      release(pss);
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

PresenceServer::PresenceServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PresenceServer::~PresenceServer() = default;

uint16_t PresenceServer::port() const { return impl_->port; }

void PresenceServer::onPresence(const confab_presence& presence) {
  if (!impl_->stopping) {
    impl_->onPresence(presence);
  }
}

proxy::Result<std::unique_ptr<PresenceServer>> PresenceServer::start(Config config,
                                                                     const confab_host_api* api,
                                                                     confab_host* host) {
  auto impl = std::make_unique<Impl>(std::move(config), api, host);
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = impl->config.port;
  info.iface = impl->config.address.c_str();
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
  void* loops[1] = {api->loop(host)};
  info.foreign_loops = loops;
  info.user = impl.get();
  info.pcontext = &impl->context;
  info.max_http_header_data = 8192;
  info.timeout_secs = 20;
  impl->context = lws_create_context(&info);
  if (impl->context == nullptr) {
    return proxy::makeError(
        500, "cannot listen on " + impl->config.address + ":" + std::to_string(impl->config.port));
  }
  lws_vhost* vhost = lws_get_vhost_by_name(impl->context, "default");
  const int port = vhost != nullptr ? lws_get_vhost_listen_port(vhost) : -1;
  if (port <= 0) {
    lws_context_destroy(impl->context);
    return proxy::makeError(500, "no listening port");
  }
  impl->port = static_cast<uint16_t>(port);
  impl->webhooks.attach(impl->context);
  // Webhook users named exactly are watched from the start, so their changes are seen.
  for (const WebhookConfig& hook : impl->config.webhooks) {
    for (const std::string& u : hook.users.exactUsers()) {
      const std::string aor = normaliseAor(u);
      if (!aor.empty() && impl->ensureCached(aor) == 200) {
        impl->cache[aor].pins += 1;
      } else {
        impl->log(CONFAB_LOG_WARN, "webhook user " + u + " is not a local user");
      }
    }
  }
  impl->scheduleTick();
  return std::unique_ptr<PresenceServer>(new PresenceServer(std::move(impl)));
}

void PresenceServer::shutdown(std::unique_ptr<PresenceServer> server) {
  Impl& impl = *server->impl_;
  impl.stopping = true;
  lws_sul_cancel(&impl.tick.sul);
  impl.webhooks.shutdown();
  lws_context_destroy(impl.context);  // closes every wsi now; lws's own handles close on the loop
  // With a foreign loop lws needs a second destroy once its handles are closed; poll for that,
  // then free the server from the timer's close callback (the last thing that touches it).
  uv_timer_init(static_cast<uv_loop_t*>(impl.api->loop(impl.host)), &impl.reaper);
  impl.reaper.data = server.release();
  uv_timer_start(
      &impl.reaper,
      [](uv_timer_t* timer) {
        auto* owner = static_cast<PresenceServer*>(timer->data);
        Impl& i = *owner->impl_;
        // lws's libuv glue lives in a plugin it unloads on the final destroy: call that only
        // when none of its handles still waits for a close callback.
        bool closing = false;
        uv_walk(
            timer->loop,
            [](uv_handle_t* h, void* any) {
              if (uv_is_closing(h) != 0) {
                *static_cast<bool*>(any) = true;
              }
            },
            &closing);
        if (i.context != nullptr && ++i.reap_attempts <= 400 && !closing) {
          lws_context_destroy(i.context);  // clears i.context (pcontext) once it is freed
        }
        if (i.context == nullptr || i.reap_attempts > 400) {
          if (i.context != nullptr) {
            i.log(CONFAB_LOG_ERROR, "libwebsockets did not shut down in 4 s; leaking it");
          }
          uv_close(reinterpret_cast<uv_handle_t*>(timer),
                   [](uv_handle_t* handle) { delete static_cast<PresenceServer*>(handle->data); });
        }
      },
      0, 10);
}

}  // namespace adapters::http_presence
