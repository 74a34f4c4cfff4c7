// Finds the certificates in one source file's bytes: PEM CERTIFICATE / TRUSTED CERTIFICATE blocks
// among any other text (CRLF, UTF-8 BOM), a bare DER certificate, or a PKCS#7 bundle (PEM or DER).
//
// Everything else is skipped with a warning naming the block: private keys (never decoded, never
// copied), CRLs (PEM, or a whole DER file), requests, unknown blocks, and malformed blocks. The
// rest of the file still counts.
//
// split_certificates() does not parse X.509 (parsing is the expensive step, done once per new
// certificate by the merge through its metadata cache); read_certificates() parses every one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trust/fingerprint.h"
#include "trust/result.h"

namespace trust {

struct RawCert {
  std::string der;
  Sha256 sha256{};
  int block = 0;  // 1-based PEM block number; 1 for a DER file; the bundle's block for PKCS#7
};

// A defect is a certificate or key that is damaged or should not be there; the rest is content
// that simply is not a certificate (a CRL, a request, plain text), ordinary in a CA directory.
enum class WarningKind { kDefect, kNotACertificate };

struct ReadWarning {
  int block = 0;  // 0 when the warning is about the whole file
  std::string reason;
  WarningKind kind = WarningKind::kDefect;
};

// A file of a million bogus blocks must not cost a million warnings in memory, in merge.state
// and on the terminal: the first kMaxReadWarnings are kept, the rest only counted.
inline constexpr size_t kMaxReadWarnings = 100;

struct ReadResult {
  std::vector<RawCert> certs;
  std::vector<ReadWarning> warnings;
  size_t more_warnings = 0;  // beyond kMaxReadWarnings, counted only
  size_t defects = 0;        // warnings of kind kDefect, kept or not

  void warn(ReadWarning warning);
  // Neither a certificate nor a defect: a file of CRLs, of text, or empty.
  bool holds_no_certificate_at_all() const { return certs.empty() && defects == 0; }
};

ReadResult split_certificates(std::string_view content);
ReadResult read_certificates(std::string_view content);

// Reads a source file without following it into FIFOs or devices and without reading more than
// `max_bytes`. With `checked` (what probe_source() saw), the file opened must be that same file
// (device and inode), else it was replaced between the check and the read and is refused. The
// error names the path.
inline constexpr size_t kMaxSourceBytes = size_t{128} << 20;
struct FileStamp;
Result<std::string> read_source_file(const std::string& path, size_t max_bytes = kMaxSourceBytes,
                                     const FileStamp* checked = nullptr);

// "cainfo.pem: block 3: private key, skipped (never copied)"
std::string describe(const std::string& file, const ReadWarning& warning);

}  // namespace trust
