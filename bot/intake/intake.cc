#include "bot/intake/intake.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include "base/log.h"

namespace ccci {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string ShortSha(const std::string& sha) { return sha.substr(0, 7); }

bool IsZeroSha(const std::string& sha) {
  return !sha.empty() && sha.find_first_not_of('0') == std::string::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Extracts and URL-decodes the `payload` field of a form-encoded body. Gitea signs the JSON
// itself, not the form encoding (FACTS 1.3), so the signature is checked over the result.
bool DecodeFormPayload(const std::string& body, std::string* out) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string::npos) amp = body.size();
    std::string_view field(body.data() + pos, amp - pos);
    if (field.substr(0, 8) == "payload=") {
      std::string v;
      v.reserve(field.size());
      for (size_t i = 8; i < field.size(); ++i) {
        char c = field[i];
        if (c == '+') {
          v.push_back(' ');
        } else if (c == '%') {
          if (i + 2 >= field.size()) return false;
          int hi = HexValue(field[i + 1]);
          int lo = HexValue(field[i + 2]);
          if (hi < 0 || lo < 0) return false;
          v.push_back(static_cast<char>(hi << 4 | lo));
          i += 2;
        } else {
          v.push_back(c);
        }
      }
      *out = std::move(v);
      return true;
    }
    pos = amp + 1;
  }
  return false;
}

IntakeResponse Respond(int status, std::string outcome, std::string event, std::string message) {
  IntakeResponse r;
  r.status = status;
  r.outcome = std::move(outcome);
  r.event = event.empty() ? "unknown" : std::move(event);
  r.message = std::move(message);
  return r;
}

Work Ignore(std::string reason) {
  Work w;
  w.ignored_reason = std::move(reason);
  return w;
}

Work PlanPullRequest(const PullRequestEvent& e) {
  const std::string& a = e.action;
  if (a == "opened" || a == "reopened" || a == "synchronized") {
    if (e.state == "closed") return Ignore("ignored: pull request is closed");
    Work w;
    w.kind = Work::Kind::kQueueRun;
    w.run = RunRequest{e.repo.full_name,
                       e.number,
                       e.head_sha,
                       e.head_ref,
                       e.base_ref,
                       e.head_clone_url.empty() ? e.repo.clone_url : e.head_clone_url,
                       e.title,
                       e.author,
                       a};
    if (e.updated_at_ms) w.freshness = PrFreshness{*e.updated_at_ms, "open"};
    return w;
  }
  if (a == "closed") {
    Work w;
    w.kind = Work::Kind::kCancel;
    w.cancel_repo = e.repo.full_name;
    w.cancel_pr = e.number;
    w.cancel_reason = e.merged ? "pull request merged" : "pull request closed";
    if (e.updated_at_ms) w.freshness = PrFreshness{*e.updated_at_ms, "closed"};
    return w;
  }
  return Ignore("ignored: pull_request action '" + a + "' does not change what is tested");
}

Work PlanComment(const IssueCommentEvent& e, const std::string& bot_login) {
  if (!e.is_pull) return Ignore("ignored: comment on an issue, not a pull request");
  if (e.action != "created") {
    return Ignore("ignored: comment " + e.action + "; commands are read from new comments only");
  }
  if (Lower(e.comment_author) == Lower(bot_login)) return Ignore("ignored: the bot's own comment");
  if (!MentionsCommand(e.comment_body)) return Ignore("ignored: no !cc-ci command");
  if (e.issue_state == "closed") return Ignore("ignored: pull request is closed");
  Work w;
  w.kind = Work::Kind::kCommand;
  std::optional<bool> can_push;
  if (e.repo.can_push || e.repo.is_admin) {
    can_push = e.repo.can_push.value_or(false) || e.repo.is_admin.value_or(false);
  }
  w.command = CommandRequest{e.repo.full_name, e.issue_number, e.comment_id,
                             e.comment_author, e.comment_body, can_push};
  return w;
}

