// Reading a policy. Property: a policy that parses survives write-then-read unchanged, and what
// is refused is refused with the file name and a position.
#include <string>
#include <string_view>

#include "policy/policy.h"
#include "policy/policy_writer.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto parsed = policy::parse_policy(xml, "fuzz.xml");
  if (!parsed) {
    FUZZ_CHECK(parsed.error().message.rfind("fuzz.xml", 0) == 0);
    return 0;
  }
  std::string written = policy::write_policy(*parsed);
  auto again = policy::parse_policy(written, "fuzz.xml");
  FUZZ_CHECK(again);
  FUZZ_CHECK(*again == *parsed);
  FUZZ_CHECK(policy::write_policy(*again) == written);
  return 0;
}
