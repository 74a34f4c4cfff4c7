// The TLS backend check, decided in-process: which libcurl version records are refused, and that
// a connection refuses to start when libcurl refuses an option.
#include "agent/tls_backend.h"

#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include "agent/curl.h"

namespace agent {
namespace {

TEST(TlsBackend, OnlyOpensslOfTheLinkedMajorIsAccepted) {
  EXPECT_EQ(tls_backend_refusal("OpenSSL/3.0.15", 3), "");
  EXPECT_EQ(tls_backend_refusal("OpenSSL/3.2.2", 3), "");
  for (const char* other :
       {"GnuTLS/3.7.9", "NSS/3.87", "mbedTLS/3.4.0", "wolfSSL/5.6.4", "LibreSSL/3.8.2", "BoringSSL",
        "Schannel", "SecureTransport", "OpenSSL/1.1.1w", "OpenSSL/", "OpenSSL/x", ""}) {
    std::string why = tls_backend_refusal(other, 3);
    EXPECT_NE(why, "") << other;
    EXPECT_NE(why.find("refuses to connect"), std::string::npos) << why;
  }
  // A libcurl on OpenSSL 4 in a process linking OpenSSL 3: two libcryptos, one store's objects.
  EXPECT_NE(tls_backend_refusal("OpenSSL/4.0.0", 3), "");
}

TEST(TlsBackend, TheLibcurlHereIsAccepted) {
  EXPECT_EQ(tls_backend_problem(), "") << "this machine's libcurl: " << tls_backend_problem();
  EXPECT_EQ(static_cast<unsigned>(OPENSSL_version_major()), 3u);
}

TEST(TlsBackend, AnOptionLibcurlRefusesIsReportedByName) {
  curl::Easy easy(curl_easy_init());
  ASSERT_TRUE(easy);
  curl::Options set(easy.get());
  set(CURLOPT_NOSIGNAL, 1L, "CURLOPT_NOSIGNAL");
  EXPECT_FALSE(set.failure());
  set(CURLOPT_SSLVERSION, 999L, "CURLOPT_SSLVERSION");  // no such TLS version
  ASSERT_TRUE(set.failure());
  EXPECT_NE(set.failure()->find("CURLOPT_SSLVERSION"), std::string::npos) << *set.failure();
  set(CURLOPT_NOSIGNAL, 1L, "CURLOPT_NOSIGNAL");  // the first refusal is kept
  EXPECT_NE(set.failure()->find("CURLOPT_SSLVERSION"), std::string::npos);
}

}  // namespace
}  // namespace agent
