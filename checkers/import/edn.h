// A small, complete-enough EDN reader (https://github.com/edn-format/edn) for Jepsen histories:
// nil, true/false, integers (with N), floats (with M), strings with escapes, characters,
// keywords, symbols, lists, vectors, maps, sets, tagged elements (#inst "..": the tag is kept),
// #_ discard, `;` comments, commas as whitespace. Pure: parses a string, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace faultline::checkers {

struct EdnValue {
  enum class Type {
    kNil,
    kBool,
    kInt,
    kFloat,
    kString,
    kChar,
    kKeyword,
    kSymbol,
    kList,
    kVector,
    kMap,
    kSet,
    kTagged
  };
  Type type = Type::kNil;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;                // string contents, keyword/symbol name without ':', tag name, char
  std::vector<EdnValue> items;  // list/vector/set elements; map: key, value, key, value...
  int line = 0;                 // 1-based line where the value starts

  bool IsNil() const { return type == Type::kNil; }
  bool IsKeyword(std::string_view name) const { return type == Type::kKeyword && s == name; }
  bool IsSequential() const { return type == Type::kList || type == Type::kVector; }
  // Map lookup by keyword name; nullptr when absent or not a map.
  const EdnValue* Get(std::string_view keyword) const;
  // Compact EDN text: 3, "x", :ok, [1 2], {:a 1}.
  std::string ToString() const;
  // As a history value: nil -> nullopt, "s" -> s, :kw -> kw, sym -> sym, 3 -> "3", [1 2] -> "[1
  // 2]".
  std::optional<std::string> Scalar() const;
};

// Reads successive top-level forms from `text`. Errors name `source` and the line.
class EdnReader {
 public:
  // `source` (named in errors) must outlive the reader; `first_line` is the line `text` starts on.
  EdnReader(std::string_view text, std::string_view source, int first_line = 1)
      : text_(text), source_(source), line_(first_line) {}
  // True when only whitespace and comments remain.
  bool AtEnd();
  Result<EdnValue> Next();
  int line() const { return line_; }

 private:
  Status Error(const std::string& what) const;
  void SkipSpace();
  Result<EdnValue> ReadForm();
  Result<EdnValue> ReadSeq(char close, EdnValue::Type type);
  Result<EdnValue> ReadString();
  Result<EdnValue> ReadAtom();

  std::string_view text_;
  std::string_view source_;
  size_t pos_ = 0;
  int line_;
  int depth_ = 0;
};

}  // namespace faultline::checkers
