#include "bot/http/api_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/clock.h"
#include "base/utf8.h"
#include "bot/runner/suite_level.h"
#include "domain/routes.h"

namespace ccci {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Valid UTF-8 whatever is stored: the writer copies bytes as they are, and one bad byte
// would make the whole answer invalid JSON.
void Str(Writer& w, const char* key, const std::string& v) {
  w.Key(key);
  std::string valid = ValidUtf8(v);
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

void Time(Writer& w, const char* key, std::optional<int64_t> ms) {
  w.Key(key);
  if (ms) {
    std::string t = FormatRfc3339Millis(*ms);
    w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
  } else {
    w.Null();
  }
}

// The run's fields, inside an object the caller opened.
void WriteRunFields(Writer& w, const Run& r) {
  w.Key("id");
  w.Int64(r.id);
  Str(w, "repo", r.repo);
  w.Key("pr");
  w.Int64(r.pr);
  Str(w, "head_sha", r.head_sha);
  Str(w, "head_ref", r.head_ref);
  Str(w, "base_ref", r.base_ref);
  Str(w, "title", r.title);
  Str(w, "author", r.author);
  Str(w, "trigger", r.trigger);
  Str(w, "delivery", r.delivery_id);
  Str(w, "state", r.state);
  w.Key("level");
  if (r.level) {
    w.Int64(*r.level);
  } else {
    w.Null();
  }
  Str(w, "reason", r.reason);
  w.Key("cancel_requested");
  w.Bool(r.cancel_requested);
  w.Key("superseded_by");
  if (r.superseded_by) {
    w.Int64(r.superseded_by);
  } else {
    w.Null();
  }
  w.Key("attempts");
  w.Int64(r.attempts);
  Str(w, "worker", r.worker);  // the worker that claimed it last ("" before any claim)
  Time(w, "created_at", r.created_at_ms);
  Time(w, "updated_at", r.updated_at_ms);
  Time(w, "started_at", r.started_at_ms);
  Time(w, "finished_at", r.finished_at_ms);
  Str(w, "url", routes::ApiRun(r.id));
}

void WriteRun(Writer& w, const Run& r) {
  w.StartObject();
  WriteRunFields(w, r);
  w.EndObject();
}

void WriteStages(Writer& w, const std::vector<StageRecord>& stages, bool logs_kept) {
  int64_t now = RealClock()->NowUnixMillis();
  w.Key("stages");
  w.StartArray();
  for (const StageRecord& s : stages) {
    domain::StageResult view = ToStageResult(s, now);
    w.StartObject();
    Str(w, "name", s.name);
    Str(w, "status", s.status);
    Str(w, "reason", s.reason);
    Time(w, "started_at", s.started_at_ms > 0 ? std::optional<int64_t>(s.started_at_ms)
                                              : std::nullopt);
    w.Key("duration_ms");
    w.Int64(view.duration_ms);
    w.Key("exit_code");
    if (s.exit_code) {
      w.Int64(*s.exit_code);
    } else {
      w.Null();
    }
    w.Key("attempts");
    w.Int(s.attempts);
    for (int attempt : {1, 2}) {
      w.Key(attempt == 1 ? "log_url" : "retry_log_url");
      if (logs_kept && !s.log_path.empty() && attempt <= s.attempts) {
        std::string url = routes::StageLog(s.run_id, s.name, attempt);
        w.String(url.data(), static_cast<rapidjson::SizeType>(url.size()));
      } else {
        w.Null();
      }
    }
    w.EndObject();
  }
  w.EndArray();
}

void WriteLadder(Writer& w, const std::vector<StageRecord>& stages) {
  domain::LevelResult level = runner::LevelOf(stages);
  w.Key("ladder");
  w.StartObject();
  w.Key("level");
  if (level.ci_error) {
    w.Null();
  } else {
    w.Int(level.level);
  }
  w.Key("ci_error");
  w.Bool(level.ci_error);
  w.Key("rungs");
  w.StartArray();
  for (const domain::RungOutcome& r : level.rungs) {
    w.StartObject();
    w.Key("rung");
    w.Int(r.rung);
    w.Key("name");
    w.String(r.name);
    w.Key("status");
    w.String(domain::StageStatusName(r.status));
    Str(w, "reason", r.reason);
    w.Key("present");
    w.Bool(r.present);
    w.Key("counted");
    w.Bool(r.counted);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string RunToJson(const Run& run) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  WriteRun(w, run);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string RunDetailToJson(const Run& run, const std::vector<StageRecord>& stages,
                            bool logs_kept) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  WriteRunFields(w, run);
  WriteStages(w, stages, logs_kept);
  WriteLadder(w, stages);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string RunPageToJson(const RunPage& page, const RunQuery& q) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("runs");
  w.StartArray();
  for (const Run& r : page.runs) WriteRun(w, r);
  w.EndArray();
  w.Key("next");
  if (page.next_before_id) {
    std::string next = std::string(routes::kApiRuns) +
                       "?before=" + std::to_string(page.next_before_id) +
                       "&limit=" + std::to_string(q.limit);
    if (!q.repo.empty()) next += "&repo=" + q.repo;
    if (q.pr) next += "&pr=" + std::to_string(*q.pr);
    if (!q.state.empty()) next += "&state=" + q.state;
    w.String(next.data(), static_cast<rapidjson::SizeType>(next.size()));
  } else {
    w.Null();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string OutboxToJson(const std::vector<OutboxMessage>& messages) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("messages");
  w.StartArray();
  for (const OutboxMessage& m : messages) {
    w.StartObject();
    w.Key("id");
    w.Int64(m.id);
    Str(w, "repo", m.repo);
    w.Key("pr");
    w.Int64(m.pr);
    Str(w, "kind", m.kind);
    Str(w, "state", m.state);
    w.Key("attempts");
    w.Int64(m.attempts);
    Str(w, "last_error", m.last_error);
    Time(w, "created_at", m.created_at_ms);
    w.Key("payload");
    w.RawValue(m.payload.data(), m.payload.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string RecipeHistoryJson(const std::string& repo, const std::vector<Run>& history,
                              const std::vector<StageFlakiness>& stages) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "repo", repo);
  w.Key("window");
  w.Int(kHistoryWindow);
  w.Key("history");
  w.StartArray();
  for (const Run& r : history) {
    w.StartObject();
    w.Key("id");
    w.Int64(r.id);
    w.Key("pr");
    w.Int64(r.pr);
    Str(w, "state", r.state);
    w.Key("level");
    if (r.state == kRunFinished && r.level) {
      w.Int64(*r.level);
    } else {
      w.Null();
    }
    Str(w, "head_sha", r.head_sha);
    Str(w, "url", routes::ApiRun(r.id));
    w.EndObject();
  }
  w.EndArray();
  w.Key("stages");
  w.StartArray();
  for (const StageFlakiness& f : stages) {
    w.StartObject();
    Str(w, "stage", f.stage);
    w.Key("flaky");
    w.Int64(f.flaky);
    w.Key("runs");
    w.Int64(f.ran);
    w.Key("flaky_rate");
    w.Double(f.ran > 0 ? static_cast<double>(f.flaky) / static_cast<double>(f.ran) : 0.0);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string ErrorJson(const std::string& message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "error", message);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace ccci
