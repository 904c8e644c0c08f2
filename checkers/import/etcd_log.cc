// Jepsen etcd text logs (the format Porcupine's etcd test reads).
#include <fmt/format.h>

#include <charconv>

#include "checkers/import/edn.h"
#include "checkers/import/import.h"
#include "checkers/import/pairing.h"

namespace faultline::checkers {
namespace {

// ASCII whitespace (std::isspace asks the locale for every character).
bool IsEtcdSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view NextToken(std::string_view* rest) {
  size_t a = 0;
  while (a < rest->size() && IsEtcdSpace((*rest)[a])) ++a;
  size_t b = a;
  while (b < rest->size() && !IsEtcdSpace((*rest)[b])) ++b;
  std::string_view tok = rest->substr(a, b - a);
  rest->remove_prefix(b);
  return tok;
}

bool IsLogLevel(std::string_view w) {
  return w == "INFO" || w == "WARN" || w == "DEBUG" || w == "ERROR" || w == "TRACE" || w == "FATAL";
}

}  // namespace

Result<History> ImportEtcdLog(std::string_view text, const std::string& source) {
  Pairer pairer(source);
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    auto error = [&](const std::string& what) {
      return Status::InvalidArgument(fmt::format("{}:{}: {}", source, line_no, what));
    };
    std::string_view rest = line;
    std::string_view level = NextToken(&rest);
    if (level.empty()) continue;  // blank line
    std::string_view logger = NextToken(&rest);
    if (!IsLogLevel(level))
      return error("not a log line (expected INFO/WARN/... jepsen.util - ...)");
    if (logger != "jepsen.util") continue;  // other loggers carry no op events
    if (NextToken(&rest) != "-") return error("expected '-' after jepsen.util");
    std::string_view process = NextToken(&rest);
    std::string_view type = NextToken(&rest);
    std::string_view f = NextToken(&rest);
    if (process.empty() || type.empty() || f.empty()) {
      return error("expected: process type f value");
    }
    if (process[0] == ':') continue;  // :nemesis
    RawEvent ev;
    ev.line = line_no;
    auto [end, ec] =
        std::from_chars(process.data(), process.data() + process.size(), ev.op.process);
    if (ec != std::errc() || end != process.data() + process.size()) {
      return error(fmt::format("bad process '{}'", process));
    }
    if (type == ":invoke") {
      ev.invoke = true;
    } else if (type == ":ok" || type == ":fail" || type == ":info") {
      ev.outcome = *OutcomeFromName(type.substr(1));
    } else {
      return error(fmt::format("bad type '{}'", type));
    }
    if (f == ":read") {
      ev.op.f = Fn::kRead;
    } else if (f == ":write") {
      ev.op.f = Fn::kWrite;
    } else if (f == ":cas") {
      ev.op.f = Fn::kCas;
    } else {
      return error(fmt::format("bad f '{}' (expected :read, :write or :cas)", f));
    }
    EdnReader reader(rest, source, line_no);
    if (reader.AtEnd()) return error("missing value");
    auto value = reader.Next();
    if (!value.ok()) return value.status();
    if (!reader.AtEnd()) return error("trailing text after the value");
    const bool meaningful = ev.invoke || ev.outcome == Outcome::kOk;
    if (meaningful && !value->IsKeyword("timed-out")) {
      if (ev.op.f == Fn::kCas) {
        if (!value->IsSequential() || value->items.size() != 2) {
          return error("cas value must be [from to]");
        }
        ev.op.expected = value->items[0].Scalar();
        ev.op.value = value->items[1].Scalar();
      } else if (value->type == EdnValue::Type::kInt || value->IsNil()) {
        ev.op.value = value->Scalar();
      } else {
        return error("value must be nil, an integer, [from to] or :timed-out");
      }
    }
    Status st = pairer.Add(std::move(ev));
    if (!st.ok()) return st;
  }
  History h;
  h.ops = pairer.Take();
  // Porcupine's etcd semantics: a failed cas observed a value other than `from`.
  for (Op& op : h.ops) {
    if (op.f == Fn::kCas && op.outcome == Outcome::kFail) {
      op.f = Fn::kCasMismatch;
      op.outcome = Outcome::kOk;
    }
  }
  h.model = "cas-register";
  h.source = source;
  return h;
}

}  // namespace faultline::checkers