Work PlanPush(const PushEvent& e) {
  if (IsZeroSha(e.after)) return Ignore("ignored: branch deleted");
  const std::string prefix = "refs/heads/";
  if (e.ref.rfind(prefix, 0) != 0) return Ignore("ignored: push to " + e.ref + " (not a branch)");
  std::string branch = e.ref.substr(prefix.size());
  if (e.repo.default_branch.empty() || branch != e.repo.default_branch) {
    return Ignore("ignored: push to branch '" + branch +
                  "' (pull request runs come from pull_request events)");
  }
  Work w;
  w.kind = Work::Kind::kQueueRun;
  w.run = RunRequest{e.repo.full_name,    0,        e.after, branch, branch, e.repo.clone_url,
                     "push to " + branch, e.sender, "push"};
  return w;
}

// Checks what can be checked before the payload is trusted: the method, the form encoding,
// the signature, then that the event is named. Returns the refusal, or nullopt with `*json`
// pointing at the signed payload (the request body, or `*form_json` decoded from it) and
// `*digest` at its fingerprint (SignatureVerifier::Verify).
std::optional<IntakeResponse> Admit(const WebhookRequest& req, const SignatureVerifier& verifier,
                                    std::string* form_json, const std::string** json,
                                    std::string* digest) {
  const std::string& ev = req.event;
  if (req.method != "POST") {
    return Respond(405, "method_not_allowed", ev, "method not allowed: use POST");
  }
  *json = &req.body;
  // A form webhook's body is `payload=<url-encoded JSON>`. Tools like curl label raw JSON as
  // form-encoded too, so only a body that looks like the form is decoded.
  if (Lower(req.content_type).rfind("application/x-www-form-urlencoded", 0) == 0 &&
      req.body.rfind("payload=", 0) == 0) {
    if (!DecodeFormPayload(req.body, form_json)) {
      // Checked before the signature only in the sense that nothing can be verified
      // without a payload; nothing is stored either way.
      return Respond(400, "bad_request", ev, "bad request: form body has no valid payload field");
    }
    *json = form_json;
  }
  if (req.signature.empty() && req.hub_signature_256.empty()) {
    LogWarn("delivery.rejected", {{"delivery", req.delivery}, {"reason", "missing signature"}});
    return Respond(401, "unauthorized", ev, "unauthorized: missing X-Gitea-Signature");
  }
  if (!verifier.Verify(**json, req.signature, req.hub_signature_256, digest)) {
    LogWarn("delivery.rejected", {{"delivery", req.delivery}, {"reason", "bad signature"}});
    return Respond(401, "unauthorized", ev, "unauthorized: signature does not match");
  }
  if (ev.empty()) return Respond(400, "bad_request", ev, "bad request: missing X-Gitea-Event");
  return std::nullopt;
}

Work IgnoreUnsupported(const std::string& ev) {
  // A review (X-Gitea-Event pull_request_comment/approved/rejected) is not a PR comment;
  // say so, since the names invite the mistake (FACTS 2.1).
  bool review = ev == "pull_request_comment" || ev == "pull_request_approved" ||
                ev == "pull_request_rejected";
  return Ignore(review ? "ignored: '" + ev +
                             "' is a review event; commands are read from plain PR comments"
                       : "ignored: event '" + ev + "' is not used by cc-ci");
}

// Copies into the delivery record who sent the event, for which repo, PR, head and action.
void DescribeEvent(const GiteaEvent& event, Delivery* d) {
  std::visit(
      [&](const auto& e) {
        d->repo = e.repo.full_name;
        d->sender = e.sender;
      },
      event);
  if (auto* pr = std::get_if<PullRequestEvent>(&event)) {
    d->pr = pr->number;
    d->head_sha = pr->head_sha;
    d->action = pr->action;
  } else if (auto* c = std::get_if<IssueCommentEvent>(&event)) {
    d->pr = c->issue_number;
    d->head_sha = c->pr_head_sha;
    d->action = c->action;
  } else {
    d->head_sha = std::get<PushEvent>(event).after;
    d->action = std::get<PushEvent>(event).ref;
  }
}

