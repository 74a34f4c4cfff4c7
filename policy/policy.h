// One policy document, as the central server publishes it:
//
//   <Policy guid="…" name="…" revision="12" priority="10">
//     <CurlSSL SSLNSPublicHttpsCertFingerprint="" SSLVerifyPeer="yes" SSLVerifyHost="yes"
//              CAInfo="/etc/corp/ca.pem" CAPath="" UseSystemCAStore="no"/>
//     <Refresh IntervalSeconds="3600" JitterSeconds="300"/>
//     <ReserveCertificate ActivateAt="2027-01-10T00:00:00Z" Replaces="sha256 fp;…">
//       -----BEGIN CERTIFICATE-----…</ReserveCertificate>
//     <Server Address="ns.example" Port="443" BasePath="/trustagent"/>
//     <Mirror Address="mirror1.example" Port="443" BasePath="/trustagent"/>   (any number, in
//     order)
//   </Policy>
//
// Every setting is optional (absent or empty = not set by this policy). Booleans are yes/no,
// true/false or 1/0 in any case. Unknown elements and attributes are ignored, for forward
// compatibility. Anything malformed refuses the whole document, with file, line and column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trust/fingerprint.h"
#include "trust/pin.h"
#include "trust/result.h"

namespace policy {

struct ReserveCertificate {
  std::string der;                           // exactly one certificate
  std::optional<int64_t> activate_at;        // absent: when the certificate it replaces expires
  std::vector<trust::Fingerprint> replaces;  // Replaces="fp;fp": absent, by server identity
  bool operator==(const ReserveCertificate&) const = default;
};

// <Mirror Address Port BasePath/>: another central server with the same policies.
struct Mirror {
  std::string address;
  std::optional<int> port;
  std::optional<std::string> base_path;
  bool operator==(const Mirror&) const = default;
};

struct Policy {
  std::string guid, name;
  int64_t revision = 0;
  int64_t priority = 0;  // lower wins
  std::string file;      // where it was read from, for messages

  std::optional<std::string> pins_text;  // SSLNSPublicHttpsCertFingerprint, validated
  std::vector<trust::Pin> pins;
  std::optional<bool> verify_peer, verify_host, use_system_store;
  std::optional<std::string> ca_info, ca_path;  // absolute paths
  std::optional<int64_t> refresh_interval, refresh_jitter;
  std::vector<ReserveCertificate> reserves;
  std::optional<std::string> server_address, server_base_path;
  std::optional<int> server_port;
  std::vector<Mirror> mirrors;  // in the document's order

  bool operator==(const Policy&) const = default;
};

inline constexpr size_t kMaxPolicyBytes = 1 << 20;
inline constexpr size_t kMaxMirrors = 8;

// Letters, digits, '-', '_', '{', '}'; at most 64: safe as a file name and in every output.
bool is_valid_guid(std::string_view guid);

// "https://address[:port][base_path]", as <Server> and <Mirror> name a central server.
std::string server_url(const std::string& address, std::optional<int> port,
                       const std::optional<std::string>& base_path);

// `file` names the document in error messages ("<file>:<line>:<column>: …").
trust::Result<Policy> parse_policy(std::string_view xml, const std::string& file);

}  // namespace policy
