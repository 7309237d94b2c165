#pragma once
// The fields of the supervisor's JSON state files (<name>.json, watchdog.json): one call a field
// to write, and readers that give the zero value for a field that is missing or of another type,
// so that a file written by an older supervisor still loads.

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>

namespace ccci::supervisor {

// Writes `key` and `v`: a string, an integer or a bool.
template <class Writer, class V>
void PutField(Writer& w, const char* key, const V& v) {
  w.Key(key);
  if constexpr (std::is_same_v<V, bool>) {
    w.Bool(v);
  } else if constexpr (std::is_same_v<V, int>) {
    w.Int(v);
  } else if constexpr (std::is_same_v<V, int64_t>) {
    w.Int64(v);
  } else if constexpr (std::is_same_v<V, uint64_t>) {
    w.Uint64(v);
  } else if constexpr (std::is_same_v<V, std::string>) {
    w.String(v.c_str());
  } else {
    static_assert(std::is_same_v<V, const char*>, "a string, an integer or a bool");
    w.String(v);
  }
}

inline int64_t IntField(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}
inline std::string StrField(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}
inline bool BoolField(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

// One field of a flat struct T, for a struct whose JSON form is exactly its fields: the key and
// the member it holds. A table of these writes and reads the struct, each key spelled once.
template <class T>
struct JsonField {
  const char* key;
  std::variant<int T::*, int64_t T::*, bool T::*, std::string T::*> member;
};

// A JsonField whose key is the member's own name: CCCI_JSON_FIELD(WatchdogInfo, pid) is
// {"pid", &WatchdogInfo::pid}, so a key cannot drift from its member.
#define CCCI_JSON_FIELD(T, member) \
  ::ccci::supervisor::JsonField<T> { #member, &T::member }

template <class Writer, class T, size_t N>
void PutFields(Writer& w, const T& v, const JsonField<T> (&fields)[N]) {
  for (const JsonField<T>& f : fields) {
    std::visit([&](auto m) { PutField(w, f.key, v.*m); }, f.member);
  }
}

// Sets every field in `fields` from `o`, to the zero value where `o` lacks it.
template <class T, size_t N>
void GetFields(const rapidjson::Value& o, T* v, const JsonField<T> (&fields)[N]) {
  for (const JsonField<T>& f : fields) {
    std::visit(
        [&](auto m) {
          auto& field = v->*m;
          using M = std::remove_reference_t<decltype(field)>;
          if constexpr (std::is_same_v<M, bool>) {
            field = BoolField(o, f.key);
          } else if constexpr (std::is_same_v<M, std::string>) {
            field = StrField(o, f.key);
          } else {
            field = static_cast<M>(IntField(o, f.key));
          }
        },
        f.member);
  }
}

}  // namespace ccci::supervisor
