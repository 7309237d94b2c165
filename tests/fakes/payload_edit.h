#pragma once
// Webhook bodies for tests, made from the real payloads in shared/gitea/payloads by setting
// fields through JSON pointers, so a test names exactly what it changes.

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>

#include "tests/fakes/test_files.h"

namespace ccci::testing {

// `body` (JSON, or the name of a file in shared/gitea/payloads) with the value at `pointer`
// (e.g. "/pull_request/head/sha") set to `v`.
inline std::string With(const std::string& body, const std::string& pointer,
                        const rapidjson::Value& v) {
  rapidjson::Document d;
  d.Parse(body[0] == '{' ? body.c_str() : ReadShared("gitea/payloads/" + body).c_str());
  rapidjson::Pointer(pointer.c_str()).Set(d, rapidjson::Value(v, d.GetAllocator()));
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  d.Accept(w);
  return b.GetString();
}
inline std::string With(const std::string& body, const std::string& pointer, const std::string& s) {
  return With(body, pointer,
              rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size())));
}
inline std::string With(const std::string& body, const std::string& pointer, int64_t n) {
  return With(body, pointer, rapidjson::Value(n));
}

}  // namespace ccci::testing
