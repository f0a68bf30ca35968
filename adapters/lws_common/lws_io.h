// SPDX-License-Identifier: Apache-2.0
// libwebsockets I/O helpers for the adapter plugins that serve HTTP on their own loop: reading a
// request header, adding a response header, and writing with the headroom lws needs.
#pragma once

#include <libwebsockets.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace adapters::lws_io {

// A request header's value; "" when absent or longer than `max_len` (a bound on what a client
// can make us copy).
std::string requestHeader(lws* wsi, lws_token_indexes token, size_t max_len);

// Adds "name: value" to a response being built in [*p, end); `name` ends with ':'. 0 on success.
int addHeader(lws* wsi, const char* name, std::string_view value, unsigned char** p,
              unsigned char* end);

// lws_write of `data` from a copy with the LWS_PRE bytes of headroom lws_write requires;
// returns lws_write's result.
int writeWithPre(lws* wsi, std::string_view data, lws_write_protocol mode);

}  // namespace adapters::lws_io