// The answer to a delivery that was recorded as new and is neither stale nor in doubt: says
// what its work became (ignored, a run queued or coalesced, runs cancelled, a command pending).
IntakeResponse AnswerWork(const std::string& ev, const Delivery& d, const Work& work,
                          const RecordOutcome& out, const std::string& where) {
  switch (work.kind) {
    case Work::Kind::kNone:
      LogInfo("delivery.ignored", {{"delivery", d.id},
                                   {"gitea_event", ev},
                                   {"repo", d.repo},
                                   {"pr", d.pr},
                                   {"reason", work.ignored_reason}});
      return Respond(200, "ignored", ev, work.ignored_reason);
    case Work::Kind::kQueueRun: {
      std::string target = work.run.pr ? where : d.repo + "@" + work.run.head_ref;
      LogInfo(out.coalesced ? "run.coalesced" : "run.queued",
              {{"delivery", d.id},
               {"gitea_event", ev},
               {"repo", d.repo},
               {"pr", d.pr},
               {"run", out.run_id},
               {"sha", ShortSha(d.head_sha)},
               {"superseded", static_cast<long>(out.superseded.size())}});
      if (out.coalesced) {
        return Respond(202, "accepted", ev,
                       "accepted: run " + std::to_string(out.run_id) + " already covers " + target +
                           " at " + ShortSha(d.head_sha));
      }
      return Respond(202, "accepted", ev,
                     "accepted: run " + std::to_string(out.run_id) + " queued for " + target +
                         " at " + ShortSha(d.head_sha));
    }
    case Work::Kind::kCancel:
      LogInfo("run.cancel", {{"delivery", d.id},
                             {"repo", d.repo},
                             {"pr", d.pr},
                             {"cancelled", static_cast<long>(out.cancelled.size())},
                             {"stopping", static_cast<long>(out.cancel_requested.size())},
                             {"reason", work.cancel_reason}});
      return Respond(202, "accepted", ev,
                     "accepted: " + work.cancel_reason + "; cancelled " +
                         std::to_string(out.cancelled.size()) + " queued and stopping " +
                         std::to_string(out.cancel_requested.size()) + " running run(s) of " +
                         where);
    case Work::Kind::kCommand:
      LogInfo("command.pending", {{"delivery", d.id},
                                  {"repo", d.repo},
                                  {"pr", d.pr},
                                  {"command", out.command_id},
                                  {"author", work.command.author}});
      if (out.command_id == 0) {
        return Respond(200, "duplicate", ev,
                       "duplicate: comment " + std::to_string(work.command.comment_id) +
                           " was already received");
      }
      return Respond(202, "accepted", ev,
                     "accepted: command " + std::to_string(out.command_id) + " from " +
                         work.command.author + " pending on " + where);
  }
  return Respond(500, "internal", ev, "internal error");
}

// The answer to a delivery once the store has recorded it: a duplicate, a stale or doubtful
// payload, or the work it caused. `on_recorded` (may be empty) hears of work that was committed.
IntakeResponse AnswerRecorded(
    const std::string& ev, const Delivery& d, const Work& work, const RecordOutcome& out,
    const std::function<void(const Work&, const RecordOutcome&)>& on_recorded) {
  if (out.duplicate) {
    LogInfo("delivery.duplicate",
            {{"delivery", d.id}, {"gitea_event", ev}, {"repo", d.repo}, {"of", out.duplicate_of}});
    if (out.duplicate_of != d.id) {
      return Respond(
          200, "duplicate", ev,
          "duplicate: delivery " + d.id + " repeats the payload of delivery " + out.duplicate_of);
    }
    return Respond(200, "duplicate", ev, "duplicate: delivery " + d.id + " was already received");
  }
  std::string where = d.repo + "#" + std::to_string(d.pr);
  if (out.stale) {
    std::string newest = FormatRfc3339Millis(out.newest_updated_at_ms);
    LogWarn("delivery.stale",
            {{"delivery", d.id}, {"repo", d.repo}, {"pr", d.pr}, {"newest", newest}});
    return Respond(200, "stale", ev,
                   "ignored: stale: " + where + " has a delivery updated at " + newest +
                       ", newer than this payload");
  }
  if (out.awaiting_check) {
    LogWarn("delivery.check", {{"delivery", d.id}, {"repo", d.repo}, {"pr", d.pr}});
    if (on_recorded) on_recorded(work, out);
    return Respond(202, "accepted", ev,
                   "accepted: " + where +
                       " will be checked with Gitea first: this payload is "
                       "no newer than the last one and says otherwise");
  }
  if (work.kind != Work::Kind::kNone && on_recorded) on_recorded(work, out);
  return AnswerWork(ev, d, work, out, where);
}

}  // namespace

