// SPDX-License-Identifier: Apache-2.0
// The group-chat file endpoint: HTTP or HTTPS (proxy::http::HttpServer: libwebsockets on a
// libuv loop on a thread of its own), so that disk writes and fsyncs of uploads never stall a SIP
// shard (and lws tears its handles down on a loop nobody else walks). A client uploads with `PUT
// <serveruri>/<token>` and downloads with `GET <serveruri>/<token>`, where the token came from
// rpl:getftok: it is checked and consumed in the store (single use, unexpired, bound to user, room,
// file name and direction) before any byte is read or served. Files live under <dir>/<room
// uuid>/<file name>; uploads over max_bytes are refused (413) and never left half-written. The
// store is thread-safe; nothing else is shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core-server/groupchat/service/groupchat_store.h"
#include "proxy/base/result.h"
#include "proxy/http/http_server.h"

namespace core::groupchat {

struct FileServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0 = an ephemeral port (tests); see port()
  std::string dir;    // where files are kept
  uint64_t max_bytes = 10 * 1024 * 1024;
  // PEM paths: both set = HTTPS (the serveruri starts https://), both empty = plain HTTP.
  std::string certificate;
  std::string private_key;
};

class FileServer {
 public:
  static proxy::Result<std::unique_ptr<FileServer>> start(FileServerOptions options,
                                                          std::shared_ptr<GroupChatStore> store);
  ~FileServer();
  FileServer(const FileServer&) = delete;
  FileServer& operator=(const FileServer&) = delete;

  uint16_t port() const { return http_->port(); }
  // The serveruri to hand out in rpl:getftok.
  std::string serverUri() const;

  // Used by the HTTP callback (one request at a time per connection).
  FileServerOptions options_;
  std::shared_ptr<GroupChatStore> store_;

 private:
  FileServer() = default;
  std::unique_ptr<proxy::http::HttpServer> http_;  // last: stopped before the rest goes
};

// A file name safe to use as one path component ("" when nothing usable is left).
std::string safeFileName(std::string_view name);

}  // namespace core::groupchat
