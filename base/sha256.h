#pragma once
// SHA-256 digests as lower-case hex (OpenSSL): content hashes for ETags, duplicate checks and
// signatures. Not a secret comparison: signature checks compare in constant time themselves
// (bot/intake/signature.h).

#include <cstddef>
#include <string>
#include <string_view>

namespace ccci {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Lower-case hex of `n` bytes at `p`.
std::string LowerHex(const unsigned char* p, size_t n);

}  // namespace ccci
