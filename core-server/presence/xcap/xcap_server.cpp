// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/xcap/xcap_server.h"

#include <variant>

#include "core-server/presence/xcap/xcap_document.h"
#include "core-server/presence/xcap/xcap_errors.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/base/strings.h"

namespace core::presence::xcap {
namespace {

using proxy::http::HttpRequest;
using proxy::http::HttpResponse;

constexpr std::string_view kCapsType = "application/xcap-caps+xml";

HttpResponse plain(unsigned status, std::string text) {
  return HttpResponse{status, "text/plain", std::move(text) + "\n", {}};
}

HttpResponse responseOf(XcapOutcome outcome) {
  HttpResponse r{outcome.status, std::move(outcome.content_type), std::move(outcome.body), {}};
  if (!outcome.etag.empty() && (outcome.status < 300 || outcome.status == 304)) {
    r.headers.push_back({"ETag", outcome.etag});
  }
  return r;
}

std::string_view domainOf(std::string_view aor) {
  const size_t at = aor.rfind('@');
  return at == std::string_view::npos ? aor : aor.substr(at + 1);
}

}  // namespace

std::string capsDocument() {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("xcap-caps");
  w.attribute("xmlns", "urn:ietf:params:xml:ns:xcap-caps");
  w.open("auids");
  w.leaf("auid", "resource-lists");
  w.leaf("auid", "xcap-caps");
  w.close();
  w.open("extensions");
  w.close();
  w.open("namespaces");
  w.leaf("namespace", kResourceListsNs);
  w.leaf("namespace", "urn:ietf:params:xml:ns:xcap-caps");
  w.leaf("namespace", kXcapErrorNs);
  w.close();
  w.close();
  return out;
}

XcapOutcome runOnShard(MsPresence& ms, StandardEventList* lists, const std::string& aor,
                       const XcapOperation& op, const XcapLimits& limits) {
  const MsAccount* account = ms.account(aor);
  XcapOutcome outcome = runXcap(op.method, op.node, op.body, op.conditions,
                                account != nullptr ? &account->contacts : nullptr, limits);
  if (outcome.next) {
    static auto edits = proxy::counters::get("xcap.edits");
    edits.add();
    ms.replaceContacts(aor, std::move(*outcome.next), outcome.deltas);
    outcome.next.reset();
    if (lists != nullptr) {
      lists->contactsChanged(aor);
    }
  }
  return outcome;
}

proxy::Result<std::unique_ptr<XcapServer>> XcapServer::start(
    XcapServerOptions options, std::shared_ptr<const registrar::UserTable> users,
    OwnerRunner run_on_owner, const proxy::Clock& clock) {
  std::unique_ptr<XcapServer> server(new XcapServer());
  while (options.root.size() > 1 && options.root.ends_with('/')) {
    options.root.pop_back();
  }
  if (options.http.thread_tag.empty()) {
    options.http.thread_tag = "xcap";
  }
  server->options_ = std::move(options);
  server->run_on_owner_ = std::move(run_on_owner);
  server->digest_ = std::make_unique<HttpDigest>(server->options_.digest, std::move(users), clock);
  XcapServer* self = server.get();
  auto http = proxy::http::RequestServer::start(
      server->options_.http, server->options_.limits.xml.max_bytes,
      [self](HttpRequest request, proxy::http::Reply reply) {
        self->handle(std::move(request), std::move(reply));
      });
  if (!http) {
    return http.error();
  }
  server->http_ = std::move(*http);
  return server;
}

XcapServer::~XcapServer() {
  http_.reset();  // no request is handled after this
}

void XcapServer::handle(HttpRequest request, proxy::http::Reply reply) {
  static auto requests = proxy::counters::get("xcap.requests");
  requests.add();
  auto path = parseXcapPath(request.path, options_.root);
  if (!path) {
    reply(plain(static_cast<unsigned>(path.error().status), path.error().detail));
    return;
  }
  if (path->target == XcapTarget::Caps) {
    if (request.method != "GET") {
      reply(HttpResponse{405, "text/plain", "xcap-caps is read-only\n", {{"Allow", "GET"}}});
      return;
    }
    reply(HttpResponse{200, std::string(kCapsType), capsDocument(), {}});
    return;
  }
  const DigestOutcome auth =
      digest_->check(request.method, request.path, request.authorization, domainOf(path->user));
  if (const auto* challenge = std::get_if<DigestChallenge>(&auth)) {
    HttpResponse r = plain(401, "authentication required");
    for (std::string& value : digest_->challenges(challenge->stale)) {
      r.headers.push_back({"WWW-Authenticate", std::move(value)});
    }
    reply(std::move(r));
    return;
  }
  if (std::get<DigestUser>(auth).aor != path->user) {
    static auto forbidden = proxy::counters::get("xcap.forbidden");
    forbidden.add();
    reply(plain(403, "a user may only use their own documents"));
    return;
  }
  if (request.method != "GET" && request.method != "PUT" && request.method != "DELETE") {
    reply(HttpResponse{405, "text/plain", "method not allowed\n", {{"Allow", "GET, PUT, DELETE"}}});
    return;
  }
  if (request.method == "PUT") {
    // RFC 4825 §8.2.1: a document is application/resource-lists+xml, an element
    // application/xcap-el+xml.
    const std::string_view wanted =
        path->node.kind == NodeKind::Document ? kResourceListsType : kElementType;
    std::string_view type = request.content_type;
    type = proxy::trim(type.substr(0, type.find(';')));
    if (!proxy::iequals(type, wanted)) {
      reply(plain(415, "Content-Type must be " + std::string(wanted)));
      return;
    }
  }
  auto op = std::make_shared<XcapOperation>(
      XcapOperation{request.method, path->node, std::move(request.body),
                    XcapConditions{std::move(request.if_match), std::move(request.if_none_match)}});
  const XcapLimits limits = options_.limits;
  run_on_owner_(path->user, [op, limits, aor = path->user, reply = std::move(reply)](
                                MsPresence* ms, StandardEventList* lists) {
    if (ms == nullptr) {
      reply(plain(503, "shutting down"));
      return;
    }
    reply(responseOf(runOnShard(*ms, lists, aor, *op, limits)));
  });
}

}  // namespace core::presence::xcap
