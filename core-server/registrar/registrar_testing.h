// SPDX-License-Identifier: Apache-2.0
// Test helpers for core_registrar_tests only: a Poster that queues or runs
// tasks at once, a Store that can be told to fail, REGISTER text builders, a
// digest client, and a Harness wiring one shard's registrar objects together.
#pragma once

#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core-server/registrar/authenticator.h"
#include "core-server/registrar/location_service.h"
#include "core-server/registrar/registrar.h"
#include "core-server/registrar/user_directory.h"
#include "core-server/storage/store.h"
#include "proxy/base/clock.h"
#include "proxy/sip/digest.h"
#include "proxy/sip/sip_message.h"
#include "proxy/transport/transport.h"

namespace core::registrar::testing {

namespace sip = proxy::sip;

inline constexpr std::string_view kRealm = "example.test";

// Runs posted tasks immediately, or keeps them until run() when `queue` is set.
class TestPoster {
 public:
  bool queue = false;
  storage::Poster poster() {
    return [this](std::function<void()> task) {
      if (queue) {
        tasks_.push_back(std::move(task));
      } else {
        task();
      }
    };
  }
  size_t pending() const { return tasks_.size(); }
  void run() {
    while (!tasks_.empty()) {
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      task();
    }
  }

 private:
  std::deque<std::function<void()>> tasks_;
};

// The memory store, with writes that can be made to fail.
class FlakyStore final : public storage::Store {
 public:
  bool fail_saves = false;
  bool fail_deletes = false;
  size_t saves = 0, deletes = 0, expired_sweeps = 0;
  std::unique_ptr<storage::Store> inner = storage::openMemoryStore();

  std::vector<storage::UserRecord> loadUsers() override { return inner->loadUsers(); }
  bool putUser(const storage::UserRecord& u) override { return inner->putUser(u); }
  bool deleteUser(const std::string& aor) override { return inner->deleteUser(aor); }
  bool changedExternally() override { return inner->changedExternally(); }
  std::vector<storage::BindingRecord> loadBindings() override { return inner->loadBindings(); }
  void saveBinding(storage::BindingRecord b, storage::Poster post,
                   std::function<void(bool)> done) override {
    ++saves;
    if (fail_saves) {
      post([done = std::move(done)] { done(false); });
      return;
    }
    inner->saveBinding(std::move(b), std::move(post), std::move(done));
  }
  void deleteBinding(std::string aor, std::string contact, storage::Poster post,
                     std::function<void(bool)> done) override {
    ++deletes;
    if (fail_deletes) {
      post([done = std::move(done)] { done(false); });
      return;
    }
    inner->deleteBinding(std::move(aor), std::move(contact), std::move(post), std::move(done));
  }
  void deleteExpiredBindings(int64_t now) override {
    ++expired_sweeps;
    inner->deleteExpiredBindings(now);
  }
  std::vector<storage::StateRecord> loadStates(const std::string& kind, int64_t now) override {
    return inner->loadStates(kind, now);
  }
  void putState(storage::StateRecord r, storage::Poster post,
                std::function<void(bool)> done) override {
    inner->putState(std::move(r), std::move(post), std::move(done));
  }
  void deleteState(std::string kind, std::string key, storage::Poster post,
                   std::function<void(bool)> done) override {
    inner->deleteState(std::move(kind), std::move(key), std::move(post), std::move(done));
  }
  void deleteExpiredStates(int64_t now) override { inner->deleteExpiredStates(now); }
  void flush() override { inner->flush(); }
};

inline sip::SipMessage parseOrDie(std::string_view text) {
  auto msg = sip::SipMessage::parse(text);
  if (!msg) {
    throw std::runtime_error("test message does not parse: " + msg.error().detail);
  }
  return std::move(*msg);
}

inline proxy::transport::Flow testFlow(
    std::string_view ip = "192.0.2.10", uint16_t port = 5060,
    proxy::transport::Protocol protocol = proxy::transport::Protocol::Udp) {
  proxy::transport::Flow flow;
  flow.protocol = protocol;
  flow.remote = *proxy::transport::Address::fromIpPort(ip, port);
  flow.local = *proxy::transport::Address::fromIpPort("192.0.2.1", 5060);
  flow.connection_id = protocol == proxy::transport::Protocol::Udp ? 0 : 7;
  return flow;
}

// A REGISTER for `user`@example.test with the given Contact values and extra header lines.
struct Reg {
  std::string user = "alice";
  std::string call_id = "call-1";
  uint32_t cseq = 1;
  std::vector<std::string> contacts;
  std::vector<std::string> extra;  // full header lines without CRLF
  std::string ruri = "sip:example.test";

