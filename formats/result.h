// Value-or-error type used at every module boundary. Errors carry a message that already
// names the context (file, pid, build-id); tools/ turns them into messages and exit codes.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace kiln {

struct Error {
    std::string message;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)), ok_(false) {}
    static Status success() { return Status(); }

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

private:
    Error error_{};
    bool ok_ = true;
};

}  // namespace kiln

// Propagate an error from an expression yielding Result/Status.
#define KILN_TRY(expr)                                  \
    do {                                                \
        auto&& kiln_try_r_ = (expr);                    \
        if (!kiln_try_r_.ok()) return kiln_try_r_.error(); \
    } while (0)
