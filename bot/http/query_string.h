#pragma once
// Percent-decoding of URL parts and the query string's parameters. Malformed input (a '%' not
// followed by two hex digits) is an error the router answers with 400, never an exception.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace ccci {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Decodes %XX escapes of `in` into `out` (and '+' into ' ' when `plus_is_space`). False, with
// `out` unspecified, when a '%' is not followed by two hex digits.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

// A decimal number of 1 to 18 digits (no sign, no spaces) into `out`; false otherwise.
bool ParseDecimal(std::string_view s, int64_t* out);

// "a=1&b=x%20y&c" -> {a,1}, {b,"x y"}, {c,""} (names and values decoded, '+' is a space,
// empty pieces skipped). InvalidArgument naming the bad piece when an escape is malformed.
Result<QueryParams> ParseQuery(std::string_view query);

}  // namespace ccci
