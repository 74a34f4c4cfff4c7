// The rule that keeps every consumer of a store honest: a PEM file trustagent writes must read
// back, with OpenSSL's own PEM reader (PEM_read_bio, which PEM_X509_INFO_read_bio, curl --cacert,
// `openssl verify -CAfile`, `openssl storeutl` and Python's ssl all use) and with trustagent's
// reader, as exactly the certificates it was written from: no more, no fewer, in the same order.
//
// Annotations are made inert when they are written (safe_text.h); this check is what proves it
// for each file before it is published, so that a way around the annotation rules that nobody has
// thought of yet refuses a write instead of planting an anchor only some readers see.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trust/result.h"

namespace trust {

struct PemBlock {
  std::string label;  // "CERTIFICATE", "PRIVATE KEY", ...
  std::string der;
};

// Every block OpenSSL's PEM reader finds in `text`, in order; an error when the reader stops on a
// block it cannot read (for OpenSSL consumers the whole file would then be unusable).
Result<std::vector<PemBlock>> openssl_pem_blocks(std::string_view text);

// The certificates OpenSSL's PEM reader finds in a source's `text` that trustagent's reader did
// not (`ours`, DER): text that only some readers take as a certificate, such as a BEGIN line in
// the middle of a long line. They are never trusted; the merge says so, naming each. Those found
// before a block OpenSSL cannot read count too: its directory lookup keeps them.
std::vector<std::string> certificates_only_openssl_sees(std::string_view text,
                                                        const std::vector<std::string_view>& ours);

struct ExpectedCert {
  std::string_view der;
  std::string name;  // how the refusal names it: "[3] CN=Example Root (from cainfo.pem)"
};

// kBadInput, naming `file` and the first certificate that differs, unless both readers find
// exactly `expected` in `text`.
Result<void> check_reads_back(std::string_view text, const std::vector<ExpectedCert>& expected,
                              const std::string& file);

}  // namespace trust
