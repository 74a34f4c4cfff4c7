// Reading a policy index. Properties: every accepted entry has a safe guid, a 64-hex sha256 and an
// href that stays under policies/; and the accepted entries survive write-then-read unchanged.
#include <string>
#include <string_view>

#include "policy/index.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto parsed = policy::parse_index(xml, "index.xml");
  if (!parsed) return 0;
  FUZZ_CHECK(parsed->entries.size() <= policy::kMaxIndexEntries);
  for (const auto& e : parsed->entries) {
    FUZZ_CHECK(policy::is_safe_guid(e.guid));
    FUZZ_CHECK(e.sha256.size() == 64 &&
               e.sha256.find_first_not_of("0123456789abcdef") == std::string::npos);
    FUZZ_CHECK(!e.href.empty() && e.href.front() != '/');
    FUZZ_CHECK(e.href.find("://") == std::string::npos);
    size_t start = 0;  // no segment may climb out of policies/
    while (start <= e.href.size()) {
      size_t slash = e.href.find('/', start);
      std::string segment =
          e.href.substr(start, slash == std::string::npos ? slash : slash - start);
      FUZZ_CHECK(segment != ".." && segment != "." && !segment.empty());
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    FUZZ_CHECK(e.href.find_first_of("?#\\") == std::string::npos);
  }
  auto again = policy::parse_index(policy::write_index(parsed->entries), "index.xml");
  FUZZ_CHECK(again);
  FUZZ_CHECK(again->refused.empty());
  FUZZ_CHECK(again->entries.size() == parsed->entries.size());
  for (size_t i = 0; i < parsed->entries.size(); ++i) {
    const auto &a = parsed->entries[i], &b = again->entries[i];
    FUZZ_CHECK(a.guid == b.guid && a.revision == b.revision && a.sha256 == b.sha256 &&
               a.href == b.href);
  }
  return 0;
}
