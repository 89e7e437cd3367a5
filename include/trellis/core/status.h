// Status and Result<T>: how engine code reports failure. A failure is a value
// with a code and a message that names the thing (path, key, pathspec, URL);
// it is recorded, retried or shown to a user, never thrown across a public API.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace trellis {

enum class Code {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kInvalidArgument,
  kCorrupt,
  kIoError,
  kUnavailable,  // worth retrying
  kCancelled,
  kInternal,
};

// Lower-case name of a code ("not_found"), as shown to users and stored.
std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corrupt: objects/3f/3fa9...: hash mismatch"
  std::string to_string() const;
  // Returns a copy whose message is prefixed with `context: `.
  Status with_context(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status already_exists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
inline Status invalid_argument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status corrupt(std::string m) { return {Code::kCorrupt, std::move(m)}; }
inline Status io_error(std::string m) { return {Code::kIoError, std::move(m)}; }
inline Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
inline Status internal_error(std::string m) { return {Code::kInternal, std::move(m)}; }

// Either a value or a non-ok Status. Accessing value() of a failed Result is a bug
// (it aborts with the status message).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) v_ = Status(Code::kInternal, "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  const T& value() const& { check(); return std::get<T>(v_); }
  T& value() & { check(); return std::get<T>(v_); }
  T&& value() && { check(); return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  T value_or(T fallback) const { return ok() ? std::get<T>(v_) : std::move(fallback); }

 private:
  void check() const;
  std::variant<T, Status> v_;
};

[[noreturn]] void check_failed(const char* file, int line, std::string_view message);

template <typename T>
void Result<T>::check() const {
  if (!ok()) check_failed(__FILE__, __LINE__, "value() of failed Result: " + std::get<Status>(v_).to_string());
}

}  // namespace trellis

#define TRELLIS_CONCAT_INNER(a, b) a##b
#define TRELLIS_CONCAT(a, b) TRELLIS_CONCAT_INNER(a, b)

// Returns the status of `expr` from the enclosing function when it is not ok.
#define TRELLIS_RETURN_IF_ERROR(expr)                            \
  do {                                                           \
    ::trellis::Status trellis_status_ = ::trellis::as_status(expr); \
    if (!trellis_status_.ok()) return trellis_status_;           \
  } while (0)

// A bug, not bad input: logs file:line and aborts.
#define TRELLIS_CHECK(cond, msg)                                          \
  do {                                                                    \
    if (!(cond)) ::trellis::check_failed(__FILE__, __LINE__, (msg));      \
  } while (0)

namespace trellis {
inline Status as_status(const Status& s) { return s; }
template <typename T>
Status as_status(const Result<T>& r) { return r.status(); }
}  // namespace trellis
