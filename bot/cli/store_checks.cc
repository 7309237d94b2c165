// The store half of `cc-ci doctor` (doctor.h): the shared PostgreSQL database every node of a
// multi-host install uses.

#include <string>

#include "bot/cli/doctor.h"
#include "bot/store/migrations.h"
#include "bot/store/pg_db.h"
#include "bot/store/work_signal.h"

namespace ccci {
namespace {

DoctorCheck Pass(std::string what) { return {true, std::move(what), ""}; }
DoctorCheck Fail(std::string what, std::string fix) {
  return {false, std::move(what), std::move(fix)};
}

// One row of one column as text, "" for none or NULL.
Result<std::string> One(SqlDb& db, const std::string& sql) {
  auto q = db.Prepare(sql);
  if (!q.ok()) return q.status();
  auto row = (*q)->Step();
  if (!row.ok()) return row.status();
  return *row && !(*q)->IsNull(0) ? (*q)->Text(0) : std::string();
}

// libpq's messages run over several lines (a hint on the next, tab-indented): one line here.
std::string OneLine(std::string s) {
  for (char& ch : s) {
    if (ch == '\n' || ch == '\t') ch = ' ';
  }
  for (size_t at; (at = s.find("  ")) != std::string::npos;) s.erase(at, 1);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::vector<DoctorCheck> StoreChecks(Config c) {
  if (c.driver != "postgres") return {};
  if (Status s = LoadDatabaseUrl(&c); !s.ok() || c.database_url.empty()) {
    return {Fail(s.ok() ? "no PostgreSQL connection string" : s.message(),
                 "write it into storage.url_file (one line, mode 0600, owned by the cc-ci user) "
                 "or set CC_CI_DATABASE_URL")};
  }
  auto db = PgDb::Open(c.database_url);
  if (!db.ok()) {
    return {Fail("the store does not answer: " + OneLine(db.status().message()),
                 "check the connection string, and that the database server lets this host in "
                 "(listen_addresses, pg_hba.conf)")};
  }
  std::vector<DoctorCheck> out;
  int64_t latest = Migrations().back().version;
  auto server = One(**db, "SELECT current_setting('server_version')");
  auto tables = One(**db, "SELECT to_regclass('cc_ci_schema')::text");
  Result<std::string> version = std::string();
  if (tables.ok() && !tables->empty()) version = One(**db, "SELECT version FROM cc_ci_schema");
  if (!server.ok() || !tables.ok() || !version.ok()) {
    Status s = !server.ok() ? server.status() : !tables.ok() ? tables.status() : version.status();
    return {Fail("the store answers, but not to a read: " + OneLine(s.message()),
                 "grant the cc-ci role its database (createdb -O cc_ci cc_ci)")};
  }
  std::string what = "store: PostgreSQL " + *server;
  if (version->empty()) {
    out.push_back(Pass(what + ", no tables yet (the first cc-ci to start creates them)"));
    return out;
  }
  int64_t at = std::stoll(*version);
  if (at > latest) {
    out.push_back(Fail(what + " at schema version " + *version + ", newer than this cc-ci's (" +
                           std::to_string(latest) + ")",
                       "install on this host the cc-ci version the other nodes run"));
  } else {
    out.push_back(
        Pass(what + " at schema version " + *version +
             (at < latest ? " (this cc-ci migrates it to " + std::to_string(latest) + " at start)"
                          : "")));
  }
  auto notify = WorkNotifyInstalled(**db);
  if (!notify.ok()) {
    out.push_back(Fail("cannot read the store's triggers: " + OneLine(notify.status().message()),
                       "grant the cc-ci role its database (createdb -O cc_ci cc_ci)"));
  } else if (at >= latest) {
    out.push_back(*notify ? Pass("workers are woken by the store on new work (LISTEN/NOTIFY)")
                          : Fail("the trigger that wakes workers on new work is missing or "
                                 "outdated, so they find it by polling only",
                                 "restart a cc-ci node while no run is being written (it "
                                 "installs it; see store.work_notify_not_installed in its log)"));
  }
  return out;
}

}  // namespace ccci
