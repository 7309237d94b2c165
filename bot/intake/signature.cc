#include "bot/intake/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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

}  // namespace

std::string HmacSha256Hex(std::string_view secret, std::string_view body) {
  unsigned char digest[kDigestLen];
  Hmac(secret, body, digest);
  return LowerHex(digest, kDigestLen);
}

SignatureVerifier::SignatureVerifier(std::vector<std::string> secrets)
    : secrets_(std::move(secrets)) {}

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
  for (const std::string& secret : secrets_) {
    if (secret.empty()) continue;
    unsigned char want[kDigestLen];
    Hmac(secret, body, want);
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
