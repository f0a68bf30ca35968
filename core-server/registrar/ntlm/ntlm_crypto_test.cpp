// SPDX-License-Identifier: Apache-2.0
// [MS-NLMP] 4.2 test vectors ("Cryptographic Values for Validation"): the
// common values of 4.2.1 through NTLMv1 (4.2.2), NTLMv1 with extended session
// security (4.2.3) and NTLMv2 (4.2.4).
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include "core-server/registrar/ntlm/ntlm_auth.h"
#include "core-server/registrar/ntlm/ntlm_crypto.h"
#include "core-server/registrar/ntlm/ntlm_message.h"
#include "core-server/registrar/ntlm/ntlm_signature.h"

namespace core::registrar::ntlm {
namespace {

Bytes hex(std::string_view text) { return fromHex(text).value(); }
template <typename T>
std::string hexOf(const T& bytes) {
  return toHex(ByteView(bytes.data(), bytes.size()));
}

// [MS-NLMP] 4.2.1 Common Values.
const ServerChallenge kServerChallenge = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
const Bytes kClientChallenge(8, 0xaa);
const Key16 kRandomSessionKey = [] {
  Key16 k;
  k.fill(0x55);
  return k;
}();
const Bytes kPlaintext = utf8ToUtf16le("Plaintext").value();

NtHash passwordHash() { return ntHash("Password").value(); }

TEST_CASE("the legacy algorithms are available from the private OpenSSL context") {
  REQUIRE(cryptoAvailable());
  // RFC 1320 and RFC 1321 test suites, and RFC 2202 case 1.
  CHECK(hexOf(md4(bytesOf("message digest")).value()) == "d9130a8164549fe818874806e1c7014b");
  CHECK(hexOf(md5({bytesOf("message digest")}).value()) == "f96b697d7cb7938d525a2f31aaf161d0");
  const Bytes key(16, 0x0b);
  CHECK(hexOf(hmacMd5(key, {bytesOf("Hi "), bytesOf("There")}).value()) ==
        "9294727a3638bb1c13f48ef8158bfc9d");
}

TEST_CASE("the process-wide OpenSSL context still refuses MD4 and RC4") {
  REQUIRE(cryptoAvailable());  // our private context has loaded the legacy provider
  EVP_MD* md4_default = EVP_MD_fetch(nullptr, "MD4", nullptr);
  EVP_CIPHER* rc4_default = EVP_CIPHER_fetch(nullptr, "RC4", nullptr);
  CHECK(md4_default == nullptr);
  CHECK(rc4_default == nullptr);
  EVP_MD_free(md4_default);
  EVP_CIPHER_free(rc4_default);
}

TEST_CASE("hex, base64 and UTF-16LE helpers round-trip and reject garbage") {
  CHECK(toHex(hex("00ff10Ab")) == "00ff10ab");
  CHECK_FALSE(fromHex("abc"));
  CHECK_FALSE(fromHex("zz"));
  CHECK(toBase64(bytesOf("hello")) == "aGVsbG8=");
  CHECK(fromBase64("aGVsbG8=").value() == Bytes{'h', 'e', 'l', 'l', 'o'});
  CHECK(fromBase64("").value().empty());
  CHECK_FALSE(fromBase64("aGVsbG8"));    // not a multiple of 4
  CHECK_FALSE(fromBase64("aG=sbG8="));   // '=' inside
  CHECK_FALSE(fromBase64("aGVs bG8="));  // blank inside
  CHECK_FALSE(fromBase64("a==="));
  const std::string text = "Grüße \xF0\x9F\x98\x80";
  CHECK(utf16leToUtf8(utf8ToUtf16le(text).value()).value() == text);
  CHECK_FALSE(utf8ToUtf16le("\xC3"));                         // cut short
  CHECK_FALSE(utf8ToUtf16le("\xC0\xAF"));                     // overlong
  CHECK_FALSE(utf8ToUtf16le("\xED\xA0\x80"));                 // a surrogate
  CHECK_FALSE(utf16leToUtf8(Bytes{0x41}));                    // odd length
  CHECK_FALSE(utf16leToUtf8(Bytes{0x00, 0xd8, 0x41, 0x00}));  // lone high surrogate
}

TEST_CASE("MS-NLMP 4.2.2: NTLMv1 values") {
  const NtHash nt = passwordHash();
  CHECK(hexOf(nt) == "a4f49c406510bdcab6824ee7c30fd852");
  // LMOWFv1 exercises DES: DES(upper(password)[0..6], "KGS!@#$%") || DES([7..13], ...).
  const Bytes upper = {'P', 'A', 'S', 'S', 'W', 'O', 'R', 'D', 0, 0, 0, 0, 0, 0};
  const Bytes magic = {'K', 'G', 'S', '!', '@', '#', '$', '%'};
  const auto lm1 = des56(std::span<const uint8_t, 7>(upper.data(), 7),
                         std::span<const uint8_t, 8>(magic.data(), 8));
  const auto lm2 = des56(std::span<const uint8_t, 7>(upper.data() + 7, 7),
                         std::span<const uint8_t, 8>(magic.data(), 8));
  REQUIRE(lm1);
  REQUIRE(lm2);
  CHECK(hexOf(*lm1) + hexOf(*lm2) == "e52cac67419a9a224a3b108f3fa6cb6d");
  const auto nt_response = desl(nt, kServerChallenge);
  CHECK(hexOf(nt_response.value()) == "67c43011f30298a2ad35ece64f16331c44bdbed927841f94");
  const auto session_base_key = md4(nt);
  CHECK(hexOf(session_base_key.value()) == "d87262b0cde4b1cb7499becccdf10784");
  CHECK(hexOf(rc4(*session_base_key, kRandomSessionKey).value()) ==
        "518822b1b3f350c8958682ecbb3e3cb7");
}

TEST_CASE("MS-NLMP 4.2.3: NTLMv1 with extended session security") {
  const uint32_t flags = 0x820a8233;  // 56, VERSION, ESS, TARGET_TYPE_SERVER, ALWAYS_SIGN, ...
  AuthenticateMessage message;
  message.flags = flags;
  message.user = "User";
  message.domain = "Domain";
  message.lm_response = hex("aaaaaaaaaaaaaaaa00000000000000000000000000000000");
  message.nt_response = hex("7537f803ae367128ca458204bde7caf81e97ed2683267232");

  SUBCASE("refused unless the policy allows NTLMv1") {
    auto refused = verifyResponse(message, passwordHash(), kServerChallenge, {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().status == 403);
  }
  SUBCASE("keys and signature") {
    auto verified = verifyResponse(message, passwordHash(), kServerChallenge, VerifyPolicy{true});
    REQUIRE(verified);
    CHECK(verified->kind == ResponseKind::NtlmV1ExtendedSessionSecurity);
    CHECK(hexOf(verified->session_base_key) == "d87262b0cde4b1cb7499becccdf10784");
    CHECK(hexOf(verified->key_exchange_key) == "eb93429a8bd952f8b89c55b87f475edc");
    // No KEY_EXCH here: the exported session key is the key exchange key.
    auto keys = deriveSessionKeys(flags, verified->key_exchange_key, {});
    REQUIRE(keys);
    CHECK(hexOf(keys->client_signing_key) == "60e799be5c72fc92922ae8ebe961fb8d");
    CHECK(hexOf(keys->client_sealing_key) == "04dd7f014d8504d265a25cc86a3a7c06");  // 56-bit
    CHECK(hexOf(rc4(keys->client_sealing_key, kPlaintext).value()) ==
          "a02372f6530273f3aa1eb90190ce5200c99d");
    const auto mac =
        computeMac(flags, keys->client_signing_key, keys->client_sealing_key, 0, kPlaintext);
    CHECK(hexOf(mac.value()) == "01000000ff2aeb52f681793a00000000");
  }
  SUBCASE("a wrong password fails") {
    auto wrong =
        verifyResponse(message, ntHash("password").value(), kServerChallenge, VerifyPolicy{true});
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().status == 403);
  }
}

TEST_CASE("MS-NLMP 4.2.4: NTLMv2") {
  const uint32_t flags = 0xe28a8233;  // KEY_EXCH, 56, 128, VERSION, TARGET_INFO, ESS, ...
  const NtHash nt = passwordHash();
  const auto response_key = ntowfV2(nt, "User", "Domain");
  CHECK(hexOf(response_key.value()) == "0c868a403bfd7a93a3001ef22ef02e3f");
  CHECK(ntowfV2(nt, "user", "Domain") == response_key);  // the user name is upper-cased

  // 4.2.4.1.3: the blob's AV pairs are NetBIOS domain "Domain" and computer "Server".
  const Bytes target_info =
      encodeAvPairs({{AvId::NbDomainName, utf8ToUtf16le("Domain").value()},
                     {AvId::NbComputerName, utf8ToUtf16le("Server").value()}});
  CHECK(toHex(target_info) ==
        "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000");
  Bytes blob =
      hex("0101000000000000"
          "0000000000000000"
          "aaaaaaaaaaaaaaaa"
          "00000000");
  blob.insert(blob.end(), target_info.begin(), target_info.end());
  blob.insert(blob.end(), {0, 0, 0, 0});
  const auto proof = hmacMd5(*response_key, {kServerChallenge, blob});
  CHECK(hexOf(proof.value()) == "68cd0ab851e51c96aabc927bebef6a1c");
  const auto lmv2 = hmacMd5(*response_key, {kServerChallenge, kClientChallenge});
  CHECK(hexOf(lmv2.value()) == "86c35097ac9cec102554764a57cccc19");

  AuthenticateMessage message;
  message.flags = flags;
  message.user = "User";
  message.domain = "Domain";
  message.nt_response.assign(proof->begin(), proof->end());
  message.nt_response.insert(message.nt_response.end(), blob.begin(), blob.end());
  auto verified = verifyResponse(message, nt, kServerChallenge, {});
  REQUIRE(verified);
  CHECK(verified->kind == ResponseKind::NtlmV2);
  CHECK_FALSE(verified->mic_present);
  CHECK(hexOf(verified->session_base_key) == "8de40ccadbc14a82f15cb0ad0de95ca3");

  const Bytes encrypted = hex("c5dad2544fc9799094ce1ce90bc9d03e");
  CHECK(rc4(verified->key_exchange_key, kRandomSessionKey).value() == encrypted);
  auto keys = deriveSessionKeys(flags, verified->key_exchange_key, encrypted);
  REQUIRE(keys);
  CHECK(keys->exported_session_key == kRandomSessionKey);
  CHECK(hexOf(keys->client_signing_key) == "4788dc861b4782f35d43fd98fe1a2d39");
  CHECK(hexOf(keys->client_sealing_key) == "59f600973cc4960a25480a7c196e4c58");

  // 4.2.4.4 GSS_WrapEx: one RC4 stream seals the plaintext, then encrypts the
  // checksum HMAC_MD5(SigningKey, SeqNum 0 || Plaintext)[0..7].
  const std::array<uint8_t, 4> seq0{};
  const auto hmac = hmacMd5(keys->client_signing_key, {seq0, kPlaintext});
  CHECK(toHex(ByteView(hmac.value()).first(8)) == "70352851f2564309");
  Bytes stream = kPlaintext;
  stream.insert(stream.end(), hmac->begin(), hmac->begin() + 8);
  const Bytes sealed = rc4(keys->client_sealing_key, stream).value();
  CHECK(toHex(ByteView(sealed).first(18)) == "54e50165bf1936dc996020c1811b0f06fb5f");
  CHECK(toHex(ByteView(sealed).subspan(18)) == "7fb38ec5c55d4976");
  // Without KEY_EXCH the checksum stays in the clear.
  const auto mac = computeMac(flags & ~kNegotiateKeyExch, keys->client_signing_key,
                              keys->client_sealing_key, 0, kPlaintext);
  CHECK(hexOf(mac.value()) == "0100000070352851f256430900000000");

  SUBCASE("a changed blob, user or challenge fails") {
    AuthenticateMessage tampered = message;
    tampered.nt_response[30] ^= 1;
    CHECK(verifyResponse(tampered, nt, kServerChallenge, {}).error().status == 403);
    tampered = message;
    tampered.user = "Other";
    CHECK(verifyResponse(tampered, nt, kServerChallenge, {}).error().status == 403);
    ServerChallenge other = kServerChallenge;
    other[0] ^= 1;
    CHECK(verifyResponse(message, nt, other, {}).error().status == 403);
  }
}

TEST_CASE("davenport NTLM2 signing key and MAC") {
  // http://davenport.sourceforge.net/ntlm.html#ntlm2Signing, as pidgin-sipe checks it.
  const Key16 master = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0};
  const auto sign = signKey(master, true);
  CHECK(hexOf(sign.value()) == "f7f97a82ec390f9c903dac4f6aceb132");
  const auto mac = computeMac(kNegotiateExtendedSessionSecurity, *sign, *sign, 0, bytesOf("jCIFS"));
  CHECK(hexOf(mac.value()) == "010000000a003602317a759a00000000");
}

}  // namespace
}  // namespace core::registrar::ntlm
