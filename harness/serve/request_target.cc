#include "harness/serve/request_target.h"

#include <fmt/format.h>

#include <algorithm>

namespace faultline::harness::serve {
namespace {

namespace fs = std::filesystem;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument(fmt::format("bad percent escape at byte {} of '{}'", i,
                                                   std::string(text.substr(0, 200))));
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return Status::InvalidArgument("a NUL byte in the request target");
    out += c;
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Result<Target> ParseTarget(std::string_view raw) {
  if (raw.empty() || raw.front() != '/') {
    return Status::InvalidArgument("the request target must be a path starting with '/'");
  }
  size_t q = raw.find('?');
  std::string_view path = raw.substr(0, q);
  if (size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  Target t;
  Result<std::string> decoded = PercentDecode(path, false);
  if (!decoded.ok()) return decoded.status();
  t.path = std::move(decoded).value();
  if (q == std::string_view::npos) return t;
  std::string_view query = raw.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    Result<std::string> name = PercentDecode(part.substr(0, eq), true);
    Result<std::string> value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
    if (!name.ok()) return name.status();
    if (!value.ok()) return value.status();
    t.query[*name] = *value;
  }
  return t;
}

bool IsWithin(const fs::path& root, const fs::path& path) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end() || (std::next(r) == root.end() && r->empty());  // "root/" ends in ""
}

Result<fs::path> ResolveUnder(const fs::path& root, std::string_view relative) {
  if (!relative.empty() && relative.front() == '/') {
    return Status::InvalidArgument("refused: an absolute path");
  }
  std::string_view rest = relative;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg == ".." || seg == ".") {
      return Status::InvalidArgument("refused: a '.' or '..' path segment");
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  std::error_code ec;
  fs::path canonical_root = fs::canonical(root, ec);
  if (ec)
    return Status::NotFound(fmt::format("results folder {}: {}", root.string(), ec.message()));
  fs::path target = fs::canonical(canonical_root / fs::path(std::string(relative)), ec);
  if (ec) return Status::NotFound("no such file");
  if (!IsWithin(canonical_root, target)) {
    return Status::InvalidArgument("refused: the path leads outside the results folder");
  }
  return target;
}

}  // namespace faultline::harness::serve
