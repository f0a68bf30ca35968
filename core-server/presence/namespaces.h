// SPDX-License-Identifier: Apache-2.0
// The XML namespaces the presence documents use, in one place so parsers and
// renderers cannot disagree on a character.
#pragma once

#include <string_view>

namespace core::presence::ns {

// RFC 3863 PIDF, RFC 4479 data model, RFC 4480 RPID.
inline constexpr std::string_view kPidf = "urn:ietf:params:xml:ns:pidf";
inline constexpr std::string_view kDataModel = "urn:ietf:params:xml:ns:pidf:data-model";
inline constexpr std::string_view kRpid = "urn:ietf:params:xml:ns:pidf:rpid";
// Our own PIDF extension carrying the exact OCS availability and token, so that
// canonical -> PIDF -> canonical is lossless (see MAPPING.md). Watchers ignore it
// (RFC 3863 §4.3: unknown extensions MUST be ignored).
inline constexpr std::string_view kConfabOcs = "urn:x-confab:xml:ns:pidf:ocs";

// MS-PRES enhanced presence.
inline constexpr std::string_view kMsRichPresence =
    "http://schemas.microsoft.com/2006/09/sip/rich-presence";
inline constexpr std::string_view kMsCategories =
    "http://schemas.microsoft.com/2006/09/sip/categories";
inline constexpr std::string_view kMsState = "http://schemas.microsoft.com/2006/09/sip/state";
inline constexpr std::string_view kMsNote = "http://schemas.microsoft.com/2006/09/sip/note";
inline constexpr std::string_view kMsDevice = "http://schemas.microsoft.com/2006/09/sip/device";
inline constexpr std::string_view kMsBatchSubscribe =
    "http://schemas.microsoft.com/2006/01/sip/batch-subscribe";
inline constexpr std::string_view kMsCategoryList =
    "http://schemas.microsoft.com/2006/09/sip/categorylist";
inline constexpr std::string_view kMsContainerManagement =
    "http://schemas.microsoft.com/2006/09/sip/container-management";

inline constexpr std::string_view kXsi = "http://www.w3.org/2001/XMLSchema-instance";

}  // namespace core::presence::ns
