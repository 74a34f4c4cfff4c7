#include "agent/endpoint_identity.h"

#include <sys/stat.h>

#include <openssl/rand.h>

#include "trust/atomic_file.h"
#include "trust/fingerprint.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

bool is_id(const std::string& s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

template <class T, class Text>
std::string capped_list(const std::vector<T>& items, Text text) {
  std::string out;
  size_t shown = 0;
  for (const auto& item : items) {
    std::string one = text(item);
    if (one.empty()) continue;
    if (shown == kMaxListed) {
      out += ",+" + std::to_string(items.size() - shown);
      break;
    }
    out += (shown++ ? "," : "") + one;
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string endpoint_id(const trust::Layout& layout) {
  std::string path = layout.endpoint_id;
  if (auto stored = trust::read_source_file(path, 256)) {
    std::string id = stored->substr(0, stored->find('\n'));
    if (is_id(id)) {
      ::chmod(path.c_str(), 0600);  // an id written by an earlier version was 0644
      return id;
    }
  }
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return std::string(32, '0');
  std::string id = trust::to_hex(bytes, sizeof bytes);
  if (trust::make_directories(layout.state_dir)) {
    (void)trust::write_file_atomic(path, id + "\n", 0600);  // it tells this endpoint apart
  }
  return id;
}

std::string user_agent(const std::string& endpoint, const std::vector<policy::Policy>& policies,
                       const std::vector<trust::Reserve>& reserves) {
  std::string listed = capped_list(policies, [](const policy::Policy& p) {
    return policy::is_valid_guid(p.guid) ? p.guid + "@" + std::to_string(p.revision) : "";
  });
  std::string held = capped_list(reserves, [](const trust::Reserve& r) {
    return trust::sha256_from_hex(r.sha256) ? r.sha256.substr(0, 16) : "";
  });
  return "trustagent/" TRUSTAGENT_VERSION " (endpoint=" + (is_id(endpoint) ? endpoint : "-") +
         "; policies=" + listed + "; reserves=" + held + ")";
}

}  // namespace agent
