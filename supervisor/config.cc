#include "supervisor/config.h"

#include <fstream>
#include <sstream>

extern char** environ;

namespace ccci::supervisor {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

Status ParseSeconds(const std::string& key, const std::string& v, Seconds* out) {
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size() || n < 0) return InvalidArgument(key + ": not a duration: " + v);
    *out = Seconds(n);
    return Status::Ok();
  } catch (const std::exception&) {
    return InvalidArgument(key + ": not a duration: " + v);
  }
}

Status ParseInt(const std::string& key, const std::string& v, long long* out) {
  try {
    size_t used = 0;
    *out = std::stoll(v, &used);
    if (used != v.size()) return InvalidArgument(key + ": not a number: " + v);
    return Status::Ok();
  } catch (const std::exception&) {
    return InvalidArgument(key + ": not a number: " + v);
  }
}

std::vector<std::string> SplitList(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = Trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Status Apply(const std::string& key, const std::string& v, SupervisorConfig* c) {
  struct Dur {
    const char* name;
    Seconds* field;
  };
  const Dur durations[] = {
      {"tick", &c->tick},
      {"progress_every", &c->progress_every},
      {"stall_after", &c->stall_after},
      {"no_progress_after", &c->no_progress_after},
      {"result_grace", &c->result_grace},
      {"stop_grace", &c->stop_grace},
      {"backoff_initial", &c->backoff_initial},
      {"backoff_max", &c->backoff_max},
      {"stable_after", &c->stable_after},
      {"fatal_window", &c->fatal_window},
      {"rate_limit_min", &c->rate_limit_min},
      {"rate_limit_max", &c->rate_limit_max},
      {"rate_limit_fallback", &c->rate_limit_fallback},
      {"remote_timeout", &c->remote_timeout},
      {"orchestrator_stall_after", &c->orchestrator_stall_after},
      {"orchestrator_interval", &c->orchestrator_interval},
      {"upgrade_timeout", &c->upgrade_timeout},
  };
  for (const Dur& d : durations) {
    if (key == d.name) return ParseSeconds(key, v, d.field);
  }
  if (key == "backend" || key == "upgrader_backend") {
    Backend b;
    if (v == "claude") {
      b = Backend::kClaude;
    } else if (v == "opencode") {
      b = Backend::kOpencode;
    } else {
      return InvalidArgument(key + " must be claude or opencode, not " + v);
    }
    if (key == "backend") c->backend = b;
    if (key == "upgrader_backend") c->upgrader_backend = b;
    return Status::Ok();
  }
  long long n = 0;
  if (key == "fatal_crashes" || key == "log_max_bytes" || key == "log_keep") {
    CCCI_RETURN_IF_ERROR(ParseInt(key, v, &n));
    if (key == "fatal_crashes") c->fatal_crashes = static_cast<int>(n);
    if (key == "log_max_bytes") c->log_max_bytes = n;
    if (key == "log_keep") c->log_keep = static_cast<int>(n);
    return Status::Ok();
  }
  if (key == "backoff_jitter") {
    try {
      c->backoff_jitter = std::stod(v);
    } catch (const std::exception&) {
      return InvalidArgument("backoff_jitter: not a number: " + v);
    }
    return Status::Ok();
  }
  std::map<std::string, std::string*> strings = {
      {"model", &c->model},
      {"opencode_url", &c->opencode_url},
      {"claude_bin", &c->claude_bin},
      {"opencode_bin", &c->opencode_bin},
      {"state_dir", &c->state_dir},
      {"plans_dir", &c->plans_dir},
      {"prompts_dir", &c->prompts_dir},
      {"main_ref", &c->main_ref},
      {"remote_url", &c->remote_url},
      {"upgrader_model", &c->upgrader_model},
  };
  if (auto it = strings.find(key); it != strings.end()) {
    *it->second = v;
    return Status::Ok();
  }
  if (key == "unset_env") {
    c->unset_env = SplitList(v);
    return Status::Ok();
  }
  return InvalidArgument("unknown config key: " + key);
}

}  // namespace

const char* BackendName(Backend b) { return b == Backend::kClaude ? "claude" : "opencode"; }

