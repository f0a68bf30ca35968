// SPDX-License-Identifier: Apache-2.0
// RFC 4662 resource lists for standard clients: a user SUBSCRIBEs (Event:
// presence, Supported: eventlist) to its contact list, named
// sip:<user>@<domain>;list=<anything> (the `list` URI parameter: the request
// lands on the user's own shard, where the list is kept), and gets
// multipart/related NOTIFYs: an RLMI document (full state first and after
// every refresh, then one partial document per member change) and one PIDF
// part per member it may see. Authorization is each member's: allowed members
// are active with their PIDF, blocked ones active and offline, pending
// (confirm) ones pending without a body, denied ones terminated;reason=rejected.
//
// Members' presence lives on the shards that own them: each list member is a
// PresenceService local watcher there (MemberShards::run), whose updates come
// back to this shard. Membership is read from the contact list at SUBSCRIBE
// and at each refresh. Persisted (RecordKind::EventList, one record per dialog,
// through the service's store): after a restart a refresh gets 200, and at the
// first tick the members are watched again and the full state is sent.
// Shard-thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core-server/presence/roaming/contact_list.h"
#include "core-server/presence/roaming/eventlist.h"
#include "core-server/presence/roaming/rlmi.h"
#include "core-server/presence/service/presence_service.h"
#include "core-server/presence/stages/held_subscriptions.h"
#include "proxy/base/clock.h"

namespace core::presence {

class StandardEventList;

// Where list members' presence lives.
class MemberShards {
 public:
  virtual ~MemberShards() = default;
  virtual unsigned here() const = 0;
  virtual unsigned ownerOf(std::string_view aor) const = 0;
  // Runs `task` on `shard` with its presence service and eventlist (null while
  // that one is being destroyed): at once when it is here, else posted; dropped
  // when that shard is gone.
  virtual void run(unsigned shard,
                   std::function<void(PresenceService&, StandardEventList*)> task) = 0;
};

class StandardEventList {
 public:
  static constexpr std::string_view kListParam = "list";
  // A list's first NOTIFY waits for no member: a member on another shard starts
  // pending and its state follows in a partial NOTIFY.
  using ContactLists = std::function<const roaming::ContactList*(std::string_view aor)>;

  StandardEventList(PresenceService& service, NotifySink& sink, const proxy::Clock& clock,
                    MemberShards& shards, std::string cid_domain);
  ~StandardEventList();
  StandardEventList(const StandardEventList&) = delete;
  StandardEventList& operator=(const StandardEventList&) = delete;

  void setContactLists(ContactLists lists) { lists_ = std::move(lists); }
  bool hasContactLists() const { return static_cast<bool>(lists_); }

  // `subscriber`'s SUBSCRIBE to its list `list_uri`: 200 (then sendOwedNotify),
  // 404 (no contact list), 423, 482. Expires 0: one full NOTIFY, terminated.
  SubscribeResult subscribe(std::string subscriber, std::string list_uri, std::string event_id,
                            DialogState dialog, std::optional<uint32_t> expires);
  std::optional<SubscriptionId> findDialog(std::string_view call_id, std::string_view local_tag,
                                           std::string_view remote_tag) const;
  SubscribeResult refresh(SubscriptionId id, std::optional<uint32_t> expires, uint32_t remote_cseq,
                          std::string remote_target, std::string flow_token);
  void sendOwedNotify(SubscriptionId id);
  const DialogState* dialog(SubscriptionId id) const;
  // `subscriber`'s contact list changed (an XCAP edit): its list subscriptions watch the
  // new members, stop watching the removed ones and get a full-state NOTIFY.
  void contactsChanged(std::string_view subscriber);
  // Ends expired list subscriptions and restarts restored ones (members watched again,
  // full state). Call when nextDeadlineMs() is due (and about once a second as a backstop).
  void expire();
  std::optional<int64_t> nextDeadlineMs() const;
  size_t size() const { return lists_by_id_.size(); }
  // Start-up: the EventList records of the subscribers `owns` says are this shard's.
  void load(const std::vector<PresenceRecord>& records,
            const std::function<bool(std::string_view aor)>& owns);

  // On a member's shard (MemberShards::run): start / stop watching `member` for
  // `subscriber`'s list on shard `home`; updates go back with memberChanged().
  static void watchMember(PresenceService& service, MemberShards& shards, unsigned home,
                          SubscriptionId list, uint64_t watch, std::string member,
                          std::string subscriber);
  // Back on the list's shard: what `subscriber` may see of a member now.
  void memberChanged(SubscriptionId list, uint64_t watch, Decision decision, Presence presence);

 private:
  struct Member {
    uint64_t watch = 0;  // the local watcher id on the member's shard
    unsigned shard = 0;
    roaming::ResourceState state;
  };
  struct List : HeldSubscription {
    std::string subscriber;
    std::string list_uri;
    roaming::RlmiVersion version;
    std::vector<Member> members;
    bool restored = false;  // members not watched yet since the restart
  };

  void startMembers(List& list);
  void stopMembers(List& list);
  void send(List& list, const std::vector<roaming::ResourceState>& resources, bool full);
  void sendFull(List& list);  // every member's state
  void remove(SubscriptionId id);
  void persist(List& list);

  PresenceService& service_;
  NotifySink& sink_;
  const proxy::Clock& clock_;
  MemberShards& shards_;
  std::string cid_domain_;
  ContactLists lists_;
  std::unordered_map<SubscriptionId, List> lists_by_id_;
  DialogIndex index_;
  SubscriptionId next_id_ = 1;
  uint64_t next_watch_ = 1;
};

}  // namespace core::presence
