// yaml-cpp keeps both of two equal keys in a mapping, and a lookup finds the first: the second
// would be ignored without a word (or, in a loop over the pairs, win). Every loader of a file a
// person writes (suite, suite plan, matrix, scenario, zabd config) calls FindRepeatedKey on the
// whole document first and refuses the file naming the key and both lines.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>

namespace faultline {

struct RepeatedKey {
  std::string path;    // "workload.keys", "nemesis.schedule[0].at", "nodes[1].id"
  int line = 0;        // of the repeat (1-based)
  int first_line = 0;  // of the first occurrence
  // "<line>: <path>: repeated key (first on line <first_line>)", the loaders' message body.
  std::string Describe() const {
    return std::to_string(line) + ": " + path + ": repeated key (first on line " +
           std::to_string(first_line) + ")";
  }
};

// The first repeated key in document order, in any mapping under `node`.
inline std::optional<RepeatedKey> FindRepeatedKey(const YAML::Node& node,
                                                  const std::string& path = "") {
  if (node.IsMap()) {
    std::map<std::string, int> first;
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
      const std::string child = path.empty() ? key : path + "." + key;
      auto [it, inserted] = first.emplace(key, kv.first.Mark().line + 1);
      if (!inserted) return RepeatedKey{child, kv.first.Mark().line + 1, it->second};
      if (auto r = FindRepeatedKey(kv.second, child)) return r;
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      if (auto r = FindRepeatedKey(node[i], path + "[" + std::to_string(i) + "]")) return r;
    }
  }
  return std::nullopt;
}

}  // namespace faultline
