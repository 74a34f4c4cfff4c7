// The one way the agent talks to a server: libcurl with OpenSSL, verifying against the merged store
// in ONE handshake however many anchors it holds, and telling afterwards which anchor, in store
// order, authenticated the server.
//
// The store is handed to OpenSSL through CURLOPT_SSL_CTX_FUNCTION with an index-backed lookup
// (trust/anchor_index.h) and partial-chain trust, so any anchor (root, intermediate, or a pinned
// self-signed or CA-issued leaf) authenticates the server, and only anchors whose subject matches
// an issuer being looked for are ever parsed. Nothing else is trusted: no system bundle.
//
// Proxies, IPv6, SNI and timeouts behave as in curl (https_proxy / no_proxy are honoured).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "trust/anchor_index.h"
#include "trust/certificate.h"
#include "trust/layout.h"
#include "trust/pin.h"
#include "trust/result.h"

namespace agent {

struct ConnectRequest {
  std::string target;  // "https://host[:port]/path", "host[:port]", "[::1]:8443"
  trust::Layout layout;
  bool verify_peer = true;
  bool verify_host = true;
  std::vector<trust::Pin> pins;  // any one matching the leaf is enough
  double timeout_seconds = 10;
  bool handshake_only = false;       // fetch: no HTTP request, nothing verified, chain captured
  std::vector<std::string> headers;  // extra request headers ("If-None-Match: …")
  bool keep_body = false;            // return the body (up to max_body; more is an error)
  size_t max_body = 1 << 20;
  // Trust exactly these certificates (DER) instead of the merged store: how `move` proves a new
  // server authenticates with its new certificate before anything is written. The anchor reported
  // is then the 1-based position in this list.
  std::vector<std::string> only_anchors;
  std::string user_agent;  // "" : trustagent/VERSION (agent/endpoint_identity.h for refreshes)
  // Asked about once a second while the transfer waits; true abandons it at once (kNetwork,
  // "stopped"). The daemon's: a SIGTERM is pending, so a hanging server cannot hold a stop.
  std::function<bool()> stop_requested;
};

struct PresentedCert {
  trust::CertInfo info;
  std::string der;
};

struct ConnectOutcome {
  std::string url, host;
  int port = 0;
  long http_status = 0;
  std::string body;                            // with keep_body
  std::string etag, last_modified;             // response headers, for conditional requests
  std::optional<trust::IndexedAnchor> anchor;  // the lowest store position that authenticated
  std::vector<PresentedCert> chain;            // as the server sent it, leaf first
  // Why the connection failed (its reason says what kind, trust/result.h); none when it worked.
  // Kept beside the chain rather than instead of it: a refused server's chain is what `fetch`
  // shows and what a signed-mode refresh reports.
  std::optional<trust::Error> failure;
  int anchors_parsed = 0;  // how many anchors the verification decoded

  bool ok() const { return !failure; }
  trust::Reason reason() const { return failure ? failure->reason : trust::Reason::kNone; }
};

// "host:port", or "[v6]:port", of the server an outcome is about.
std::string address_of(const ConnectOutcome& outcome);

// For a server refused as untrusted, the command that trusts it once a person has checked the
// fingerprint, then what it presents: "after checking its fingerprint: trustagent fetch HOST:PORT
// --fingerprint X (the server presents sha256 X, subject "S")", the subject cut at 80 bytes. ""
// for any other outcome (trusting the certificate would not fix a host name or an expiry).
std::string how_to_trust(const ConnectOutcome& outcome);

// True when `a` and `b` name the same server: the same host (letter case aside) and port, however
// written ("host", "host:443", "https://host/path"). False when either cannot be parsed.
bool same_server(const std::string& a, const std::string& b);

// Fails (kBadInput) only for a target that is not an https URL or host[:port]; every outcome of
// actually connecting, good or bad, is a ConnectOutcome.
trust::Result<ConnectOutcome> connect(const ConnectRequest& request);

}  // namespace agent
