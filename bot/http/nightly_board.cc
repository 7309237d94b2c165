#include "bot/http/nightly_board.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/clock.h"
#include "bot/http/api_json.h"
#include "bot/http/dashboard.h"
#include "bot/http/server.h"
#include "bot/store/nightly_store.h"
#include "domain/routes.h"
#include "renderer/pages.h"

namespace ccci {
namespace {

std::optional<render::RunView> View(const std::optional<Run>& r) {
  if (!r) return std::nullopt;
  render::RunView v;
  v.id = r->id;
  v.repo = r->repo;
  v.sha = r->head_sha;
  v.ref = r->head_ref;
  v.state = r->state;
  if (r->level) v.level = static_cast<int>(*r->level);
  v.trigger = r->trigger;
  v.created = FormatRfc3339Millis(r->created_at_ms);
  return v;
}

std::string BoardJson(const NightlyBoardData& board, const std::string& schedule) {
  using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  auto str_or_null = [&](const char* key, const std::string& v) {
    w.Key(key);
    if (v.empty()) {
      w.Null();
    } else {
      w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    }
  };
  auto run = [&](const char* key, const std::optional<Run>& r) {
    w.Key(key);
    if (!r) {
      w.Null();
      return;
    }
    std::string json = RunToJson(*r);
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  };
  w.StartObject();
  str_or_null("schedule", schedule);
  str_or_null("pass", board.pass_id);
  str_or_null("previous_pass", board.previous_pass_id);
  w.Key("truncated");
  w.Bool(board.truncated);
  w.Key("recipes");
  w.StartArray();
  for (const NightlyRow& row : board.rows) {
    w.StartObject();
    w.Key("repo");
    w.String(row.repo.data(), static_cast<rapidjson::SizeType>(row.repo.size()));
    std::string trend = render::NightlyTrend(View(row.tonight), View(row.previous));
    w.Key("trend");
    w.String(trend.c_str());
    run("tonight", row.tonight);
    run("previous", row.previous);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

HttpResponse ServeBoard(bool api, const HttpServices* s) {
  Result<NightlyBoardData> board = Unavailable("this server keeps no nightly runs");
  if (s->nightly) board = s->nightly->NightlyBoard(kNightlyBoardLimit);
  if (!board.ok()) {
    int status = HttpStatusFor(board.status().code());
    if (api) return BodyResponse(status, "application/json", ErrorJson(board.status().message()));
    HttpResponse r = TextResponse(status, board.status().message());
    r.Set("Content-Security-Policy", kDashboardCsp);
    return r;
  }
  if (api) return BodyResponse(200, "application/json", BoardJson(*board, s->nightly_schedule));
  render::NightlyBoardView v;
  v.schedule = s->nightly_schedule;
  v.pass_id = board->pass_id;
  v.previous_pass_id = board->previous_pass_id;
  v.truncated = board->truncated;
  v.limit = kNightlyBoardLimit;
  for (const NightlyRow& row : board->rows) {
    render::NightlyBoardView::Row r;
    r.repo = row.repo;
    r.tonight = View(row.tonight);
    r.previous = View(row.previous);
    r.trend = render::NightlyTrend(r.tonight, r.previous);
    v.rows.push_back(std::move(r));
  }
  HttpResponse r =
      BodyResponse(200, "text/html; charset=utf-8", render::RenderNightlyPage(v, s->version));
  r.Set("Content-Security-Policy", kDashboardCsp);
  return r;
}

}  // namespace

Route MatchNightlyRoute(std::string_view path, const HttpServices* services) {
  if (path == routes::kNightly) {
    return {"nightly", [services](HttpRequest&) { return ServeBoard(false, services); }};
  }
  if (path == routes::kApiNightly) {
    return {"api_nightly", [services](HttpRequest&) { return ServeBoard(true, services); }};
  }
  return {};
}

}  // namespace ccci
