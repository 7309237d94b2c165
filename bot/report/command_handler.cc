#include "bot/report/command_handler.h"

#include <algorithm>

#include "base/log.h"
#include "bot/chatops/command_parser.h"

namespace ccci {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

CommandHandler::CommandHandler(CommandStore* commands, Store* runs, ForgeClient* forge,
                               Outbox* outbox, Reporter* reporter, Options options)
    : commands_(commands), runs_(runs), forge_(forge), outbox_(outbox), reporter_(reporter),
      options_(std::move(options)) {}

CommandHandler::~CommandHandler() { Stop(); }

bool CommandHandler::Trusted(const PendingCommand& c) {
  for (const std::string& u : options_.trusted_users) {
    if (Lower(u) == Lower(c.author)) return true;
  }
  if (c.author_can_push) return *c.author_can_push;
  if (!forge_) return false;
  auto p = forge_->GetPermission(c.repo, c.author);
  if (!p.ok()) {
    LogWarn("command.permission_unknown", {{"repo", c.repo}, {"author", c.author},
                                           {"reason", p.status().message()}});
    return false;
  }
  return *p == "write" || *p == "admin" || *p == "owner";
}

bool CommandHandler::Allow(const std::string& user, bool* notify) {
  int64_t now = options_.clock->NowUnixMillis();
  int64_t window = std::chrono::duration_cast<std::chrono::milliseconds>(options_.rate_limit_window).count();
  auto& times = recent_[Lower(user)];
  times.erase(std::remove_if(times.begin(), times.end(), [&](int64_t t) { return t <= now - window; }),
              times.end());
  if (times.empty()) told_.erase(Lower(user));
  if (static_cast<int>(times.size()) >= options_.rate_limit_count) {
    *notify = told_.insert(Lower(user)).second;
    return false;
  }
  times.push_back(now);
  *notify = false;
  return true;
}

int CommandHandler::ProcessPending() {
  std::lock_guard<std::mutex> lock(process_mu_);
  auto pending = commands_->PendingCommands(100);
  if (!pending.ok()) return 0;
  for (const PendingCommand& c : *pending) {
    std::vector<ChatCommand> cmds = ParseCommands(c.body);
    if (cmds.empty()) {  // "!cc-ci" only inside code or quotes
      (void)commands_->FinishCommand(c.id, "ignored", "no command outside code and quotes");
      continue;
    }
    bool notify = false;
    if (!Allow(c.author, &notify)) {
      if (notify) {
        (void)outbox_->Reply(c.repo, c.pr,
                             "@" + c.author + ": too many `!cc-ci` commands; commands are "
                             "ignored for a few minutes.");
      }
      LogWarn("command.rate_limited", {{"repo", c.repo}, {"pr", c.pr}, {"author", c.author}});
      (void)commands_->FinishCommand(c.id, "limited", "");
      continue;
    }
    bool trusted = std::any_of(cmds.begin(), cmds.end(), [](const ChatCommand& x) {
                     return x.kind != CommandKind::kHelp && x.kind != CommandKind::kUnknown;
                   }) && Trusted(c);
    std::string state = "done";
    bool acted = false;
    for (const ChatCommand& cmd : cmds) {
      switch (cmd.kind) {
        case CommandKind::kHelp:
        case CommandKind::kUnknown: {
          std::string head = cmd.kind == CommandKind::kUnknown
                                 ? "@" + c.author + ": unknown command `" + cmd.line + "`.\n\n"
                                 : "";
          (void)outbox_->Reply(c.repo, c.pr, head + HelpText());
          break;
        }
        case CommandKind::kRetest:
        case CommandKind::kCancel:
        case CommandKind::kOkToTest: {
          if (!trusted) {
            (void)outbox_->Reply(c.repo, c.pr,
                                 "@" + c.author + ": `!cc-ci " + CommandName(cmd.kind) +
                                     "` needs write access to " + c.repo +
                                     "; ask a maintainer.");
            state = "refused";
            break;
          }
          std::vector<int64_t> changed;
          bool done = true;
          if (cmd.kind == CommandKind::kRetest) {
            auto id = commands_->RetestPr(c.repo, c.pr, c.author);
            if (id.ok()) {
              changed.push_back(*id);
              // The retest may have coalesced into a run held for ok-to-test: a trusted
              // user's retest runs it (that run only; the PR is not approved by it).
              auto released = commands_->RetestWaitingRun(*id, c.author);
              if (!released.ok()) {
                LogError("command.retest_failed",
                         {{"run", *id}, {"reason", released.status().message()}});
              }
            } else {
              (void)outbox_->Reply(c.repo, c.pr, "@" + c.author + ": nothing to retest yet: " + id.status().message());
            }
          } else if (cmd.kind == CommandKind::kCancel) {
            auto ids = commands_->CancelPr(c.repo, c.pr, "cancelled by " + c.author);
            if (ids.ok()) changed = *ids;
          } else {
            // ok-to-test: recorded even when nothing waits, so the PR's later pushes run.
            auto ids = commands_->Approve(c.repo, c.pr, c.author);
            if (ids.ok()) {
              changed = *ids;
            } else {
              LogError("command.approve_failed", {{"repo", c.repo}, {"pr", c.pr},
                                                  {"reason", ids.status().message()}});
              (void)outbox_->Reply(c.repo, c.pr, "@" + c.author +
                                                     ": could not record `!cc-ci ok-to-test`; "
                                                     "please try again.");
              done = false;
            }
          }
          for (int64_t id : changed) {
            auto run = runs_->GetRun(id);
            if (run.ok()) (void)reporter_->RunChanged(*run);
          }
          if (!done) break;
          acted = true;
          LogInfo("command.accepted", {{"repo", c.repo}, {"pr", c.pr}, {"author", c.author},
                                       {"command", CommandName(cmd.kind)}});
          break;
        }
      }
    }
    if (acted) (void)outbox_->React(c.repo, c.pr, c.comment_id, "eyes");
    (void)commands_->FinishCommand(c.id, state, "");
  }
  return static_cast<int>(pending->size());
}

void CommandHandler::Start() { worker_.Start(); }

void CommandHandler::Kick() { worker_.Kick(); }

void CommandHandler::Stop() { worker_.Stop(); }

}  // namespace ccci
