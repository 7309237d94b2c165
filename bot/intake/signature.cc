#include "bot/intake/signature.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <cstring>

#include "base/sha256.h"

namespace ccci {
namespace {

constexpr size_t kDigestLen = 32;

int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes exactly 64 hex chars into 32 bytes. Whether it is hex is not secret.
bool DecodeDigest(std::string_view hex, unsigned char out[kDigestLen]) {
  if (hex.size() != 2 * kDigestLen) return false;
  for (size_t i = 0; i < kDigestLen; ++i) {
    int hi = HexNibble(hex[2 * i]);
    int lo = HexNibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

void Hmac(std::string_view secret, std::string_view body, unsigned char out[kDigestLen]) {
  unsigned int len = kDigestLen;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &len);
}

// HMAC-SHA256 keyed with `secret`, ready to copy; null if OpenSSL cannot make one.
std::shared_ptr<const EVP_MAC_CTX> KeyedHmac(const std::string& secret) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (!mac) return nullptr;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context keeps its own reference
  if (!ctx) return nullptr;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                   params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return std::shared_ptr<const EVP_MAC_CTX>(ctx, [](const EVP_MAC_CTX* c) {
    EVP_MAC_CTX_free(const_cast<EVP_MAC_CTX*>(c));
  });
}

// The HMAC of `body` from a copy of `keyed`. False if OpenSSL fails (out of memory).
bool KeyedHmacOf(const EVP_MAC_CTX* keyed, std::string_view body, unsigned char out[kDigestLen]) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed);
  if (!ctx) return false;
  size_t len = 0;
  bool ok = EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(body.data()),
                           body.size()) == 1 &&
            EVP_MAC_final(ctx, out, &len, kDigestLen) == 1 && len == kDigestLen;
  EVP_MAC_CTX_free(ctx);
  return ok;
}

}  // namespace

std::string HmacSha256Hex(std::string_view secret, std::string_view body) {
  unsigned char digest[kDigestLen];
  Hmac(secret, body, digest);
  return LowerHex(digest, kDigestLen);
}

SignatureVerifier::SignatureVerifier(std::vector<std::string> secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;  // never matches: an empty secret would sign anything
    keys_.push_back(Key{secret, KeyedHmac(secret)});
  }
}

bool SignatureVerifier::Verify(std::string_view body, std::string_view gitea_signature,
                               std::string_view hub_signature_256, std::string* digest) const {
  unsigned char given[2][kDigestLen];
  bool have[2] = {DecodeDigest(gitea_signature, given[0]), false};
  constexpr std::string_view kPrefix = "sha256=";
  if (hub_signature_256.substr(0, kPrefix.size()) == kPrefix) {
    have[1] = DecodeDigest(hub_signature_256.substr(kPrefix.size()), given[1]);
  }
  if (!have[0] && !have[1]) return false;
  int match = 0;
  unsigned char first[kDigestLen];
  bool any = false;
  for (const Key& key : keys_) {
    unsigned char want[kDigestLen];
    if (!key.keyed || !KeyedHmacOf(key.keyed.get(), body, want)) Hmac(key.secret, body, want);
    if (!any) std::memcpy(first, want, kDigestLen);
    any = true;
    for (int i = 0; i < 2; ++i) {
      if (have[i]) match |= CRYPTO_memcmp(want, given[i], kDigestLen) == 0;
    }
  }
  if (match && digest) *digest = LowerHex(first, kDigestLen);
  return match != 0;
}

}  // namespace ccci
