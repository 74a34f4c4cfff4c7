#include "tests/support/run_cli.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/support/temp_home.h"

namespace testing_support {
namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace

std::string trustagent_binary() { return TRUSTAGENT_BIN; }

std::string wall_clock_moved(const std::string& offset) {
  // Under AddressSanitizer the preloaded libfaketime comes before the ASan runtime.
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string asan_options = std::string(asan ? asan : "") + ":verify_asan_link_order=0";
  return "FAKETIME_DONT_FAKE_MONOTONIC=1 " + quote("ASAN_OPTIONS=" + asan_options) +
         " faketime -f " + quote(offset);
}

CliResult run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env,
                  const std::string& prefix) {
  std::string base = (std::filesystem::temp_directory_path() / "ta-cli-XXXXXX").string();
  int fd = ::mkstemp(base.data());
  ::close(fd);
  std::string cmd = "env";
  for (const auto& e : env) cmd += " " + quote(e);
  if (!prefix.empty()) cmd += " " + prefix;
  cmd += " " + quote(trustagent_binary());
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " </dev/null >" + base + ".out 2>" + base + ".err";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(base + ".out");
  r.err = read_file(base + ".err");
  std::filesystem::remove(base);
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return r;
}

}  // namespace testing_support
