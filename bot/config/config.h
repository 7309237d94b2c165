#pragma once
// cc-ci's configuration: one struct with documented defaults, filled from an INI file
// (`cc-ci serve --config FILE`), then from the environment (secrets), then validated.
// Every key is documented, with its default, in cc-ci.example.ini at the repo root; a test
// keeps that file and kKeys in step.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci {

struct Config {
  // [server]
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  std::string public_url;                 // base of links in comments; default http://<listen>
  int max_connections = 1024;             // open connections; over it the oldest waiting closes
  int max_connections_per_peer = 64;      // the same per peer address (IPv6: /64); 0: no cap
  int max_queued = 1024;                  // requests waiting for a worker, per pool
  int keepalive_timeout_s = 5;            // idle keep-alive connections are closed after this
  int request_timeout_s = 10;             // a whole request (head and body) must arrive in this
  int write_timeout_s = 30;               // a peer that reads nothing of an answer this long goes
  int64_t max_body_bytes = 1 << 20;       // request bodies above this get 413
  int64_t max_request_memory = 64 << 20;  // bodies being read or handled at once; over: 503
  int hook_workers = 4;                   // threads answering webhooks, kept for them alone
  int page_workers = 4;                   // threads for every other route (pages, API, logs)

  // [storage]
  std::string data_dir = "data";
  std::string driver = "sqlite";          // sqlite | postgres | memory (no persistence; benchmarks)
  std::string database_url_file;          // postgres: file holding the libpq connection string
  std::string synchronous = "normal";     // normal (survives a crash of cc-ci) | full (power loss)
  int delivery_retention_s = 30 * 86400;  // older deliveries are pruned; 0 keeps them
  int log_retention_s =
      90 * 86400;  // stage logs/screenshots of runs ended before are removed; 0 keeps them
  int committer_nice = -10;  // added to the committing thread's nice value (SqlStore::Options)

  // [gitea]
  std::string gitea_url;            // e.g. https://git.coopcloud.tech
  std::string token_file;           // file holding the API token (env CC_CI_GITEA_TOKEN wins)
  std::string webhook_secret_file;  // one secret per line; default <data_dir>/webhook-secret
  std::string bot_login = "cc-ci";  // the bot's own Gitea login; its comments are ignored
  std::optional<bool> dry_run;      // default: true when no token is configured
  std::vector<std::string> trusted_users;  // logins allowed to command without write permission
  std::vector<std::string> repos;          // watched repos (owner/name) for the reconciler
  int reconcile_interval_s = 300;
  int pass_level = 1;             // commit status is success at or above this level
  bool status_per_stage = false;  // a cc-ci/<stage> commit status per stage too
  bool readme_prs = true;         // open/update the README scores PR (else only report)

  // [runner]
  int runner_concurrency = 1;             // runs at a time; 0: no runner (a front node)
  std::string runner_worker_name;         // runs are claimed under it; default <hostname>/<server>
  int runner_lease_s = 60;                // a claim holds this long without a heartbeat
  int runner_max_attempts = 2;            // a run whose worker was lost runs at most this often
  std::string runner_abra = "abra";       // the abra executable (PATH lookup)
  std::string runner_docker = "docker";   // reads the deployed stack's labels
  std::string runner_server = "default";  // abra server the apps are deployed to
  std::string runner_domain = "ci.localhost";  // apps get <recipe>-<pr>-<run>.<domain>
  std::string runner_app_url = "https://{domain}{health_path}";
  std::vector<std::string> runner_connect_to;  // like curl --connect-to, e.g. ::127.0.0.1:443
  bool runner_verify_tls = false;
  int runner_stage_timeout_s = 20 * 60;
  int runner_ready_timeout_s = 10 * 60;
  std::string runner_overlay_dir;  // default <data_dir>/overlays
  std::vector<std::string> runner_approved_recipes;
  int64_t runner_log_max_bytes = 10 << 20;
  bool runner_screenshots = true;                      // headless Chromium screenshot of each app
  std::vector<std::string> runner_allowed_clone_urls;  // besides gitea.url's scheme and host
  std::vector<std::string> runner_pass_env;  // env names commands also get (never CC_CI_*)

  // [levels]
  int maintained_months = 6;  // rung 8: the newest release at most this old

  // [schedule]
  int nightly_minute = -1;         // schedule.nightly as minutes after 00:00 UTC; -1: off
  bool regression_issues = false;  // a nightly level drop opens an issue on the recipe

  // [log]
  std::string log_level = "info";

  // Loaded secrets: never printed, never taken from argv.
  std::vector<std::string> webhook_secrets;
  std::string gitea_token;
  std::string database_url;  // postgres: from CC_CI_DATABASE_URL, else storage.url_file
  // Where the webhook secrets came from (a path or "env CC_CI_WEBHOOK_SECRET"), for the log.
  std::string webhook_secret_source;

  bool EffectiveDryRun() const { return dry_run.value_or(gitea_token.empty()); }
  std::string EffectivePublicUrl() const;
  // runner.worker_name, or <hostname>/<runner.server> when unset.
  std::string EffectiveWorkerName() const;
  Status Validate() const;
};

// One documented key. `def` is the default as written in the INI file.
struct ConfigKey {
  const char* name;  // "server.listen"
  const char* def;
  const char* doc;
};
const std::vector<ConfigKey>& ConfigKeys();

// Applies INI text to `config`. Unknown keys and bad values are refused with
// "<source>:<line>: <key>: <reason>".
Status ApplyIni(const std::string& text, const std::string& source_name, Config* config);

// Loads the file, applies it, reads the environment overrides (CC_CI_GITEA_TOKEN,
// CC_CI_WEBHOOK_SECRET: one or more secrets separated by commas or newlines) and validates.
// Does not touch the file system beyond reading `path`; secrets are read by LoadSecrets.
Result<Config> LoadConfig(const std::optional<std::string>& path);

// The lock file a running `cc-ci serve` holds (base/pid_lock.h), one server per data dir.
inline std::string DataDirLockPath(const std::string& data_dir) { return data_dir + "/cc-ci.lock"; }

// Reads the token from gitea.token_file unless the environment gave one.
Status LoadToken(Config* config);

// postgres: reads the connection string from storage.url_file unless CC_CI_DATABASE_URL gave
// one.
Status LoadDatabaseUrl(Config* config);

// Reads the token and webhook secrets from their files or the environment. When no secret is
// configured anywhere, generates one into <data_dir>/webhook-secret (mode 0600) so a fresh
// server is usable and never unauthenticated. Requires the data dir to exist.
Status LoadSecrets(Config* config);

}  // namespace ccci
