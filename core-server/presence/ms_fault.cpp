// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/ms_fault.h"

#include "core-server/presence/xml_writer.h"

namespace core::presence {

std::string renderWrongDeltaFault(std::span<const PublicationConflict> conflicts) {
  std::string out;
  XmlWriter w(out);
  w.declaration();
  w.open("Fault");
  w.leaf("Faultcode", kFaultWrongDelta);
  w.open("details");
  for (const PublicationConflict& c : conflicts) {
    w.open("operation");
    w.attribute("index", std::to_string(c.index));
    w.attribute("version", std::to_string(c.version));
    w.attribute("curVersion", std::to_string(c.current_version));
    w.close();
  }
  w.close();
  w.close();
  return out;
}

}  // namespace core::presence
