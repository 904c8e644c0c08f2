#include "checkers/field_list.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace faultline::checkers {
namespace {

using json = nlohmann::json;

// A string nlohmann's dump() writes as it is, between quotes: printable ASCII but '"' and '\\'.
bool PlainString(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

json ToJsonValue(const FieldList::Value& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          return json(nullptr);
        } else if constexpr (std::is_same_v<T, FieldList::Json>) {
          return x.value;
        } else {
          return json(x);
        }
      },
      v);
}

}  // namespace

FieldList::Value FieldList::Normalize(Value v) {
  if (auto* u = std::get_if<uint64_t>(&v)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Value(static_cast<int64_t>(*u));
    }
    return v;
  }
  if (auto* wrapped = std::get_if<Json>(&v)) {
    json* j = &wrapped->value;
    if (j->is_null()) return Value(nullptr);
    if (const auto* b = j->get_ptr<const json::boolean_t*>()) return Value(*b);
    if (const auto* u = j->get_ptr<const json::number_unsigned_t*>()) {
      return Normalize(Value(static_cast<uint64_t>(*u)));
    }
    if (const auto* i = j->get_ptr<const json::number_integer_t*>()) {
      return Value(static_cast<int64_t>(*i));
    }
    if (auto* s = j->get_ptr<json::string_t*>()) return Value(std::move(*s));
  }
  return v;
}

FieldList::FieldList(std::initializer_list<Field> fields) {
  fields_.reserve(fields.size());
  for (const Field& f : fields) Append(f.name, f.value);
  Seal();
}

FieldList FieldList::FromJson(const json& j) {
  FieldList out;
  const auto* object = j.get_ptr<const json::object_t*>();
  if (!object) return out;
  out.fields_.reserve(object->size());
  // The object's std::map is in key order already: no sort.
  for (const auto& [name, value] : *object) out.fields_.push_back({name, Normalize(Value(Json{value}))});
  return out;
}

json FieldList::ToJson() const {
  json j = json::object();
  auto& object = j.get_ref<json::object_t&>();
  for (const Field& f : fields_) object.emplace_hint(object.end(), f.name, ToJsonValue(f.value));
  return j;
}

std::string FieldList::Dump() const {
  std::string out;
  DumpTo(&out);
  return out;
}

void FieldList::DumpTo(std::string* out) const {
  out->clear();
  out->push_back('{');
  char digits[24];
  for (const Field& f : fields_) {
    if (!PlainString(f.name)) {  // a name to escape: nlohmann's serializer
      *out = ToJson().dump();
      return;
    }
    if (out->size() > 1) out->push_back(',');
    out->push_back('"');
    out->append(f.name);
    out->append("\":", 2);
    if (const auto* i = std::get_if<int64_t>(&f.value)) {
      out->append(digits, std::to_chars(digits, digits + sizeof(digits), *i).ptr);
    } else if (const auto* u = std::get_if<uint64_t>(&f.value)) {
      out->append(digits, std::to_chars(digits, digits + sizeof(digits), *u).ptr);
    } else if (const auto* s = std::get_if<std::string>(&f.value)) {
      if (PlainString(*s)) {
        out->push_back('"');
        out->append(*s);
        out->push_back('"');
      } else {
        out->append(json(*s).dump());
      }
    } else if (const auto* b = std::get_if<bool>(&f.value)) {
      out->append(*b ? "true" : "false");
    } else if (std::holds_alternative<std::nullptr_t>(f.value)) {
      out->append("null");
    } else {
      out->append(std::get<Json>(f.value).value.dump());
    }
  }
  out->push_back('}');
}

std::string DumpValue(const FieldList::Value& v) { return ToJsonValue(v).dump(); }

const FieldList::Value* FieldList::Find(std::string_view name) const {
  // A dozen fields: a linear scan beats a binary search's branches.
  for (const Field& f : fields_) {
    if (f.name == name) return &f.value;
  }
  return nullptr;
}

std::optional<int64_t> FieldList::Int(std::string_view name) const {
  const Value* v = Find(name);
  if (!v) return std::nullopt;
  if (const auto* i = std::get_if<int64_t>(v)) return *i;
  if (const auto* u = std::get_if<uint64_t>(v)) return static_cast<int64_t>(*u);
  return std::nullopt;
}

std::optional<uint64_t> FieldList::Uint(std::string_view name) const {
  const std::optional<int64_t> i = Int(name);  // the same bits either way
  if (!i) return std::nullopt;
  return static_cast<uint64_t>(*i);
}

std::string FieldList::Str(std::string_view name, std::string_view fallback) const {
  const Value* v = Find(name);
  if (const auto* s = v ? std::get_if<std::string>(v) : nullptr) return *s;
  return std::string(fallback);
}

const json FieldList::operator[](std::string_view name) const {
  const Value* v = Find(name);
  return v ? ToJsonValue(*v) : json(nullptr);
}

void FieldList::Set(std::string_view name, Value value) {
  auto it = std::lower_bound(fields_.begin(), fields_.end(), name,
                             [](const Field& f, std::string_view n) { return f.name < n; });
  if (it != fields_.end() && it->name == name) {
    it->value = Normalize(std::move(value));
  } else {
    fields_.insert(it, Field{std::string(name), Normalize(std::move(value))});
  }
}

void FieldList::Append(std::string name, Value value) {
  fields_.push_back({std::move(name), Normalize(std::move(value))});
}

void FieldList::Seal() {
  // Insertion sort, stable: a dozen fields, mostly in order (std::stable_sort would allocate).
  for (std::size_t k = 1; k < fields_.size(); ++k) {
    if (!(fields_[k].name < fields_[k - 1].name)) continue;
    Field moving = std::move(fields_[k]);
    std::size_t j = k;
    for (; j > 0 && moving.name < fields_[j - 1].name; --j) fields_[j] = std::move(fields_[j - 1]);
    fields_[j] = std::move(moving);
  }
  // Of equal names keep the last appended (the sort is stable).
  auto out = fields_.begin();
  for (auto it = fields_.begin(); it != fields_.end(); ++it) {
    auto next = it + 1;
    if (next != fields_.end() && next->name == it->name) continue;
    if (out != it) *out = std::move(*it);
    ++out;
  }
  fields_.erase(out, fields_.end());
}

}  // namespace faultline::checkers
