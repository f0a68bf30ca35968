// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/binding.h"

namespace core::registrar {

storage::BindingRecord Binding::toRecord(std::string_view aor) const {
  storage::BindingRecord r;
  r.aor = aor;
  r.contact = contact;
  r.instance = instance;
  r.flow = flow_token;
  r.call_id = call_id;
  r.cseq = cseq;
  r.expires_at = expires_at;
  r.q1000 = q1000;
  r.user_agent = user_agent;
  r.params = params;
  return r;
}

Binding Binding::fromRecord(const storage::BindingRecord& record) {
  Binding b;
  b.contact = record.contact;
  b.instance = record.instance;
  b.flow_token = record.flow;
  b.flow = proxy::transport::Flow::fromToken(record.flow);
  b.call_id = record.call_id;
  b.cseq = record.cseq;
  b.expires_at = record.expires_at;
  b.q1000 = record.q1000;
  b.user_agent = record.user_agent;
  b.params = record.params;
  return b;
}

std::string formatQ(int32_t q1000) {
  if (q1000 >= 1000) {
    return "1";
  }
  if (q1000 <= 0) {
    return "0";
  }
  std::string digits = std::to_string(1000 + q1000).substr(1);  // always three digits
  while (digits.back() == '0') {
    digits.pop_back();
  }
  return "0." + digits;
}

}  // namespace core::registrar
