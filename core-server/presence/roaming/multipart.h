// SPDX-License-Identifier: Apache-2.0
// multipart/related bodies (RFC 2387) as RFC 4662 eventlist NOTIFYs and MS
// batched presence NOTIFYs carry them: the root part (RLMI) first, then one part
// per resource state, each with a Content-ID the RLMI instance's cid names.
//   Content-Type: multipart/related;type="application/rlmi+xml";
//                 start="<rlmi.B@example.com>";boundary="B"
//   --B\r\nContent-ID: <rlmi.B@example.com>\r\n
//   Content-Type: application/rlmi+xml;charset="UTF-8"\r\n\r\n<list ...>\r\n--B\r\n ... --B--\r\n
// sipe only looks for "application/rlmi+xml" in the Content-Type header and then
// dispatches each part on its own Content-Type (sipe-notify.c sipe_process_presence,
// sipe_presence_mime_cb).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace core::presence::roaming {

struct MimePart {
  std::string content_type;  // "application/pidf+xml", "application/msrtc-event-categories+xml"
  std::string content_id;    // without the angle brackets: "r1.B@example.com"
  std::string body;

  bool operator==(const MimePart&) const = default;
};

struct MultipartBody {
  std::string content_type;  // the whole Content-Type header value
  std::string body;
};

// A boundary from a caller-supplied random number (this code does no I/O and
// owns no random source): "confab-" + 16 hex digits.
std::string makeBoundary(uint64_t random);

// parts[0] is the root: its type goes into type=, its Content-ID into start=
// (RFC 2387 §3.2). Every part needs a content type and a Content-ID. Error 500
// if the boundary occurs in a part body (pick another boundary) or a header
// value would contain CR/LF.
proxy::Result<MultipartBody> buildMultipartRelated(std::string_view boundary,
                                                   const std::vector<MimePart>& parts);

// Splits a multipart body using the boundary of `content_type`. Parts without
// Content-Type read as text/plain (RFC 2046 defaults). 400s: no boundary
// parameter, no opening or closing delimiter, more than `max_parts` parts, a
// part without a header/body separator.
proxy::Result<std::vector<MimePart>> parseMultipart(std::string_view content_type,
                                                    std::string_view body, size_t max_parts = 1024);

// A Content-Type parameter, unquoted ("" when absent): boundary, type, start.
std::string contentTypeParameter(std::string_view content_type, std::string_view name);

}  // namespace core::presence::roaming
