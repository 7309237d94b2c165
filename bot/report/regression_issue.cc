#include "bot/report/regression_issue.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <utility>

#include "base/log.h"

namespace ccci {
namespace {

int64_t IntField(const rapidjson::Document& d, const char* k) {
  auto it = d.FindMember(k);
  return it != d.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : -1;
}

std::string StrField(const rapidjson::Document& d, const char* k) {
  auto it = d.FindMember(k);
  return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::string Lvl(int64_t level) { return std::to_string(level); }

// The open regression issue the bot opened on `repo` that the store does not know of (see the
// header), if any. A Gitea that knows no user `bot_login` answers 404: then nothing can be
// found, and the issue is opened as without the lookup.
Result<std::optional<int64_t>> FindOpenRegressionIssue(IssueWriter* issues,
                                                       const std::string& bot_login,
                                                       const std::string& repo) {
  auto list = issues->ListOpenIssues(repo, bot_login);
  if (!list.ok() && list.status().code() == Code::kNotFound) {
    LogWarn("regression.lookup_failed", {{"repo", repo}, {"reason", list.status().message()}});
    return std::optional<int64_t>();
  }
  if (!list.ok()) return list.status();
  for (const ForgeIssue& i : *list) {
    if (i.body.find(kRegressionMarker) != std::string::npos) return std::optional(i.number);
  }
  return std::optional<int64_t>();
}

}  // namespace

std::string RegressionPayload(const RegressionReport& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("run_id");
  w.Int64(r.run_id);
  w.Key("level");
  w.Int64(r.level);
  w.Key("previous_level");
  w.Int64(r.previous_level);
  w.Key("stage");
  w.String(r.stage.c_str());
  w.Key("pass");
  w.String(r.pass_id.c_str());
  w.Key("run_url");
  w.String(r.run_url.c_str());
  w.EndObject();
  return buf.GetString();
}

Result<RegressionReport> ParseRegressionPayload(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return InvalidArgument("regression: not a JSON object");
  RegressionReport r;
  r.run_id = IntField(d, "run_id");
  r.level = IntField(d, "level");
  r.previous_level = IntField(d, "previous_level");
  r.stage = StrField(d, "stage");
  r.pass_id = StrField(d, "pass");
  r.run_url = StrField(d, "run_url");
  if (r.run_id <= 0 || r.level < 0 || r.previous_level < 0) {
    return InvalidArgument("regression: run_id, level and previous_level are required");
  }
  return r;
}

std::string RegressionTitle(int64_t baseline, int64_t level) {
  return "cc-ci nightly: level dropped from " + Lvl(baseline) + " to " + Lvl(level);
}

std::string RegressionBody(const std::string& repo, int64_t baseline, const RegressionReport& r) {
  std::string body = "The nightly run of `" + repo + "`'s default branch";
  if (!r.pass_id.empty()) body += " on " + r.pass_id;
  body += " reached **level " + Lvl(r.level) + "**; it was level " + Lvl(baseline) + " before.\n\n";
  body += "| | level |\n|---|---|\n| before | " + Lvl(baseline) + " |\n| now | " + Lvl(r.level) +
          " |\n\n";
  if (!r.stage.empty()) body += "Failing stage: `" + r.stage + "`\n\n";
  body += "Run: " + r.run_url + "\n\n";
  body += "cc-ci closes this issue when a nightly run is back at level " + Lvl(baseline) + ".\n";
  body += std::string("\n") + kRegressionMarker + "\n";
  return body;
}

Result<std::string> DeliverRegression(NightlyStore* store, ForgeClient* comments,
                                      IssueWriter* issues, const std::string& bot_login,
                                      const std::string& repo, const RegressionReport& r) {
  auto open = store->GetRegressionIssue(repo);
  if (!open.ok()) return open.status();
  if (!*open) {
    if (r.level >= r.previous_level) return std::string("no regression");
    std::string title = RegressionTitle(r.previous_level, r.level);
    std::string body = RegressionBody(repo, r.previous_level, r);
    auto lost = FindOpenRegressionIssue(issues, bot_login, repo);
    if (!lost.ok()) return lost.status();
    RegressionIssue record{0, r.previous_level, r.level, r.run_id};
    std::string did;
    if (*lost) {
      IssueEdit edit;
      edit.title = title;
      edit.body = body;
      CCCI_RETURN_IF_ERROR(issues->EditIssue(repo, **lost, edit));
      record.issue = **lost;
      did = "adopted #";
    } else {
      auto number = issues->CreateIssue(repo, title, body);
      if (!number.ok()) return number.status();
      record.issue = *number;
      did = "opened #";
    }
    CCCI_RETURN_IF_ERROR(store->SetRegressionIssue(repo, record));
    return did + std::to_string(record.issue);
  }
  RegressionIssue issue = **open;
  if (issue.run_id >= r.run_id) return "#" + std::to_string(issue.issue) + " is up to date";
  if (r.level >= issue.baseline_level) {
    // Comment first: a retry after the close finds no issue and does nothing more.
    auto c = comments->CreateComment(
        repo, issue.issue,
        "Recovered: the nightly run" + (r.pass_id.empty() ? "" : " on " + r.pass_id) +
            " is back at level " + Lvl(r.level) + " (" + r.run_url + "). Closing.");
    if (!c.ok()) return c.status();
    IssueEdit close;
    close.state = "closed";
    CCCI_RETURN_IF_ERROR(issues->EditIssue(repo, issue.issue, close));
    CCCI_RETURN_IF_ERROR(store->ClearRegressionIssue(repo));
    return "closed #" + std::to_string(issue.issue);
  }
  IssueEdit edit;
  edit.title = RegressionTitle(issue.baseline_level, r.level);
  edit.body = RegressionBody(repo, issue.baseline_level, r);
  CCCI_RETURN_IF_ERROR(issues->EditIssue(repo, issue.issue, edit));
  auto c = comments->CreateComment(
      repo, issue.issue,
      "Still below level " + Lvl(issue.baseline_level) + ": the nightly run" +
          (r.pass_id.empty() ? "" : " on " + r.pass_id) + " reached level " + Lvl(r.level) +
          (r.stage.empty() ? "" : ", failing at `" + r.stage + "`") + " (" + r.run_url + ").");
  if (!c.ok()) return c.status();
  issue.level = r.level;
  issue.run_id = r.run_id;
  CCCI_RETURN_IF_ERROR(store->SetRegressionIssue(repo, issue));
  return "updated #" + std::to_string(issue.issue);
}

std::function<Status(const std::string& repo, const std::string& payload)> RegressionSender(
    NightlyStore* store, ForgeClient* comments, IssueWriter* issues, std::string bot_login) {
  return [store, comments, issues, bot_login = std::move(bot_login)](
             const std::string& repo, const std::string& payload) -> Status {
    auto report = ParseRegressionPayload(payload);
    if (!report.ok()) return report.status();
    auto did = DeliverRegression(store, comments, issues, bot_login, repo, *report);
    if (!did.ok()) return did.status();
    LogInfo("regression.delivered", {{"repo", repo}, {"run", report->run_id}, {"did", *did}});
    return Status::Ok();
  };
}

}  // namespace ccci
