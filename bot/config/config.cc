#include "bot/config/config.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "base/child_env.h"
#include "base/ini.h"

namespace ccci {
namespace {

// How a key's text becomes a Config field: each returns an error reason (empty on success).
using Setter = std::function<std::string(const std::string& v, Config* c)>;

template <typename F>
Setter Text(F Config::*field) {
  return [field](const std::string& v, Config* c) {
    c->*field = v;
    return std::string();
  };
}

Setter List(std::vector<std::string> Config::*field) {
  return [field](const std::string& v, Config* c) {
    c->*field = SplitList(v, ",");
    return std::string();
  };
}

Setter Int(int Config::*field, int64_t lo, int64_t hi) {
  return [=](const std::string& v, Config* c) -> std::string {
    int64_t n;
    if (!ParseInt64(v, &n)) return "not a whole number: '" + v + "'";
    if (n < lo || n > hi) {
      return "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
    }
    c->*field = static_cast<int>(n);
    return "";
  };
}

Setter Bytes(int64_t Config::*field, int64_t lo, int64_t hi) {
  return [=](const std::string& v, Config* c) -> std::string {
    int64_t n;
    if (!ParseInt64(v, &n) || n < lo || n > hi) {
      return "must be a byte count between " + std::to_string(lo) + " and " + std::to_string(hi);
    }
    c->*field = n;
    return "";
  };
}

Setter Duration(int Config::*field) {
  return [field](const std::string& v, Config* c) -> std::string {
    if (!ParseDurationSeconds(v, &(c->*field))) {
      return "not a duration (like 30s, 5m, 1h, 30d): '" + v + "'";
    }
    return "";
  };
}

Setter Bool(bool Config::*field) {
  return [field](const std::string& v, Config* c) -> std::string {
    if (!ParseBool(v, &(c->*field))) return "not a boolean (true or false): '" + v + "'";
    return "";
  };
}

// Empty means "not set" (the default applies).
Setter OptionalBool(std::optional<bool> Config::*field) {
  return [field](const std::string& v, Config* c) -> std::string {
    if (v.empty()) {
      (c->*field).reset();
      return "";
    }
    bool b;
    if (!ParseBool(v, &b)) return "not a boolean (true or false): '" + v + "'";
    c->*field = b;
    return "";
  };
}

// "HH:MM" (UTC, 00:00-23:59) as minutes after midnight; an empty value turns it off (-1).
Setter TimeOfDay(int Config::*field) {
  return [field](const std::string& v, Config* c) -> std::string {
    if (v.empty()) {
      c->*field = -1;
      return "";
    }
    int64_t h = -1, m = -1;
    size_t colon = v.find(':');
    if (colon == std::string::npos || colon == 0 || colon > 2 || v.size() - colon != 3 ||
        v.find_first_not_of("0123456789:") != std::string::npos ||
        !ParseInt64(v.substr(0, colon), &h) || !ParseInt64(v.substr(colon + 1), &m) || h > 23 ||
        m > 59) {
      return "not a time of day HH:MM (UTC, 00:00 to 23:59), like 02:30: '" + v + "'";
    }
    c->*field = static_cast<int>(h * 60 + m);
    return "";
  };
}

// Every key: its name, default and doc (--help, cc-ci.example.ini) and how its value is set.
struct KeyRule {
  ConfigKey key;
  Setter set;
};

const std::vector<KeyRule> kRules = {
    {{"server.listen", "127.0.0.1:8080", "address the dashboard, API and webhook intake listen on"},
     Text(&Config::listen)},
    {{"server.public_url", "",
      "base URL of links cc-ci writes into PR comments; default http://<listen>"},
     Text(&Config::public_url)},
    {{"server.max_connections", "1024",
      "open connections at most; a new one over it closes the oldest waiting one (idle, slow to "
      "send or slow to read)"},
     Int(&Config::max_connections, 4, 100000)},
    {{"server.max_connections_per_peer", "64",
      "open connections per peer address (an IPv6 /64 counts as one), the oldest closed first; 0 "
      "for no cap (behind a reverse proxy every peer has its address)"},
     Int(&Config::max_connections_per_peer, 0, 100000)},
    {{"server.max_queued", "1024",
      "complete requests waiting for a worker, per pool; more get 503"},
     Int(&Config::max_queued, 1, 100000)},
    {{"server.keepalive_timeout", "5s", "idle keep-alive connections are closed after this"},
     Duration(&Config::keepalive_timeout_s)},
    {{"server.request_timeout", "10s",
      "a whole request, head and body, must arrive within this from its first byte, else 408 and "
      "closed"},
     Duration(&Config::request_timeout_s)},
    {{"server.write_timeout", "30s",
      "a peer that takes nothing of an answer for this long is dropped"},
     Duration(&Config::write_timeout_s)},
    {{"server.max_body_bytes", "1048576", "request bodies larger than this are refused with 413"},
     Bytes(&Config::max_body_bytes, 1024, 64 << 20)},
    {{"server.max_request_memory", "67108864",
      "bytes of request bodies being read or handled at once; the request that would pass it "
      "gets 503"},
     Bytes(&Config::max_request_memory, 1 << 20, 1LL << 36)},
    {{"server.hook_workers", "4",
      "threads that check and parse webhook deliveries (/hooks/gitea) and nothing else; none "
      "waits for its delivery's commit (the committing thread answers it), so about twice the "
      "cores is enough"},
     Int(&Config::hook_workers, 1, 256)},
    {{"server.page_workers", "4",
      "threads for every other route (dashboard, badges, API, stage logs); they cap the pages "
      "rendered at once"},
     Int(&Config::page_workers, 1, 256)},
    {{"storage.data_dir", "data", "SQLite database, logs and generated files live here"},
     Text(&Config::data_dir)},
    {{"storage.driver", "sqlite",
      "sqlite, postgres (a server several hosts share; storage.url_file), or memory (nothing "
      "persisted; for benchmarks only)"},
     Text(&Config::driver)},
    {{"storage.url_file", "",
      "postgres: file holding the libpq connection string (it holds a password: never in this "
      "file); env CC_CI_DATABASE_URL takes precedence"},
     Text(&Config::database_url_file)},
    {{"storage.synchronous", "normal",
      "normal survives a crash of cc-ci; full also survives power loss"},
     Text(&Config::synchronous)},
    {{"storage.delivery_retention", "30d",
      "webhook deliveries older than this are pruned (runs are kept); 0 keeps them forever"},
     Duration(&Config::delivery_retention_s)},
    {{"storage.log_retention", "90d",
      "stage logs and screenshots of runs that ended longer ago are removed (runs and levels are "
      "kept); 0 keeps them forever"},
     Duration(&Config::log_retention_s)},
    {{"storage.committer_nice", "-10",
      "added to the nice value of the thread that commits every write and answers every "
      "webhook (the intake's one serial stage), so the host's test stacks do not hold it up; "
      "below 0 needs CAP_SYS_NICE or systemd's LimitNICE=, else it runs at cc-ci's own and "
      "the log says so; 0 leaves it"},
     Int(&Config::committer_nice, -20, 19)},
    {{"gitea.url", "", "base URL of the Gitea forge, e.g. https://git.coopcloud.tech"},
     Text(&Config::gitea_url)},
    {{"gitea.token_file", "",
      "file holding the bot's API token (env CC_CI_GITEA_TOKEN takes precedence)"},
     Text(&Config::token_file)},
    {{"gitea.webhook_secret_file", "",
      "one webhook secret per line (several for rotation); default <data_dir>/webhook-secret, "
      "generated if missing; env CC_CI_WEBHOOK_SECRET takes precedence"},
     Text(&Config::webhook_secret_file)},
    {{"gitea.bot_login", "cc-ci", "the bot's own Gitea login; its comments are ignored"},
     Text(&Config::bot_login)},
    {{"gitea.dry_run", "",
      "true: send nothing to Gitea, only log and show it; default true when no token is set"},
     OptionalBool(&Config::dry_run)},
    {{"gitea.trusted_users", "",
      "comma-separated logins allowed to command without write permission"},
     List(&Config::trusted_users)},
    {{"gitea.repos", "",
      "comma-separated owner/name repos the reconciler watches (plus those seen in deliveries)"},
     List(&Config::repos)},
    {{"gitea.reconcile_interval", "5m",
      "how often the reconciler looks for missed PRs and comments"},
     Duration(&Config::reconcile_interval_s)},
    {{"gitea.pass_level", "1", "the commit status is success at or above this level"},
     Int(&Config::pass_level, 0, 8)},
    {{"gitea.status_per_stage", "false",
      "true: a commit status per stage (cc-ci/install, cc-ci/upgrade, ...) beside cc-ci/recipe, "
      "so branch protection can require one"},
     Bool(&Config::status_per_stage)},
    {{"gitea.readme_prs", "true",
      "on a default-branch run whose measured README scores differ from the README, open (or "
      "update) one PR on branch cc-ci/readme-scores; false only reports them"},
     Bool(&Config::readme_prs)},
    {{"runner.concurrency", "1",
      "runs tested at the same time; 0 runs no runner (a front node: webhooks, reporting, "
      "dashboard; `cc-ci worker` on the test hosts runs the suites)"},
     Int(&Config::runner_concurrency, 0, 64)},
    {{"runner.worker_name", "",
      "the name this runner claims runs under, unique among the workers sharing a store and "
      "kept across restarts (letters, digits, . _ - / : @); default <hostname>/<runner.server>"},
     Text(&Config::runner_worker_name)},
    {{"runner.lease", "60s",
      "how long a claimed run stays this worker's without a heartbeat (renewed every third of "
      "it); a run whose worker stopped renewing it is queued again"},
     Duration(&Config::runner_lease_s)},
    {{"runner.max_attempts", "2",
      "a run interrupted by restarts or a lost worker runs at most this often, then is a CI "
      "error"},
     Int(&Config::runner_max_attempts, 1, 10)},
    {{"runner.abra", "abra", "the abra executable (looked up on PATH)"},
     Text(&Config::runner_abra)},
    {{"runner.docker", "docker", "the docker executable, used to read the deployed stack's labels"},
     Text(&Config::runner_docker)},
    {{"runner.server", "default", "abra server apps are deployed to (default: the local swarm)"},
     Text(&Config::runner_server)},
    {{"runner.domain", "ci.localhost", "apps under test get <recipe>-<pr>-<run id>.<domain>"},
     Text(&Config::runner_domain)},
    {{"runner.app_url", "https://{domain}{health_path}", "the URL probed until the app answers"},
     Text(&Config::runner_app_url)},
    {{"runner.connect_to", "",
      "comma-separated HOST:PORT:CONNECT-HOST:CONNECT-PORT like curl --connect-to; "
      "::127.0.0.1:443 reaches a local proxy without DNS"},
     List(&Config::runner_connect_to)},
    {{"runner.verify_tls", "false",
      "check the app's TLS certificate (test deployments are usually self-signed)"},
     Bool(&Config::runner_verify_tls)},
    {{"runner.stage_timeout", "20m",
      "longest one abra command may take (overlays may raise it; heavy apps need up to 60m)"},
     Duration(&Config::runner_stage_timeout_s)},
    {{"runner.ready_timeout", "10m", "longest the app may take to answer after a deploy"},
     Duration(&Config::runner_ready_timeout_s)},
    {{"runner.overlay_dir", "",
      "per-recipe overlay INI files (<recipe>.ini); default <data_dir>/overlays"},
     Text(&Config::runner_overlay_dir)},
    {{"runner.approved_recipes", "",
      "comma-separated recipes whose own repo code (overlay recipe_checks) may run"},
     List(&Config::runner_approved_recipes)},
    {{"runner.log_max_bytes", "10485760", "each stage log is cut at this size"},
     Bytes(&Config::runner_log_max_bytes, 4096, 1LL << 32)},
    {{"runner.screenshots", "true", "take a screenshot of each app in headless Chromium"},
     Bool(&Config::runner_screenshots)},
    {{"runner.allowed_clone_urls", "",
      "comma-separated URL prefixes (or absolute local paths, for tests) runs may clone from "
      "besides gitea.url's scheme and host; a local path or file:// prefix lets git use its file "
      "protocol"},
     List(&Config::runner_allowed_clone_urls)},
    {{"runner.pass_env", "",
      "comma-separated names of cc-ci's environment variables every command also gets (NAME_* "
      "matches a prefix); commands get only PATH, HOME, locale, TERM, TZ, TMPDIR, SSH_AUTH_SOCK, "
      "DOCKER_* and proxy settings otherwise, and never CC_CI_*"},
     List(&Config::runner_pass_env)},
    {{"levels.maintained_months", "6",
      "rung 8 (maintained): the recipe's newest release is at most this many months old"},
     Int(&Config::maintained_months, 1, 120)},
    {{"schedule.nightly", "",
      "HH:MM (UTC): once a day at this time, queue a run of the default branch of every watched "
      "recipe (gitea.repos and repos seen in deliveries); empty: no nightly runs"},
     TimeOfDay(&Config::nightly_minute)},
    {{"schedule.regression_issues", "false",
      "true: a nightly level lower than the previous night's opens (or updates) one issue on the "
      "recipe, closed when the level recovers"},
     Bool(&Config::regression_issues)},
    {{"log.level", "info", "debug, info, warn or error"}, Text(&Config::log_level)},
};

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": " + strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Applies one key; returns an error reason (empty on success).
std::string ApplyKey(const std::string& key, const std::string& v, Config* c) {
  for (const KeyRule& rule : kRules) {
    if (key == rule.key.name) return rule.set(v, c);
  }
  return "unknown key";
}

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> keys = [] {
    std::vector<ConfigKey> out;
    for (const KeyRule& rule : kRules) out.push_back(rule.key);
    return out;
  }();
  return keys;
}

std::string Config::EffectivePublicUrl() const {
  if (!public_url.empty()) {
    std::string u = public_url;
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
  }
  return "http://" + listen;
}

std::string Config::EffectiveWorkerName() const {
  if (!runner_worker_name.empty()) return runner_worker_name;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "cc-ci/" + runner_server;
  return std::string(host) + "/" + runner_server;
}

Status ApplyIni(const std::string& text, const std::string& source_name, Config* config) {
  auto parsed = ParseIni(text, source_name);
  if (!parsed.ok()) return parsed.status();
  for (const auto& [key, iv] : *parsed) {
    std::string reason = ApplyKey(key, iv.value, config);
    if (!reason.empty()) {
      return InvalidArgument(source_name + ":" + std::to_string(iv.line) + ": " + key + ": " +
                             reason);
    }
  }
  return Status::Ok();
}

// Validate's checks of the runner.* keys.
static Status ValidateRunner(const Config& c) {
  auto bad = [](const std::string& key, const std::string& why) {
    return InvalidArgument(key + ": " + why);
  };
  if (c.runner_abra.empty()) return bad("runner.abra", "must not be empty");
  if (c.runner_server.empty()) return bad("runner.server", "must not be empty");
  if (c.runner_domain.empty() || c.runner_domain.front() == '.' || c.runner_domain.back() == '.') {
    return bad("runner.domain", "must be a domain like ci.example.org");
  }
  if (c.runner_app_url.find("{domain}") == std::string::npos) {
    return bad("runner.app_url", "must contain {domain}");
  }
  for (const std::string& rule : c.runner_connect_to) {
    if (std::count(rule.begin(), rule.end(), ':') < 3) {
      return bad("runner.connect_to", "'" + rule + "' is not HOST:PORT:CONNECT-HOST:CONNECT-PORT");
    }
  }
  for (const std::string& name : c.runner_pass_env) {
    // A pattern "X*" covers CC_CI_* when "CC_CI_" starts with X.
    bool covers_private = !name.empty() && name.back() == '*' &&
                          std::string("CC_CI_").rfind(name.substr(0, name.size() - 1), 0) == 0;
    if (IsPrivateEnvName(name) || covers_private) {
      return bad("runner.pass_env",
                 "'" + name + "' names cc-ci's own CC_CI_* variables, which no command gets");
    }
  }
  if (c.runner_stage_timeout_s < 1) return bad("runner.stage_timeout", "must be at least 1s");
  if (c.runner_ready_timeout_s < 1) return bad("runner.ready_timeout", "must be at least 1s");
  if (c.runner_lease_s < 2) return bad("runner.lease", "must be at least 2s");
  std::string worker = c.EffectiveWorkerName();
  if (worker.empty() || worker.size() > 100 ||
      worker.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@") !=
          std::string::npos) {
    return bad("runner.worker_name",
               "'" + worker + "' must be 1-100 letters, digits or . _ - / : @");
  }
  return Status::Ok();
}

Status Config::Validate() const {
  auto bad = [](const std::string& key, const std::string& why) {
    return InvalidArgument(key + ": " + why);
  };
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return bad("server.listen", "expected host:port, got '" + listen + "'");
  }
  int64_t port;
  if (!ParseInt64(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return bad("server.listen", "port must be 0-65535 in '" + listen + "'");
  }
  if (!public_url.empty() && public_url.rfind("http://", 0) != 0 &&
      public_url.rfind("https://", 0) != 0) {
    return bad("server.public_url", "must start with http:// or https://");
  }
  if (request_timeout_s < 1) return bad("server.request_timeout", "must be at least 1s");
  if (write_timeout_s < 1) return bad("server.write_timeout", "must be at least 1s");
  if (keepalive_timeout_s < 1) return bad("server.keepalive_timeout", "must be at least 1s");
  if (max_request_memory < max_body_bytes) {
    return bad("server.max_request_memory", "must be at least server.max_body_bytes");
  }
  if (data_dir.empty()) return bad("storage.data_dir", "must not be empty");
  if (driver != "sqlite" && driver != "memory" && driver != "postgres") {
    return bad("storage.driver", "must be sqlite, postgres or memory, got '" + driver + "'");
  }
  if (driver == "postgres" && database_url.empty() && database_url_file.empty()) {
    return bad(
        "storage.url_file",
        "driver postgres needs a connection string (storage.url_file or CC_CI_DATABASE_URL)");
  }
  if (synchronous != "normal" && synchronous != "full") {
    return bad("storage.synchronous", "must be normal or full, got '" + synchronous + "'");
  }
  if (!gitea_url.empty() && gitea_url.rfind("http://", 0) != 0 &&
      gitea_url.rfind("https://", 0) != 0) {
    return bad("gitea.url", "must start with http:// or https://, got '" + gitea_url + "'");
  }
  if (dry_run.has_value() && !*dry_run && gitea_url.empty()) {
    return bad("gitea.dry_run", "false needs gitea.url");
  }
  if (dry_run.has_value() && !*dry_run && gitea_token.empty() && token_file.empty()) {
    return bad("gitea.dry_run", "false needs a token (gitea.token_file or CC_CI_GITEA_TOKEN)");
  }
  if (bot_login.empty()) return bad("gitea.bot_login", "must not be empty");
  for (const std::string& r : repos) {
    size_t slash = r.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == r.size() ||
        r.find('/', slash + 1) != std::string::npos) {
      return bad("gitea.repos", "'" + r + "' is not owner/name");
    }
  }
  if (reconcile_interval_s < 10) return bad("gitea.reconcile_interval", "must be at least 10s");
  CCCI_RETURN_IF_ERROR(ValidateRunner(*this));
  if (nightly_minute >= 0 && gitea_url.empty()) {
    return bad("schedule.nightly",
               "needs gitea.url: each night the default branch's head is asked of Gitea");
  }
  if (regression_issues && nightly_minute < 0) {
    return bad("schedule.regression_issues", "true needs schedule.nightly (a time, like 02:30)");
  }
  if (log_level != "debug" && log_level != "info" && log_level != "warn" && log_level != "error") {
    return bad("log.level", "must be debug, info, warn or error");
  }
  return Status::Ok();
}

