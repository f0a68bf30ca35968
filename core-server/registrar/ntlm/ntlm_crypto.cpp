// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/ntlm/ntlm_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <memory>

namespace core::registrar::ntlm {
namespace {

// The fetched algorithms, made once per process. Fetched objects are immutable
// and OpenSSL allows them to be used from any thread, one context per call.
struct Algorithms {
  OSSL_LIB_CTX* libctx = nullptr;
  OSSL_PROVIDER* legacy = nullptr;
  OSSL_PROVIDER* base = nullptr;
  EVP_MD* md4 = nullptr;
  EVP_MD* md5 = nullptr;
  EVP_CIPHER* rc4 = nullptr;
  EVP_CIPHER* des = nullptr;
  EVP_MAC* hmac = nullptr;
  bool ok = false;

  Algorithms() {
    libctx = OSSL_LIB_CTX_new();
    if (libctx == nullptr) {
      return;
    }
    legacy = OSSL_PROVIDER_load(libctx, "legacy");
    base = OSSL_PROVIDER_load(libctx, "default");
    md4 = EVP_MD_fetch(libctx, "MD4", nullptr);
    md5 = EVP_MD_fetch(libctx, "MD5", nullptr);
    rc4 = EVP_CIPHER_fetch(libctx, "RC4", nullptr);
    des = EVP_CIPHER_fetch(libctx, "DES-ECB", nullptr);
    hmac = EVP_MAC_fetch(libctx, "HMAC", nullptr);
    ok = legacy && base && md4 && md5 && rc4 && des && hmac;
  }
  ~Algorithms() {
    EVP_MAC_free(hmac);
    EVP_CIPHER_free(des);
    EVP_CIPHER_free(rc4);
    EVP_MD_free(md5);
    EVP_MD_free(md4);
    if (base) {
      OSSL_PROVIDER_unload(base);
    }
    if (legacy) {
      OSSL_PROVIDER_unload(legacy);
    }
    OSSL_LIB_CTX_free(libctx);
  }
  Algorithms(const Algorithms&) = delete;
  Algorithms& operator=(const Algorithms&) = delete;
};

const Algorithms& algorithms() {
  static const Algorithms instance;
  return instance;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

std::optional<Key16> digest(EVP_MD* md, std::initializer_list<ByteView> parts) {
  if (!algorithms().ok) {
    return std::nullopt;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool good = ctx && EVP_DigestInit_ex2(ctx.get(), md, nullptr) == 1;
  for (ByteView part : parts) {
    good = good && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
  }
  Key16 out{};
  unsigned int len = 0;
  good = good && EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1 && len == out.size();
  if (!good) {
    return std::nullopt;
  }
  return out;
}

// Runs `cipher` over `data` with `key`, no padding; false on any OpenSSL failure.
bool runCipher(EVP_CIPHER* cipher, ByteView key, ByteView data, uint8_t* out) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  bool good = ctx && EVP_EncryptInit_ex2(ctx.get(), cipher, nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_set_key_length(ctx.get(), static_cast<int>(key.size())) == 1 &&
              EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1 &&
              EVP_EncryptInit_ex2(ctx.get(), nullptr, key.data(), nullptr, nullptr) == 1;
  int len = 0;
  good = good && (data.empty() || EVP_EncryptUpdate(ctx.get(), out, &len, data.data(),
                                                    static_cast<int>(data.size())) == 1);
  int tail = 0;
  good = good && EVP_EncryptFinal_ex(ctx.get(), out + len, &tail) == 1 &&
         static_cast<size_t>(len + tail) == data.size();
  return good;
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

}  // namespace

bool cryptoAvailable() { return algorithms().ok; }

std::optional<Key16> md4(ByteView data) { return digest(algorithms().md4, {data}); }

std::optional<Key16> md5(std::initializer_list<ByteView> parts) {
  return digest(algorithms().md5, parts);
}

std::optional<Key16> hmacMd5(ByteView key, std::initializer_list<ByteView> parts) {
  const Algorithms& algs = algorithms();
  if (!algs.ok || key.empty()) {
    return std::nullopt;
  }
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(algs.hmac));
  char digest_name[] = "MD5";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  bool good = ctx && EVP_MAC_init(ctx.get(), key.data(), key.size(), params) == 1;
  for (ByteView part : parts) {
    good = good && EVP_MAC_update(ctx.get(), part.data(), part.size()) == 1;
  }
  Key16 out{};
  size_t len = 0;
  good = good && EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) == 1 && len == out.size();
  if (!good) {
    return std::nullopt;
  }
  return out;
}

std::optional<Bytes> rc4(ByteView key, ByteView data) {
  if (!algorithms().ok || key.empty()) {
    return std::nullopt;
  }
  Bytes out(data.size() + 16);  // room for a (never produced) final block
  if (!runCipher(algorithms().rc4, key, data, out.data())) {
    return std::nullopt;
  }
  out.resize(data.size());
  return out;
}

std::optional<std::array<uint8_t, 8>> des56(std::span<const uint8_t, 7> k,
                                            std::span<const uint8_t, 8> block) {
  if (!algorithms().ok) {
    return std::nullopt;
  }
  // Spread 56 key bits over 8 bytes, leaving the (ignored) parity bit of each byte clear.
  const std::array<uint8_t, 8> key = {static_cast<uint8_t>(k[0]),
                                      static_cast<uint8_t>((k[0] << 7) | (k[1] >> 1)),
                                      static_cast<uint8_t>((k[1] << 6) | (k[2] >> 2)),
                                      static_cast<uint8_t>((k[2] << 5) | (k[3] >> 3)),
                                      static_cast<uint8_t>((k[3] << 4) | (k[4] >> 4)),
                                      static_cast<uint8_t>((k[4] << 3) | (k[5] >> 5)),
                                      static_cast<uint8_t>((k[5] << 2) | (k[6] >> 6)),
                                      static_cast<uint8_t>(k[6] << 1)};
  std::array<uint8_t, 8 + 8> out{};
  if (!runCipher(algorithms().des, key, block, out.data())) {
    return std::nullopt;
  }
  std::array<uint8_t, 8> result{};
  std::copy(out.begin(), out.begin() + 8, result.begin());
  return result;
}

std::optional<Bytes> utf8ToUtf16le(std::string_view s) {
  Bytes out;
  out.reserve(s.size() * 2);
  auto put = [&out](uint32_t unit) {
    out.push_back(static_cast<uint8_t>(unit & 0xff));
    out.push_back(static_cast<uint8_t>(unit >> 8));
  };
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      cp = c;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + extra >= s.size()) {  // a sequence cut short
      return std::nullopt;
    }
    for (size_t j = 1; j <= extra; ++j) {
      const auto cc = static_cast<uint8_t>(s[i + j]);
      if ((cc & 0xc0) != 0x80) {
        return std::nullopt;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return std::nullopt;  // overlong, out of range, or a surrogate
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xd800 | (cp >> 10));
      put(0xdc00 | (cp & 0x3ff));
    } else {
      put(cp);
    }
    i += extra + 1;
  }
  return out;
}

