#include "bot/runner/readme_metadata.h"

#include <algorithm>
#include <cctype>

namespace ccci::runner {
namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// "* **Key**: value" -> the field, from the line [begin, end) of `text`.
std::optional<MetadataField> ParseLine(const std::string& text, size_t begin, size_t end) {
  size_t i = begin;
  while (i < end && (text[i] == ' ' || text[i] == '\t')) ++i;
  if (i >= end || (text[i] != '*' && text[i] != '-')) return std::nullopt;
  ++i;
  while (i < end && (text[i] == ' ' || text[i] == '\t')) ++i;
  if (text.compare(i, 2, "**") != 0) return std::nullopt;
  size_t key_begin = i + 2;
  size_t key_end = text.find("**:", key_begin);
  if (key_end == std::string::npos || key_end >= end || key_end == key_begin) return std::nullopt;
  MetadataField f;
  f.key = text.substr(key_begin, key_end - key_begin);
  f.value_begin = key_end + 3;
  f.value_end = end;
  f.value = Trim(text.substr(f.value_begin, f.value_end - f.value_begin));
  return f;
}

}  // namespace

const MetadataField* MetadataBlock::Field(const std::string& key) const {
  for (const auto& f : fields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::optional<MetadataBlock> ParseMetadata(const std::string& readme) {
  size_t open = readme.find(kMetadataOpen);
  if (open == std::string::npos) return std::nullopt;
  size_t close = readme.find(kMetadataClose, open);
  if (close == std::string::npos) return std::nullopt;
  MetadataBlock b;
  b.begin = open;
  b.end = close + std::string(kMetadataClose).size();
  b.line = 1 + static_cast<int>(std::count(readme.begin(), readme.begin() + open, '\n'));
  size_t pos = readme.find('\n', open);
  int line = b.line;
  while (pos != std::string::npos && pos < close) {
    size_t begin = pos + 1;
    ++line;
    size_t nl = readme.find('\n', begin);
    size_t end = std::min(nl == std::string::npos ? readme.size() : nl, close);
    if (end > begin && readme[end - 1] == '\r') --end;
    if (auto f = ParseLine(readme, begin, end)) {
      f->line = line;
      b.fields.push_back(std::move(*f));
    }
    pos = nl;
  }
  return b;
}

std::string WithMetadataValues(const std::string& readme, const MetadataBlock& block,
                               const std::map<std::string, std::string>& values) {
  struct Edit {
    size_t begin, end;
    std::string text;
  };
  std::vector<Edit> edits;
  for (const auto& [key, value] : values) {
    if (const MetadataField* f = block.Field(key)) {
      edits.push_back({f->value_begin, f->value_end, " " + value});
      continue;
    }
    // A new line after the last field, like it; or after the opening marker's line.
    std::string prefix = "* ", eol = "\n";
    size_t at = readme.find('\n', block.begin);
    if (!block.fields.empty()) {
      const MetadataField& last = block.fields.back();
      size_t line_begin = readme.rfind('\n', last.value_begin);
      line_begin = line_begin == std::string::npos ? 0 : line_begin + 1;
      prefix = readme.substr(line_begin, readme.find("**", line_begin) - line_begin);
      at = readme.find('\n', last.value_end);
      if (last.value_end < readme.size() && readme[last.value_end] == '\r') eol = "\r\n";
    }
    at = at == std::string::npos ? readme.size() : at + 1;
    edits.push_back({at, at, prefix + "**" + key + "**: " + value + eol});
  }
  std::stable_sort(edits.begin(), edits.end(),
                   [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out;
  size_t from = 0;
  for (const Edit& e : edits) {
    out.append(readme, from, e.begin - from);
    out += e.text;
    from = e.end;
  }
  out.append(readme, from, std::string::npos);
  return out;
}

}  // namespace ccci::runner
