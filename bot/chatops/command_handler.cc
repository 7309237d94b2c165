#include "bot/chatops/command_handler.h"

#include <algorithm>

#include "base/log.h"

namespace ccci {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Drops the times older than the window; true when fewer than `limit` remain.
bool Within(std::vector<int64_t>& times, int64_t now, int64_t window, int limit) {
  times.erase(
      std::remove_if(times.begin(), times.end(), [&](int64_t t) { return t <= now - window; }),
      times.end());
  return static_cast<int>(times.size()) < limit;
}

}  // namespace

CommandHandler::CommandHandler(CommandStore* commands, RunReader* runs, ForgeClient* forge,
                               Outbox* outbox, RunChangedFn run_changed, Options options)
    : commands_(commands),
      runs_(runs),
      forge_(forge),
      outbox_(outbox),
      run_changed_(std::move(run_changed)),
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
    LogWarn("command.permission_unknown",
            {{"repo", c.repo}, {"author", c.author}, {"reason", p.status().message()}});
    return false;
  }
  return *p == "write" || *p == "admin" || *p == "owner";
}

bool CommandHandler::Allow(const std::string& user, bool* notify) {
  int64_t now = options_.clock->NowUnixMillis();
  int64_t window =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.rate_limit_window).count();
  auto& times = recent_[Lower(user)];
  bool allowed = Within(times, now, window, options_.rate_limit_count);
  if (times.empty()) told_.erase(Lower(user));
  if (!allowed) {
    *notify = told_.insert(Lower(user)).second;
    return false;
  }
  times.push_back(now);
  *notify = false;
  return true;
}

void CommandHandler::SendReply(const PendingCommand& c, const CommandReply& reply) {
  int64_t now = options_.clock->NowUnixMillis();
  int64_t window =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.rate_limit_window).count();
  auto& times = pr_replies_[c.repo + "#" + std::to_string(c.pr)];
  if (!Within(times, now, window, options_.replies_per_pr)) {
    LogWarn("command.reply_budget_spent", {{"repo", c.repo}, {"pr", c.pr}, {"author", c.author}});
    return;
  }
  times.push_back(now);
  Status queued = outbox_->Reply(c.repo, c.pr, reply.Text());
  if (!queued.ok()) {
    LogError("command.reply_not_queued",
             {{"repo", c.repo}, {"pr", c.pr}, {"author", c.author}, {"reason", queued.message()}});
  }
}

bool CommandHandler::Act(const PendingCommand& c, CommandKind kind, CommandReply* reply) {
  std::vector<int64_t> changed;
  if (kind == CommandKind::kRetest) {
    auto id = commands_->RetestPr(c.repo, c.pr, c.author);
    if (!id.ok()) {
      reply->Say("nothing to retest yet: " + id.status().message());
      return true;
    }
    changed.push_back(*id);
    // The retest may have coalesced into a run held for ok-to-test: a trusted user's retest
    // runs it (that run only; the PR is not approved by it).
    auto released = commands_->RetestWaitingRun(*id, c.author);
    if (!released.ok()) {
      LogError("command.retest_failed", {{"run", *id}, {"reason", released.status().message()}});
    }
  } else if (kind == CommandKind::kCancel) {
    auto ids = commands_->CancelPr(c.repo, c.pr, "cancelled by " + c.author);
    if (ids.ok()) changed = *ids;
  } else {
    // ok-to-test: recorded even when nothing waits, so the PR's later pushes run.
    auto ids = commands_->Approve(c.repo, c.pr, c.author);
    if (!ids.ok()) {
      LogError("command.approve_failed",
               {{"repo", c.repo}, {"pr", c.pr}, {"reason", ids.status().message()}});
      reply->Say("could not record `!cc-ci ok-to-test`; please try again.");
      return false;
    }
    changed = *ids;
  }
  for (int64_t id : changed) {
    auto run = runs_->GetRun(id);
    // The reporter's poller reports it later anyway (it works from the store's state), so a
    // failure here only delays the PR's update: logged, not retried.
    Status reported = run.ok() ? run_changed_(*run) : run.status();
    if (!reported.ok()) {
      LogWarn("command.report_deferred", {{"run", id}, {"reason", reported.message()}});
    }
  }
  LogInfo("command.accepted",
          {{"repo", c.repo}, {"pr", c.pr}, {"author", c.author}, {"command", CommandName(kind)}});
  return true;
}

std::string CommandHandler::Handle(const PendingCommand& c, const std::vector<ChatCommand>& cmds,
                                   CommandReply* reply) {
  bool trusted =
      std::any_of(cmds.begin(), cmds.end(),
                  [](const ChatCommand& x) {
                    return x.kind != CommandKind::kHelp && x.kind != CommandKind::kUnknown;
                  }) &&
      Trusted(c);
  std::string state = "done";
  bool acted = false;
  for (const ChatCommand& cmd : cmds) {
    if (cmd.kind == CommandKind::kHelp) {
      reply->Help();
    } else if (cmd.kind == CommandKind::kUnknown) {
      reply->Unknown(cmd.word);
    } else if (!trusted) {
      reply->Say(std::string("`!cc-ci ") + CommandName(cmd.kind) + "` needs write access to " +
                 c.repo + "; ask a maintainer.");
      state = "refused";
    } else {
      acted |= Act(c, cmd.kind, reply);
    }
  }
  if (acted) {
    Status queued = outbox_->React(c.repo, c.pr, c.comment_id, "eyes");
    if (!queued.ok()) {
      LogError("command.reaction_not_queued", {{"repo", c.repo},
                                               {"pr", c.pr},
                                               {"comment", c.comment_id},
                                               {"reason", queued.message()}});
    }
  }
  return state;
}

void CommandHandler::Finish(const PendingCommand& c, const std::string& state,
                            const std::string& note) {
  Status s = commands_->FinishCommand(c.id, state, note);
  // Logged, not retried here: the command stays pending, so the next pass sees it again.
  if (!s.ok()) {
    LogError("command.finish_failed",
             {{"command", c.id}, {"state", state}, {"reason", s.message()}});
  }
}

int CommandHandler::ProcessPending() {
  std::lock_guard<std::mutex> lock(process_mu_);
  auto pending = commands_->PendingCommands(100);
  if (!pending.ok()) return 0;
  for (const PendingCommand& c : *pending) {
    std::vector<ChatCommand> cmds = ParseCommands(c.body);
    if (cmds.empty()) {  // "!cc-ci" only inside code or quotes
      Finish(c, "ignored", "no command outside code and quotes");
      continue;
    }
    bool notify = false;
    if (!Allow(c.author, &notify)) {
      if (notify) {
        CommandReply limited(c.author);
        limited.Say("too many `!cc-ci` commands; commands are ignored for a few minutes.");
        SendReply(c, limited);
      }
      LogWarn("command.rate_limited", {{"repo", c.repo}, {"pr", c.pr}, {"author", c.author}});
      Finish(c, "limited", "");
      continue;
    }
    CommandReply reply(c.author);
    std::string state = Handle(c, cmds, &reply);
    if (!reply.empty()) SendReply(c, reply);
    Finish(c, state, "");
  }
  return static_cast<int>(pending->size());
}

void CommandHandler::Start() { worker_.Start(); }

void CommandHandler::Kick() { worker_.Kick(); }

void CommandHandler::Stop() { worker_.Stop(); }

}  // namespace ccci