  std::string text() const {
    std::string t = "REGISTER " + ruri + " SIP/2.0\r\n";
    t += "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-" + std::to_string(cseq) + call_id +
         "\r\n";
    t += "Max-Forwards: 70\r\n";
    t += "From: <sip:" + user + "@example.test>;tag=ft1\r\n";
    t += "To: <sip:" + user + "@example.test>\r\n";
    t += "Call-ID: " + call_id + "\r\n";
    t += "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
    for (const auto& c : contacts) {
      t += "Contact: " + c + "\r\n";
    }
    for (const auto& e : extra) {
      t += e + "\r\n";
    }
    t += "Content-Length: 0\r\n\r\n";
    return t;
  }
};

// Parses a `Digest realm=.., nonce=..` challenge (the syntax of credentials).
struct ParsedChallenge {
  std::string realm, nonce, opaque, algorithm;
  bool stale = false;
};
inline ParsedChallenge parseChallenge(std::string_view value) {
  auto c = sip::parseCredentials(value);
  ParsedChallenge out;
  if (c) {
    out.realm = std::string(c->realm);
    out.nonce = std::string(c->nonce);
    out.opaque = std::string(c->opaque);
    out.algorithm = std::string(c->algorithm);
  }
  out.stale = value.find("stale=true") != std::string_view::npos;
  return out;
}

// The Authorization value a client with `password` sends in answer to `challenge`.
inline std::string answer(const ParsedChallenge& challenge, std::string_view username,
                          std::string_view password, std::string_view method, std::string_view uri,
                          uint32_t nc, std::string_view realm = kRealm) {
  const auto alg = *sip::parseAlgorithm(challenge.algorithm);
  char nc_hex[9];
  std::snprintf(nc_hex, sizeof(nc_hex), "%08x", nc);
  const std::string ha1 = sip::computeHa1(alg, username, realm, password);
  const std::string cnonce = "0a4f113b";
  const std::string response =
      sip::computeResponse(alg, ha1, method, uri, challenge.nonce, nc_hex, cnonce, "auth");
  return "Digest username=\"" + std::string(username) + "\", realm=\"" + std::string(realm) +
         "\", nonce=\"" + challenge.nonce + "\", uri=\"" + std::string(uri) + "\", response=\"" +
         response + "\", algorithm=" + challenge.algorithm + ", cnonce=\"" + cnonce +
         "\", qop=auth, nc=" + nc_hex + ", opaque=\"" + challenge.opaque + "\"";
}

inline storage::UserRecord makeUser(std::string_view user, std::string_view password) {
  storage::UserRecord u;
  u.aor = std::string(user) + "@example.test";
  u.realm = std::string(kRealm);
  u.ha1_md5 = sip::computeHa1(sip::DigestAlgorithm::Md5, user, kRealm, password);
  u.ha1_sha256 = sip::computeHa1(sip::DigestAlgorithm::Sha256, user, kRealm, password);
  return u;
}

// One shard's registrar objects over a FlakyStore and a ManualClock.
struct Harness {
  explicit Harness(RegistrarOptions ropts = {}, AuthOptions aopts = defaultAuth())
      : users(UserTable::build({}, {makeUser("alice", "secret"), makeUser("bob", "hunter2")})),
        auth(std::move(aopts), key, users, clock),
        location(clock, store),
        registrar(withDomain(std::move(ropts)), location, auth, store, poster.poster(), clock) {}

  static AuthOptions defaultAuth() {
    AuthOptions a;
    a.realm = std::string(kRealm);
    return a;
  }
  static RegistrarOptions withDomain(RegistrarOptions o) {
    if (!o.is_local_domain) {
      o.is_local_domain = [](std::string_view host) { return host == "example.test"; };
    }
    return o;
  }

  // Sends a REGISTER; returns how many replies arrived for it so far (0 or 1).
  size_t send(const std::string& text, const proxy::transport::Flow& flow = testFlow()) {
    const size_t before = replies.size();
    auto msg = parseOrDie(text);
    registrar.handleRegister(msg, flow, [this](std::string r) { replies.push_back(std::move(r)); });
    return replies.size() - before;
  }
  sip::SipMessage last() const { return parseOrDie(replies.back()); }

  // Runs a full challenge/response exchange; returns the final response.
  sip::SipMessage registerAuthenticated(Reg reg, std::string_view password = "secret",
                                        std::string_view algorithm = "SHA-256") {
    send(reg.text());
    auto challenge = last();
    for (auto v : challenge.headers(sip::HeaderName::WwwAuthenticate)) {
      ParsedChallenge c = parseChallenge(v);
      if (c.algorithm == algorithm) {
        reg.cseq += 1;
        reg.extra.push_back("Authorization: " +
                            answer(c, reg.user, password, "REGISTER", reg.ruri, 1));
        send(reg.text());
        return last();
      }
    }
    return challenge;
  }

  proxy::ManualClock clock;
  FlakyStore store;
  TestPoster poster;
  NonceKey key = NonceKey::generate();
  UserDirectory users;
  Authenticator auth;
  LocationService location;
  Registrar registrar;
  std::vector<std::string> replies;
};

}  // namespace core::registrar::testing
