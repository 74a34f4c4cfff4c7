// A real TLS server on loopback for tests: `openssl s_server -www` on an ephemeral port (port 0,
// read back from its "ACCEPT" line, never guessed), stopped when the object goes away.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace testing_support {

class TlsServer {
 public:
  // `chain_file`, if given, holds the intermediates the server sends after its certificate.
  TlsServer(const std::string& cert_file, const std::string& key_file,
            const std::string& chain_file = "");
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  int port() const { return port_; }  // 0 when it failed to start
  std::string address() const { return "localhost:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

struct Issued;
class TempHome;

// A server for `leaf` (and the `chain_pem` it sends after it), its files written under
// <home>/srv/ with names no other server of this process uses.
std::unique_ptr<TlsServer> serve_certificate(const TempHome& home, const Issued& leaf,
                                             const std::string& chain_pem = "");

}  // namespace testing_support
