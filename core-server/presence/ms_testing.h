// SPDX-License-Identifier: Apache-2.0
// Test-only: MS-PRES bodies shared by the presence model tests. The publish
// bodies are written from PROTOCOLS.md (b) and the SIPE_PUB_XML_* templates of
// sipe-ocs2007.c; the categories body follows the shape sipe's
// process_incoming_notify_rlmi() reads.
#pragma once

#include <doctest/doctest.h>

#include <string_view>

#include "core-server/presence/ms_categories.h"

namespace core::presence::testing {

inline constexpr std::string_view kProtocolsUserStatePublish =
    R"(<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence">
  <publications uri="sip:alice@contoso.com">
    <publication categoryName="state" instance="536870912" container="2" version="22" expireType="static">
      <state xmlns="http://schemas.microsoft.com/2006/09/sip/state" manual="true"
             xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="userState">
        <availability>15500</availability><endpointLocation/>
      </state>
    </publication>
    <publication categoryName="state" instance="536870912" container="3" version="22" expireType="static">
      <state xmlns="http://schemas.microsoft.com/2006/09/sip/state" manual="true"
             xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="userState">
        <availability>15500</availability><endpointLocation/>
      </state>
    </publication>
  </publications>
</publish>)";

inline constexpr std::string_view kSipeEndpointPublish =
    R"(<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:alice@contoso.com">)"
    R"(<publication categoryName="state" instance="926460663" container="2" version="22" expireType="endpoint">)"
    R"(<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" manual="false" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="machineState">)"
    R"(<availability>3500</availability><endpointLocation/></state></publication>)"
    R"(<publication categoryName="state" instance="2147483648" container="2" version="1" expireType="endpoint">)"
    R"(<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" manual="false" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="phoneState">)"
    R"(<availability>6500</availability><activity token="on-the-phone" minAvailability="6500" maxAvailability="8999"/></state></publication>)"
    R"(<publication categoryName="state" instance="1339299275" container="2" version="1" expireType="endpoint">)"
    R"(<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" manual="false" uri="sip:alice@contoso.com" startTime="2008-01-11T19:00:00Z" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="calendarState">)"
    R"(<availability>6500</availability><activity token="in-a-meeting" minAvailability="6500" maxAvailability="8999"></activity>)"
    R"(<endpointLocation/><meetingSubject>Customer Meeting</meetingSubject><meetingLocation>Conf Room 100</meetingLocation></state></publication>)"
    R"(<publication categoryName="device" instance="1938468728" container="2" version="1" expireType="endpoint">)"
    R"(<device xmlns="http://schemas.microsoft.com/2006/09/sip/device" endpointId="C707E38E-1E10-5413-94D9-ECAC260A0269">)"
    R"(<capabilities preferred="false" uri="sip:alice@contoso.com">)"
    R"(<text capture="true" render="true" publish="false"/><gifInk capture="false" render="true" publish="false"/>)"
    R"(<isfInk capture="false" render="true" publish="false"/><voice capture="true" render="true" publish="false"/>)"
    R"(</capabilities><timezone>00:00:00+01:00</timezone><machineName>BOSTON-OCS07</machineName></device></publication>)"
    R"(<publication categoryName="note" instance="0" container="200" version="2" expireType="static">)"
    R"(<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">In the office &amp; busy</body></note></publication>)"
    R"(<publication categoryName="note" instance="1073741825" container="200" version="1" expireType="static">)"
    R"(<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="OOF" uri="" startTime="2008-01-11T19:00:00Z" endTime="2008-01-15T19:00:00Z">On leave</body></note></publication>)"
    R"(<publication categoryName="state" instance="1251210982" container="2" version="3" expireType="endpoint" expires="0"/>)"
    R"(</publications></publish>)";

inline constexpr std::string_view kContactCardPublish =
    R"(<publish xmlns="http://schemas.microsoft.com/2006/09/sip/rich-presence"><publications uri="sip:alice@contoso.com">)"
    R"(<publication categoryName="contactCard" instance="0" container="200" version="1" expireType="static">)"
    R"(<contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard">)"
    R"(<identity><name><displayName>Alice &amp; Co</displayName></name></identity><title>Developer</title>)"
    R"(</contactCard></publication></publications></publish>)";

inline constexpr std::string_view kFederatedCategories =
    R"(<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="sip:bob@fabrikam.com">)"
    R"(<category name="state" instance="0" publishTime="2010-09-14T14:26:17.6206356Z" container="200" version="4">)"
    R"(<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance")"
    R"( xsi:type="aggregateState" lastActive="2010-09-14T14:20:00Z"><availability>6500</availability>)"
    R"(<activity token="in-a-meeting"/><meetingSubject>Budget</meetingSubject></state></category>)"
    R"(<category name="note" instance="0" publishTime="2010-09-14T14:26:17Z" container="200" version="2">)"
    R"(<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">Ask me about Confab</body></note></category>)"
    R"(<category name="note" instance="1" container="200" version="3"/>)"
    R"(<category name="contactCard" instance="0" container="200" version="1">)"
    R"(<contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard"><title>CTO</title></contactCard></category>)"
    R"(</categories>)";

inline CategoryPublish parsePublishOk(std::string_view xml) {
  auto r = parseCategoryPublish(xml, XmlLimits{});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  return std::move(*r);
}

}  // namespace core::presence::testing