Result<Config> LoadConfig(const std::optional<std::string>& path) {
  Config config;
  if (path) {
    auto text = ReadFile(*path);
    if (!text.ok()) return InvalidArgument("cannot read config file " + text.status().message());
    CCCI_RETURN_IF_ERROR(ApplyIni(*text, *path, &config));
  }
  if (const char* t = getenv("CC_CI_GITEA_TOKEN"); t && *t) config.gitea_token = Trim(t);
  if (const char* u = getenv("CC_CI_DATABASE_URL"); u && *u) config.database_url = Trim(u);
  if (const char* s = getenv("CC_CI_WEBHOOK_SECRET"); s && *s) {
    config.webhook_secrets = SplitList(s, ",\n");
    config.webhook_secret_source = "env CC_CI_WEBHOOK_SECRET";
  }
  CCCI_RETURN_IF_ERROR(config.Validate());
  return config;
}

Status LoadToken(Config* config) {
  if (config->gitea_token.empty() && !config->token_file.empty()) {
    auto t = ReadFile(config->token_file);
    if (!t.ok()) return InvalidArgument("gitea.token_file: cannot read " + t.status().message());
    config->gitea_token = Trim(*t);
    if (config->gitea_token.empty()) {
      return InvalidArgument("gitea.token_file: " + config->token_file + " is empty");
    }
  }
  return Status::Ok();
}

