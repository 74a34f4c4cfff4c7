// Parsing a fingerprint or a pin, as people type them. Properties: what parses is canonical
// (lowercase hex of the right length, or 44 characters of base64) and reads back to itself from
// its own spelling; a pin list is the pins of its items.
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "trust/fingerprint.h"
#include "trust/pin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto fp = trust::parse_fingerprint(text)) {
    bool sha256 = fp->algorithm == trust::Fingerprint::Algorithm::kSha256;
    FUZZ_CHECK(fp->hex.size() == (sha256 ? 64u : 40u));
    FUZZ_CHECK(fp->hex.find_first_not_of("0123456789abcdef") == std::string::npos);
    auto again = trust::parse_fingerprint(fp->hex);
    FUZZ_CHECK(again && again->hex == fp->hex && again->algorithm == fp->algorithm);
  }
  if (auto pin = trust::parse_pin(text)) {
    if (pin->kind == trust::Pin::Kind::kSpkiSha256) FUZZ_CHECK(pin->value.size() == 44);
    auto again = trust::parse_pin(pin->text());
    FUZZ_CHECK(again && *again == *pin);
  }
  if (auto list = trust::parse_pin_list(text)) {
    std::string joined;
    for (const auto& p : *list) joined += p.text() + ";";
    auto again = trust::parse_pin_list(joined);
    FUZZ_CHECK(again && *again == *list);
  }
  return 0;
}
