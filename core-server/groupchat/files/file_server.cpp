// SPDX-License-Identifier: Apache-2.0
#include "core-server/groupchat/files/file_server.h"

#include <libwebsockets.h>
#include <unistd.h>

#include <string_view>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core-server/groupchat/xccos_uri.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"

namespace core::groupchat {
namespace {

constexpr std::string_view kPrefix = "/files/";

// Per-connection state; lws allocates it zeroed, so only plain members.
struct Transfer {
  FILE* file;
  uint64_t bytes;
  bool failed;
  char path[1024];  // final path of an upload (written to path + ".part" first)
};

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int respond(lws* wsi, unsigned status, std::string_view body) {
  return proxy::http::respond(wsi, status, "text/plain", body);
}

void discard(Transfer& t) {
  if (t.file != nullptr) {
    std::fclose(t.file);
    t.file = nullptr;
    std::remove((std::string(t.path) + ".part").c_str());
  }
}

int onHttp(lws* wsi, Transfer& t, FileServer& server, std::string_view uri) {
  static auto refused = proxy::counters::get("groupchat.files.refused");
  const bool upload = lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0;
  const bool download = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
  if ((!upload && !download) || !uri.starts_with(kPrefix)) {
    refused.add();
    return respond(wsi, 404, "not found\n");
  }
  const std::string token(uri.substr(kPrefix.size()));
  auto granted = server.store_->consumeFileToken(token, upload, nowMs());
  if (!granted) {
    refused.add();
    return respond(wsi, 403, "bad token\n");
  }
  const std::string name = safeFileName(granted->file_name);
  if (name.empty() || !isUuid(granted->room)) {
    refused.add();
    return respond(wsi, 400, "bad file name\n");
  }
  const std::filesystem::path dir = std::filesystem::path(server.options_.dir) / granted->room;
  const std::string path = (dir / name).string();
  if (download) {
    if (!std::filesystem::exists(path) ||
        lws_serve_http_file(wsi, path.c_str(), "application/octet-stream", nullptr, 0) < 0) {
      return respond(wsi, 404, "no such file\n");
    }
    return 0;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (path.size() >= sizeof t.path || ec) {
    return respond(wsi, 500, "cannot store\n");
  }
  std::snprintf(t.path, sizeof t.path, "%s", path.c_str());
  t.file = std::fopen((path + ".part").c_str(), "wb");
  t.bytes = 0;
  t.failed = t.file == nullptr;
  return 0;  // the body follows
}

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* server = static_cast<FileServer*>(lws_context_user(lws_get_context(wsi)));
  auto* t = static_cast<Transfer*>(user);
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      return onHttp(wsi, *t, *server, std::string_view(static_cast<const char*>(in)));
    case LWS_CALLBACK_HTTP_BODY:
      if (t->file != nullptr && !t->failed) {
        t->bytes += len;
        if (t->bytes > server->options_.max_bytes || std::fwrite(in, 1, len, t->file) != len) {
          t->failed = true;
        }
      }
      return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
      if (t->file == nullptr) {
        return respond(wsi, 500, "cannot store\n");
      }
      if (t->failed) {
        const bool too_big = t->bytes > server->options_.max_bytes;
        discard(*t);
        return respond(wsi, too_big ? 413 : 500, too_big ? "too large\n" : "cannot store\n");
      }
      const bool flushed = std::fflush(t->file) == 0 && ::fsync(fileno(t->file)) == 0;
      std::fclose(t->file);
      t->file = nullptr;
      const std::string part = std::string(t->path) + ".part";
      if (!flushed || std::rename(part.c_str(), t->path) != 0) {
        std::remove(part.c_str());
        return respond(wsi, 500, "cannot store\n");
      }
      static auto stored = proxy::counters::get("groupchat.files.stored");
      stored.add();
      return respond(wsi, 201, "stored\n");
    }
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
      if (t != nullptr) {
        discard(*t);  // a connection that died mid-upload leaves nothing behind
      }
      break;
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
      return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const lws_protocols kProtocols[] = {
    {"http", callback, sizeof(Transfer), 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

std::string safeFileName(std::string_view name) {
  const size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) || c == '.' || c == '-' || c == '_' || u >= 0x80 ? c : '_');
  }
  if (out.empty() || out.front() == '.' || out.size() > 200) {
    return {};  // no hidden files, no "..", no overlong names
  }
  return out;
}

proxy::Result<std::unique_ptr<FileServer>> FileServer::start(
    FileServerOptions options, std::shared_ptr<GroupChatStore> store) {
  std::unique_ptr<FileServer> server(new FileServer());
  server->options_ = std::move(options);
  server->store_ = std::move(store);
  const FileServerOptions& o = server->options_;
  auto http = proxy::http::HttpServer::start(
      {"group-chat file endpoint", o.address, o.port, o.certificate, o.private_key, "files"},
      kProtocols, server.get());
  if (!http) {
    return http.error();
  }
  server->http_ = std::move(*http);
  return server;
}

FileServer::~FileServer() = default;

std::string FileServer::serverUri() const { return http_->baseUrl() + "/files"; }

}  // namespace core::groupchat
