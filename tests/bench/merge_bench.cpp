// Merge performance against its floors, on the system CA bundle plus 10,000 generated
// certificates. Prints Google Benchmark's table, then one summary with the ratios the targets are
// stated in:
//   cold forced merge          <= 1.2x the bare PEM_read_bio_X509 parse loop (the parse floor)
//   add one + merge            <= 10x `cat` of the same files
//   no-change `merge` process  <= 2 ms more than the same binary's `--version`
//   peak RSS of a 10,000 merge <  64 MB
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/bench/spawn.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "trust/merge.h"
#include "trust/ossl.h"

namespace {

namespace fs = std::filesystem;
using testing_support::read_file;

constexpr int kGenerated = 10000;
const std::string kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

// 10,000 distinct certificates, made once and kept beside the build. One RSA-2048 subject key is
// shared (parsing cost does not depend on the key being unique); an EC CA signs them quickly.
std::string generated_bundle() {
  std::string path = std::string(TRUSTAGENT_BENCH_DIR) + "/generated-10000.pem";
  if (fs::exists(path)) return path;
  fs::create_directories(TRUSTAGENT_BENCH_DIR);
  std::fprintf(stderr, "generating %d certificates into %s ...\n", kGenerated, path.c_str());
  auto ca = testing_support::make_cert({.common_name = "Bench CA", .is_ca = true});
  auto shared = testing_support::make_cert({.key = testing_support::KeyKind::kRsa2048});
  std::string out;
  for (int i = 0; i < kGenerated; ++i) {
    testing_support::Issued c;
    c.cert.reset(X509_dup(shared.cert.get()));
    ASN1_INTEGER_set(X509_get_serialNumber(c.cert.get()), 100000 + i);
    X509_NAME* name = X509_NAME_new();
    std::string cn = "bench anchor " + std::to_string(i);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_subject_name(c.cert.get(), name);
    X509_NAME_free(name);
    X509_set_issuer_name(c.cert.get(), X509_get_subject_name(ca.cert.get()));
    X509_sign(c.cert.get(), ca.key.get(), EVP_sha256());
    out += c.pem();
  }
  testing_support::TempHome tmp;
  fs::copy_file(tmp.write("g.pem", out), path);
  return path;
}

struct Inputs {
  std::string generated = generated_bundle();
  std::string system = read_file(kSystemBundle);
};
Inputs& inputs() {
  static Inputs in;
  return in;
}

// A home whose cainfo.pem is the system bundle and whose extra CA file is the 10,000.
struct BenchHome {
  testing_support::TempHome home;
  trust::Layout layout = trust::Layout::at(home.path());
  std::string ca_file = home.write("corp/generated.pem", read_file(inputs().generated));
  std::vector<trust::SourceSpec> specs = {{layout.cainfo, "cainfo.pem"},
                                          {layout.cainfo_ss, "cainfo-ss.pem"},
                                          {layout.cainfo_reserve, "cainfo-reserve.pem"},
                                          {ca_file, ca_file}};
  BenchHome() { home.write(layout.cainfo, inputs().system); }
};

using bench::Spawned;
using bench::spawn;

void BM_ParseFloor(benchmark::State& state) {
  std::string all = inputs().system + read_file(inputs().generated);
  for (auto _ : state) {
    trust::ossl::Ptr<BIO> bio(BIO_new_mem_buf(all.data(), static_cast<int>(all.size())));
    int n = 0;
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      X509_free(x);
      ++n;
    }
    trust::ossl::drain_errors();
    benchmark::DoNotOptimize(n);
  }
}

void BM_ColdForcedMerge(benchmark::State& state) {
  BenchHome h;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove(h.layout.cert_cache);
    fs::remove(h.layout.merge_state);
    state.ResumeTiming();
    auto r = trust::update_store(h.layout, h.specs, {.force = true});
    if (!r || r->anchors < kGenerated) state.SkipWithError("merge failed");
  }
}

void BM_AddOneAndMerge(benchmark::State& state) {
  BenchHome h;
  (void)trust::update_store(h.layout, h.specs, {});
  std::vector<std::string> extra;
  for (int i = 0; i < 64; ++i)
    extra.push_back(testing_support::make_cert({.common_name = "new " + std::to_string(i)}).pem());
  size_t next = 0;
  std::string ss;
  for (auto _ : state) {
    state.PauseTiming();
    ss += extra[next++ % extra.size()];
    h.home.write(h.layout.cainfo_ss, ss);
    state.ResumeTiming();
    auto r = trust::update_store(h.layout, h.specs, {});
    if (!r || !r->regenerated) state.SkipWithError("no regeneration");
  }
}

void BM_CatSameFiles(benchmark::State& state) {
  BenchHome h;
  h.home.write(h.layout.cainfo_ss, testing_support::make_cert({}).pem());
  for (auto _ : state) {
    Spawned s =
        spawn({"cat", h.layout.cainfo, h.layout.cainfo_ss, h.ca_file}, h.home.path() + "/cat.out");
    state.SetIterationTime(s.seconds);
  }
}

void BM_NoChangeCheckInProcess(benchmark::State& state) {
  BenchHome h;
  (void)trust::update_store(h.layout, h.specs, {});
  for (auto _ : state) {
    auto r = trust::update_store(h.layout, h.specs, {});
    if (!r || r->regenerated) state.SkipWithError("regenerated");
  }
}

