#include "bot/http/query_string.h"

namespace ccci {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseDecimal(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  int64_t n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  *out = n;
  return true;
}

Result<QueryParams> ParseQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string name, value;
    if (!PercentDecode(piece.substr(0, eq), true, &name) ||
        (eq != std::string_view::npos && !PercentDecode(piece.substr(eq + 1), true, &value))) {
      std::string shown(piece.substr(0, 40));
      return InvalidArgument("bad query string: malformed percent-encoding in '" + shown + "'");
    }
    params.emplace_back(std::move(name), std::move(value));
  }
  return params;
}

}  // namespace ccci
