// SPDX-License-Identifier: Apache-2.0
// Result codes for `<resp code="N">TEXT</resp>` in XCCOS replies. Only
// 200 SUCCESS_OK is confirmed on the wire (sipe, SfBServerEnforcer); clients
// (sipe) test code == 200 and show TEXT to the user otherwise. The failure
// codes are HTTP-like numbers with upper-case tokens, our choice until a
// capture or the spec says otherwise (see XCCOS.md). Keep them in this table.
#pragma once

#include <string_view>

namespace core::groupchat {

struct ResultCode {
  int code = 200;
  std::string_view text;
  friend bool operator==(const ResultCode&, const ResultCode&) = default;
};

namespace xccos {

inline constexpr ResultCode kSuccess{200, "SUCCESS_OK"};              // verified
inline constexpr ResultCode kBadRequest{400, "BAD_REQUEST"};          // bad command data
inline constexpr ResultCode kAccessDenied{403, "ACCESS_DENIED"};      // not allowed
inline constexpr ResultCode kNotFound{404, "NOT_FOUND"};              // no such room/pref/…
inline constexpr ResultCode kConflict{409, "DATA_COLLISION"};         // stale pref seqid
inline constexpr ResultCode kLimitExceeded{413, "LIMIT_EXCEEDED"};    // over a size limit
inline constexpr ResultCode kServerError{500, "SERVER_ERROR"};        // our fault
inline constexpr ResultCode kNotImplemented{501, "NOT_IMPLEMENTED"};  // unknown command
inline constexpr ResultCode kServiceUnavailable{503, "SERVICE_UNAVAILABLE"};  // retry later

}  // namespace xccos

// The reply code for a proxy::Error status from this codec or a service
// (400, 403, 404, 409, 413, 501, 503 map to themselves; anything else is 500).
inline ResultCode resultCodeFor(int status) {
  for (const ResultCode& code : {xccos::kSuccess, xccos::kBadRequest, xccos::kAccessDenied,
                                 xccos::kNotFound, xccos::kConflict, xccos::kLimitExceeded,
                                 xccos::kNotImplemented, xccos::kServiceUnavailable}) {
    if (code.code == status) {
      return code;
    }
  }
  return xccos::kServerError;
}

}  // namespace core::groupchat
