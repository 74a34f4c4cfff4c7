#include "agent/tls_backend.h"

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <charconv>

namespace agent {
namespace {

struct Verdict {
  bool decided = false;
  std::string refusal;
};

Verdict& verdict() {
  static Verdict v;
  return v;
}

}  // namespace

std::string tls_backend_refusal(std::string_view curl_ssl_version, unsigned linked_major) {
  std::string seen = curl_ssl_version.empty() ? "no TLS library" : std::string(curl_ssl_version);
  std::string why = "libcurl does TLS with " + seen +
                    "; trustagent verifies servers only through "
                    "libcurl on OpenSSL " +
                    std::to_string(linked_major) +
                    " (the version it links), so it refuses to connect: install libcurl's OpenSSL "
                    "flavour (Debian/Ubuntu libcurl4, RHEL libcurl; not libcurl3-gnutls or "
                    "libcurl-minimal built on something else)";
  constexpr std::string_view kOpenssl = "OpenSSL/";
  if (curl_ssl_version.substr(0, kOpenssl.size()) != kOpenssl) return why;
  std::string_view number = curl_ssl_version.substr(kOpenssl.size());
  unsigned major = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), major);
  if (ec != std::errc() || end == number.data() || major < 3 || major != linked_major) return why;
  return "";
}

std::string select_openssl_backend() {
  // OK, or UNKNOWN_BACKEND on a libcurl built with one backend that is not OpenSSL: the version
  // record below says which, and decides.
  (void)curl_global_sslset(CURLSSLBACKEND_OPENSSL, nullptr, nullptr);
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  std::string_view version =
      info != nullptr && info->ssl_version != nullptr ? info->ssl_version : "";
  verdict() = {true, tls_backend_refusal(version, static_cast<unsigned>(OPENSSL_version_major()))};
  return verdict().refusal;
}

const std::string& tls_backend_problem() {
  // A process that never selected (a test calling the connector) is checked on first use: the
  // selection may come too late to choose, but the version record still decides.
  if (!verdict().decided) (void)select_openssl_backend();
  return verdict().refusal;
}

}  // namespace agent
