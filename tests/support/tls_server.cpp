#include "tests/support/tls_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"

namespace testing_support {

TlsServer::TlsServer(const std::string& cert_file, const std::string& key_file,
                     const std::string& chain_file) {
  // Its output goes to a file, not a pipe: a pipe we stop reading would kill it with SIGPIPE.
  std::string log = (std::filesystem::temp_directory_path() / "ta-s_server-XXXXXX").string();
  int fd = ::mkstemp(log.data());
  if (fd < 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, STDIN_FILENO);
    std::vector<const char*> argv = {"openssl", "s_server",       "-accept",
                                     "0",       "-cert",          cert_file.c_str(),
                                     "-key",    key_file.c_str(), "-www"};
    if (!chain_file.empty()) {
      argv.push_back("-cert_chain");
      argv.push_back(chain_file.c_str());
    }
    argv.push_back(nullptr);
    ::execvp("openssl", const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  ::close(fd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline && port_ == 0) {
    std::string seen = read_file(log);
    auto at = seen.find("ACCEPT ");
    auto eol = at == std::string::npos ? std::string::npos : seen.find('\n', at);
    if (eol != std::string::npos) {
      port_ = std::stoi(seen.substr(seen.rfind(':', eol) + 1, eol));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::filesystem::remove(log);
}

TlsServer::~TlsServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::unique_ptr<TlsServer> serve_certificate(const TempHome& home, const Issued& leaf,
                                             const std::string& chain_pem) {
  static int served = 0;
  std::string n = std::to_string(++served);
  return std::make_unique<TlsServer>(
      home.write("srv/cert" + n + ".pem", leaf.pem()),
      home.write("srv/key" + n + ".pem", leaf.key_pem()),
      chain_pem.empty() ? "" : home.write("srv/chain" + n + ".pem", chain_pem));
}

}  // namespace testing_support
