// SPDX-License-Identifier: Apache-2.0
#include "core-server/im/stages/focus.h"

#include "core-server/im/im_formats.h"
#include "proxy/base/counters.h"
#include "proxy/base/strings.h"
#include "proxy/sip/name_addr.h"

namespace core::im {

bool isFocusAor(std::string_view aor) {
  const size_t at = aor.find('@');
  return aor.starts_with(kFocusPrefix) && at != std::string_view::npos &&
         at > kFocusPrefix.size();  // a non-empty id
}

Conversation& Focus::getOrCreate(const std::string& focus_aor) {
  auto it = conversations_.find(focus_aor);
  if (it == conversations_.end()) {
    it = conversations_.emplace(focus_aor, Conversation(focus_aor, max_participants_)).first;
  }
  return it->second;
}

const Conversation* Focus::find(std::string_view focus_aor) const {
  auto it = conversations_.find(std::string(focus_aor));
  return it == conversations_.end() ? nullptr : &it->second;
}

int Focus::onMessage(const std::string& focus_aor, const std::string& sender_aor,
                     std::string content_type, std::string body) {
  static auto fanned = proxy::counters::get("im.focus.copies");
  Conversation& c = getOrCreate(focus_aor);
  switch (c.add(sender_aor)) {
    case Conversation::Join::Full:
      return 486;
    case Conversation::Join::Added:
      announce(c, sender_aor, true);
      break;
    case Conversation::Join::Already:
      break;
  }
  const bool typing = proxy::toLower(content_type).starts_with(kIsComposingType);
  // From the focus, with the writer as display name: a reply goes to everyone.
  const std::string from = "\"" + sender_aor + "\" " + aorNameAddr(focus_aor);
  for (const std::string& p : c.others(sender_aor)) {
    PageMessage m{from, p, aorNameAddr(p), content_type, body, 0, {}};
    relay_(std::move(m), /*store_if_offline=*/!typing, [](int) {});
    fanned.add();
  }
  return 202;  // accepted for distribution; offline participants get it stored
}

int Focus::onRefer(const std::string& focus_aor, const std::string& sender_aor,
                   std::string_view refer_to) {
  auto target = proxy::sip::NameAddr::parse(refer_to);
  if (!target || !target->uri().isSip() || target->uri().user().empty()) {
    return 400;
  }
  const std::string aor = target->uri().aor();
  const proxy::sip::Param* method = target->uri().param("method");
  Conversation& c = getOrCreate(focus_aor);
  if (c.add(sender_aor) == Conversation::Join::Added) {  // the creator, or a newcomer
    announce(c, sender_aor, true);
  }
  if (method != nullptr && proxy::toLower(method->value) == "bye") {
    if (!c.remove(aor)) {
      return 404;
    }
    announce(c, aor, false);
    return 202;
  }
  if (!known_(aor)) {
    return 404;
  }
  switch (c.add(aor)) {
    case Conversation::Join::Full:
      return 486;
    case Conversation::Join::Already:
      return 202;
    case Conversation::Join::Added:
      announce(c, aor, true);
      return 202;
  }
  return 500;
}

void Focus::onLeft(const std::string& focus_aor, const std::string& aor) {
  auto it = conversations_.find(focus_aor);
  if (it != conversations_.end() && it->second.remove(aor)) {
    announce(it->second, aor, false);
  }
}

void Focus::announce(const Conversation& c, std::string_view aor, bool joined) {
  const std::string roster = c.conferenceInfo();
  const std::string notice = Conversation::notice(aor, joined);
  for (const std::string& p : c.participants()) {
    PageMessage m{aorNameAddr(c.focusAor()),
                  p,
                  aorNameAddr(p),
                  std::string(kConferenceInfoType),
                  roster,
                  0,
                  notice};
    relay_(std::move(m), /*store_if_offline=*/false, [](int) {});
  }
}

}  // namespace core::im
