// SPDX-License-Identifier: Apache-2.0
#include "proxy/sip/dialog_request.h"

#include <doctest/doctest.h>

namespace proxy::sip {

TEST_CASE("a dialog request head: routes in order, To tag only when known") {
  const std::vector<std::string> routes = {"<sip:p1.test;lr>", "<sip:p2.test;lr>"};
  std::string out;
  appendDialogRequestHead(out, {"NOTIFY", "sip:w@10.0.0.1:5060", routes, "sip:a@example.test", "lt",
                                "sip:w@example.test", "rt", "c1", 7, "<sip:a@127.0.0.1>"});
  CHECK(out ==
        "NOTIFY sip:w@10.0.0.1:5060 SIP/2.0\r\n"
        "Route: <sip:p1.test;lr>\r\nRoute: <sip:p2.test;lr>\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:a@example.test>;tag=lt\r\n"
        "To: <sip:w@example.test>;tag=rt\r\n"
        "Call-ID: c1\r\nCSeq: 7 NOTIFY\r\nContact: <sip:a@127.0.0.1>\r\n");
  const std::vector<std::string> none;
  std::string bye;
  appendDialogRequestHead(
      bye, {"BYE", "sip:x@h", none, "sip:a@d", "l", "sip:x@d", "", "c", 2, "<sip:a@h>"});
  CHECK(bye.find("To: <sip:x@d>\r\n") != std::string::npos);
  CHECK(bye.find("Route:") == std::string::npos);
  CHECK(bye.find("CSeq: 2 BYE\r\n") != std::string::npos);
}

}  // namespace proxy::sip
