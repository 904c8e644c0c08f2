#include "checkers/import/edn.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace faultline::checkers {
namespace {
constexpr int kMaxDepth = 256;  // nesting bound: malformed input must not blow the stack

// ASCII whitespace, without the locale lookup of std::isspace (the reader's hot path).
inline bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

bool IsDelimiter(char c) {
  return IsSpace(c) || c == ',' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' ||
         c == '}' || c == '"' || c == ';';
}
}  // namespace

const EdnValue* EdnValue::Get(std::string_view keyword) const {
  if (type != Type::kMap) return nullptr;
  for (size_t k = 0; k + 1 < items.size(); k += 2) {
    if (items[k].IsKeyword(keyword)) return &items[k + 1];
  }
  return nullptr;
}

std::optional<std::string> EdnValue::Scalar() const {
  switch (type) {
    case Type::kNil:
      return std::nullopt;
    case Type::kString:
    case Type::kKeyword:
    case Type::kSymbol:
      return s;
    default:
      return ToString();
  }
}

std::string EdnValue::ToString() const {
  auto join = [&](const char* open, const char* close) {
    std::string out = open;
    for (size_t k = 0; k < items.size(); ++k) out += (k ? " " : "") + items[k].ToString();
    return out + close;
  };
  switch (type) {
    case Type::kNil:
      return "nil";
    case Type::kBool:
      return b ? "true" : "false";
    case Type::kInt:
      return std::to_string(i);
    case Type::kFloat:
      return fmt::format("{}", d);
    case Type::kString:
      return fmt::format("{:?}", s);
    case Type::kChar:
      return "\\" + s;
    case Type::kKeyword:
      return ":" + s;
    case Type::kSymbol:
      return s;
    case Type::kList:
      return join("(", ")");
    case Type::kVector:
      return join("[", "]");
    case Type::kMap:
      return join("{", "}");
    case Type::kSet:
      return join("#{", "}");
    case Type::kTagged:
      return "#" + s + " " + (items.empty() ? "" : items[0].ToString());
  }
  return "?";
}

Status EdnReader::Error(const std::string& what) const {
  return Status::InvalidArgument(fmt::format("{}:{}: {}", source_, line_, what));
}

void EdnReader::SkipSpace() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == '\n') {
      ++line_;
      ++pos_;
    } else if (IsSpace(c) || c == ',') {
      ++pos_;
    } else if (c == ';') {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else {
      break;
    }
  }
}

bool EdnReader::AtEnd() {
  SkipSpace();
  return pos_ >= text_.size();
}

Result<EdnValue> EdnReader::Next() {
  SkipSpace();
  if (pos_ >= text_.size()) return Error("unexpected end of input");
  return ReadForm();
}

// Every Read* sets the value's line itself, so results are returned without copies.
Result<EdnValue> EdnReader::ReadForm() {
  SkipSpace();
  if (pos_ >= text_.size()) return Error("unexpected end of input");
  if (depth_ > kMaxDepth) return Error("nesting deeper than 256");
  const char c = text_[pos_];
  switch (c) {
    case '(':
      ++pos_;
      return ReadSeq(')', EdnValue::Type::kList);
    case '[':
      ++pos_;
      return ReadSeq(']', EdnValue::Type::kVector);
    case '{':
      ++pos_;
      return ReadSeq('}', EdnValue::Type::kMap);
    case ')':
    case ']':
    case '}':
      return Error(fmt::format("unexpected '{}'", c));
    case '"':
      return ReadString();
    case '#':
      break;
    default:
      return ReadAtom();
  }
  if (pos_ + 1 >= text_.size()) return Error("unexpected end of input after '#'");
  const char d = text_[pos_ + 1];
  if (d == '{') {
    pos_ += 2;
    return ReadSeq('}', EdnValue::Type::kSet);
  }
  if (d == '_') {
    pos_ += 2;
    auto discarded = ReadForm();
    if (!discarded.ok()) return discarded;
    return ReadForm();
  }
  const int start_line = line_;
  ++pos_;
  auto tag = ReadAtom();
  if (!tag.ok()) return tag;
  if (tag->type != EdnValue::Type::kSymbol) return Error("bad tag after '#'");
  auto inner = ReadForm();
  if (!inner.ok()) return inner;
  EdnValue v;
  v.type = EdnValue::Type::kTagged;
  v.line = start_line;
  v.s = std::move(tag->s);
  v.items.push_back(std::move(*inner));
  return v;
}

