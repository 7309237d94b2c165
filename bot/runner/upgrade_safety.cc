#include "bot/runner/upgrade_safety.h"

#include <algorithm>
#include <set>

#include "bot/runner/env_assignments.h"
#include "bot/runner/image_version.h"
#include "bot/runner/release_tag.h"

namespace ccci::runner {
namespace {

// One tree, parsed once.
struct Parsed {
  const RecipeTree* tree = nullptr;
  std::vector<ComposeFile> compose;
  std::vector<EnvAssignment> sample;
  std::vector<EnvAssignment> abra_sh;

  const ComposeFile* Compose(const std::string& path) const {
    for (const auto& f : compose) {
      if (f.path == path) return &f;
    }
    return nullptr;
  }
  std::optional<std::string> SampleValue(const std::string& name) const {
    const EnvAssignment* a = FindSet(sample, name);
    return a ? std::optional<std::string>(a->value) : std::nullopt;
  }
};

Result<Parsed> Parse(const RecipeTree* tree) {
  Parsed p;
  p.tree = tree;
  auto compose = ComposeFiles(*tree);
  if (!compose.ok()) return compose.status();
  p.compose = std::move(*compose);
  if (const std::string* s = tree->File(".env.sample")) p.sample = ParseEnvAssignments(*s);
  if (const std::string* s = tree->File("abra.sh")) p.abra_sh = ParseEnvAssignments(*s);
  return p;
}

// A variable's value as a maintainer sets it, and where.
struct Setting {
  std::string value;
  std::string where;  // "abra.sh:1", ".env.sample:3", "compose.yml:90" or "" (set nowhere)
};

Setting VersionSetting(const Parsed& p, const std::string& var, const std::string& name_template,
                       const std::string& compose_path, int compose_line) {
  if (const EnvAssignment* a = FindSet(p.abra_sh, var)) {
    return {a->value, "abra.sh:" + std::to_string(a->line)};
  }
  if (const EnvAssignment* a = FindSet(p.sample, var)) {
    return {a->value, ".env.sample:" + std::to_string(a->line)};
  }
  std::string marker = "${" + var + ":-";
  size_t at = name_template.find(marker);
  if (at != std::string::npos) {
    size_t end = name_template.find('}', at);
    return {name_template.substr(at + marker.size(), end - at - marker.size()),
            compose_path + ":" + std::to_string(compose_line)};
  }
  return {"", ""};
}

std::vector<std::string> VersionVars(const std::string& name_template) {
  std::vector<std::string> vars;
  for (const ComposeVarUse& u : FindVarUses(name_template)) {
    if (u.name.size() > 8 && u.name.compare(u.name.size() - 8, 8, "_VERSION") == 0) {
      vars.push_back(u.name);
    }
  }
  return vars;
}

void ConfigVersions(const Parsed& base, const Parsed& head, const std::string& since,
                    std::vector<Finding>* out) {
  for (const ComposeFile& f : head.compose) {
    const ComposeFile* old_file = base.Compose(f.path);
    if (!old_file) continue;
    for (const ComposeFileEntry& e : f.file_entries) {
      auto old = std::find_if(
          old_file->file_entries.begin(), old_file->file_entries.end(),
          [&](const ComposeFileEntry& o) { return o.kind == e.kind && o.key == e.key; });
      if (old == old_file->file_entries.end()) continue;  // new: a new name, nothing to clash with
      std::string what = e.kind + " " + e.key;
      if (auto why = head.tree->unreadable.find(e.file); why != head.tree->unreadable.end()) {
        out->push_back(
            {f.path, e.line, what + ": " + e.file + " cannot be checked: " + why->second});
        continue;
      }
      const std::string* now = head.tree->File(e.file);
      const std::string* then = base.tree->File(old->file);
      if ((now ? *now : "") == (then ? *then : "") && e.file == old->file) continue;
      std::vector<std::string> vars = VersionVars(e.name);
      if (vars.empty()) {
        out->push_back({f.path, e.line,
                        what + ": " + e.file + " changed since " + since + " but the name (" +
                            (e.name.empty() ? "none" : e.name) +
                            ") has no *_VERSION variable to bump: swarm cannot change a " + e.kind +
                            " in place"});
        continue;
      }
      for (const std::string& var : vars) {
        Setting a = VersionSetting(head, var, e.name, f.path, e.line);
        Setting b = VersionSetting(base, var, old->name, old_file->path, old->line);
        if (a.value != b.value) continue;
        std::string still = a.where.empty() ? "is set nowhere (abra.sh, .env.sample or a default)"
                                            : "is still '" + a.value + "' (" + a.where + ")";
        out->push_back({f.path, e.line,
                        what + ": " + e.file + " changed since " + since + " but " + var + " " +
                            still + ": bump it, or upgrading operators get an obscure error"});
      }
    }
  }
}

void NewVariables(const Parsed& base, const Parsed& head, const std::string& since,
                  std::vector<Finding>* out) {
  std::set<std::string> known, reported;
  for (const EnvAssignment& a : base.sample) {
    if (!a.commented) known.insert(a.name);
  }
  for (const EnvAssignment& a : head.sample) {
    if (a.commented || known.count(a.name) || reported.count(a.name)) continue;
    for (const ComposeFile& f : head.compose) {
      auto use = std::find_if(f.var_uses.begin(), f.var_uses.end(), [&](const ComposeVarUse& u) {
        return u.name == a.name && !u.has_default;
      });
      if (use == f.var_uses.end()) continue;
      out->push_back({".env.sample", a.line,
                      a.name + " is new since " + since + " and " + f.path + ":" +
                          std::to_string(use->line) + " uses it without a default: deployments " +
                          "made before have no " + a.name + " (give one: ${" + a.name + ":-...})"});
      reported.insert(a.name);
      break;
    }
  }
}

void ImageTags(const Parsed& base, const Parsed& head, const std::string& since,
               std::vector<Finding>* out) {
  for (const ComposeFile& f : head.compose) {
    const ComposeFile* old_file = base.Compose(f.path);
    if (!old_file) continue;
    for (const ComposeService& s : f.services) {
      auto old = std::find_if(old_file->services.begin(), old_file->services.end(),
                              [&](const ComposeService& o) { return o.name == s.name; });
      if (s.image.empty() || old == old_file->services.end() || old->image.empty()) continue;
      auto now = Interpolate(s.image, [&](const std::string& v) { return head.SampleValue(v); });
      auto then =
          Interpolate(old->image, [&](const std::string& v) { return base.SampleValue(v); });
      if (!now || !then) continue;
      ImageRef a = SplitImage(*now), b = SplitImage(*then);
      if (a.repo != b.repo) continue;
      if (auto cmp = CompareTags(a.tag, b.tag); cmp && *cmp < 0) {
        out->push_back({f.path, s.image_line,
                        "service " + s.name + "'s image goes back from " + *then + " (" + since +
                            ") to " + *now});
      }
    }
  }
}

void ReleaseNotes(const Parsed& head, const UpgradeSafetyInput& in, std::vector<Finding>* out) {
  std::string version = in.head_tag, file;
  int line = 0;
  if (version.empty()) {
    const ComposeFile* labelled = head.Compose("compose.yml");
    if (!labelled || labelled->version.empty()) {
      for (const auto& f : head.compose) {
        if (!f.version.empty()) labelled = &f;
      }
    }
    if (!labelled || labelled->version.empty()) return;
    version = labelled->version;
    file = labelled->path;
    line = labelled->version_line;
  }
  auto now = ParseReleaseTag(version), then = ParseReleaseTag(in.base_version);
  if (!now || !then || !ReleaseLess(*then, *now)) return;
  if (head.tree->release_notes.count(version)) return;
  out->push_back({file.empty() ? "release/" + version : file, line,
                  "new version " + version + " (after " + in.base_version +
                      ") has no release notes: add release/" + version});
}

}  // namespace

Result<std::vector<Finding>> CheckUpgradeSafety(const UpgradeSafetyInput& in) {
  auto base = Parse(in.base);
  if (!base.ok()) return base.status();
  auto head = Parse(in.head);
  if (!head.ok()) return head.status();
  std::vector<Finding> out;
  ConfigVersions(*base, *head, in.base_version, &out);
  NewVariables(*base, *head, in.base_version, &out);
  ImageTags(*base, *head, in.base_version, &out);
  ReleaseNotes(*head, in, &out);
  return out;
}

}  // namespace ccci::runner