bool MentionsCommand(const std::string& body) {
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    size_t b = body.find_first_not_of(" \t\r", pos);
    if (b != std::string::npos && b < end && end - b >= 6 && Lower(body.substr(b, 6)) == "!cc-ci") {
      return true;
    }
    pos = end + 1;
  }
  return false;
}

Work PlanWork(const GiteaEvent& event, const std::string& bot_login) {
  if (auto* pr = std::get_if<PullRequestEvent>(&event)) return PlanPullRequest(*pr);
  if (auto* c = std::get_if<IssueCommentEvent>(&event)) return PlanComment(*c, bot_login);
  return PlanPush(std::get<PushEvent>(event));
}

Intake::Intake(DeliveryStore* store, Options options)
    : store_(store), options_(std::move(options)), verifier_(options_.secrets) {}

std::optional<IntakeResponse> Intake::Prepare(const WebhookRequest& req, Pending* p) const {
  const std::string& ev = req.event;
  std::string form_json;
  const std::string* json = nullptr;
  std::string body_digest;
  if (auto refused = Admit(req, verifier_, &form_json, &json, &body_digest)) return refused;

  Delivery& d = p->delivery;
  d.id = req.delivery.empty() ? "hmac:" + body_digest : req.delivery;
  if (d.id.size() > 200)
    return Respond(400, "bad_request", ev, "bad request: delivery id too long");
  d.event = ev;
  d.event_type = req.event_type;
  d.received_at_ms = options_.clock->NowUnixMillis();
  p->event = ev;

  if (!IsSupportedEvent(ev)) {
    p->work = IgnoreUnsupported(ev);
    return std::nullopt;
  }
  auto parsed = ParseGiteaEvent(ev, *json);
  if (!parsed.ok()) {
    LogWarn("delivery.rejected",
            {{"delivery", d.id}, {"gitea_event", ev}, {"reason", parsed.status().message()}});
    return Respond(400, "bad_request", ev, "bad request: " + parsed.status().message());
  }
  DescribeEvent(*parsed, &d);
  // The signature does not cover the delivery id: a replay of this body under a new id is a
  // duplicate too. (Events cc-ci ignores are not worth recognising.)
  d.body_digest = std::move(body_digest);
  p->work = PlanWork(*parsed, options_.bot_login);
  if (p->work.freshness) p->work.freshness->ask_forge = options_.check_doubts_with_forge;
  return std::nullopt;
}

IntakeResponse Intake::Answer(const Pending& p, const Result<RecordOutcome>& recorded) const {
  if (!recorded.ok()) {
    LogError("delivery.store_failed",
             {{"delivery", p.delivery.id}, {"reason", recorded.status().message()}});
    return Respond(503, "store_error", p.event,
                   "unavailable: could not persist the delivery; retry");
  }
  return AnswerRecorded(p.event, p.delivery, p.work, *recorded, options_.on_recorded);
}

IntakeResponse Intake::Handle(const WebhookRequest& req) const {
  Pending p;
  if (auto answer = Prepare(req, &p)) return std::move(*answer);
  return Answer(p, store_->RecordDelivery(p.delivery, p.work));
}

void Intake::HandleAsync(const WebhookRequest& req,
                         std::function<void(IntakeResponse)> done) const {
  auto p = std::make_shared<Pending>();
  if (auto answer = Prepare(req, p.get())) return done(std::move(*answer));
  const Delivery& d = p->delivery;
  const Work& w = p->work;
  store_->RecordDeliveryAsync(
      d, w, [this, p = std::move(p), done = std::move(done)](Result<RecordOutcome> recorded) {
        done(Answer(*p, recorded));
      });
}

}  // namespace ccci
