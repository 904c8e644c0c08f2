// Status and Result<T>: the cheap error values every fallible I/O call returns (STYLE.md,
// LevelDB). No exceptions in the engine; exceptions only at process edges (config parsing, main).
//
// A Status is ok, or a code plus a human message that names what failed and where
// ("log.0000000100000001: bad checksum at offset 4096 (zxid 0x100000007)").
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace faultline {

enum class StatusCode {
  kOk = 0,
  kIoError,        // the OS said no (EIO, ENOSPC, ...)
  kCorruption,     // bad checksum, zxid gap, contradicting epoch files
  kInvalidArgument,
  kNotFound,
  kTimeout,
  kUnavailable,    // no leader, peer gone
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status IoError(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
  static Status Corruption(std::string msg) {
    return Status(StatusCode::kCorruption, std::move(msg));
  }
  static Status InvalidArgument(std::string msg) {
    return Status(StatusCode::kInvalidArgument, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status Timeout(std::string msg) { return Status(StatusCode::kTimeout, std::move(msg)); }
  static Status Unavailable(std::string msg) {
    return Status(StatusCode::kUnavailable, std::move(msg));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline std::string Status::ToString() const {
  switch (code_) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kIoError: return "IO error: " + message_;
    case StatusCode::kCorruption: return "Corruption: " + message_;
    case StatusCode::kInvalidArgument: return "Invalid argument: " + message_;
    case StatusCode::kNotFound: return "Not found: " + message_;
    case StatusCode::kTimeout: return "Timeout: " + message_;
    case StatusCode::kUnavailable: return "Unavailable: " + message_;
  }
  return message_;
}

// Result<T>: a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace faultline
