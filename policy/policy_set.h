// The policies in force and what they add up to. Per setting, the policy with the lowest
// `priority` that sets it wins, ties broken by guid; every policy's CAInfo and CAPath files are
// sources, in that same order. Each effective setting remembers which policy it came from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "trust/result.h"

namespace policy {

template <class T>
struct Setting {
  T value;
  std::string from;  // guid of the policy that set it; "" = built-in default
};

struct Effective {
  Setting<bool> verify_peer{true, ""};
  Setting<bool> verify_host{true, ""};
  Setting<bool> use_system_store{false, ""};
  Setting<std::vector<trust::Pin>> pins{{}, ""};
  Setting<std::string> pins_text{"", ""};
  Setting<int64_t> refresh_interval{3600, ""};
  Setting<int64_t> refresh_jitter{300, ""};
  Setting<std::string> server_url{"", ""};            // https://Address[:Port][BasePath]
  Setting<std::vector<std::string>> mirrors{{}, ""};  // <Mirror>s, in the policy's order
  struct CaFile {
    std::string path, from;
    std::string directory = "";  // the CAPath it was found in
  };
  std::vector<CaFile> ca_files;  // CAInfo, then CAPath's files in name order, per policy
  std::vector<Policy> policies;  // in precedence order
};

Effective effective_settings(std::vector<Policy> policies);

// <home>/var/policies/*.xml in name order. A file that does not parse is reported, not applied.
struct LoadedPolicies {
  std::vector<Policy> policies;
  std::vector<trust::Error> refused;
};
LoadedPolicies load_policy_dir(const std::string& dir);

}  // namespace policy
