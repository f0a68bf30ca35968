// SPDX-License-Identifier: Apache-2.0
// The endpoint itself is covered end to end by tests/integration/test_groupchat.py.
#include "core-server/groupchat/files/file_server.h"

#include <doctest/doctest.h>

namespace core::groupchat {

TEST_CASE("file names from clients become one safe path component") {
  CHECK(safeFileName("notes.txt") == "notes.txt");
  CHECK(safeFileName("../../etc/passwd") == "passwd");
  CHECK(safeFileName("C:\\Users\\x\\report final.pdf") == "report_final.pdf");
  CHECK(safeFileName("..") == "");
  CHECK(safeFileName(".hidden") == "");
  CHECK(safeFileName("dir/") == "");
  CHECK(safeFileName("a\nb") == "a_b");
  CHECK(safeFileName(std::string(300, 'a')) == "");
  CHECK(safeFileName("grüße.txt") == "grüße.txt");
}

}  // namespace core::groupchat
