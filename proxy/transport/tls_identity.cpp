// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/tls_identity.h"

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <string_view>

#include "proxy/base/strings.h"

namespace proxy::transport {
namespace {

struct NamesDeleter {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

// A host name we would route to: letters, digits, dots and hyphens, nothing else
// (no wildcard, no user part, port or parameters, no embedded NUL).
bool isDomain(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

std::string_view view(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<size_t>(ASN1_STRING_length(s))};
}

void addUnique(std::vector<std::string>& out, std::string_view name) {
  std::string l = toLower(name);
  if (std::find(out.begin(), out.end(), l) == out.end()) {
    out.push_back(std::move(l));
  }
}

// "sip:example.com" -> "example.com"; anything else (sips:, users, ports) -> "".
std::string_view sipUriDomain(std::string_view uri) {
  constexpr std::string_view kScheme = "sip:";
  if (uri.size() <= kScheme.size() || toLower(uri.substr(0, kScheme.size())) != kScheme) {
    return {};
  }
  return uri.substr(kScheme.size());
}

}  // namespace

std::vector<std::string> sipDomainIdentities(X509* certificate) {
  std::vector<std::string> out;
  if (certificate == nullptr) {
    return out;
  }
  bool has_dns = false;
  std::unique_ptr<GENERAL_NAMES, NamesDeleter> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      has_dns = true;
      if (std::string_view dns = view(name->d.dNSName); isDomain(dns)) {
        addUnique(out, dns);
      }
    } else if (name->type == GEN_URI) {
      if (std::string_view domain = sipUriDomain(view(name->d.uniformResourceIdentifier));
          isDomain(domain)) {
        addUnique(out, domain);
      }
    }
  }
  if (has_dns) {
    return out;
  }
  // The most specific CN is the last one.
  X509_NAME* subject = X509_get_subject_name(certificate);
  int index = -1;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
    index = i;
  }
  if (index < 0) {
    return out;
  }
  unsigned char* utf8 = nullptr;
  int len =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (len > 0) {
    if (std::string_view cn(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
        isDomain(cn)) {
      addUnique(out, cn);
    }
  }
  OPENSSL_free(utf8);
  return out;
}

}  // namespace proxy::transport
