// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <pthread.h>

#include <set>
#include <string>
#include <thread>

#include "proxy/base/counters.h"
#include "proxy/base/hex.h"
#include "proxy/base/log.h"
#include "proxy/base/random.h"
#include "proxy/base/result.h"
#include "proxy/base/strings.h"

using namespace proxy;

TEST_CASE("Result carries a value or an error with its SIP status") {
  Result<int> good = 7;
  REQUIRE(good);
  CHECK(*good == 7);
  Result<int> bad = makeError(400, "Missing Call-ID");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().status == 400);
  CHECK(bad.error().detail == "Missing Call-ID");
  Result<void> fine;
  CHECK(fine.ok());
}

TEST_CASE("parseUnsigned rejects signs, blanks and overflow") {
  CHECK(parseUnsigned<uint32_t>("4294967295") == 4294967295u);
  CHECK_FALSE(parseUnsigned<uint32_t>("4294967296"));
  CHECK_FALSE(parseUnsigned<uint32_t>("-1"));
  CHECK_FALSE(parseUnsigned<uint32_t>(" 1"));
  CHECK_FALSE(parseUnsigned<uint32_t>(""));
}

TEST_CASE("iequals and trim") {
  CHECK(iequals("Content-Length", "content-LENGTH"));
  CHECK_FALSE(iequals("Via", "Vias"));
  CHECK(trim(" \t a b \r\n") == "a b");
}

TEST_CASE("counters count by name") {
  counters::resetForTest();
  auto c = counters::get("drops.test");
  c.add();
  counters::add("drops.test", 2);
  CHECK(c.value() == 3);
}

TEST_CASE("random tokens are the right length and differ") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto t = randomToken(16);
    CHECK(t.size() == 16);
    CHECK(t.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") == std::string::npos);
    seen.insert(t);
  }
  CHECK(seen.size() == 100);
  // Longer than one internal chunk, and across pool refills: every character used.
  std::set<char> chars;
  for (int i = 0; i < 100; ++i) {
    const std::string t = randomToken(100);
    REQUIRE(t.size() == 100);
    chars.insert(t.begin(), t.end());
  }
  CHECK(chars.size() == 36);
  CHECK(random64() != random64());
}

TEST_CASE("a thread's log tag is also its OS name, cut to the kernel's 15 characters") {
  auto nameAfter = [](std::string tag) {
    std::string name;
    std::thread t([&] {
      proxy::log::setThreadTag(tag);
      char buf[32] = {};
      pthread_getname_np(pthread_self(), buf, sizeof buf);
      name = buf;
    });
    t.join();
    return name;
  };
  CHECK(nameAfter("w0") == "confab-w0");
  CHECK(nameAfter("store") == "confab-store");
  CHECK(nameAfter("a-very-long-tag") == "confab-a-very-l");
}

TEST_CASE("hex output is lowercase, two digits per octet") {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  char out[8];
  proxy::hex::put(out, bytes, sizeof bytes);
  CHECK(std::string(out, sizeof out) == "000fa5ff");
  proxy::hex::putByte(out, 0x3c);
  CHECK(std::string(out, 2) == "3c");
}

TEST_CASE("log levels parse") {
  CHECK(log::parseLevel("debug") == log::Level::Debug);
  CHECK_FALSE(log::parseLevel("loud"));
}
