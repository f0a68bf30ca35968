// SPDX-License-Identifier: Apache-2.0
// Test-only builders for model values. They spell out every field, so tests stay
// free of partial aggregate initialisers (-Wmissing-field-initializers in GCC
// also fires on designated ones).
#pragma once

#include <string>

#include "core-server/presence/presence_model.h"

namespace core::presence::testing {

inline Activity activity(std::string token, std::string custom = "") {
  Activity a;
  a.token = std::move(token);
  a.custom = std::move(custom);
  return a;
}

inline Note note(std::string text, NoteType type = NoteType::Personal, std::string lang = "") {
  Note n;
  n.text = std::move(text);
  n.lang = std::move(lang);
  n.type = type;
  return n;
}

}  // namespace core::presence::testing
