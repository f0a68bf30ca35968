// SPDX-License-Identifier: Apache-2.0
#include "adapters/lws_common/lws_io.h"

namespace adapters::lws_io {

std::string requestHeader(lws* wsi, lws_token_indexes token, size_t max_len) {
  const int n = lws_hdr_total_length(wsi, token);
  if (n <= 0 || static_cast<size_t>(n) > max_len) {
    return {};
  }
  std::string value(static_cast<size_t>(n) + 1, '\0');
  if (lws_hdr_copy(wsi, value.data(), n + 1, token) < 0) {
    return {};
  }
  value.resize(static_cast<size_t>(n));
  return value;
}

int addHeader(lws* wsi, const char* name, std::string_view value, unsigned char** p,
              unsigned char* end) {
  return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), p, end);
}

int writeWithPre(lws* wsi, std::string_view data, lws_write_protocol mode) {
  std::string out(LWS_PRE, '\0');
  out.append(data);
  return lws_write(wsi, reinterpret_cast<unsigned char*>(out.data() + LWS_PRE), data.size(), mode);
}

}  // namespace adapters::lws_io
