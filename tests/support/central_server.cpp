#include "tests/support/central_server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "tests/support/temp_home.h"

namespace testing_support {
namespace {

std::string script() { return source_root() + "/scripts/central-server.sh"; }

}  // namespace

CentralServer CentralServer::start(const std::string& dir, const std::string& port) {
  CentralServer server;
  FILE* p = ::popen((script() + " start " + dir + " " + port).c_str(), "r");
  char line[512];
  while (p && std::fgets(line, sizeof line, p)) {
    std::string l(line);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    if (l.rfind("url=", 0) == 0) server.url = l.substr(4);
    if (l.rfind("cert=", 0) == 0) server.cert = l.substr(5);
  }
  if (p) ::pclose(p);
  return server;
}

void CentralServer::stop(const std::string& dir) {
  std::string cmd = script() + " stop " + dir;
  (void)std::system(cmd.c_str());
}

void move_mtime_forward(const std::string& path, int seconds) {
  timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec += seconds;
  times[1] = times[0];
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
}

void rewrite_unseen(const std::string& path, const std::function<void()>& rewrite) {
  struct stat before {};
  ::stat(path.c_str(), &before);
  rewrite();
  timespec times[2] = {before.st_mtim, before.st_mtim};
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
}

}  // namespace testing_support