BenchHome& cli_home() {
  static BenchHome h;
  static bool merged = [] {
    return testing_support::run_cli({"merge", "--home", h.home.path(), "--ca-file", h.ca_file})
               .exit_code == 0;
  }();
  (void)merged;
  return h;
}

void BM_ProcessStartVersion(benchmark::State& state) {
  for (auto _ : state)
    state.SetIterationTime(spawn({testing_support::trustagent_binary(), "--version"}).seconds);
}

void BM_NoChangeMergeProcess(benchmark::State& state) {
  BenchHome& h = cli_home();
  for (auto _ : state) {
    state.SetIterationTime(spawn({testing_support::trustagent_binary(), "merge", "--home",
                                  h.home.path(), "--ca-file", h.ca_file})
                               .seconds);
  }
}

// Linux carries ru_maxrss across execve, so a child spawned from this (large) process would report
// our own footprint. GNU time forks the measured program from its own small address space.
void BM_PeakRssForcedMergeProcess(benchmark::State& state) {
  BenchHome& h = cli_home();
  long rss_kb = 0;
  std::string report = h.home.path() + "/time.out";
  for (auto _ : state) {
    fs::remove(h.layout.cert_cache);
    Spawned s =
        spawn({"/usr/bin/time", "-o", report, "-f", "%M", testing_support::trustagent_binary(),
               "merge", "--force", "--home", h.home.path(), "--ca-file", h.ca_file});
    state.SetIterationTime(s.seconds);
    rss_kb = std::max(rss_kb, std::atol(read_file(report).c_str()));
  }
  if (rss_kb == 0) state.SkipWithError("/usr/bin/time reported nothing (package 'time')");
  state.counters["peak_rss_MB"] = static_cast<double>(rss_kb) / 1024.0;
}

constexpr int kReps = 5;
BENCHMARK(BM_ParseFloor)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(kReps);
BENCHMARK(BM_ColdForcedMerge)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(kReps);
BENCHMARK(BM_AddOneAndMerge)->Unit(benchmark::kMillisecond)->Iterations(4)->Repetitions(kReps);
BENCHMARK(BM_CatSameFiles)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(10)
    ->Repetitions(kReps);
BENCHMARK(BM_NoChangeCheckInProcess)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(50)
    ->Repetitions(kReps);
BENCHMARK(BM_ProcessStartVersion)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(20)
    ->Repetitions(kReps);
BENCHMARK(BM_NoChangeMergeProcess)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(20)
    ->Repetitions(kReps);
BENCHMARK(BM_PeakRssForcedMergeProcess)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(3);

// Keeps each benchmark's median so the summary can state ratios.
class Recorder : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.aggregate_name == "median") {
        double seconds = r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
        medians[r.run_name.function_name] = seconds;
        for (const auto& [k, v] : r.counters) counters[k] = v.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> medians;
  std::map<std::string, double> counters;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  inputs();  // generate before timing anything
  Recorder recorder;
  benchmark::RunSpecifiedBenchmarks(&recorder);
  auto m = [&](const char* name) { return recorder.medians[name]; };
  double floor = m("BM_ParseFloor"), cold = m("BM_ColdForcedMerge"), add = m("BM_AddOneAndMerge"),
         cat = m("BM_CatSameFiles"), start = m("BM_ProcessStartVersion"),
         nochange = m("BM_NoChangeMergeProcess"), inproc = m("BM_NoChangeCheckInProcess");
  double rss = recorder.counters["peak_rss_MB"];
  auto verdict = [](bool ok) { return ok ? "met" : "MISSED"; };
  std::printf("\nSummary (medians; system bundle + %d generated certificates)\n", kGenerated);
  std::printf("  %-34s %10s %12s %s\n", "measure", "median", "ratio", "target");
  std::printf("  %-34s %8.1f ms %12s %s\n", "PEM_read_bio_X509 loop (floor)", floor * 1e3, "1.00x",
              "");
  std::printf("  %-34s %8.1f ms %10.2fx of floor  <= 1.2x: %s\n", "cold forced merge", cold * 1e3,
              cold / floor, verdict(cold <= 1.2 * floor));
  std::printf("  %-34s %8.1f ms %12s %s\n", "cat of the same files (process)", cat * 1e3, "1.00x",
              "");
  std::printf("  %-34s %8.1f ms %10.2fx of cat    <= 10x: %s\n", "add one certificate + merge",
              add * 1e3, add / cat, verdict(add <= 10 * cat));
  std::printf("  %-34s %8.2f ms %12s %s\n", "trustagent --version (process)", start * 1e3, "", "");
  std::printf("  %-34s %8.2f ms %+9.2f ms vs --version  <= 2 ms: %s\n", "no-change merge (process)",
              nochange * 1e3, (nochange - start) * 1e3, verdict(nochange - start <= 0.002));
  std::printf("  %-34s %8.3f ms %12s %s\n", "no-change check (in process)", inproc * 1e3, "", "");
  std::printf("  %-34s %8.1f MB %12s < 64 MB: %s\n", "peak RSS, forced 10,000 merge", rss, "",
              verdict(rss < 64));
  benchmark::Shutdown();
  return 0;
}
