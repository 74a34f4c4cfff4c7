// A child regenerates the store in a loop on changing inputs; the parent kills it with SIGKILL at
// random moments. After every kill the merged file must parse completely and hold exactly the old
// or the new set, and the next merge must repair whatever the kill interrupted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/atomic_file.h"
#include "trust/merge.h"
#include "trust/source_reader.h"

namespace trust {
namespace {

using testing_support::make_cert;
using testing_support::read_file;

std::vector<std::string> ders_of(const std::string& text, size_t* warnings) {
  ReadResult r = read_certificates(text);
  *warnings = r.warnings.size();
  std::vector<std::string> out;
  for (auto& c : r.certs) out.push_back(c.der);
  return out;
}

TEST(CrashSafety, SigkillDuringRegenerationLeavesOldOrNewStore) {
  testing_support::TempHome home;
  Layout layout = Layout::at(home.path());
  std::vector<testing_support::Issued> certs;
  for (int i = 0; i < 40; ++i) certs.push_back(make_cert({.common_name = "C" + std::to_string(i)}));
  std::string set_a, set_b;
  std::vector<std::string> ders_a, ders_b;
  for (int i = 0; i < 40; ++i) {
    if (i < 30) {
      set_a += certs[i].pem();
      ders_a.push_back(certs[i].der());
    }
    if (i >= 10) {
      set_b += certs[i].pem();
      ders_b.push_back(certs[i].der());
    }
  }
  std::vector<SourceSpec> specs = {{layout.cainfo, "cainfo.pem"}};
  home.write(layout.cainfo, set_a);
  ASSERT_TRUE(update_store(layout, specs, {}));

  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_us(0, 15000);
  int saw_a = 0, saw_b = 0;
  constexpr int kKills = 200;
  for (int kill = 0; kill < kKills; ++kill) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (bool a = kill % 2 == 0;; a = !a) {
        (void)write_file_atomic(layout.cainfo, a ? set_b : set_a);
        (void)update_store(layout, specs, {});
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);

    size_t warnings = 0;
    auto ders = ders_of(read_file(layout.merged), &warnings);
    ASSERT_EQ(warnings, 0u) << "kill " << kill << ": the store does not parse completely";
    bool is_a = ders == ders_a, is_b = ders == ders_b;
    ASSERT_TRUE(is_a || is_b) << "kill " << kill << ": store holds " << ders.size()
                              << " certificates, neither the old nor the new set";
    saw_a += is_a;
    saw_b += is_b;

    // The next merge sees through whatever the kill interrupted.
    auto repaired = update_store(layout, specs, {});
    ASSERT_TRUE(repaired) << repaired.error().message;
    auto source = ders_of(read_file(layout.cainfo), &warnings);
    ASSERT_EQ(ders_of(read_file(layout.merged), &warnings), source) << "kill " << kill;
  }
  // Both outcomes happened, so the kills really landed mid-loop.
  EXPECT_GT(saw_a, 0);
  EXPECT_GT(saw_b, 0);
}

}  // namespace
}  // namespace trust
