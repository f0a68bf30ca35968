// SPDX-License-Identifier: Apache-2.0
// The body of the 409 Conflict a SERVICE publish gets when a publication carries
// a stale version (MS-PRES optimistic concurrency; PROTOCOLS.md (b)). The client
// reads <Faultcode> and, per <operation>, the 1-based index of its publication
// and our current version, then republishes (sipe-ocs2007.c
// process_send_presence_category_publish_response).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace core::presence {

inline constexpr std::string_view kMsFaultContentType = "application/msrtc-fault+xml";
inline constexpr std::string_view kFaultWrongDelta = "Client.BadCall.WrongDelta";

struct PublicationConflict {
  uint32_t index = 0;            // 1-based position of the publication in the request
  uint32_t version = 0;          // the version the client sent
  uint32_t current_version = 0;  // the version we hold
};

// <Fault><Faultcode>Client.BadCall.WrongDelta</Faultcode><details>
//   <operation index="N" version="V" curVersion="C"/>...</details></Fault>
// (the shape of the MS-PRES 409 example; the root has no namespace there).
std::string renderWrongDeltaFault(std::span<const PublicationConflict> conflicts);

}  // namespace core::presence
