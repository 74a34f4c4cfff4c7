// One rule for "these two certificates are the same server", used wherever the agent asks whether
// a certificate has a successor: the rollover (what a reserve replaces, what an expired certificate
// gives way to), the anchor warnings (expires_soon_no_reserve) and the review of `reserve add`.
//
// Two certificates are one server when both are CAs or both are not, and they have the same
// subject or the same non-empty set of DNS/IP subjectAltNames. Sharing one alias is not enough: a
// notification server and a site server often share one. (`openssl req -x509` makes self-signed
// server certificates CA:TRUE, so two of those still match each other.)
#pragma once

#include <string>
#include <vector>

#include "trust/certificate.h"

namespace trust {

bool same_server(const CertInfo& a, const CertInfo& b);

// The key under which certificates of one server by their names meet: the sorted names joined,
// "" when the certificate has none (then only the subject identifies it).
std::string server_names_key(const CertInfo& info);

}  // namespace trust
