// SPDX-License-Identifier: Apache-2.0
// One multiparty conversation held by the focus: who takes part (in join
// order), who gets a copy of each message, and its RFC 4575 conference-info
// document (the roster standard clients get on every join and leave). Pure
// state; the SIP side is core-server/im/stages/focus.*.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace core::im {

inline constexpr std::string_view kConferenceInfoType = "application/conference-info+xml";

class Conversation {
 public:
  Conversation(std::string focus_aor, size_t max_participants)
      : focus_aor_(std::move(focus_aor)), max_participants_(max_participants) {}

  enum class Join { Added, Already, Full };
  Join add(std::string_view aor);
  bool remove(std::string_view aor);
  bool has(std::string_view aor) const;

  // Everyone but `sender`: the copies of one message.
  std::vector<std::string> others(std::string_view sender) const;
  const std::vector<std::string>& participants() const { return participants_; }
  const std::string& focusAor() const { return focus_aor_; }
  uint32_t version() const { return version_; }  // +1 per change

  // RFC 4575 §5: a full-state document listing every participant.
  std::string conferenceInfo() const;
  // A plain-text line for clients that show no roster ("carol joined").
  static std::string notice(std::string_view aor, bool joined);

 private:
  std::string focus_aor_;
  size_t max_participants_;
  std::vector<std::string> participants_;
  uint32_t version_ = 0;
};

// Escapes text for XML character data and attribute values.
std::string xmlEscape(std::string_view text);

}  // namespace core::im
