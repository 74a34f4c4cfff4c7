#include "agent/move.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "agent/certificate_file.h"
#include "agent/config_file.h"
#include "agent/fetch.h"
#include "agent/server_watch.h"
#include "trust/atomic_file.h"
#include "trust/certificate.h"
#include "trust/managed_source.h"
#include "trust/pin.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

std::optional<std::string> read_if_present(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  auto content = trust::read_source_file(path);
  return content ? std::optional<std::string>(*content) : std::nullopt;
}

trust::Result<void> put_back(const std::string& path, const std::optional<std::string>& old) {
  return old ? trust::write_file_atomic(path, *old) : trust::remove_file_durably(path);
}

// The certificate(s) the agent will trust for the new server, and how they were obtained.
trust::Result<std::vector<std::string>> new_certificates(const MoveRequest& request,
                                                         const std::string& server) {
  if (!request.cert_file.empty()) {
    auto imported = certificates_to_import(request.cert_file, request.cert_password, "");
    if (!imported) return imported.error();
    if (*imported) return std::move(**imported);  // a PKCS#12: its certificates, never its key
    auto content = trust::read_source_file(request.cert_file);
    if (!content) return content.error();
    auto read = trust::read_certificates(*content);
    if (read.certs.empty()) {
      return trust::make_error(trust::Code::kBadInput,
                               request.cert_file + ": no certificate in it");
    }
    std::vector<std::string> ders;
    for (auto& c : read.certs) ders.push_back(std::move(c.der));
    return ders;
  }
  auto expected = trust::parse_fingerprint(request.fingerprint);
  if (!expected) return expected.error();
  auto chain = fetch_chain(server, request.timeout_seconds);
  if (!chain) return chain.error();
  std::string presented;
  for (const auto& c : *chain) {
    if (fingerprint_matches(*expected, c.info)) return std::vector<std::string>{c.der};
    presented += (presented.empty() ? "" : ", ") + c.info.subject + " sha256 " + c.info.sha256;
  }
  return trust::make_error(trust::Code::kRefused,
                           server + " presents no certificate with fingerprint " + expected->hex +
                               " (it presents " + presented + "); nothing changed");
}

