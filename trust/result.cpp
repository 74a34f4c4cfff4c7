#include "trust/result.h"

namespace trust {

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::kNone:
      return "";
    case Reason::kUntrusted:
      return "untrusted";
    case Reason::kExpired:
      return "expired";
    case Reason::kNotYetValid:
      return "not_yet_valid";
    case Reason::kInvalidCa:
      return "invalid_ca";
    case Reason::kPathLength:
      return "path_length";
    case Reason::kNameConstraints:
      return "name_constraints";
    case Reason::kInvalidPurpose:
      return "invalid_purpose";
    case Reason::kHostnameMismatch:
      return "hostname_mismatch";
    case Reason::kPinMismatch:
      return "pin_mismatch";
    case Reason::kTlsError:
      return "tls_error";
    case Reason::kNetwork:
      return "network";
  }
  return "";
}

}  // namespace trust
