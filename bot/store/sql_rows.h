#pragma once
// Reading result rows into records, shared by the SQL store's files: the columns of a row, in
// SELECT order, into fields by their type, and every row a statement steps to.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bot/store/sql_db.h"

namespace ccci {
namespace sql_rows {

inline void ReadColumn(const SqlStmt& s, int col, int64_t* f) { *f = s.Int(col); }
inline void ReadColumn(const SqlStmt& s, int col, int* f) { *f = static_cast<int>(s.Int(col)); }
inline void ReadColumn(const SqlStmt& s, int col, bool* f) { *f = s.Int(col) != 0; }
inline void ReadColumn(const SqlStmt& s, int col, std::string* f) { *f = s.Text(col); }
// NULL reads as nullopt.
inline void ReadColumn(const SqlStmt& s, int col, std::optional<int64_t>* f) {
  if (s.IsNull(col)) {
    f->reset();
  } else {
    *f = s.Int(col);
  }
}
inline void ReadColumn(const SqlStmt& s, int col, std::optional<bool>* f) {
  if (s.IsNull(col)) {
    f->reset();
  } else {
    *f = s.Int(col) != 0;
  }
}

}  // namespace sql_rows

// Reads columns 0, 1, ... of the current row into `fields`, in order.
template <typename... Field>
void ReadColumns(const SqlStmt& s, Field*... fields) {
  int col = 0;
  (sql_rows::ReadColumn(s, col++, fields), ...);  // a comma fold runs left to right
}

// Steps `s` to its end, calling `each()` on every row.
template <typename Each>
Status ForEachRow(SqlStmt& s, Each each) {
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    each();
  }
}

// Every row `s` steps to, each read by `read(s)`.
template <typename T, typename Read>
Result<std::vector<T>> CollectRows(SqlStmt& s, Read read) {
  std::vector<T> out;
  Status st = ForEachRow(s, [&] { out.push_back(read(s)); });
  if (!st.ok()) return st;
  return out;
}

}  // namespace ccci
