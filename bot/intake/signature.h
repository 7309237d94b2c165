#pragma once
// Webhook signature verification: hex HMAC-SHA256 of the raw body, as Gitea sends it in
// X-Gitea-Signature (bare hex) and X-Hub-Signature-256 ("sha256=<hex>"). Checked against
// every configured secret (several during a rotation), in constant time.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_mac_ctx_st EVP_MAC_CTX;  // OpenSSL's, as <openssl/types.h> declares it

namespace ccci {

// Lower-case hex HMAC-SHA256 of `body` under `secret` (OpenSSL; ~4x faster than Poco's).
std::string HmacSha256Hex(std::string_view secret, std::string_view body);

class SignatureVerifier {
 public:
  explicit SignatureVerifier(std::vector<std::string> secrets);

  // True when `gitea_signature` (bare hex) or `hub_signature_256` ("sha256=<hex>") matches the
  // HMAC of `body` under any secret. Hex is accepted in either case. Every secret is tried
  // and every comparison runs in constant time, so timing reveals nothing of the secrets.
  // On a match, `*digest` (when given) is the lower-case hex HMAC of `body` under the first
  // secret, whichever secret signed it: a fingerprint of the body that costs nothing more
  // (see Delivery::body_digest).
  bool Verify(std::string_view body, std::string_view gitea_signature,
              std::string_view hub_signature_256, std::string* digest = nullptr) const;

 private:
  // Each non-empty secret's HMAC, keyed once: a check copies it and hashes the body, instead
  // of looking the algorithm up and keying it again per delivery (OpenSSL 3's one-shot HMAC()
  // spent a quarter of its time on that for a 16 KB body; README, "Ninth pass"). Shared by
  // copies of the verifier, and only read (copied) after construction.
  // (Null if OpenSSL could not make one: that secret takes the one-shot HMAC.)
  struct Key {
    std::string secret;
    std::shared_ptr<const EVP_MAC_CTX> keyed;
  };
  std::vector<Key> keys_;
};

}  // namespace ccci
