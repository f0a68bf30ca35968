// SPDX-License-Identifier: Apache-2.0
// Builds server→client XCCOS envelopes: the root carries xmlns:xsd/xmlns:xsi
// declarations, ver="1" and a 64-bit envid (as in the SfB capture), and holds
// one or more `<rpl>`, `<ntc>` and `<grpchat>` siblings, so replies, notices and
// history can be batched into one SIP INFO. Replies echo the client's envid and
// seqid in `<commandid>` and carry `<resp code>TEXT</resp>` and `<data>`.
// Interop note: sipe reads only the first kind present (rpl, else ntc, else
// grpchat) and its same-named siblings, so the session should batch only one
// kind per envelope; homogeneous() tells. Single-threaded value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core-server/groupchat/xccos_codes.h"
#include "core-server/groupchat/xccos_commands.h"
#include "core-server/groupchat/xccos_replies.h"
#include "core-server/groupchat/xccos_writer.h"

namespace core::groupchat {

// The client command a reply answers: its envelope's envid and its seqid.
struct CommandRef {
  uint64_t envid = 0;
  uint64_t seqid = 0;
};

class EnvelopeBuilder {
 public:
  explicit EnvelopeBuilder(uint64_t envid);

  // <rpl id="rpl:<name>" seqid=N><commandid/><resp/><data>…</data></rpl>.
  // `name` is the reply name (see replyNameFor()); error replies pass the
  // error code and EmptyReply.
  EnvelopeBuilder& reply(std::string_view name, const CommandRef& ref, const ResultCode& code,
                         const ReplyData& data);
  // The reply to a decoded client command, named by replyNameFor(request.name).
  EnvelopeBuilder& replyTo(const ClientEnvelope& request, const ResultCode& code,
                           const ReplyData& data);
  // The error reply for an UnknownCommand (501) or InvalidCommand (400) cmd. Not for
  // posts: a bad grpchat has no XCCOS reply; answer its INFO with a SIP 4xx instead.
  EnvelopeBuilder& rejectTo(const ClientEnvelope& request);
  // <ntc id="ntc:join|ntc:bjoin|ntc:part" seqid=N><data>…</data></ntc>.
  EnvelopeBuilder& notice(const Notice& notice);
  // <grpchat id="grpchat" seqid=N chanUri author ts><chat>text</chat></grpchat>.
  EnvelopeBuilder& chat(const ChatMessage& message);

  size_t count() const { return count_; }       // sibling elements added so far
  size_t bytes() const { return xml_.size(); }  // for splitting batches by size
  // True when every sibling so far has the same kind (all rpl, all ntc or all grpchat).
  bool homogeneous() const { return !mixed_; }

  // Closes the envelope and returns the XML text. The builder is spent.
  std::string finish();

 private:
  enum class Kind { None, Reply, Notice, Chat };
  void begin(Kind kind);

  XmlWriter xml_;
  Kind kind_ = Kind::None;
  bool mixed_ = false;
  uint64_t next_seqid_ = 1;
  size_t count_ = 0;
};

// Writes one reply's <data> element; exposed for tests and for services that
// want to size a payload before batching it.
void writeReplyData(XmlWriter& xml, const ReplyData& data);

}  // namespace core::groupchat
