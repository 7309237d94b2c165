#include "bot/app/runner_setup.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "base/log.h"

namespace ccci {

RunnerSetup::RunnerSetup(const Config& c) {
  std::error_code ec;
  std::string data_dir = std::filesystem::absolute(c.data_dir, ec).string();
  if (ec) data_dir = c.data_dir;
  options_.concurrency = c.runner_concurrency;
  options_.worker = c.EffectiveWorkerName();
  options_.lease = std::chrono::seconds(c.runner_lease_s);
  options_.max_attempts = c.runner_max_attempts;
  options_.shared_store = c.driver == "postgres";
  options_.data_dir = data_dir;
  options_.domain_suffix = c.runner_domain;
  options_.overlay_dir =
      c.runner_overlay_dir.empty() ? data_dir + "/overlays" : c.runner_overlay_dir;
  options_.approved_recipes = c.runner_approved_recipes;
  options_.clone_sources = runner::CloneSources(c.gitea_url, c.runner_allowed_clone_urls);
  runner::SuiteSpec& d = options_.defaults;
  d.abra = c.runner_abra;
  d.docker = c.runner_docker;
  d.server = c.runner_server;
  d.app_url = c.runner_app_url;
  d.connect_to = c.runner_connect_to;
  d.verify_tls = c.runner_verify_tls;
  d.stage_timeout = std::chrono::seconds(c.runner_stage_timeout_s);
  d.ready_timeout = std::chrono::seconds(c.runner_ready_timeout_s);
  d.log_cap_bytes = static_cast<size_t>(c.runner_log_max_bytes);
  d.pass_env = c.runner_pass_env;
  d.maintained_months = c.maintained_months;
  // Nothing cc-ci holds may show up in a stage log.
  d.secrets = c.webhook_secrets;
  if (!c.gitea_token.empty()) d.secrets.push_back(c.gitea_token);
  if (c.runner_screenshots && access(kChromiumBinary, X_OK) == 0) {
    browser_binary_ = kChromiumBinary;
    render::ChromiumOptions co;
    co.binary = browser_binary_;
    // The browser reaches the app the way the readiness probe does.
    co.connect_to = c.runner_connect_to;
    co.ignore_certificate_errors = !c.runner_verify_tls;
    co.pid_file = data_dir + "/chromium.pid";
    std::vector<std::string> left_out;
    render::HostResolverRules(co.connect_to, &left_out);
    for (const std::string& e : left_out) {
      LogWarn(
          "runner.connect_to_not_for_browser",
          {{"entry", e}, {"reason", "Chromium cannot map to the same host; give CONNECT-HOST"}});
    }
    browser_ = std::make_shared<render::ChromiumScreenshotter>(co);
  }
}

runner::SuiteDeps RunnerSetup::deps() const {
  runner::SuiteDeps deps;
  if (browser_) {
    auto browser = browser_;
    deps.screenshot = [browser](const std::string& url, const std::string& out) -> Status {
      auto png = browser->Capture(url, std::chrono::seconds(60));
      if (!png.ok()) return png.status();
      std::ofstream f(out, std::ios::binary | std::ios::trunc);
      f << *png;
      if (!f) return Internal("cannot write " + out);
      return Status::Ok();
    };
  }
  return deps;
}

std::string RunnerSetup::Describe() const {
  if (options_.concurrency == 0) return "none (runner.concurrency = 0: a front node)";
  return std::to_string(options_.concurrency) + " at a time as worker " + options_.worker +
         " via " + options_.defaults.abra + " on server " + options_.defaults.server +
         ", apps under *." + options_.domain_suffix +
         (browser_ ? ", screenshots" : ", no screenshots");
}

}  // namespace ccci
