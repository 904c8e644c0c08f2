#include "harness/history/event_json.h"

#include <charconv>

namespace faultline::harness {
namespace {

// A string nlohmann's dump() writes as it is, between quotes: printable ASCII but '"' and '\\'.
bool PlainString(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

// `j.dump()` into *out (its capacity kept), byte for byte, for the shape of a node event's
// fields (docs/contracts.md 3): an object of integers, booleans, nulls and plain strings, keys in
// the object's (sorted) order. Anything else (a float, a nested value, a string to escape) takes
// nlohmann's serializer. The writer thread dumps every event of a run (issue 12: sim speed).
void DumpEventFields(const nlohmann::json& j, std::string* out) {
  out->clear();
  if (!j.is_object()) {
    *out = j.dump();
    return;
  }
  using json = nlohmann::json;
  out->push_back('{');
  char digits[24];
  // The object's std::map itself: nlohmann's checked iterators cost more than the writing.
  for (const auto& [key, v] : *j.get_ptr<const json::object_t*>()) {
    if (!PlainString(key)) {
      *out = j.dump();
      return;
    }
    if (out->size() > 1) out->push_back(',');
    out->push_back('"');
    out->append(key);
    out->append("\":", 2);
    // Unsigned first: nlohmann's integer pointer is given for an unsigned value too.
    if (const auto* u = v.get_ptr<const json::number_unsigned_t*>()) {
      out->append(digits, std::to_chars(digits, digits + sizeof(digits), *u).ptr);
    } else if (const auto* i = v.get_ptr<const json::number_integer_t*>()) {
      out->append(digits, std::to_chars(digits, digits + sizeof(digits), *i).ptr);
    } else if (const auto* text = v.get_ptr<const json::string_t*>()) {
      if (!PlainString(*text)) {
        *out = j.dump();
        return;
      }
      out->push_back('"');
      out->append(*text);
      out->push_back('"');
    } else if (const auto* b = v.get_ptr<const json::boolean_t*>()) {
      out->append(*b ? "true" : "false");
    } else if (v.is_null()) {
      out->append("null");
    } else {  // a float, an array, an object, binary
      *out = j.dump();
      return;
    }
  }
  out->push_back('}');
}

}  // namespace faultline::harness
