// SPDX-License-Identifier: Apache-2.0
// The validated configuration: plain structs mirroring conf/confab.yaml (which
// documents every key; conf/README.md is the reference). loadConfig() is the only
// way to get one: it applies the defaults, checks every value and reports
// problems as "file:line:column: key.path: what was expected". A Config is built
// on the main thread at start-up or reload and then only read, so any thread may
// share it by const reference.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/log.h"
#include "proxy/base/result.h"
#include "proxy/config/cidr.h"
#include "proxy/config/ha1.h"

namespace proxy::config {

// Relative paths (var_dir, certificates, storage.path) are kept as written, i.e.
// relative to the working directory of the process, not to the config file.

struct ServerConfig {
  uint32_t workers = 1;  // shards; 0 = one per CPU core
  log::Level log_level = log::Level::Info;
  bool trace_sip = false;
  std::string var_dir = "var";
};

enum class Transport { Udp, Tcp, Tls };
std::string_view transportName(Transport transport);  // "udp", "tcp", "tls"

struct ListenerConfig {
  Transport transport = Transport::Udp;
  std::string address;      // an IPv4 or IPv6 literal, without brackets
  uint16_t port = 5060;     // 0 = an ephemeral port (tests)
  std::string certificate;  // PEM paths; set exactly when transport is Tls
  std::string private_key;
};

struct StorageConfig {
  std::string path = "var/confab.db";
  uint32_t batch_max = 512;
  uint32_t batch_delay_us = 2000;
};

struct AuthConfig {
  std::string realm;  // never empty after loading: defaults to the first domain
  std::vector<DigestAlgorithm> algorithms = {DigestAlgorithm::Sha256, DigestAlgorithm::Md5};
  uint32_t nonce_lifetime_s = 300;
  bool challenge_register = true;
  bool challenge_requests = true;
  std::vector<Cidr> trusted_networks;
  // User-Agent prefixes (case-insensitive) challenged with MD5 only: clients that
  // give up on a challenge list naming an algorithm they lack, instead of skipping
  // it as RFC 8760 §2.4 asks (Debian 12's baresip 1.0 / libre 1.1 does).
  std::vector<std::string> md5_only_user_agents = {"baresip"};
  // NTLM ([MS-SIPAE]) for OCS/Lync-dialect clients, which cannot do digest.
  bool ntlm = true;
  std::string ntlm_targetname;  // our FQDN in NTLM challenges; default "confab.<first domain>"

  // True when the address lies in one of trusted_networks.
  bool isTrusted(std::string_view ip) const;
  bool isTrusted(const sockaddr* address) const;
};

// A static user from the YAML file. Either HA1 may be empty (given as a hash for
// one algorithm only); a user that came with `password:` has both.
struct UserConfig {
  std::string aor;  // "alice@example.test", lowercase
  std::string ha1_md5;
  std::string ha1_sha256;
  // The password when one was given: NTLM needs its own hash (MD4 of UTF-16), which
  // the layers above derive (core_ntlm); the YAML file holds it in clear anyway.
  std::string password;
};

struct RegistrarConfig {
  uint32_t min_expires = 60;
  uint32_t max_expires = 3600;
  uint32_t default_expires = 3600;
  uint32_t max_contacts_per_aor = 16;
};

struct LimitsConfig {
  uint32_t max_message_size = 65535;
  uint32_t max_headers = 128;
  uint32_t max_connections = 10000;
  uint32_t max_connections_per_source = 256;
  uint32_t requests_per_second_per_source = 0;  // 0 = unlimited
  uint32_t tcp_idle_timeout_s = 600;
  uint32_t tcp_message_timeout_s = 30;
  uint32_t max_forwards = 70;
  // Overload (503 + Retry-After for new PUBLISH/SUBSCRIBE/SERVICE/REGISTER and offline
  // MESSAGEs; proxy/routing/overload.h): durable writes queued in the store, and NOTIFYs
  // of one worker awaiting their answer. 0 = no limit.
  uint32_t store_queue_max = 100000;
  uint32_t notify_pending_max = 50000;
  uint32_t overload_retry_after_s = 5;
};

struct TransactionConfig {
  uint32_t t1_ms = 500;
  uint32_t t2_ms = 4000;
  uint32_t t4_ms = 5000;
};

// One authorization rule from the YAML file (presence.rules), applied at start.
struct PresenceRuleConfig {
  std::string presentity;  // lowercase AOR in one of our domains
  std::string watcher;     // lowercase AOR; exactly one of watcher / domain is set
  std::string domain;      // lowercase domain
  std::string action;      // "allow", "confirm", "block" or "deny"
};

// `presence.xcap:`: the XCAP server (RFC 4825) for contact lists as resource-lists
// documents (RFC 4826), HTTP Digest over the SIP users (the auth realm).
struct XcapConfig {
  bool enabled = false;
  std::string address = "127.0.0.1";   // loopback unless the operator opens it
  uint16_t port = 5080;                // 0 = an ephemeral port (tests; see the ports file)
  std::string root = "/xcap";          // the XCAP root's path
  uint32_t max_document_size = 65536;  // bytes of a PUT body
  uint32_t max_lists = 64;             // per user (the default list "~" counts)
  uint32_t max_entries = 1000;         // per user, over all lists
  // HTTPS: certificate and private_key, or a tls listener's pair when both are empty.
  bool tls = false;
  std::string certificate;
  std::string private_key;
};

struct PresenceConfig {
  uint32_t publish_min_expires = 60;
  uint32_t publish_max_expires = 3600;
  uint32_t publish_default_expires = 3600;
  uint32_t subscribe_min_expires = 60;
  uint32_t subscribe_max_expires = 3600;
  uint32_t subscribe_default_expires = 3600;
  uint32_t min_notify_interval_ms = 200;
  // A publication changed again within this long of its last write is written when
  // it ends (removals at once): at most this much of a presentity's changes is lost
  // in a crash; watchers see every change at once either way.
  uint32_t publication_write_interval_ms = 1000;
  uint32_t max_subscriptions_per_watcher = 256;
  uint32_t max_watchers_per_presentity = 1000;
  uint32_t max_publication_size = 65536;  // bytes
  std::string federated = "deny";         // watchers of other domains without a rule
  std::vector<PresenceRuleConfig> rules;
  XcapConfig xcap;
};

// The `im:` section: offline delivery, the page <-> session bridge, flood limits.
struct ImConfig {
  std::string database;                    // "" = <var_dir>/im.db
  uint32_t max_body_size = 65536;          // bytes of one MESSAGE body; larger: 413
  uint32_t session_idle_timeout_s = 300;   // bridged sessions idle this long get a BYE
  uint32_t offline_max_messages = 100;     // stored per recipient; beyond: 480
  uint32_t offline_max_bytes = 1048576;    // stored bodies per recipient; beyond: 480
  uint32_t offline_max_age_s = 604800;     // undelivered older messages are dropped
  uint32_t offline_retry_interval_s = 30;  // re-offer refused offline messages
  uint32_t flood_max_messages = 100;       // per sender per window; 0 = unlimited; beyond: 503
  uint32_t flood_window_s = 10;
  uint32_t max_participants = 500;  // per multiparty conversation (focus)
  // How OCS-dialect (session-mode) participants see a multiparty conversation:
  // "mesh" = one dialog per other member (pidgin-sipe shows a chat with a roster),
  // "notice" = one session with the focus and text notices of joins and leaves.
  std::string ocs_multiparty = "mesh";

