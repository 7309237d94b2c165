#pragma once

namespace ccci {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace ccci
