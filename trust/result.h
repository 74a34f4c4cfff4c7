// Errors are values: every fallible library function returns Result<T>. Exceptions never cross a
// library boundary; a broken invariant is a bug and aborts. Code doubles as the process exit
// status.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace trust {

enum class Code : int {
  kOk = 0,
  kRefused = 1,   // refused by a rule, or verification failed
  kBadInput = 2,  // usage error, malformed or unacceptable input
  kNetwork = 3,
  kLocked = 4,  // another writer holds <home>/var/lock
};

// Why a connection to a server failed, where the caller acts on the kind: a server that answered
// but was not authenticated can still carry signed content, one that never answered cannot, and
// only an unknown certificate is fixed by trusting it. Text only at the edges (reason_name).
enum class Reason {
  kNone,
  kUntrusted,         // no anchor in the store for its chain
  kExpired,           // a certificate of the chain
  kNotYetValid,       // a certificate of the chain
  kInvalidCa,         // a certificate signs for others but is no CA
  kPathLength,        // longer than a CA's pathLenConstraint
  kNameConstraints,   // a name its issuing CA may not issue for
  kInvalidPurpose,    // not for TLS servers
  kHostnameMismatch,  // the leaf is not for the host asked for
  kPinMismatch,       // the leaf matches no pin
  kTlsError,          // the handshake failed for another reason
  kNetwork,           // no answer: resolution, connection, timeout, a cut transfer
};

// "untrusted", "expired", …, "network"; "" for kNone.
const char* reason_name(Reason reason);

struct Error {
  Code code = Code::kBadInput;
  std::string message;  // one line, names the file or host it is about
  // The disk refused a write (full, read-only, quota): what was already on it is intact, so a
  // command that only reads the store may go on with the last good one.
  bool storage = false;
  Reason reason = Reason::kNone;
};

// Shaped like std::expected so the move to C++23 is mechanical.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error make_error(Code code, std::string message) { return Error{code, std::move(message)}; }

// A failed connection: kNetwork for no answer, kRefused for every other reason.
inline Error connection_error(Reason reason, std::string message) {
  return Error{reason == Reason::kNetwork ? Code::kNetwork : Code::kRefused, std::move(message),
               false, reason};
}

}  // namespace trust