  // The database path, with the default resolved against `var_dir`.
  std::string databasePath(const std::string& var_dir) const;
};

// The `groupchat:` section: persistent group chat (XCCOS over SIP). See conf/confab.yaml.
struct GroupChatCategoryConfig {
  std::string name;  // unique; the key that ties YAML to the stored category
  std::string description;
};
struct GroupChatRoomConfig {
  std::string name;      // unique; the key that ties YAML to the stored room
  std::string category;  // a category name, or "" for the root
  std::string description, topic, keywords;
  std::string kind = "open";                               // open, closed or secret
  bool auditorium = false;                                 // only presenters and managers post
  uint32_t retention_days = 0;                             // 0 = keep for ever
  std::vector<std::string> members, managers, presenters;  // lowercase AORs
};
struct GroupChatConfig {
  bool enabled = true;
  std::string lookup_uri;                 // AOR; "" = ocschat@<first domain>
  std::vector<std::string> channel_uris;  // AORs; empty = {ocschat-channel@<first domain>}
  std::string database;                   // "" = <var_dir>/groupchat.db
  uint32_t session_expires = 600;         // seconds (RFC 4028), at most what the client asks
  uint32_t min_session_expires = 90;      // Min-SE
  uint32_t message_size_limit = 512;      // bytes of one post (rpl:getserverinfo)
  uint32_t story_size_limit = 4096;
  uint32_t search_limit = 100;                // rooms per chansrch answer
  uint32_t max_history = 200;                 // posts per bccontext answer
  uint32_t bjoin_history = 10;                // contextual posts per room after bjoin
  uint32_t max_sessions = 20000;              // channel sessions per channel service
  uint32_t max_posts_in_flight = 64;          // per session, before posts get 503 + Retry-After
  std::string file_service_uri;               // serveruri of file tokens; "" = the endpoint's
  std::string file_address;                   // HTTP file endpoint address; "" = no endpoint
  uint32_t file_port = 0;                     // its port; 0 = ephemeral (tests)
  std::string file_dir;                       // "" = <var_dir>/groupchat-files
  uint32_t max_file_size = 10 * 1024 * 1024;  // bytes of one upload; larger gets 413
  bool file_tls = false;         // serve the file endpoint over HTTPS (serveruri https://)
  std::string file_certificate;  // PEM paths; "" = the TLS listener's (resolved when read)
  std::string file_private_key;
  std::vector<GroupChatCategoryConfig> categories;
  std::vector<GroupChatRoomConfig> rooms;
};

// The `federation:` section: other SIP domains we exchange presence and IM with.
enum class FederationPolicy { Closed, Open };  // closed: listed peers only; open: any not blocked
enum class PeerDialect { Standard, Microsoft };
struct FederationNextHop {
  std::string host;   // IP literal or host name (resolved A/AAAA, no SRV)
  uint16_t port = 0;  // 0 = 5060 (udp/tcp) or 5061 (tls)
  Transport transport = Transport::Tls;
};
struct FederationPeerConfig {
  std::string domain;                        // lowercase; unique
  std::vector<FederationNextHop> next_hops;  // empty = RFC 3263 discovery through DNS; several =
                                             // tried in order (failover)
  // How an inbound request proves it comes from this peer: a TLS connection whose
  // certificate names the domain (RFC 5922), or a source address in `sources`.
  std::vector<Cidr> sources;
  bool require_tls = false;  // refuse this peer's requests over plain TCP/UDP
  bool mutual_tls = false;   // outbound: present our certificate; inbound: require theirs
  PeerDialect dialect = PeerDialect::Standard;  // Standard: msrtc/ms-* headers are stripped
  uint32_t requests_per_second = 0;             // 0 = federation.requests_per_second_per_peer
  std::string presence;  // "" = presence.federated; else allow | confirm | block | deny
};
struct FederationConfig {
  bool enabled = false;  // true when the section is present
  FederationPolicy policy = FederationPolicy::Closed;
  std::vector<std::string> blocked_domains;  // open policy: never federate with these
  std::vector<FederationPeerConfig> peers;
  // DNS (c-ares on the event loop). Empty servers = the system resolver
  // configuration; "127.0.0.1:5353" style entries for tests and split DNS.
  std::vector<std::string> dns_servers;
  uint32_t dns_timeout_ms = 2000;
  uint32_t dns_max_ttl_s = 3600;     // cached answers live min(TTL, this)
  uint32_t dns_negative_ttl_s = 30;  // failed lookups are cached this long
  // TLS towards and from peers: CA bundle ("" = system default paths), and the
  // certificate we present as a client for mutual TLS ("" = the TLS listener's).
  std::string ca_file;
  std::string certificate;
  std::string private_key;
  uint32_t requests_per_second_per_peer = 500;  // beyond: 503 + Retry-After, counted
  bool hide_topology = true;                    // strip internal Via/Contact details on the way out

