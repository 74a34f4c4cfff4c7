#include "trust/server_identity.h"

namespace trust {

bool same_server(const CertInfo& a, const CertInfo& b) {
  // A CA and a leaf are never one server, whatever names they share: otherwise a leaf that copies
  // a root's subject or names could be taken for its successor, and the root retired for it.
  if (a.is_ca != b.is_ca) return false;
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
