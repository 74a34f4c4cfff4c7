#include "trust/server_identity.h"

namespace trust {

bool same_server(const CertInfo& a, const CertInfo& b) {
  if (a.subject == b.subject) return true;
  return !a.server_names.empty() && a.server_names == b.server_names;
}

std::string server_names_key(const CertInfo& info) {
  std::string key;
  for (const auto& name : info.server_names) {
    key += name;
    key += '\n';  // never inside a name: names are printable_text
  }
  return key;
}

}  // namespace trust