  const FederationPeerConfig* peer(std::string_view domain) const;  // case-insensitive
  bool isBlocked(std::string_view domain) const;
};

// The `adapters:` section: plugins (shared objects, adapters/api/confab_adapter.h)
// and the Prometheus endpoint.
struct AdapterConfig {
  std::string name;         // unique; names the plugin in logs and metrics
  std::string path;         // shared object; relative to the working directory
  std::string config_yaml;  // the plugin's own `config:` mapping, re-emitted as YAML text
  std::vector<std::string> identities;  // AORs in our domains whose requests go to the plugin
  uint32_t call_timeout_ms = 2000;      // a callback running longer marks the plugin stalled
  uint32_t queue_limit = 10000;         // events waiting for the plugin; beyond: dropped, counted
};
struct AdaptersConfig {
  std::vector<AdapterConfig> plugins;
  std::string metrics_address;  // Prometheus /metrics; "" = off
  uint16_t metrics_port = 0;    // 0 = ephemeral (tests; the bound port is logged)
};

struct Config {
  ServerConfig server;
  std::vector<std::string> domains;       // lowercase, at least one, no duplicates
  std::vector<ListenerConfig> listeners;  // at least one
  StorageConfig storage;
  AuthConfig auth;
  std::vector<UserConfig> users;
  RegistrarConfig registrar;
  LimitsConfig limits;
  TransactionConfig transactions;
  PresenceConfig presence;
  ImConfig im;
  GroupChatConfig groupchat;
  FederationConfig federation;
  AdaptersConfig adapters;
  std::string source_path;  // the file it was loaded from (or the name given to parseConfig)

  bool isLocalDomain(std::string_view domain) const;  // case-insensitive
};

// Reads and validates a YAML file. On failure the Error detail holds every
// problem found, one "path:line:column: key: message" per line, earliest first.
Result<Config> loadConfig(const std::string& path);

// Same, for text already in memory; `source_name` prefixes the messages.
Result<Config> parseConfig(std::string_view yaml_text, const std::string& source_name);

// Checks an address-of-record ("user@domain") against the configured domains and
// returns it lowercased; the Error detail explains what is wrong (no position).
Result<std::string> normalizeAor(std::string_view aor, const std::vector<std::string>& domains);

// normalizeAor() without the domain check: "user@domain", trimmed and lowercased.
Result<std::string> checkAorSyntax(std::string_view aor);

// The user part of an AOR (before '@'): the digest username.
std::string_view aorUser(std::string_view aor);

// A user with both HA1s computed for `realm`. The password is not kept.
UserConfig makeUser(std::string aor, std::string_view realm, std::string_view password);

}  // namespace proxy::config
