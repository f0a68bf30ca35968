// SPDX-License-Identifier: Apache-2.0
// XML namespaces and content types of the self-subscription and list documents
// (ROAMING.md), in one place so parsers, renderers and the SIP stage agree.
#pragma once

#include <string_view>

namespace core::presence::roaming {

namespace ns {
// SOAP 1.1 envelope and the MS-SIP contact-management method namespace
// (sip-soap.c sip_soap_request_full, MS-SIP §4.6/§4.8 examples).
inline constexpr std::string_view kSoapEnvelope = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kWinRtcSip = "http://schemas.microsoft.com/winrtc/2002/11/sip";
// MS-SIPREGE provisioning v2: the request list and the notification document.
inline constexpr std::string_view kProvisioningGroupList =
    "http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist";
inline constexpr std::string_view kProvisionGroupListNotification =
    "http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification";
// MS-PRES roaming self.
inline constexpr std::string_view kRoamingSelf =
    "http://schemas.microsoft.com/2006/09/sip/roaming-self";
inline constexpr std::string_view kPresenceSubscribers =
    "http://schemas.microsoft.com/2006/09/sip/presence-subscribers";
// RFC 3858 watcher info, RFC 4662 RLMI.
inline constexpr std::string_view kWatcherInfo = "urn:ietf:params:xml:ns:watcherinfo";
inline constexpr std::string_view kRlmi = "urn:ietf:params:xml:ns:rlmi";
}  // namespace ns

inline constexpr std::string_view kRoamingContactsContentType =
    "application/vnd-microsoft-roaming-contacts+xml";
inline constexpr std::string_view kSoapContentType = "application/SOAP+xml";
inline constexpr std::string_view kProvisioningV2ContentType =
    "application/vnd-microsoft-roaming-provisioning-v2+xml";
inline constexpr std::string_view kRoamingSelfContentType =
    "application/vnd-microsoft-roaming-self+xml";
inline constexpr std::string_view kWatcherInfoContentType = "application/watcherinfo+xml";
inline constexpr std::string_view kWpendingContentType = "text/xml+msrtc.wpending";
inline constexpr std::string_view kRlmiContentType = "application/rlmi+xml";
inline constexpr std::string_view kEventCategoriesContentType =
    "application/msrtc-event-categories+xml";

}  // namespace core::presence::roaming
