// SPDX-License-Identifier: Apache-2.0
// Small request helpers of the HTTP presence API: AOR normalisation, header and query access on
// a libwebsockets request, and the availability names a client may PUT.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace adapters::http_presence {

std::string lower(std::string s);
// "sip:Alice@Example.test" → "alice@example.test"; "" when it is no AOR.
std::string normaliseAor(std::string_view in);
// A request header's value ("" when absent or longer than 8 KiB).
std::string header(lws* wsi, lws_token_indexes token);
// A query argument's (url-decoded) value; `name_eq` ends with '=' ("users=").
std::string urlArg(lws* wsi, const char* name_eq);
// "a,b,,c" → {"a", "b", "c"}.
std::vector<std::string> splitComma(std::string_view s);
// "Busy" → 6500, a number passes through; 0 when it is neither.
uint32_t availabilityFromName(const nlohmann::json& v);

}  // namespace adapters::http_presence
