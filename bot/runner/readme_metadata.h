#pragma once
// The metadata block of a recipe README, as Co-op Cloud's recipe docs define it
// (https://docs.coopcloud.tech/recipes/, "Status / features / scoring"):
//   <!-- metadata -->
//   * **Category**: Apps
//   * **Status**: 3, stable
//   * **Healthcheck**: Yes
//   ...
//   <!-- endmetadata -->
// Parsed with the byte offsets of each value, so a README can be written back byte for byte
// except the values that change.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ccci::runner {

inline constexpr const char* kMetadataOpen = "<!-- metadata -->";
inline constexpr const char* kMetadataClose = "<!-- endmetadata -->";

struct MetadataField {
  std::string key;         // Healthcheck
  std::string value;       // trimmed: "Yes", "" for "* **Backups**:"
  int line = 0;            // 1-based, in the README
  size_t value_begin = 0;  // just after "**Key**:"
  size_t value_end = 0;    // end of the line, before any "\r\n"
};

struct MetadataBlock {
  size_t begin = 0;  // offset of kMetadataOpen
  size_t end = 0;    // offset just after kMetadataClose
  int line = 0;      // of kMetadataOpen
  std::vector<MetadataField> fields;

  const MetadataField* Field(const std::string& key) const;
};

// nullopt when the README has no complete block.
std::optional<MetadataBlock> ParseMetadata(const std::string& readme);

// `readme` with each value in `values` (key -> value) written into the block: a field's text
// after "**Key**:" becomes " <value>", a key the block lacks is added as a line after its last
// field (in the style of that line); every other byte stays as it was.
std::string WithMetadataValues(const std::string& readme, const MetadataBlock& block,
                               const std::map<std::string, std::string>& values);

}  // namespace ccci::runner
