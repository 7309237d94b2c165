// SqlStore's ArtifactStore: stage-log chunks and run blobs (migrations/011_artifacts.sql).
// Appends share the group commit with every other write, so a busy log costs a row per
// flush, not a transaction per flush.

#include <algorithm>

#include "bot/store/sql_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {

std::string LogBytesFrom(const std::vector<LogChunk>& chunks, int64_t offset, size_t n) {
  std::string out;
  for (const LogChunk& c : chunks) {
    if (out.size() >= n) break;
    int64_t end = c.offset + static_cast<int64_t>(c.bytes.size());
    if (end <= offset) continue;
    // A chunk after a gap (none is written; a reader must not glue across one) ends it.
    if (c.offset > offset + static_cast<int64_t>(out.size())) break;
    int64_t at = offset + static_cast<int64_t>(out.size());
    size_t skip = static_cast<size_t>(std::max<int64_t>(0, at - c.offset));
    out.append(c.bytes, skip, n - out.size());
  }
  return out;
}

Status SqlStore::AppendLogChunk(int64_t run_id, const std::string& log, int64_t seq, int64_t offset,
                                std::string_view bytes) {
  if (bytes.empty() || bytes.size() > kMaxLogChunkBytes) {
    return InvalidArgument("a log chunk holds 1 to " + std::to_string(kMaxLogChunkBytes) +
                           " bytes, not " + std::to_string(bytes.size()));
  }
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "INSERT INTO log_chunks (run_id, log, seq, start_offset, end_offset, bytes) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (run_id, log, seq) DO NOTHING");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, run_id).Bind(2, log).Bind(3, seq).Bind(4, offset);
    (*s)->Bind(5, offset + static_cast<int64_t>(bytes.size())).BindBlob(6, bytes);
    CCCI_RETURN_IF_ERROR((*s)->Run());
    if (db.Changes() == 0) {
      return FailedPrecondition("chunk " + std::to_string(seq) + " of " + log + " of run " +
                                std::to_string(run_id) + " was written already");
    }
    return Status::Ok();
  });
}

Result<std::vector<LogChunk>> SqlStore::ReadLogChunks(int64_t run_id, const std::string& log,
                                                      int64_t from_offset, size_t max_bytes) {
  using Chunks = std::vector<LogChunk>;
  return Read<Chunks>([&](SqlDb& db) -> Result<Chunks> {
    // Enough rows for max_bytes if the chunks are small (a quiet log flushes a line at a
    // time), never more than a bounded batch per call.
    auto s = db.Prepare(
        "SELECT seq, start_offset, bytes FROM log_chunks "
        "WHERE run_id = ?1 AND log = ?2 AND end_offset > ?3 ORDER BY end_offset LIMIT 256");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, run_id).Bind(2, log).Bind(3, from_offset);
    Chunks out;
    size_t got = 0;
    while (got < max_bytes) {
      auto row = (*s)->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      LogChunk c{(*s)->Int(0), (*s)->Int(1), (*s)->Blob(2)};
      got += c.bytes.size();
      out.push_back(std::move(c));
    }
    return out;
  });
}

Result<LogExtent> SqlStore::GetLogExtent(int64_t run_id, const std::string& log) {
  return Read<LogExtent>([&](SqlDb& db) -> Result<LogExtent> {
    auto s = db.Prepare(
        "SELECT seq, end_offset FROM log_chunks WHERE run_id = ?1 AND log = ?2 "
        "ORDER BY seq DESC LIMIT 1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, run_id).Bind(2, log);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return LogExtent{};
    return LogExtent{(*s)->Int(1), (*s)->Int(0) + 1};
  });
}

Status SqlStore::PutBlob(int64_t run_id, const std::string& name, const std::string& content_type,
                         std::string_view bytes) {
  if (bytes.size() > kMaxBlobBytes) {
    return InvalidArgument(name + " is " + std::to_string(bytes.size()) +
                           " bytes; a blob holds at most " + std::to_string(kMaxBlobBytes));
  }
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "INSERT INTO run_blobs (run_id, name, content_type, bytes, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (run_id, name) DO UPDATE SET "
        "content_type = excluded.content_type, bytes = excluded.bytes, "
        "created_at = excluded.created_at");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, run_id).Bind(2, name).Bind(3, content_type).BindBlob(4, bytes).Bind(5, now);
    return (*s)->Run();
  });
}

Result<ArtifactBlob> SqlStore::GetBlob(int64_t run_id, const std::string& name) {
  return Read<ArtifactBlob>([&](SqlDb& db) -> Result<ArtifactBlob> {
    auto s =
        db.Prepare("SELECT content_type, bytes FROM run_blobs WHERE run_id = ?1 AND name = ?2");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, run_id).Bind(2, name);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return NotFound("run " + std::to_string(run_id) + " has no " + name);
    return ArtifactBlob{(*s)->Text(0), (*s)->Blob(1)};
  });
}

Result<std::vector<int64_t>> SqlStore::RunsWithArtifactsEndedBefore(int64_t cutoff_ms, int limit) {
  using Ids = std::vector<int64_t>;
  return Read<Ids>([&](SqlDb& db) -> Result<Ids> {
    auto s = db.Prepare(
        "SELECT id FROM runs WHERE state IN ('finished', 'error', 'cancelled', 'superseded') "
        "AND COALESCE(finished_at, updated_at) < ?1 "
        "AND (EXISTS (SELECT 1 FROM log_chunks c WHERE c.run_id = runs.id) "
        "OR EXISTS (SELECT 1 FROM run_blobs b WHERE b.run_id = runs.id)) "
        "ORDER BY id LIMIT ?2");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, cutoff_ms).Bind(2, static_cast<int64_t>(limit));
    return CollectRows<int64_t>(**s, [](const SqlStmt& row) { return row.Int(0); });
  });
}

Result<int64_t> SqlStore::DeleteArtifacts(int64_t run_id) {
  int64_t deleted = 0;
  Status st = Write([&](SqlDb& db) -> Status {
    deleted = 0;  // a retried job starts again
    for (const char* sql :
         {"DELETE FROM log_chunks WHERE run_id = ?1", "DELETE FROM run_blobs WHERE run_id = ?1"}) {
      auto s = db.Prepare(sql);
      if (!s.ok()) return s.status();
      (*s)->Bind(1, run_id);
      CCCI_RETURN_IF_ERROR((*s)->Run());
      deleted += db.Changes();
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return deleted;
}

}  // namespace ccci
