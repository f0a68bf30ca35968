// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/binding_plan.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "proxy/base/strings.h"
#include "proxy/sip/uri.h"

namespace core::registrar {
namespace {

using proxy::makeError;

// One binding of the AOR as the request goes along: a live one, untouched so far
// (referenced, not copied: most requests only refresh one binding of several),
// or one this request writes.
struct Slot {
  Slot() = default;
  explicit Slot(const Binding* live) : current(live) {}

  const Binding* current = nullptr;  // when !touched
  Binding fresh;                     // when touched
  bool touched = false;  // written by this request (so its old Call-ID/CSeq no longer count)

  const Binding& binding() const { return touched ? fresh : *current; }
};

// RFC 3261 §10.3 step 7 matches contacts by §19.1.4 URI equivalence.
bool sameContact(std::string_view a, std::string_view b) {
  if (a == b) {
    return true;
  }
  auto ua = proxy::sip::Uri::parse(a);
  auto ub = proxy::sip::Uri::parse(b);
  return ua && ub && ua->equivalent(*ub);
}

// RFC 5626 §6: a contact with +sip.instance replaces the binding of that instance;
// otherwise the binding with an equivalent URI.
std::optional<size_t> findSlot(const std::vector<Slot>& work, const ContactSpec& c) {
  if (!c.instance.empty()) {
    for (size_t i = 0; i < work.size(); ++i) {
      if (proxy::iequals(work[i].binding().instance, c.instance)) {
        return i;
      }
    }
  }
  for (size_t i = 0; i < work.size(); ++i) {
    if (sameContact(work[i].binding().contact, c.uri)) {
      return i;
    }
  }
  return std::nullopt;
}

// RFC 3261 §10.3 step 7: same Call-ID and a CSeq that is not higher aborts the request.
bool outOfOrder(const Binding& b, const RegisterRequest& req) {
  return b.call_id == req.call_id && req.cseq <= b.cseq;
}

Binding makeBinding(const RegisterRequest& req, const ContactSpec& c, const PlanContext& ctx) {
  Binding b;
  b.contact = c.uri;
  b.instance = c.instance;
  b.flow_token = ctx.flow.token();  // later requests to this contact go down this flow
  b.flow = ctx.flow;
  b.call_id = req.call_id;
  b.cseq = req.cseq;
  b.expires_at = ctx.now + static_cast<int64_t>(c.expires);
  b.q1000 = c.q1000;
  b.user_agent = req.user_agent;
  b.params = c.params;
  return b;
}

BindingPlan diff(const std::vector<const Binding*>& current, std::vector<Slot>&& work) {
  BindingPlan plan;
  for (const Binding* old : current) {
    const bool kept = std::any_of(work.begin(), work.end(), [&](const Slot& s) {
      return s.binding().contact == old->contact;
    });
    if (!kept) {
      plan.removals.push_back(old->contact);
    }
  }
  plan.puts.reserve(static_cast<size_t>(
      std::count_if(work.begin(), work.end(), [](const Slot& s) { return s.touched; })));
  for (Slot& s : work) {
    if (s.touched) {
      plan.puts.push_back(std::move(s.fresh));
    }
  }
  return plan;
}

// RFC 3261 §10.3 step 6: "*" removes every binding, unless one is out of order.
proxy::Result<BindingPlan> planWildcard(const RegisterRequest& req,
                                        const std::vector<const Binding*>& current) {
  BindingPlan plan;
  for (const Binding* b : current) {
    if (outOfOrder(*b, req)) {
      return makeError(500, "Out of order");
    }
    plan.removals.push_back(b->contact);
  }
  plan.has_granted = true;
  return plan;
}

}  // namespace

proxy::Result<BindingPlan> planBindings(const RegisterRequest& req,
                                        const std::vector<const Binding*>& current,
                                        const PlanContext& ctx) {
  if (req.wildcard) {
    return planWildcard(req, current);
  }
  std::vector<Slot> work;
  work.reserve(current.size() + req.contacts.size());
  for (const Binding* b : current) {
    work.emplace_back(b);
  }
  size_t added = 0;
  for (const ContactSpec& c : req.contacts) {
    auto index = findSlot(work, c);
    if (index && !work[*index].touched && outOfOrder(*work[*index].current, req)) {
      return makeError(500, "Out of order");
    }
    if (c.expires == 0) {
      if (index) {
        work.erase(work.begin() + static_cast<std::ptrdiff_t>(*index));
      }
      continue;
    }
    if (!index) {
      work.emplace_back();
      index = work.size() - 1;
      ++added;
    }
    Slot& slot = work[*index];  // built in place: a Binding is costly to move
    slot.current = nullptr;
    slot.fresh = makeBinding(req, c, ctx);
    slot.touched = true;
    // An instance that moved onto another binding's URI supersedes that binding.
    for (size_t j = work.size(); j-- > 0;) {
      if (j != *index && sameContact(work[j].binding().contact, c.uri)) {
        work.erase(work.begin() + static_cast<std::ptrdiff_t>(j));
        *index -= j < *index ? 1 : 0;
      }
    }
  }
  if (added > 0 && work.size() > ctx.max_contacts) {
    return makeError(403, "Too many contacts");
  }
  BindingPlan plan = diff(current, std::move(work));
  if (!req.contacts.empty()) {
    plan.has_granted = true;
    plan.granted = req.contacts.front().expires;
  }
  return plan;
}

}  // namespace core::registrar
