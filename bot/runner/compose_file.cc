#include "bot/runner/compose_file.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

namespace ccci::runner {
namespace {

bool NameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

int Line(const YAML::Node& n) { return n.Mark().line + 1; }

std::string Scalar(const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : ""; }

std::optional<bool> Healthcheck(const YAML::Node& hc) {
  if (!hc) return std::nullopt;
  if (!hc.IsMap()) return hc.IsNull() ? std::nullopt : std::optional<bool>(true);
  const YAML::Node disable = hc["disable"];
  if (disable && disable.IsScalar() && (disable.Scalar() == "true" || disable.Scalar() == "True")) {
    return false;
  }
  const YAML::Node test = hc["test"];
  if (test && test.IsScalar() && test.Scalar() == "NONE") return false;
  if (test && test.IsSequence() && test.size() > 0 && Scalar(test[0]) == "NONE") return false;
  return true;
}

bool IsVersionLabel(const std::string& key) {
  return key.rfind("coop-cloud.", 0) == 0 && key.size() > 8 &&
         key.compare(key.size() - 8, 8, ".version") == 0;
}

// Finds the version label among a service's deploy labels (list "k=v" or map form).
void ReadVersionLabel(const YAML::Node& labels, ComposeFile* out) {
  if (!labels || !out->version.empty()) return;
  if (labels.IsSequence()) {
    for (const auto& item : labels) {
      std::string s = Scalar(item);
      size_t eq = s.find('=');
      if (eq != std::string::npos && IsVersionLabel(s.substr(0, eq))) {
        out->version = s.substr(eq + 1);
        out->version_line = Line(item);
        return;
      }
    }
  } else if (labels.IsMap()) {
    for (const auto& kv : labels) {
      if (IsVersionLabel(Scalar(kv.first))) {
        out->version = Scalar(kv.second);
        out->version_line = Line(kv.first);
        return;
      }
    }
  }
}

void ReadFileEntries(const YAML::Node& section, const char* kind, ComposeFile* out) {
  if (!section || !section.IsMap()) return;
  for (const auto& kv : section) {
    const YAML::Node& body = kv.second;
    if (!body.IsMap() || !body["file"]) continue;
    ComposeFileEntry e;
    e.kind = kind;
    e.key = Scalar(kv.first);
    e.name = Scalar(body["name"]);
    e.file = Scalar(body["file"]);
    e.line = Line(kv.first);
    out->file_entries.push_back(std::move(e));
  }
}

// The end of `${...}` starting at `open` (the '{'), nesting counted; npos if unclosed.
size_t CloseBrace(const std::string& s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) return i;
  }
  return std::string::npos;
}

// Drops a YAML comment: from a '#' at the start or after whitespace, outside quotes.
std::string StripComment(const std::string& line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])))) {
      return line.substr(0, i);
    }
  }
  return line;
}

}  // namespace

std::vector<ComposeVarUse> FindVarUses(const std::string& text) {
  std::vector<ComposeVarUse> out;
  int line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line =
        StripComment(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    start = nl == std::string::npos ? text.size() : nl + 1;
    ++line_no;
    for (size_t i = 0; i + 1 < line.size(); ++i) {
      if (line[i] != '$') continue;
      if (line[i + 1] == '$') {
        ++i;
        continue;
      }
      ComposeVarUse use;
      use.line = line_no;
      size_t j = i + 1;
      bool braced = line[j] == '{';
      if (braced) ++j;
      size_t name_start = j;
      while (j < line.size() && NameChar(line[j])) ++j;
      if (j == name_start) continue;
      use.name = line.substr(name_start, j - name_start);
      if (braced && j < line.size()) {
        size_t op = line[j] == ':' ? j + 1 : j;
        use.has_default =
            op < line.size() && (line[op] == '-' || line[op] == '+' || line[op] == '=');
      }
      out.push_back(std::move(use));
      i = j - 1;
    }
  }
  return out;
}

std::optional<std::string> Interpolate(
    const std::string& text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      size_t j = i + 1;
      while (j < text.size() && NameChar(text[j])) ++j;
      if (j == i + 1) {
        out += '$';
        continue;
      }
      auto v = lookup(text.substr(i + 1, j - i - 1));
      if (!v) return std::nullopt;
      out += *v;
      i = j - 1;
      continue;
    }
    size_t close = CloseBrace(text, i + 1);
    if (close == std::string::npos) return std::nullopt;
    std::string inner = text.substr(i + 2, close - i - 2);
    size_t n = 0;
    while (n < inner.size() && NameChar(inner[n])) ++n;
    std::string name = inner.substr(0, n), rest = inner.substr(n);
    std::optional<std::string> value = lookup(name);
    if (rest.rfind(":-", 0) == 0 || rest.rfind('-', 0) == 0) {
      bool colon = rest[0] == ':';
      if (!value || (colon && value->empty())) {
        value = Interpolate(rest.substr(colon ? 2 : 1), lookup);
      }
    } else if (!rest.empty()) {
      return std::nullopt;  // ${X:?err}, ${X:+alt}: not a value to compare
    }
    if (!value) return std::nullopt;
    out += *value;
    i = close;
  }
  return out;
}

Result<ComposeFile> ParseComposeFile(const std::string& path, const std::string& text) {
  ComposeFile out;
  out.path = path;
  try {
    const YAML::Node root = YAML::Load(text);
    if (root && root.IsMap()) {
      const YAML::Node services = root["services"];
      if (services && services.IsMap()) {
        for (const auto& kv : services) {
          ComposeService s;
          s.name = Scalar(kv.first);
          s.line = Line(kv.first);
          const YAML::Node& body = kv.second;
          if (body.IsMap()) {
            if (const YAML::Node image = body["image"]; image && image.IsScalar()) {
              s.image = image.Scalar();
              s.image_line = Line(image);
            }
            s.healthcheck = Healthcheck(body["healthcheck"]);
            const YAML::Node deploy = body["deploy"];
            if (deploy && deploy.IsMap()) ReadVersionLabel(deploy["labels"], &out);
          }
          out.services.push_back(std::move(s));
        }
      }
      ReadFileEntries(root["configs"], "config", &out);
      ReadFileEntries(root["secrets"], "secret", &out);
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(path + ": not YAML: " + e.what());
  }
  out.var_uses = FindVarUses(text);
  return out;
}

}  // namespace ccci::runner