Result<EdnValue> EdnReader::ReadSeq(char close, EdnValue::Type type) {
  EdnValue v;
  v.type = type;
  v.line = line_;
  v.items.reserve(type == EdnValue::Type::kMap ? 12 : 4);  // Jepsen op maps: 4-6 pairs
  const int open_line = line_;
  ++depth_;
  while (true) {
    SkipSpace();
    if (pos_ >= text_.size()) {
      --depth_;
      return Error(fmt::format("missing '{}' for the one opened on line {}", close, open_line));
    }
    if (text_[pos_] == close) {
      ++pos_;
      --depth_;
      if (type == EdnValue::Type::kMap && v.items.size() % 2 != 0) {
        return Error("map with an odd number of forms");
      }
      return v;
    }
    auto item = ReadForm();
    if (!item.ok()) {
      --depth_;
      return item;
    }
    v.items.push_back(std::move(*item));
  }
}

Result<EdnValue> EdnReader::ReadString() {
  ++pos_;  // opening quote
  EdnValue v;
  v.type = EdnValue::Type::kString;
  v.line = line_;
  while (pos_ < text_.size()) {
    char c = text_[pos_++];
    if (c == '"') return v;
    if (c == '\n') ++line_;
    if (c != '\\') {
      v.s += c;
      continue;
    }
    if (pos_ >= text_.size()) break;
    char e = text_[pos_++];
    switch (e) {
      case 'n':
        v.s += '\n';
        break;
      case 't':
        v.s += '\t';
        break;
      case 'r':
        v.s += '\r';
        break;
      case '\\':
        v.s += '\\';
        break;
      case '"':
        v.s += '"';
        break;
      default:
        v.s += e;
        break;
    }
  }
  return Error("unterminated string");
}

Result<EdnValue> EdnReader::ReadAtom() {
  size_t start = pos_;
  const int line = line_;
  if (text_[pos_] == '\\') {  // character literal: \a \newline \space
    ++pos_;
    while (pos_ < text_.size() && (pos_ == start + 1 || !IsDelimiter(text_[pos_]))) ++pos_;
    EdnValue v;
    v.line = line;
    v.type = EdnValue::Type::kChar;
    v.s = std::string(text_.substr(start + 1, pos_ - start - 1));
    return v;
  }
  while (pos_ < text_.size() && !IsDelimiter(text_[pos_])) ++pos_;
  std::string_view tok = text_.substr(start, pos_ - start);
  if (tok.empty()) return Error(fmt::format("unexpected character '{}'", text_[pos_]));
  EdnValue v;
  v.line = line;
  if (tok == "nil") return v;
  if (tok == "true" || tok == "false") {
    v.type = EdnValue::Type::kBool;
    v.b = tok == "true";
    return v;
  }
  if (tok[0] == ':') {
    if (tok.size() == 1) return Error("empty keyword");
    v.type = EdnValue::Type::kKeyword;
    v.s = std::string(tok.substr(1));
    return v;
  }
  bool numeric = std::isdigit(static_cast<unsigned char>(tok[0])) ||
                 ((tok[0] == '-' || tok[0] == '+') && tok.size() > 1 &&
                  std::isdigit(static_cast<unsigned char>(tok[1])));
  if (!numeric) {
    v.type = EdnValue::Type::kSymbol;
    v.s = std::string(tok);
    return v;
  }
  std::string_view num = tok;
  if (num.back() == 'N') num.remove_suffix(1);
  if (num[0] == '+') num.remove_prefix(1);
  int64_t i = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), i);
  if (ec == std::errc() && p == num.data() + num.size()) {
    v.type = EdnValue::Type::kInt;
    v.i = i;
    return v;
  }
  std::string f(tok);
  if (f.back() == 'M') f.pop_back();
  char* end = nullptr;
  double d = std::strtod(f.c_str(), &end);
  if (end == nullptr || *end != '\0') return Error(fmt::format("bad number '{}'", tok));
  v.type = EdnValue::Type::kFloat;
  v.d = d;
  return v;
}

}  // namespace faultline::checkers
