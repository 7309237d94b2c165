#include "bot/runner/readme_scores.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>

#include "bot/store/records.h"

namespace ccci::runner {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string FirstWord(const std::string& s) {
  size_t b = 0;
  while (b < s.size() && !std::isalnum(static_cast<unsigned char>(s[b]))) ++b;
  size_t e = b;
  while (e < s.size() && std::isalnum(static_cast<unsigned char>(s[e]))) ++e;
  return Lower(s.substr(b, e - b));
}

// The docs' 0-10 score at the start of a value: "3", "3, cc-ci level 8", "❷💛", "②"; -1 if none.
int LeadingScore(const std::string& v) {
  size_t i = 0;
  while (i < v.size() && v[i] == ' ') ++i;
  if (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
    int n = v[i] - '0';
    if (i + 1 < v.size() && std::isdigit(static_cast<unsigned char>(v[i + 1]))) return -1;
    return n;
  }
  // Dingbat negative circled digits ❶-❿ are E2 9D B6..BF; circled digits ①-⑩ E2 91 A0..A9.
  if (i + 2 < v.size() && static_cast<unsigned char>(v[i]) == 0xE2) {
    unsigned char b1 = static_cast<unsigned char>(v[i + 1]),
                  b2 = static_cast<unsigned char>(v[i + 2]);
    if (b1 == 0x9D && b2 >= 0xB6 && b2 <= 0xBF) return b2 - 0xB6 + 1;
    if (b1 == 0x91 && b2 >= 0xA0 && b2 <= 0xA9) return b2 - 0xA0 + 1;
  }
  return -1;
}

// The N of "cc-ci level N", -1 if the value names none.
int CcciLevel(const std::string& v) {
  std::string l = Lower(v);
  size_t at = l.find("cc-ci level ");
  if (at == std::string::npos) return -1;
  size_t i = at + 12;
  if (i >= l.size() || !std::isdigit(static_cast<unsigned char>(l[i]))) return -1;
  return l[i] - '0';
}

void PutString(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string Str(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

}  // namespace

std::map<std::string, std::string> MeasureScores(const ScoreFacts& f) {
  std::map<std::string, std::string> out;
  bool installed = StagePassed(f.install);
  if (!f.healthcheck_everywhere) {
    out[kScoreHealthcheck] = "No";
  } else if (installed) {
    out[kScoreHealthcheck] = "Yes";
  }
  if (!f.backup_label || f.backup == "fail" || f.restore == "fail") {
    out[kScoreBackups] = "No";
  } else if (StagePassed(f.backup) && StagePassed(f.restore) && f.data_check) {
    out[kScoreBackups] = "Yes";
  }
  int scale = !installed || f.level < 1 ? 0 : f.healthcheck_everywhere ? 3 : 2;
  out[kScoreTests] = std::to_string(scale) + ", cc-ci level " + std::to_string(f.level);
  return out;
}

bool ScoreAgrees(const std::string& key, const std::string& readme_value,
                 const std::string& measured) {
  if (key == kScoreTests) {
    int want = CcciLevel(measured);
    return LeadingScore(readme_value) == LeadingScore(measured) &&
           (want < 0 || CcciLevel(readme_value) == want);
  }
  std::string a = FirstWord(readme_value), b = FirstWord(measured);
  return !b.empty() && a == b;
}

ScoresReport BuildScoresReport(const std::string& readme,
                               const std::map<std::string, std::string>& measured) {
  ScoresReport r;
  r.measured = measured;
  auto block = ParseMetadata(readme);
  if (!block) return r;
  r.has_block = true;
  std::map<std::string, std::string> changed;
  for (const auto& [key, value] : measured) {
    const MetadataField* f = block->Field(key);
    std::string written = f ? f->value : "";
    if (f && ScoreAgrees(key, written, value)) continue;
    r.differences.push_back({key, written, value, f ? f->line : 0});
    changed[key] = value;
  }
  std::string updated = WithMetadataValues(readme, *block, changed);
  auto after = ParseMetadata(updated);
  r.measured_block = updated.substr(after->begin, after->end - after->begin);
  return r;
}

std::string ReadmeWithScores(const std::string& readme,
                             const std::map<std::string, std::string>& measured) {
  auto block = ParseMetadata(readme);
  if (!block) return readme;
  std::map<std::string, std::string> changed;
  for (const auto& [key, value] : measured) {
    const MetadataField* f = block->Field(key);
    if (!f || !ScoreAgrees(key, f->value, value)) changed[key] = value;
  }
  return changed.empty() ? readme : WithMetadataValues(readme, *block, changed);
}

std::string ScoresReportJson(const ScoresReport& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("file");
  PutString(w, r.file);
  w.Key("has_block");
  w.Bool(r.has_block);
  w.Key("measured");
  w.StartObject();
  for (const auto& [k, v] : r.measured) {
    PutString(w, k);
    PutString(w, v);
  }
  w.EndObject();
  w.Key("differences");
  w.StartArray();
  for (const ScoreDifference& d : r.differences) {
    w.StartObject();
    w.Key("key");
    PutString(w, d.key);
    w.Key("readme");
    PutString(w, d.readme);
    w.Key("measured");
    PutString(w, d.measured);
    w.Key("line");
    w.Int(d.line);
    w.EndObject();
  }
  w.EndArray();
  w.Key("measured_block");
  PutString(w, r.measured_block);
  w.EndObject();
  return buf.GetString();
}

Result<ScoresReport> ParseScoresReport(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject())
    return InvalidArgument("README scores: not a JSON object");
  ScoresReport r;
  r.file = Str(d, "file");
  auto hb = d.FindMember("has_block");
  r.has_block = hb != d.MemberEnd() && hb->value.IsBool() && hb->value.GetBool();
  if (auto m = d.FindMember("measured"); m != d.MemberEnd() && m->value.IsObject()) {
    for (auto it = m->value.MemberBegin(); it != m->value.MemberEnd(); ++it) {
      if (it->value.IsString()) r.measured[it->name.GetString()] = it->value.GetString();
    }
  }
  if (auto a = d.FindMember("differences"); a != d.MemberEnd() && a->value.IsArray()) {
    for (const auto& v : a->value.GetArray()) {
      if (!v.IsObject()) continue;
      ScoreDifference diff{Str(v, "key"), Str(v, "readme"), Str(v, "measured"), 0};
      if (auto l = v.FindMember("line"); l != v.MemberEnd() && l->value.IsInt())
        diff.line = l->value.GetInt();
      r.differences.push_back(std::move(diff));
    }
  }
  r.measured_block = Str(d, "measured_block");
  return r;
}

}  // namespace ccci::runner