Status SupervisorConfig::Validate() const {
  if (repo.empty()) return InvalidArgument("repo is empty");
  if (state_dir.empty()) return InvalidArgument("state_dir is empty");
  if (model.empty()) return InvalidArgument("model is empty (set LOOP_MODEL)");
  if (tick.count() <= 0) return InvalidArgument("tick must be > 0");
  if (stall_after.count() <= 0 || no_progress_after.count() <= 0)
    return InvalidArgument("stall_after and no_progress_after must be > 0");
  if (backoff_initial.count() <= 0 || backoff_max < backoff_initial)
    return InvalidArgument("need 0 < backoff_initial <= backoff_max");
  if (backoff_jitter < 0 || backoff_jitter >= 1)
    return InvalidArgument("backoff_jitter must be in [0, 1)");
  if (fatal_crashes < 1) return InvalidArgument("fatal_crashes must be >= 1");
  if (rate_limit_max < rate_limit_min) return InvalidArgument("rate_limit_max < rate_limit_min");
  if (log_max_bytes < 4096 || log_keep < 1)
    return InvalidArgument("log_max_bytes must be >= 4096 and log_keep >= 1");
  if (backend == Backend::kOpencode && opencode_url.empty())
    return InvalidArgument("opencode backend needs opencode_url");
  if (orchestrator_stall_after.count() <= 0)
    return InvalidArgument("orchestrator_stall_after must be > 0");
  if (upgrade_timeout.count() <= 0) return InvalidArgument("upgrade_timeout must be > 0");
  if (remote_timeout.count() <= 0) return InvalidArgument("remote_timeout must be > 0");
  return Status::Ok();
}

SupervisorConfig UpgraderConfig(const SupervisorConfig& config,
                                const std::map<std::string, std::string>& env) {
  auto set = [&](const char* name) {
    auto it = env.find(name);
    return it != env.end() && !it->second.empty();
  };
  // `config` already holds LOOP_* when they are set (LoadConfig applies the environment
  // over the INI file), so keeping it is what "LOOP_* take precedence" means.
  SupervisorConfig c = config;
  if (!set("LOOP_BACKEND") && config.upgrader_backend) c.backend = *config.upgrader_backend;
  if (!set("LOOP_MODEL") && !config.upgrader_model.empty()) c.model = config.upgrader_model;
  return c;
}

std::string RedactUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  // scp-like ssh URLs (git@host:path) name only a user: nothing secret to hide there.
  if (at == std::string::npos || at < start || scheme == std::string::npos) return url;
  return url.substr(0, start) + "***" + url.substr(at);
}

Result<std::map<std::string, std::string>> ParseIni(const std::string& text) {
  std::map<std::string, std::string> out;
  std::stringstream ss(text);
  std::string line;
  std::string section;
  int n = 0;
  while (std::getline(ss, line)) {
    ++n;
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']')
        return InvalidArgument("ini line " + std::to_string(n) + ": bad section");
      section = Trim(line.substr(1, line.size() - 2));
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos)
      return InvalidArgument("ini line " + std::to_string(n) + ": expected key = value");
    std::string key = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    if (key.empty()) return InvalidArgument("ini line " + std::to_string(n) + ": empty key");
    out[key] = value;
  }
  return out;
}

Result<SupervisorConfig> LoadConfig(const std::string& repo, const std::string& ini_path,
                                    const std::map<std::string, std::string>& env) {
  SupervisorConfig c;
  c.repo = repo;
  if (!ini_path.empty()) {
    std::ifstream in(ini_path);
    if (!in) return NotFound("cannot read config " + ini_path);
    std::stringstream text;
    text << in.rdbuf();
    Result<std::map<std::string, std::string>> kv = ParseIni(text.str());
    if (!kv.ok()) return kv.status();
    for (const auto& [k, v] : *kv) {
      Status s = Apply(k, v, &c);
      if (!s.ok()) return InvalidArgument(ini_path + ": " + s.message());
    }
  }
  const std::pair<const char*, const char*> env_keys[] = {
      {"LOOP_BACKEND", "backend"},           {"LOOP_MODEL", "model"},
      {"LOOP_OPENCODE_URL", "opencode_url"}, {"CC_CI_SUPERVISOR_STATE_DIR", "state_dir"},
      {"CLAUDE_BIN", "claude_bin"},          {"OPENCODE_BIN", "opencode_bin"},
      {"CC_CI_REPO", "remote_url"},          {"UPGRADER_BACKEND", "upgrader_backend"},
      {"UPGRADER_MODEL", "upgrader_model"},
  };
  for (const auto& [name, key] : env_keys) {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) continue;
    Status s = Apply(key, it->second, &c);
    if (!s.ok()) return InvalidArgument(std::string(name) + ": " + s.message());
  }
  if (c.state_dir.empty()) c.state_dir = repo + "/.cc-ci-supervisor";
  return c;
}

std::map<std::string, std::string> CurrentEnvironment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

}  // namespace ccci::supervisor