Status LoadDatabaseUrl(Config* config) {
  if (config->driver != "postgres" || !config->database_url.empty()) return Status::Ok();
  auto u = ReadFile(config->database_url_file);
  if (!u.ok()) return InvalidArgument("storage.url_file: cannot read " + u.status().message());
  config->database_url = Trim(*u);
  if (config->database_url.empty()) {
    return InvalidArgument("storage.url_file: " + config->database_url_file + " is empty");
  }
  return Status::Ok();
}

Status LoadSecrets(Config* config) {
  CCCI_RETURN_IF_ERROR(LoadToken(config));
  CCCI_RETURN_IF_ERROR(LoadDatabaseUrl(config));
  if (!config->webhook_secrets.empty()) return Status::Ok();
  std::string path = config->webhook_secret_file;
  bool explicit_file = !path.empty();
  if (!explicit_file) path = config->data_dir + "/webhook-secret";
  auto text = ReadFile(path);
  if (!text.ok() && explicit_file) {
    return InvalidArgument("gitea.webhook_secret_file: cannot read " + text.status().message());
  }
  if (!text.ok()) {
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof(raw)) != 1) return Internal("cannot generate a webhook secret");
    std::string hex;
    static const char* kHex = "0123456789abcdef";
    for (unsigned char b : raw) {
      hex.push_back(kHex[b >> 4]);
      hex.push_back(kHex[b & 15]);
    }
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return Internal("cannot create " + path + ": " + strerror(errno));
    std::string line = hex + "\n";
    bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ok = fsync(fd) == 0 && ok;
    close(fd);
    if (!ok) return Internal("cannot write " + path);
    text = line;
  }
  config->webhook_secrets = SplitList(*text, "\n");
  config->webhook_secret_source = path;
  if (config->webhook_secrets.empty()) {
    return InvalidArgument("gitea.webhook_secret_file: " + path + " holds no secret");
  }
  return Status::Ok();
}

}  // namespace ccci
