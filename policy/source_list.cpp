#include "policy/source_list.h"

#include <openssl/x509.h>

#include <algorithm>

namespace policy {

std::vector<std::string> agent_managed_sources(const trust::Layout& layout) {
  return {layout.cainfo, layout.cainfo_ss, layout.cainfo_reserve};
}

trust::Result<std::vector<trust::SourceSpec>> build_source_list(
    const trust::Layout& layout, const std::vector<std::string>& ca_files,
    const Effective& effective) {
  std::vector<trust::SourceSpec> out;
  for (const auto& path : agent_managed_sources(layout)) {
    out.push_back({path, path.substr(path.rfind('/') + 1)});
  }
  std::vector<trust::SourceSpec> admin;
  for (const auto& f : effective.ca_files) {
    admin.push_back({f.path, f.path, f.directory});  // validated by the parser
  }
  for (const auto& path : ca_files) admin.push_back({path, path});
  if (effective.use_system_store.value) {
    // OpenSSL's own idea of the system bundle (on Debian a link to ca-certificates.crt).
    admin.push_back({X509_get_default_cert_file(), X509_get_default_cert_file()});
  }
  for (const auto& spec : admin) {
    const std::string& path = spec.path;
    if (path.empty() || path.front() != '/') {
      return trust::make_error(trust::Code::kBadInput,
                               "CA file '" + path + "' must be an absolute path");
    }
    if (std::any_of(path.begin(), path.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
      return trust::make_error(trust::Code::kBadInput,
                               "CA file path contains a control character: refused");
    }
    bool listed = std::any_of(out.begin(), out.end(),
                              [&](const trust::SourceSpec& s) { return s.path == path; });
    if (!listed) out.push_back(spec);  // named twice: merged once, at its first place
  }
  return out;
}

}  // namespace policy
