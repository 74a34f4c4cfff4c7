// The numbers the certificate requirements and the warnings share, in one place, so that `lint`,
// `reserve add`'s review and `status` can never disagree about what is weak or too long-lived.
#pragma once

#include <cstdint>

namespace trust {

inline constexpr int64_t kDay = 86400;

inline constexpr int kMinRsaBits = 2048;                // RSA, RSA-PSS and DSA keys
inline constexpr int kMinEcBits = 256;                  // EC keys
inline constexpr int64_t kMaxServerValidityDays = 397;  // a server certificate's lifetime
inline constexpr int64_t kExpiryWarningDays = 30;       // expires_soon_no_reserve

}  // namespace trust
