#pragma once
// The serve command's wiring for in-process tests: a real SQLite store in a temp dir on a fake
// clock, a GiteaClient talking to a FakeGitea (which checks every request against Gitea's
// swagger), the outbox (not dry-run), the reporter, the intake and the command handler.

#include <memory>
#include <string>
#include <vector>

#include "bot/chatops/command_handler.h"
#include "bot/forge/gitea_client.h"
#include "bot/forge/outbox.h"
#include "bot/intake/intake.h"
#include "bot/report/reporter.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/test_files.h"

namespace ccci::testing {

struct BotWiring {
  struct Options {
    std::string secret = "s";
    std::vector<std::string> trusted_users;
    bool check_doubts_with_forge = false;
  };
  explicit BotWiring(const Options& o) : secret(o.secret) {
    SqlStore::Options so;
    so.path = dir.File("cc-ci.db");
    so.clock = &clock;
    store = std::move(SqlStore::Open(so).value());
    GiteaClient::Options go;
    go.base_url = gitea.base_url();
    go.token = "tok";
    go.max_attempts = 1;  // the outbox does the retrying
    client = std::make_unique<GiteaClient>(go);
    Outbox::Options oo;
    oo.dry_run = false;
    oo.clock = &clock;
    outbox = std::make_unique<Outbox>(store.get(), client.get(), oo);
    Reporter::Options ro;
    ro.public_url = "http://ci.example";
    reporter = std::make_unique<Reporter>(store.get(), store.get(), outbox.get(), ro);
    Intake::Options io{{secret}, "cc-ci", &clock, {}};
    io.check_doubts_with_forge = o.check_doubts_with_forge;
    intake = std::make_unique<Intake>(store.get(), io);
    CommandHandler::Options co;
    co.clock = &clock;
    co.trusted_users = o.trusted_users;
    commands = std::make_unique<CommandHandler>(
        store.get(), store.get(), client.get(), outbox.get(),
        [r = reporter.get()](const ccci::Run& run) { return r->RunChanged(run); }, co);
  }

  // `body` signed and handled as a delivery of `event`.
  IntakeResponse Post(const std::string& event, const std::string& body,
                      const std::string& delivery) {
    WebhookRequest r;
    r.event = event;
    r.delivery = delivery;
    r.body = body;
    r.signature = HmacSha256Hex(secret, body);
    return intake->Handle(r);
  }
  // Runs, newest first.
  std::vector<ccci::Run> Runs() { return store->ListRuns({}).value().runs; }

  std::string secret;
  TempDir dir;
  FakeClock clock;
  FakeGitea gitea{"tok"};
  std::unique_ptr<SqlStore> store;
  std::unique_ptr<GiteaClient> client;
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<Reporter> reporter;
  std::unique_ptr<Intake> intake;
  std::unique_ptr<CommandHandler> commands;
};

}  // namespace ccci::testing
