// The central policy server for tests: scripts/central-server.sh (nginx on loopback) serving DIR.
#pragma once

#include <functional>
#include <string>

namespace testing_support {

struct CentralServer {
  std::string url;   // https://localhost:PORT ("" if it did not start)
  std::string cert;  // its certificate, for the agent to trust

  // Starts nginx serving `dir` (policies in dir/policies/); on `port` if given.
  static CentralServer start(const std::string& dir, const std::string& port = "");
  static void stop(const std::string& dir);
};

// nginx's ETag and Last-Modified have one-second resolution: a file rewritten within the same
// second at the same size would look unchanged. Moves the file's mtime `seconds` into the future.
void move_mtime_forward(const std::string& path, int seconds);

// The blind spot itself, for the tests of what sees past it: runs `rewrite`, then gives `path` its
// old mtime back, so a rewrite at the same size looks unchanged to a conditional GET.
void rewrite_unseen(const std::string& path, const std::function<void()>& rewrite);

}  // namespace testing_support
