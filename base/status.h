#pragma once
// Errors as values. Every fallible call inside cc-ci's libraries returns a Status or a
// Result<T>; adapters around Poco, SQLite, Cairo and curl catch their exceptions and
// turn them into one of these. The HTTP layer maps Code to a status code in one place.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ccci {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // the caller's input is malformed (bad JSON, bad config value)
  kNotFound,
  kAlreadyExists,       // e.g. a redelivered webhook
  kUnauthenticated,     // bad or missing signature
  kPermissionDenied,
  kTooLarge,            // body or file over its limit
  kFailedPrecondition,  // state does not allow the call (PR closed, run finished)
  kResourceExhausted,   // rate limited, queue full
  kDeadlineExceeded,
  kCancelled,
  kUnavailable,         // peer down, retry later
  kInternal,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: body is not JSON" or "ok".
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {Code::kFailedPrecondition, std::move(m)};
}

// A value or the Status that explains why there is none. Never holds an ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) v_ = Status(Code::kInternal, "Result built from ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ccci

#define CCCI_RETURN_IF_ERROR(expr)        \
  do {                                    \
    ::ccci::Status ccci_s_ = (expr);      \
    if (!ccci_s_.ok()) return ccci_s_;    \
  } while (0)