// "https://Host:8443/x", "host:443", "[::1]:8443", "host" -> the host, lowercase, no brackets.
std::string host_of(std::string server) {
  if (auto scheme = server.find("://"); scheme != std::string::npos) server.erase(0, scheme + 3);
  server = server.substr(0, server.find('/'));
  if (!server.empty() && server.front() == '[') {
    server = server.substr(1, server.find(']') - 1);
  } else if (std::count(server.begin(), server.end(), ':') == 1) {
    server = server.substr(0, server.find(':'));
  }
  std::transform(server.begin(), server.end(), server.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return server;
}

bool names_host(const trust::Certificate& cert, const std::string& host) {
  std::vector<std::string> names = trust::host_names(*cert.x509_ptr());
  bool has_san = std::any_of(names.begin(), names.end(),
                             [](const std::string& n) { return n.rfind("CN=", 0) != 0; });
  for (std::string n : names) {
    bool cn = n.rfind("CN=", 0) == 0;
    if (cn && has_san) continue;  // the CN counts only where there are no names
    n = n.substr(n.find_first_of(":=") + 1);
    std::transform(n.begin(), n.end(), n.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (n == host) return true;
  }
  return false;
}

struct CainfoPlan {
  std::vector<std::string> ders;  // cainfo.pem after the move
  std::vector<trust::CertInfo> added, removed;
};

// cainfo.pem with the old server's certificates replaced by the new ones.
CainfoPlan plan_cainfo(const trust::Layout& layout, const std::string& old_server,
                       const std::vector<std::string>& new_ders) {
  CainfoPlan plan;
  std::string old_host = old_server.empty() ? "" : host_of(old_server);
  std::string seen_leaf;
  for (const auto& s : load_seen_leaves(layout)) {
    if (s.role == ServerRole::kConfigured) seen_leaf = s.sha256;
  }
  auto is_new = [&](const std::string& der) {
    return std::find(new_ders.begin(), new_ders.end(), der) != new_ders.end();
  };
  if (auto content = trust::read_source_file(layout.cainfo)) {
    for (auto& raw : trust::read_certificates(*content).certs) {
      auto cert = trust::Certificate::from_der(raw.der);
      if (!cert) continue;
      bool old = !is_new(raw.der) && !old_host.empty() &&
                 (cert->info().sha256 == seen_leaf || names_host(*cert, old_host));
      if (old) {
        plan.removed.push_back(cert->info());
      } else {
        plan.ders.push_back(std::move(raw.der));
      }
    }
  }
  for (const auto& der : new_ders) {
    if (std::find(plan.ders.begin(), plan.ders.end(), der) != plan.ders.end()) continue;
    plan.ders.push_back(der);
    if (auto cert = trust::Certificate::from_der(der)) plan.added.push_back(cert->info());
  }
  return plan;
}

// The new server must authenticate with the new certificates alone, and pass the policy's pins:
// they apply to the agent's own server, which the new one becomes, and pins it fails would refuse
// it at once, so it could never deliver the corrected policy.
trust::Result<void> prove_new_server(const MoveRequest& request, const trust::Layout& layout,
                                     const StoreOutcome& synced,
                                     const std::vector<std::string>& ders, MoveReport& report) {
  ConnectRequest proof;
  proof.target = report.server;
  proof.layout = layout;
  proof.verify_host = synced.effective.verify_host.value;
  proof.only_anchors = ders;
  proof.timeout_seconds = request.timeout_seconds;
  auto verified = connect(proof);
  if (!verified) return verified.error();
  if (!verified->ok()) {
    trust::Error e = *verified->failure;
    e.message = (e.reason == trust::Reason::kNetwork
                     ? "cannot reach the new server: "
                     : report.server + " does not authenticate with the new certificate: ") +
                e.message + "; nothing changed";
    return e;
  }
  report.verified = std::move(*verified);
  const auto& pins = synced.effective.pins;
  if (pins.value.empty() || report.verified.chain.empty()) return {};
  auto leaf = trust::Certificate::from_der(report.verified.chain.front().der);
  bool admitted = leaf && std::any_of(pins.value.begin(), pins.value.end(), [&](const auto& p) {
                    return trust::pin_matches(p, *leaf->x509_ptr());
                  });
  if (admitted) return {};
  return trust::make_error(
      trust::Code::kRefused,
      "policy " + pins.from + " pins certificates the new server does not present (it has " +
          report.verified.chain.front().info.sha256 +
          "): after the move this endpoint would refuse its own server and could not receive "
          "a corrected policy from it. Publish a policy that also pins the new certificate "
          "(or trustagent policy remove " +
          pins.from + "), then move; nothing changed");
}

// The files a move edits, as they were, to put back when the move fails half-way.
struct MoveUndo {
  std::optional<std::string> cainfo, config, cainfo_bak, config_bak;
  bool written = false;
};

// Under the lock: backups, cainfo.pem planned again (it may have changed since the dry part), and
// the config's server line, checked as the config reader will read it.
trust::Result<void> write_move(const MoveRequest& request, const trust::Layout& l,
                               const std::vector<std::string>& ders, MoveReport& report,
                               MoveUndo& undo) {
  undo.cainfo = read_if_present(l.cainfo);
  undo.config = read_if_present(l.config);
  undo.cainfo_bak = read_if_present(l.cainfo + ".bak");
  undo.config_bak = read_if_present(l.config + ".bak");
  if (undo.cainfo) {
    report.cainfo_backup = l.cainfo + ".bak";
    if (auto w = trust::write_file_atomic(report.cainfo_backup, *undo.cainfo); !w) return w;
  }
  if (undo.config) {
    report.config_backup = l.config + ".bak";
    if (auto w = trust::write_file_atomic(report.config_backup, *undo.config); !w) return w;
  }
  undo.written = true;
  CainfoPlan locked = plan_cainfo(l, report.old_server, ders);
  report.added = locked.added;
  report.removed = locked.removed;
  if (auto w = trust::write_managed_source(l.cainfo, locked.ders); !w) return w;
  if (auto made = trust::make_directories(l.etc_dir); !made) return made;
  std::string config = with_setting(undo.config.value_or(""), "server", report.server);
  if (request.server_in_config) {
    auto in_force = request.server_in_config(config);
    if (!in_force || *in_force != report.server) {
      return trust::make_error(trust::Code::kBadInput,
                               l.config + ": after the edit the config reader takes server = '" +
                                   in_force.value_or("") + "', not '" + report.server +
                                   "' (edit it by hand)");
    }
  }
  return trust::write_file_atomic(l.config, config);
}

// The old files again, and the store merged from them.
void roll_back(const MoveRequest& request, const MoveUndo& undo) {
  (void)sync_store(request.store, [&](const trust::Layout& l) -> trust::Result<void> {
    for (const auto& [path, old] : {std::pair{l.cainfo, &undo.cainfo},
                                    {l.config, &undo.config},
                                    {l.cainfo + ".bak", &undo.cainfo_bak},
                                    {l.config + ".bak", &undo.config_bak}}) {
      if (auto r = put_back(path, *old); !r) return r;
    }
    return {};
  });
}

}  // namespace

trust::Result<MoveReport> move_server(const MoveRequest& request) {
  trust::Layout layout = trust::Layout::at(request.store.home);
  if (request.cert_file.empty() == request.fingerprint.empty()) {
    return trust::make_error(trust::Code::kBadInput,
                             "move needs exactly one of --cert FILE or --fingerprint FP: the new "
                             "server's certificate is never trusted unseen");
  }
  if (layout.home == kSystemHome && ::geteuid() != 0) {
    return trust::make_error(trust::Code::kRefused, std::string("moving the system agent (") +
                                                        kSystemHome + ") needs root");
  }
  MoveReport report;
  bool v6 = request.host.find(':') != std::string::npos && request.host.front() != '[';
  report.server =
      (v6 ? "[" + request.host + "]" : request.host) + ":" + std::to_string(request.port);

  auto synced = sync_store(request.store);  // the policy in force decides host verification
  if (!synced) return synced.error();
  auto ders = new_certificates(request, report.server);
  if (!ders) return ders.error();
  for (const auto& der : *ders) {
    auto cert = trust::Certificate::from_der(der);
    if (!cert) return trust::make_error(trust::Code::kBadInput, cert.error().message);
    report.certificates.push_back(cert->info());
  }
  if (auto proven = prove_new_server(request, layout, *synced, *ders, report); !proven) {
    return proven.error();
  }
  report.old_server =
      !request.current_server.empty() ? request.current_server : synced->effective.server_url.value;
  CainfoPlan plan = plan_cainfo(layout, report.old_server, *ders);
  report.added = plan.added;
  report.removed = plan.removed;
  if (request.dry_run) return report;

  MoveUndo undo;
  auto applied = sync_store(request.store, [&](const trust::Layout& l) {
    return write_move(request, l, *ders, report, undo);
  });
  if (!applied) {
    if (undo.written) roll_back(request, undo);
    return trust::make_error(applied.error().code,
                             applied.error().message + "; the move was rolled back");
  }
  report.committed = true;
  report.applied = std::move(*applied);
  return report;
}

}  // namespace agent
