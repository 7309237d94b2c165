#include "bot/report/readme_pr.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/log.h"
#include "bot/runner/readme_scores.h"

namespace ccci {
namespace {

constexpr const char* kReadme = "README.md";
constexpr const char* kTitle = "README: the scores cc-ci measured";

std::string Str(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::string Cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out.empty() ? "(empty)" : out;
}

std::string Body(const ReadmePrRequest& r, const runner::ScoresReport& report) {
  std::string b = "cc-ci measured these scores on `" + r.sha.substr(0, 10) + "` ([run](" +
                  r.run_url +
                  ")); the README's metadata block says otherwise:\n\n"
                  "| score | README | measured |\n|---|---|---|\n";
  for (const auto& d : report.differences) {
    b += "| " + Cell(d.key) + " | " + Cell(d.readme) + " | " + Cell(d.measured) + " |\n";
  }
  b += "\nOnly the metadata block changes; the other scores stay as written (see "
       "https://docs.coopcloud.tech/recipes/ for their scale). cc-ci keeps this one PR up to "
       "date on each default-branch run while the README and its measurements differ.\n";
  return b;
}

}  // namespace

std::string ReadmePrPayload(const ReadmePrRequest& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto put = [&](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("base");
  put(r.base);
  w.Key("sha");
  put(r.sha);
  w.Key("run_url");
  put(r.run_url);
  w.Key("scores");
  w.StartObject();
  for (const auto& [k, v] : r.scores) {
    put(k);
    put(v);
  }
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

Result<ReadmePrRequest> ParseReadmePrPayload(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return InvalidArgument("README PR: not a JSON object");
  ReadmePrRequest r;
  r.base = Str(d, "base");
  r.sha = Str(d, "sha");
  r.run_url = Str(d, "run_url");
  if (auto s = d.FindMember("scores"); s != d.MemberEnd() && s->value.IsObject()) {
    for (auto it = s->value.MemberBegin(); it != s->value.MemberEnd(); ++it) {
      if (it->value.IsString()) r.scores[it->name.GetString()] = it->value.GetString();
    }
  }
  if (r.base.empty() || r.scores.empty()) return InvalidArgument("README PR: no base or no scores");
  return r;
}

Result<std::string> DeliverReadmePr(RepoWriter* forge, const std::string& repo,
                                    const ReadmePrRequest& r) {
  auto readme = forge->GetFile(repo, kReadme, r.base);
  if (!readme.ok()) {
    if (readme.status().code() == Code::kNotFound) return std::string("no README.md on " + r.base);
    return readme.status();
  }
  std::string wanted = runner::ReadmeWithScores(readme->content, r.scores);
  auto pulls = forge->ListOpenPullRequests(repo);
  if (!pulls.ok()) return pulls.status();
  std::optional<int64_t> ours;
  for (const ForgePull& p : *pulls) {
    if (p.head_ref == kReadmeScoresBranch && p.base_ref == r.base) ours = p.number;
  }
  std::string n = ours ? "#" + std::to_string(*ours) : "";
  if (wanted == readme->content) {
    if (!ours) return std::string("README.md on " + r.base + " already agrees");
    PullRequestEdit close;
    close.state = "closed";
    Status s = forge->EditPullRequest(repo, *ours, close);
    if (!s.ok()) return s;
    return "closed " + n + ": README.md on " + r.base + " already agrees";
  }
  if (ours) {
    auto branch = forge->GetFile(repo, kReadme, kReadmeScoresBranch);
    if (branch.ok() && branch->content == wanted) return n + " is up to date";
  }
  FileChange change;
  change.content = wanted;
  change.sha = readme->sha;
  change.branch = r.base;
  change.new_branch = kReadmeScoresBranch;
  change.force_push = true;
  change.message = "README: scores as cc-ci measured them on " + r.sha.substr(0, 10);
  if (Status s = forge->PutFile(repo, kReadme, change); !s.ok()) return s;
  PullRequestEdit edit;
  edit.title = kTitle;
  edit.body = Body(r, runner::BuildScoresReport(readme->content, r.scores));
  if (ours) {
    if (Status s = forge->EditPullRequest(repo, *ours, edit); !s.ok()) return s;
    return "updated " + n;
  }
  auto opened =
      forge->CreatePullRequest(repo, {kReadmeScoresBranch, r.base, *edit.title, *edit.body});
  if (!opened.ok()) return opened.status();
  return "opened #" + std::to_string(*opened);
}

std::function<Status(const std::string&, const std::string&)> ReadmePrSender(RepoWriter* forge) {
  return [forge](const std::string& repo, const std::string& payload) -> Status {
    auto request = ParseReadmePrPayload(payload);
    if (!request.ok()) return request.status();
    auto done = DeliverReadmePr(forge, repo, *request);
    if (!done.ok()) return done.status();
    LogInfo("readme_pr.delivered", {{"repo", repo}, {"result", *done}});
    return Status::Ok();
  };
}

}  // namespace ccci
