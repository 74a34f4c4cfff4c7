// libcurl must do its TLS with OpenSSL 3, the same major version the agent links: the merged
// store and the verification are handed to it as OpenSSL objects (CURLOPT_SSL_CTX_FUNCTION), which
// a libcurl on GnuTLS or NSS ignores (verification would silently be that library's default) and a
// libcurl on mbedTLS or wolfSSL would take for its own structures. So the backend is selected and
// checked once, before curl_global_init, and every connection refuses to start when it is wrong:
// fail closed, with one clear error, never a connection verified by something else.
#pragma once

#include <string>
#include <string_view>

namespace agent {

// Why `curl_ssl_version` (curl_version_info()->ssl_version, e.g. "OpenSSL/3.0.15") is not a TLS
// library the agent can verify with, given the OpenSSL major version linked here; "" when it is.
std::string tls_backend_refusal(std::string_view curl_ssl_version, unsigned linked_major);

// Asks libcurl for its OpenSSL backend (curl_global_sslset) and checks what it runs on; must run
// before curl_global_init. Returns tls_backend_refusal's verdict, and remembers it for
// tls_backend_problem().
std::string select_openssl_backend();

// select_openssl_backend()'s verdict, deciding it now when it was never asked for. Not
// thread-safe before the first call: main asks once, before anything else runs.
const std::string& tls_backend_problem();

}  // namespace agent
