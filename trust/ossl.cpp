#include "trust/ossl.h"

#include <openssl/err.h>

namespace trust::ossl {

std::string drain_errors() {
  std::string out;
  unsigned long code = 0;
  const char* data = nullptr;
  int flags = 0;
  while ((code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
    // The detail OpenSSL attached, such as which check a certificate failed.
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      out += std::string(" (") + data + ")";
    }
  }
  return out;
}

std::string with_errors(std::string message) {
  std::string why = drain_errors();
  if (!why.empty()) message += " (" + why + ")";
  return message;
}

}  // namespace trust::ossl
