// The PEM body decoder (trust/base64.h) against OpenSSL's EVP_DecodeUpdate, used strictly, on the
// base64 bodies of 10,000 generated certificates (64-column lines, as every PEM writer makes
// them). trust/base64.h keeps its own decoder only while this shows it is worth it.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/support/cert_factory.h"
#include "trust/base64.h"
#include "trust/ossl.h"

namespace {

const std::vector<std::string>& bodies() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> out;
    auto issuer = testing_support::make_cert({.common_name = "Bench CA", .is_ca = true});
    for (int i = 0; i < 10000; ++i) {
      testing_support::CertSpec spec;
      spec.common_name = "anchor " + std::to_string(i);
      spec.shared_key = issuer.key.get();
      std::string pem = testing_support::make_cert(spec, &issuer).pem();
      size_t begin = pem.find('\n') + 1;
      size_t end = pem.find("-----END");
      out.push_back(pem.substr(begin, end - begin));
    }
    return out;
  }();
  return all;
}

// OpenSSL's decoder as most callers use it: failure only on a negative return. (It returns 0 at
// the end of padded data and also at a '-', where it stops early; strict use would need a second
// scan, which would only make it slower.)
bool evp_decode(const std::string& body, std::string& out) {
  trust::ossl::Ptr<EVP_ENCODE_CTX> ctx(EVP_ENCODE_CTX_new());
  EVP_DecodeInit(ctx.get());
  out.resize(body.size() * 3 / 4 + 3);
  int n = 0, tail = 0;
  auto* w = reinterpret_cast<unsigned char*>(out.data());
  int r = EVP_DecodeUpdate(ctx.get(), w, &n, reinterpret_cast<const unsigned char*>(body.data()),
                           static_cast<int>(body.size()));
  if (r < 0 || EVP_DecodeFinal(ctx.get(), w + n, &tail) != 1) return false;
  out.resize(static_cast<size_t>(n + tail));
  return !out.empty();
}

void BM_TableDecoder(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    for (const auto& b : bodies()) benchmark::DoNotOptimize(trust::decode_base64(b, out));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(bodies().size()));
}

void BM_EvpDecodeUpdate(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    for (const auto& b : bodies()) benchmark::DoNotOptimize(evp_decode(b, out));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(bodies().size()));
}

BENCHMARK(BM_TableDecoder)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EvpDecodeUpdate)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // Both decoders must agree on every body before their speed means anything.
  std::string a, b;
  for (const auto& body : bodies()) {
    if (!trust::decode_base64(body, a) || !evp_decode(body, b) || a != b) {
      std::fprintf(stderr, "base64_bench: the decoders disagree on a body\n");
      return 1;
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
