// SPDX-License-Identifier: Apache-2.0
#include "proxy/transaction/request_builders.h"

namespace proxy::transaction {
namespace {

void appendHeader(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

// The start line, Via and Route shared by ACK and CANCEL.
std::string beginHopRequest(const sip::SipMessage& invite, std::string_view method) {
  std::string out;
  out.reserve(512);
  out += method;
  out += ' ';
  out += invite.requestUri();
  out += " SIP/2.0\r\n";
  appendHeader(out, "Via", invite.header(sip::HeaderName::Via));
  for (std::string_view route : invite.headers(sip::HeaderName::Route)) {
    appendHeader(out, "Route", route);
  }
  appendHeader(out, "Max-Forwards", "70");
  return out;
}

void finishHopRequest(std::string& out, const sip::SipMessage& invite, std::string_view to,
                      std::string_view method) {
  appendHeader(out, "From", invite.header(sip::HeaderName::From));
  appendHeader(out, "To", to);
  appendHeader(out, "Call-ID", invite.callId());
  auto cseq = invite.cseq();
  std::string cseq_value = std::to_string(cseq ? cseq->number : 0);
  cseq_value += ' ';
  cseq_value += method;
  appendHeader(out, "CSeq", cseq_value);
  appendHeader(out, "Content-Length", "0");
  out += "\r\n";
}

}  // namespace

std::string buildAck(const sip::SipMessage& invite, const sip::SipMessage& response) {
  std::string out = beginHopRequest(invite, "ACK");
  finishHopRequest(out, invite, response.header(sip::HeaderName::To), "ACK");
  return out;
}

std::string buildCancel(const sip::SipMessage& invite) {
  std::string out = beginHopRequest(invite, "CANCEL");
  finishHopRequest(out, invite, invite.header(sip::HeaderName::To), "CANCEL");
  return out;
}

std::optional<sip::SipMessage> buildSyntheticResponse(const sip::SipMessage& request, int status) {
  std::string text = sip::ResponseBuilder(request, status, sip::defaultReason(status)).build();
  auto parsed = sip::SipMessage::parse(text);
  if (!parsed) {
    return std::nullopt;
  }
  return std::move(*parsed);
}

}  // namespace proxy::transaction
