// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/ntlm/ntlm_server.h"

#include <openssl/rand.h>

#include <cstdio>

#include "proxy/base/random.h"
#include "proxy/base/strings.h"  // parseUnsigned

namespace core::registrar::ntlm {
namespace {

constexpr size_t kMaxGssapiData = 16 * 1024;  // base64 chars; real AUTHENTICATEs are < 1 KiB
constexpr size_t kNetbiosNameMax = 15;
constexpr uint64_t kReplayWindow = 64;

proxy::Error unknownAssociation() {
  return proxy::makeError(401, "NTLM: unknown or expired security association");
}

std::string hex32(uint32_t value) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08X", value);
  return buf;
}

std::string netbiosName(std::string_view label) {
  std::string out(label.substr(0, kNetbiosNameMax));
  for (char& c : out) {
    c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

}  // namespace

TargetNames targetNamesFor(std::string_view targetname) {
  TargetNames names;
  names.dns_computer = std::string(targetname);
  const size_t dot = targetname.find('.');
  const std::string_view host = targetname.substr(0, dot);
  const std::string_view domain =
      dot == std::string_view::npos ? targetname : targetname.substr(dot + 1);
  names.dns_domain = std::string(domain);
  names.netbios_computer = netbiosName(host);
  names.netbios_domain = netbiosName(domain.substr(0, domain.find('.')));
  return names;
}

NtlmServer::NtlmServer(const proxy::Clock& clock, NtHashLookup lookup, NtlmServerConfig config)
    : clock_(clock), lookup_(std::move(lookup)), config_(config) {}

std::string NtlmServer::challengeOffer(std::string_view realm, std::string_view targetname) const {
  std::string out = "NTLM realm=\"";
  out += realm;
  out += "\", targetname=\"";
  out += targetname;
  out += "\", version=" + std::to_string(config_.version);
  return out;
}

std::string NtlmServer::newOpaque() const {
  const uint64_t r = proxy::random64();
  return hex32(static_cast<uint32_t>(r >> 32)) + hex32(static_cast<uint32_t>(r));
}

void NtlmServer::sweep(int64_t now_ms, bool room_for_pending, bool room_for_association) {
  // Drops expired entries, and the oldest live ones while more than `keep` remain.
  auto clean = [now_ms](auto& map, std::deque<Expiry>& order, size_t keep) {
    while (!order.empty()) {
      const Expiry& oldest = order.front();
      auto it = map.find(oldest.opaque);
      const bool live = it != map.end() && it->second.expires_at_ms == oldest.at_ms;
      if (live && oldest.at_ms > now_ms && map.size() <= keep) {
        break;
      }
      if (live) {
        map.erase(it);
      }
      order.pop_front();
    }
    // Entries for challenges/SAs already used or forgotten linger until their
    // expiry; compact when they outnumber the live ones.
    if (order.size() > 2 * map.size() + 64) {
      std::deque<Expiry> kept;
      for (Expiry& e : order) {
        auto it = map.find(e.opaque);
        if (it != map.end() && it->second.expires_at_ms == e.at_ms) {
          kept.push_back(std::move(e));
        }
      }
      order.swap(kept);
    }
  };
  const auto limit = [](size_t max, bool room) { return room && max > 0 ? max - 1 : max; };
  clean(pending_, pending_order_, limit(config_.max_pending, room_for_pending));
  clean(associations_, association_order_, limit(config_.max_associations, room_for_association));
}

proxy::Result<Challenge> NtlmServer::challenge(std::string_view realm, std::string_view targetname,
                                               std::string_view client_gssapi_data) {
  if (!client_gssapi_data.empty()) {
    if (client_gssapi_data.size() > kMaxGssapiData) {
      return proxy::makeError(400, "NTLM: gssapi-data too long");
    }
    std::optional<Bytes> raw = fromBase64(client_gssapi_data);
    if (!raw) {
      return proxy::makeError(400, "NTLM: gssapi-data is not base64");
    }
    if (auto negotiate = decodeNegotiate(*raw); !negotiate) {
      return negotiate.error();
    }
  }
  if (!cryptoAvailable()) {
    return proxy::makeError(500, "NTLM: crypto unavailable");
  }
  const int64_t now = clock_.monotonicMs();
  sweep(now, /*room_for_pending=*/true, /*room_for_association=*/false);

  Pending pending;
  if (config_.server_challenge_source) {
    pending.server_challenge = config_.server_challenge_source();
  } else if (RAND_bytes(pending.server_challenge.data(),
                        static_cast<int>(pending.server_challenge.size())) != 1) {
    return proxy::makeError(500, "NTLM: no randomness");
  }
  const TargetNames names = targetNamesFor(targetname);
  ChallengeMessage message;
  message.flags = kChallengeFlags;
  message.server_challenge = pending.server_challenge;
  message.target_name = names.netbios_computer;  // TARGET_TYPE_SERVER: our own name
  message.target_info = encodeTargetInfo(names);
  pending.challenge_message = encodeChallenge(message);
  pending.realm = std::string(realm);
  pending.targetname = std::string(targetname);
  pending.version = config_.version;
  pending.expires_at_ms = now + config_.challenge_lifetime_ms;

  Challenge out;
  out.opaque = newOpaque();
  out.gssapi_data = toBase64(pending.challenge_message);
  out.realm = pending.realm;
  out.targetname = pending.targetname;
  out.version = pending.version;
  pending_order_.push_back(Expiry{pending.expires_at_ms, out.opaque});
  pending_.insert_or_assign(out.opaque, std::move(pending));
  return out;
}

std::string NtlmServer::challengeHeader(const Challenge& c) {
  return "NTLM opaque=\"" + c.opaque + "\", gssapi-data=\"" + c.gssapi_data + "\", targetname=\"" +
         c.targetname + "\", realm=\"" + c.realm + "\", version=" + std::to_string(c.version);
}

proxy::Result<Logon> NtlmServer::authenticate(std::string_view opaque,
                                              std::string_view gssapi_data) {
  const int64_t now = clock_.monotonicMs();
  sweep(now, /*room_for_pending=*/false, /*room_for_association=*/false);
  auto it = pending_.find(std::string(opaque));
  if (it == pending_.end() || it->second.expires_at_ms < now) {
    return proxy::makeError(401, "NTLM: unknown or expired challenge");
  }
  const Pending pending = std::move(it->second);
  pending_.erase(it);  // single use, whatever the outcome

  if (gssapi_data.size() > kMaxGssapiData) {
    return proxy::makeError(400, "NTLM: gssapi-data too long");
  }
  const std::optional<Bytes> raw = fromBase64(gssapi_data);
  if (!raw) {
    return proxy::makeError(400, "NTLM: gssapi-data is not base64");
  }
  auto message = decodeAuthenticate(*raw);
  if (!message) {
    return message.error();
  }
  if (!(message->flags & kNegotiateExtendedSessionSecurity) || !(message->flags & kNegotiateSign)) {
    return proxy::makeError(403, "NTLM: client refused signing");
  }
  const std::optional<NtHash> nt_hash = lookup_(message->user, message->domain);
  if (!nt_hash) {
    return proxy::makeError(403, "NTLM: wrong credentials");
  }
  auto verified = verifyResponse(*message, *nt_hash, pending.server_challenge, config_.policy);
  if (!verified) {
    return verified.error();
  }
  auto keys =
      deriveSessionKeys(message->flags, verified->key_exchange_key, message->encrypted_session_key);
  if (!keys) {
    return keys.error();
  }
  if (verified->mic_present) {
    if (!message->mic_offset) {
      return proxy::makeError(400, "NTLM: MIC announced but missing");
    }
    const std::optional<Key16> mic = computeMic(
        keys->exported_session_key, pending.challenge_message, *raw, *message->mic_offset);
    if (!mic || !equalSecret(*mic, ByteView(*raw).subspan(*message->mic_offset, 16))) {
      return proxy::makeError(403, "NTLM: MIC mismatch");
    }
  }

  SecurityAssociation sa;
  sa.user = message->user;
  sa.domain = message->domain;
  sa.realm = pending.realm;
  sa.targetname = pending.targetname;
  sa.version = pending.version;
  sa.keys = *keys;
  sa.expires_at_ms = now + config_.association_lifetime_ms;
  sweep(now, /*room_for_pending=*/false, /*room_for_association=*/true);
  std::string key(opaque);
  association_order_.push_back(Expiry{sa.expires_at_ms, key});
  associations_.insert_or_assign(key, std::move(sa));

  Logon logon;
  logon.opaque = std::move(key);
  logon.user = message->user;
  logon.domain = message->domain;
  logon.workstation = message->workstation;
  logon.kind = verified->kind;
  return logon;
}

const SecurityAssociation* NtlmServer::find(std::string_view opaque) { return live(opaque); }

SecurityAssociation* NtlmServer::live(std::string_view opaque) {
  const int64_t now = clock_.monotonicMs();
  auto it = associations_.find(std::string(opaque));
  if (it == associations_.end()) {
    return nullptr;
  }
  if (it->second.expires_at_ms < now) {
    associations_.erase(it);
    return nullptr;
  }
  return &it->second;
}

proxy::Result<SignedMessage> NtlmServer::sign(std::string_view opaque, const SignedFields& fields) {
  SecurityAssociation* sa = live(opaque);
  if (sa == nullptr) {
    return unknownAssociation();
  }
  SignedMessage out;
  out.srand = hex32(static_cast<uint32_t>(proxy::random64()));
  out.snum = std::to_string(sa->next_snum++);
  SignatureContext context;
  context.rand = out.srand;
  context.num = out.snum;
  context.realm = sa->realm;
  context.targetname = sa->targetname;
  context.version = sa->version;
  const std::string buffer = signatureBuffer(context, fields);
  const std::optional<Signature> mac =
      computeMac(sa->keys.flags, sa->keys.server_signing_key, sa->keys.server_sealing_key,
                 kSipaeSeqNum, bytesOf(buffer));
  if (!mac) {
    return proxy::makeError(500, "NTLM: crypto unavailable");
  }
  out.rspauth = toHex(*mac);
  out.header = "NTLM rspauth=\"" + out.rspauth + "\", srand=\"" + out.srand + "\", snum=\"" +
               out.snum + "\", opaque=\"" + std::string(opaque) +
               "\", qop=\"auth\", targetname=\"" + sa->targetname + "\", realm=\"" + sa->realm +
               "\"";
  return out;
}

proxy::Result<void> NtlmServer::verifyRequest(std::string_view opaque, const SignedFields& fields,
                                              std::string_view crand, std::string_view cnum,
                                              std::string_view response_hex) {
  SecurityAssociation* sa = live(opaque);
  if (sa == nullptr) {
    return unknownAssociation();
  }
  const std::optional<uint64_t> number = proxy::parseUnsigned<uint64_t>(cnum);
  if (!number || *number == 0) {
    return proxy::makeError(403, "NTLM: bad cnum");
  }
  if (*number <= sa->highest_cnum) {
    const uint64_t behind = sa->highest_cnum - *number;
    if (behind == 0 || behind > kReplayWindow || (sa->seen_below >> (behind - 1)) & 1) {
      return proxy::makeError(403, "NTLM: replayed or stale cnum");
    }
  }
  const std::optional<Bytes> given = fromHex(response_hex);
  if (!given || given->size() != sizeof(Signature)) {
    return proxy::makeError(403, "NTLM: malformed signature");
  }
  // Sign with the SeqNum the client wrote (100 from every known client).
  const uint32_t seq = (*given)[12] | ((*given)[13] << 8) | ((*given)[14] << 16) |
                       (static_cast<uint32_t>((*given)[15]) << 24);
  SignatureContext context;
  context.rand = crand;
  context.num = cnum;
  context.realm = sa->realm;
  context.targetname = sa->targetname;
  context.version = sa->version;
  const std::string buffer = signatureBuffer(context, fields);
  const std::optional<Signature> expected =
      computeMac(sa->keys.flags, sa->keys.client_signing_key, sa->keys.client_sealing_key, seq,
                 bytesOf(buffer));
  if (!expected || !equalSecret(*expected, *given)) {
    return proxy::makeError(403, "NTLM: bad signature");
  }
  if (*number > sa->highest_cnum) {
    const uint64_t ahead = *number - sa->highest_cnum;
    sa->seen_below = ahead >= kReplayWindow ? 0 : (sa->seen_below << ahead);
    if (sa->highest_cnum != 0 && ahead <= kReplayWindow) {
      sa->seen_below |= uint64_t{1} << (ahead - 1);  // the old highest is now "seen"
    }
    sa->highest_cnum = *number;
  } else {
    sa->seen_below |= uint64_t{1} << (sa->highest_cnum - *number - 1);
  }
  return {};
}

void NtlmServer::forget(std::string_view opaque) { associations_.erase(std::string(opaque)); }

}  // namespace core::registrar::ntlm