std::optional<std::string> utf16leToUtf8(ByteView b) {
  if (b.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(b.size());
  for (size_t i = 0; i < b.size(); i += 2) {
    uint32_t cp = b[i] | (static_cast<uint32_t>(b[i + 1]) << 8);
    if (cp >= 0xdc00 && cp <= 0xdfff) {
      return std::nullopt;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (i + 3 >= b.size()) {
        return std::nullopt;
      }
      const uint32_t low = b[i + 2] | (static_cast<uint32_t>(b[i + 3]) << 8);
      if (low < 0xdc00 || low > 0xdfff) {
        return std::nullopt;
      }
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      i += 2;
    }
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  return out;
}

std::optional<NtHash> ntHash(std::string_view password_utf8) {
  const std::optional<Bytes> unicode = utf8ToUtf16le(password_utf8);
  if (!unicode) {
    return std::nullopt;
  }
  std::optional<NtHash> hash = md4(*unicode);
  OPENSSL_cleanse(const_cast<uint8_t*>(unicode->data()), unicode->size());
  return hash;
}

std::string toHex(ByteView bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::optional<Bytes> fromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string toBase64(ByteView bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                  static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(len));
  return out;
}

std::optional<Bytes> fromBase64(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > (1u << 20)) {
    return std::nullopt;
  }
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      if (i + 2 < text.size()) {
        return std::nullopt;  // '=' only in the last two places
      }
      ++padding;
    } else if (padding > 0 || base64Value(text[i]) < 0) {
      return std::nullopt;
    }
  }
  Bytes out(text.size() / 4 * 3 + 1);
  const int len = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
  if (len < 0 || static_cast<size_t>(len) < padding) {
    return std::nullopt;
  }
  out.resize(static_cast<size_t>(len) - padding);
  return out;
}

bool equalSecret(ByteView a, ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace core::registrar::ntlm
