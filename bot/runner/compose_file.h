#pragma once
// One compose file of a recipe as the rungs above lint read it: its services (image,
// healthcheck), the configs and secrets it builds from files, the recipe version label, and
// every variable it interpolates. Line numbers are 1-based, for findings like
// "compose.yml:12: ...".

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci::runner {

struct ComposeService {
  std::string name;
  int line = 0;
  std::string image;  // as written, variables and all; empty when the file does not set it
  int image_line = 0;
  // The file's own word on the healthcheck: nullopt when it says nothing, false when it
  // disables it (`disable: true`, `test: NONE` or `["NONE"]`), true when it defines one.
  std::optional<bool> healthcheck;
};

// A top-level `configs:` or `secrets:` entry made from a file in the recipe (`file:`).
struct ComposeFileEntry {
  std::string kind;  // config | secret
  std::string key;   // the entry's name in the file
  std::string name;  // its `name:` template (e.g. ${STACK_NAME}_app_${APP_VERSION}); may be empty
  std::string file;  // the path given to `file:`
  int line = 0;      // of the entry
};

// `${NAME}`, `${NAME:-x}`, `$NAME`... in the text (comments and `$$` escapes left out).
struct ComposeVarUse {
  std::string name;
  int line = 0;
  bool has_default = false;  // ${NAME:-x}, ${NAME-x}, ${NAME:+x}, ${NAME+x}
};

struct ComposeFile {
  std::string path;
  std::vector<ComposeService> services;
  std::vector<ComposeFileEntry> file_entries;
  std::vector<ComposeVarUse> var_uses;
  // The recipe version, from a `coop-cloud.${STACK_NAME}.version` deploy label (what `abra
  // recipe sync` writes); empty when no service carries it.
  std::string version;
  int version_line = 0;
};

// InvalidArgument naming `path` when `text` is not YAML.
Result<ComposeFile> ParseComposeFile(const std::string& path, const std::string& text);

std::vector<ComposeVarUse> FindVarUses(const std::string& text);

// `text` with each `${NAME:-x}` / `${NAME-x}` replaced by its default and each `${NAME}` /
// `$NAME` by `lookup(NAME)`; nullopt when a variable has neither.
std::optional<std::string> Interpolate(
    const std::string& text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup);

}  // namespace ccci::runner
