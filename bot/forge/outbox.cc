#include "bot/forge/outbox.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>

#include "base/log.h"
#include "bot/forge/json_object.h"

namespace ccci {
namespace {

// A message whose outcome could not be recorded stays due: it is sent again on the next pass
// (Gitea sees a duplicate edit, status or reply, never a lost one). Logged so it is seen.
void LogIfFailed(const Status& s, const OutboxMessage& m, const char* step) {
  if (s.ok()) return;
  LogError(
      "outbox.record_failed",
      {{"repo", m.repo}, {"pr", m.pr}, {"kind", m.kind}, {"step", step}, {"reason", s.message()}});
}

std::string Field(const rapidjson::Document& d, const char* k) {
  auto it = d.FindMember(k);
  return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool Retryable(Code c) {
  return c == Code::kUnavailable || c == Code::kResourceExhausted || c == Code::kDeadlineExceeded ||
         c == Code::kInternal;
}

}  // namespace

Outbox::Outbox(OutboxStore* store, ForgeClient* forge, Options options)
    : store_(store), forge_(forge), options_(std::move(options)) {
  if (!forge_) options_.dry_run = true;
}

Outbox::~Outbox() { Stop(); }

namespace {

OutboxMessage Message(const std::string& repo, int64_t pr, const std::string& kind,
                      const std::string& key, const std::string& payload) {
  OutboxMessage m;
  m.repo = repo;
  m.pr = pr;
  m.kind = kind;
  m.coalesce_key = key;
  m.payload = payload;
  return m;
}

}  // namespace

Status Outbox::Enqueue(const OutboxMessage& m) {
  auto id = store_->EnqueueMessage(m);
  if (!id.ok()) return id.status();
  worker_.Kick();
  return Status::Ok();
}

OutboxMessage Outbox::StickyMessage(const std::string& repo, int64_t pr, const std::string& body) {
  return Message(repo, pr, "sticky", "sticky:" + repo + "#" + std::to_string(pr),
                 JsonObject({{"body", body}}));
}

OutboxMessage Outbox::StatusMessage(const std::string& repo, int64_t pr, const std::string& sha,
                                    const CommitStatusRequest& s) {
  return Message(repo, pr, "status", "status:" + repo + "@" + sha + ":" + s.context,
                 JsonObject({{"sha", sha}, {"state", s.state}, {"target_url", s.target_url},
                             {"description", s.description}, {"context", s.context}}));
}

OutboxMessage Outbox::ReadmeMessage(const std::string& repo, const std::string& payload) {
  return Message(repo, 0, "readme", "readme:" + repo, payload);
}

OutboxMessage Outbox::RegressionMessage(const std::string& repo, int64_t run_id,
                                        const std::string& payload) {
  return Message(repo, 0, "regression", "regression:" + repo + ":" + std::to_string(run_id),
                 payload);
}

Status Outbox::UpsertSticky(const std::string& repo, int64_t pr, const std::string& body) {
  return Enqueue(StickyMessage(repo, pr, body));
}

Status Outbox::SetStatus(const std::string& repo, int64_t pr, const std::string& sha,
                         const CommitStatusRequest& s) {
  return Enqueue(StatusMessage(repo, pr, sha, s));
}

Status Outbox::React(const std::string& repo, int64_t pr, int64_t comment_id,
                     const std::string& content) {
  std::string id = std::to_string(comment_id);
  return Enqueue(Message(repo, pr, "reaction", "reaction:" + repo + ":" + id + ":" + content,
                         JsonObject({{"comment_id", id}, {"content", content}})));
}

Status Outbox::Reply(const std::string& repo, int64_t pr, const std::string& body) {
  // Replies never coalesce: each answers something.
  static std::atomic<int64_t> seq{0};
  return Enqueue(Message(repo, pr, "reply",
                         "reply:" + std::to_string(options_.clock->NowUnixMillis()) + ":" +
                             std::to_string(seq++),
                         JsonObject({{"body", body}})));
}

Status Outbox::DeliverSticky(const OutboxMessage& m, const std::string& body) {
  std::string full = std::string(kStickyMarker) + "\n" + body;
  auto known = store_->StickyComment(m.repo, m.pr);
  if (!known.ok()) return known.status();
  std::optional<int64_t> id = *known;
  if (!id) {
    // Found again by its marker, e.g. after the database was lost.
    auto comments = forge_->ListComments(m.repo, m.pr);
    if (!comments.ok()) return comments.status();
    for (const ForgeComment& c : *comments) {
      if (c.author == options_.bot_login && c.body.find(kStickyMarker) != std::string::npos) {
        id = c.id;
      }
    }
  }
  if (id) {
    Status s = forge_->EditComment(m.repo, *id, full);
    if (s.code() != Code::kNotFound) {
      // Not remembering the id is harmless: the next edit finds the comment by its marker.
      if (s.ok()) LogIfFailed(store_->SetStickyComment(m.repo, m.pr, *id), m, "remember sticky");
      return s;
    }
    // Deleted by someone: write a new one.
  }
  auto created = forge_->CreateComment(m.repo, m.pr, full);
  if (!created.ok()) return created.status();
  return store_->SetStickyComment(m.repo, m.pr, *created);
}

Status Outbox::Deliver(const OutboxMessage& m) {
  rapidjson::Document d;
  d.Parse(m.payload.c_str());
  if (d.HasParseError() || !d.IsObject()) return InvalidArgument("bad outbox payload");
  if (m.kind == "sticky") return DeliverSticky(m, Field(d, "body"));
  if (m.kind == "status") {
    return forge_->CreateStatus(m.repo, Field(d, "sha"),
                                {Field(d, "state"), Field(d, "target_url"),
                                 Field(d, "description"), Field(d, "context")});
  }
  if (m.kind == "reaction") {
    return forge_->AddReaction(m.repo, std::stoll(Field(d, "comment_id")), Field(d, "content"));
  }
  if (m.kind == "readme") {
    if (!options_.deliver_readme) return FailedPrecondition("no README PR sender configured");
    return options_.deliver_readme(m.repo, m.payload);
  }
  if (m.kind == "regression") {
    if (!options_.deliver_regression)
      return FailedPrecondition("no regression issue sender configured");
    return options_.deliver_regression(m.repo, m.payload);
  }
  if (m.kind == "reply") {
    auto r = forge_->CreateComment(m.repo, m.pr, Field(d, "body"));
    return r.ok() ? Status::Ok() : r.status();
  }
  return InvalidArgument("unknown outbox kind " + m.kind);
}

int Outbox::DeliverDue() {
  std::lock_guard<std::mutex> lock(deliver_mu_);
  int attempted = 0;
  for (;;) {
    auto due = store_->DueMessages(options_.clock->NowUnixMillis(), 50);
    if (!due.ok() || due->empty()) return attempted;
    bool progressed = false;
    for (const OutboxMessage& m : *due) {
      ++attempted;
      if (options_.dry_run) {
        LogInfo("outbox.dry_run", {{"repo", m.repo}, {"pr", m.pr}, {"kind", m.kind},
                                   {"message", m.payload}});
        LogIfFailed(store_->FinishMessage(m.id, "dry-run", "", m.payload), m, "finish");
        progressed = true;
        continue;
      }
      Status s = Deliver(m);
      if (s.ok()) {
        LogIfFailed(store_->FinishMessage(m.id, "delivered", "", m.payload), m, "finish");
        LogInfo("outbox.delivered", {{"repo", m.repo}, {"pr", m.pr}, {"kind", m.kind}});
        progressed = true;
      } else if (Retryable(s.code())) {
        int64_t backoff = options_.first_backoff_ms << std::min<int64_t>(m.attempts, 20);
        backoff = std::min(backoff, options_.max_backoff_ms);
        LogIfFailed(
            store_->RetryMessage(m.id, options_.clock->NowUnixMillis() + backoff, s.message()), m,
            "retry");
        LogWarn("outbox.retry", {{"repo", m.repo}, {"pr", m.pr}, {"kind", m.kind},
                                 {"attempt", m.attempts + 1}, {"reason", s.message()}});
      } else {
        LogIfFailed(store_->FinishMessage(m.id, "failed", s.message(), m.payload), m, "finish");
        LogError("outbox.failed", {{"repo", m.repo}, {"pr", m.pr}, {"kind", m.kind},
                                   {"reason", s.message()}});
        progressed = true;
      }
    }
    if (!progressed) return attempted;  // everything due is waiting for Gitea
  }
}

void Outbox::Start() { worker_.Start(); }

void Outbox::Stop() { worker_.Stop(); }

}  // namespace ccci
