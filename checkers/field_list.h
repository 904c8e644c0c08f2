// checkers::FieldList — a node event's fields (docs/contracts.md section 3), flat: one vector of
// (name, value) sorted by name, so that Dump() is the JSON object nlohmann writes for the same
// fields (its object is a std::map: keys in byte order), byte for byte.
//
// Why not a nlohmann::json object: a run holds ~12k node events, and a JSON object is a std::map
// with one node (and often a string) per field; building, dumping and destroying them was a fifth
// of `faultline sim`'s CPU (issue 12). A FieldList is one allocation per event.
//
// Contract:
//  * Names are unique and kept sorted; Set() replaces a field of the same name.
//  * Integers are kept as int64 when they fit, else as uint64 (a zxid or a digest above 2^63),
//    so two lists of the same fields compare equal however they were built (nlohmann parses a
//    non-negative integer as unsigned, the core emits uint64 zxids).
//  * Anything but null, bool, integer and string (a float, an array, an object) is kept as its
//    JSON value; ToJson() / FromJson() round-trip every JSON object.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace faultline::checkers {

class FieldList {
 public:
  // Any other JSON value (a float, an array, an object), wrapped so that nothing converts to it
  // by accident (a string literal is a std::string, an int an int64).
  struct Json {
    nlohmann::json value;
    bool operator==(const Json&) const = default;
  };
  using Value = std::variant<std::nullptr_t, bool, int64_t, uint64_t, std::string, Json>;
  struct Field {
    std::string name;
    Value value;
    bool operator==(const Field&) const = default;
  };

  FieldList() = default;
  // {{"first", 1}, {"mode", "DIFF"}}: fields in any order, a later one of a name winning.
  FieldList(std::initializer_list<Field> fields);
  // A JSON object's fields; anything else (an event line that is not an object) has none.
  static FieldList FromJson(const nlohmann::json& j);
  nlohmann::json ToJson() const;
  // ToJson().dump(), byte for byte, without building the JSON for the usual fields.
  std::string Dump() const;
  void DumpTo(std::string* out) const;  // the same into *out (its capacity kept)

  const Value* Find(std::string_view name) const;
  bool Contains(std::string_view name) const { return Find(name) != nullptr; }
  // The integer field `name` (as int64; a uint64 above 2^63 wraps, as nlohmann's get<int64_t>).
  std::optional<int64_t> Int(std::string_view name) const;
  // The same as uint64 (a digest), for a field of either integer kind.
  std::optional<uint64_t> Uint(std::string_view name) const;
  // The string field `name`, or `fallback` when it is absent or not a string.
  std::string Str(std::string_view name, std::string_view fallback = {}) const;
  // The field as JSON (null when absent), for a reader that wants JSON (tests, messages). Const
  // on purpose: `fields["x"] = v` does not compile (use Set).
  const nlohmann::json operator[](std::string_view name) const;

  // Adds or replaces `name`. Integers are normalized (see Contract).
  void Set(std::string_view name, Value value);
  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  void Set(std::string_view name, T value) {
    if constexpr (std::is_signed_v<T>) {
      Set(name, Value(static_cast<int64_t>(value)));
    } else {
      Set(name, Value(static_cast<uint64_t>(value)));
    }
  }
  void Set(std::string_view name, const char* value) { Set(name, Value(std::string(value))); }
  // Builds a list from fields given in any order, a later one of the same name winning: append
  // them all, then Seal() once (one sort instead of an insertion each).
  void Append(std::string name, Value value);
  void Seal();
  void Reserve(std::size_t n) { fields_.reserve(n); }

  std::size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }
  bool operator==(const FieldList&) const = default;

 private:
  static Value Normalize(Value v);
  std::vector<Field> fields_;
};

// A value as JSON text (a string quoted), as nlohmann dumps it.
std::string DumpValue(const FieldList::Value& v);

}  // namespace faultline::checkers
