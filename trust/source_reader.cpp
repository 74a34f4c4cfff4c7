#include "trust/source_reader.h"
#include "trust/base64.h"

#include <fcntl.h>
#include <iconv.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#include "trust/certificate.h"
#include "trust/ossl.h"
#include "trust/source_check.h"

namespace trust {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kDashes = "-----";

// Total length (header + content) of the DER element at the start of `der`, or 0 when the
// header is malformed or claims more bytes than there are.
size_t der_element_length(std::string_view der) {
  if (der.size() < 2) return 0;
  auto b = [&](size_t i) { return static_cast<unsigned char>(der[i]); };
  size_t header = 2;
  size_t length = b(1);
  if (length & 0x80) {
    size_t octets = length & 0x7f;
    if (octets == 0 || octets > 4 || der.size() < 2 + octets) return 0;
    length = 0;
    for (size_t i = 0; i < octets; ++i) length = (length << 8) | b(2 + i);
    header += octets;
  }
  if (length > der.size() - header) return 0;
  return header + length;
}

// The byte after the outer SEQUENCE header: 0x30 for a certificate (TBSCertificate), 0x06 for a
// PKCS#7 ContentInfo (content type OID), 0x02 for a private key (version INTEGER).
int inner_tag(std::string_view der) {
  if (der.size() < 2 || static_cast<unsigned char>(der[0]) != 0x30) return -1;
  size_t header = 2;
  if (static_cast<unsigned char>(der[1]) & 0x80)
    header += static_cast<unsigned char>(der[1]) & 0x7f;
  if (der.size() <= header) return -1;
  return static_cast<unsigned char>(der[header]);
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// PEM encapsulated headers ("Proc-Type: 4,ENCRYPTED") sit before a blank line; drop them.
std::string_view strip_pem_headers(std::string_view body) {
  size_t first_line_end = body.find('\n');
  std::string_view first = body.substr(0, first_line_end);
  if (first.find(':') == std::string_view::npos) return body;
  size_t blank = body.find("\n\n");
  if (blank == std::string_view::npos) blank = body.find("\n\r\n");
  return blank == std::string_view::npos ? std::string_view() : body.substr(blank + 1);
}

// One definite-length element within [p, end), read with OpenSSL's ASN1_get_object.
struct Element {
  const unsigned char* start = nullptr;
  const unsigned char* content = nullptr;
  long length = 0;
  int tag = 0, cls = 0;
  bool constructed = false;
  const unsigned char* end() const { return content + length; }
};

std::optional<Element> next_element(const unsigned char*& p, const unsigned char* end) {
  Element e;
  e.start = p;
  const unsigned char* q = p;
  int flags = ASN1_get_object(&q, &e.length, &e.tag, &e.cls, end - p);
  if ((flags & 0x80) != 0 || (flags & 0x01) != 0) return std::nullopt;  // error, or indefinite
  e.constructed = (flags & V_ASN1_CONSTRUCTED) != 0;
  e.content = q;
  p = e.end();
  return e;
}

bool is(const Element& e, int universal_tag) {
  return e.cls == V_ASN1_UNIVERSAL && e.tag == universal_tag;
}

// The certificates of a DER SignedData as slices of `der`, without decoding them (decoding every
// public key is what made `add` of a 100,000-certificate bundle slow; the merge decodes each new
// certificate once anyway). nullopt for anything but a plain definite-length SignedData whose
// elements fill it exactly: OpenSSL's full decoder then decides, as before.
std::optional<std::vector<std::string_view>> signed_data_certificates(std::string_view der) {
  static constexpr unsigned char kSignedData[] = {0x2A, 0x86, 0x48, 0x86, 0xF7,
                                                  0x0D, 0x01, 0x07, 0x02};
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  auto info = next_element(p, end);
  if (!info || !is(*info, V_ASN1_SEQUENCE) || p != end) return std::nullopt;
  p = info->content;
  auto type = next_element(p, info->end());
  if (!type || !is(*type, V_ASN1_OBJECT) || type->length != sizeof kSignedData ||
      std::memcmp(type->content, kSignedData, sizeof kSignedData) != 0) {
    return std::nullopt;
  }
  auto explicit0 = next_element(p, info->end());
  if (!explicit0 || explicit0->cls != V_ASN1_CONTEXT_SPECIFIC || explicit0->tag != 0 ||
      p != info->end()) {
    return std::nullopt;
  }
  p = explicit0->content;
  auto signed_data = next_element(p, explicit0->end());
  if (!signed_data || !is(*signed_data, V_ASN1_SEQUENCE) || p != explicit0->end()) {
    return std::nullopt;
  }
  p = signed_data->content;
  const unsigned char* sd_end = signed_data->end();
  auto version = next_element(p, sd_end);
  auto digests = version ? next_element(p, sd_end) : std::nullopt;
  auto content = digests ? next_element(p, sd_end) : std::nullopt;
  if (!content || !is(*version, V_ASN1_INTEGER) || !is(*digests, V_ASN1_SET) ||
      !is(*content, V_ASN1_SEQUENCE)) {
    return std::nullopt;
  }
  std::vector<std::string_view> out;
  std::optional<Element> next = next_element(p, sd_end);
  if (next && next->cls == V_ASN1_CONTEXT_SPECIFIC && next->tag == 0) {  // certificates
    const unsigned char* q = next->content;
    while (q < next->end()) {
      auto cert = next_element(q, next->end());
      if (!cert || !is(*cert, V_ASN1_SEQUENCE) || !cert->constructed) return std::nullopt;
      out.emplace_back(reinterpret_cast<const char*>(cert->start),
                       static_cast<size_t>(cert->end() - cert->start));
    }
    next = next_element(p, sd_end);
  }
  if (next && next->cls == V_ASN1_CONTEXT_SPECIFIC && next->tag == 1) {  // crls
    next = next_element(p, sd_end);
  }
  if (!next || !is(*next, V_ASN1_SET) || p != sd_end) return std::nullopt;  // signerInfos
  return out;
}

void read_pkcs7(std::string_view der, int block, ReadResult& out) {
  if (auto slices = signed_data_certificates(der)) {
    if (slices->empty()) {
      out.warn({block, "PKCS#7 bundle holds no certificates", WarningKind::kNotACertificate});
    }
    for (auto slice : *slices) {
      RawCert cert;
      cert.der.assign(slice);
      cert.sha256 = sha256_of(cert.der);
      cert.block = block;
      out.certs.push_back(std::move(cert));
    }
    return;
  }
  ERR_clear_error();  // what ASN1_get_object reported is not the full decoder's business
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::Ptr<PKCS7> p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (!p7) {
    out.warn({block, ossl::with_errors("malformed PKCS#7 bundle") + ", skipped"});
    return;
  }
  STACK_OF(X509)* certs = nullptr;
  if (OBJ_obj2nid(p7->type) == NID_pkcs7_signed && p7->d.sign != nullptr) {
    certs = p7->d.sign->cert;
  } else if (OBJ_obj2nid(p7->type) == NID_pkcs7_signedAndEnveloped && p7->d.signed_and_enveloped) {
    certs = p7->d.signed_and_enveloped->cert;
  }
  int count = certs ? sk_X509_num(certs) : 0;
  if (count == 0) {
    // `openssl crl2pkcs7` writes CRLs alone in a bundle: nothing to trust, nothing damaged.
    out.warn({block, "PKCS#7 bundle holds no certificates", WarningKind::kNotACertificate});
    return;
  }
  for (int i = 0; i < count; ++i) {
    unsigned char* buf = nullptr;
    int len = i2d_X509(sk_X509_value(certs, i), &buf);
    if (len <= 0) {
      out.warn({block, ossl::with_errors("PKCS#7 bundle: certificate " + std::to_string(i + 1) +
                                         " cannot be encoded") +
                           ", skipped"});
      continue;
    }
    RawCert cert;
    cert.der.assign(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
    OPENSSL_free(buf);
    cert.sha256 = sha256_of(cert.der);
    cert.block = block;
    out.certs.push_back(std::move(cert));
  }
}

// One decoded DER object that claims to be a certificate (or, as some exporters emit, a PKCS#7
// bundle under a CERTIFICATE label).
void take_der(std::string der, int block, bool trusted_aux, ReadResult& out) {
  int tag = inner_tag(der);
  if (tag == 0x06) return read_pkcs7(der, block, out);
  if (tag == 0x02) {
    out.warn({block, "looks like a private key, skipped (never copied)"});
    return;
  }
  size_t length = der_element_length(der);
  if (tag != 0x30 || length == 0) {
    out.warn({block, "malformed certificate (bad DER structure), skipped"});
    return;
  }
  if (length != der.size()) {
    // TRUSTED CERTIFICATE carries OpenSSL trust settings after the certificate; the store keeps
    // only the certificate, so those settings are dropped (anchors are trusted for everything).
    if (!trusted_aux) {
      out.warn({block, "malformed certificate (trailing data after it), skipped"});
      return;
    }
    der.resize(length);
  }
  RawCert cert;
  cert.sha256 = sha256_of(der);
  cert.der = std::move(der);
  cert.block = block;
  out.certs.push_back(std::move(cert));
}

// A whole DER file that is a CRL (outwardly shaped like a certificate: three elements in a
// SEQUENCE), as `openssl crl -outform DER` and Windows' .crl files are.
bool is_der_crl(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::Ptr<X509_CRL> crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  return crl && p == reinterpret_cast<const unsigned char*>(der.data()) + der.size();
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void take_pem_block(std::string_view label, std::string_view body, int block, ReadResult& out) {
  bool is_cert = label == "CERTIFICATE" || label == "X509 CERTIFICATE";
  bool is_trusted = label == "TRUSTED CERTIFICATE";
  bool is_pkcs7 = label == "PKCS7" || label == "PKCS #7 SIGNED DATA" || label == "CMS";
  if (label.find("PRIVATE") != std::string_view::npos) {  // PEM's, PGP's "PRIVATE KEY BLOCK"
    // Never decoded: the key's bytes go nowhere, not even into a buffer we keep.
    out.warn({block, "private key, skipped (never copied)"});
    return;
  }
  if (!is_cert && !is_trusted && !is_pkcs7) {
    std::string what = label == "X509 CRL" ? "certificate revocation list"
                       : ends_with(label, "CERTIFICATE REQUEST")
                           ? "certificate request"
                           : "not a certificate (" + printable(label) + ")";
    out.warn({block, what + ", skipped", WarningKind::kNotACertificate});
    return;
  }
  std::string der;
  if (!decode_base64(strip_pem_headers(body), der)) {
    out.warn({block, "invalid base64, skipped"});
    return;
  }
  if (is_pkcs7) return read_pkcs7(der, block, out);
  take_der(std::move(der), block, is_trusted, out);
}

// RFC 7468: a boundary is a whole line. "-----BEGIN X-----" in the middle of a line is text, as a
// certificate's subject printed into a comment may well contain it.
// A UTF-8 byte order mark before a boundary is ignored, as OpenSSL ignores one at the start of
// the file and after each END line (files concatenated from Windows exports carry them).
size_t find_at_line_start(std::string_view text, std::string_view what, size_t from) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  auto line_starts_at = [&](size_t pos) { return pos == 0 || text[pos - 1] == '\n'; };
  for (size_t pos = from; (pos = text.find(what, pos)) != std::string_view::npos; ++pos) {
    if (line_starts_at(pos)) return pos;
    if (pos >= 3 && text.substr(pos - 3, 3) == kBom && line_starts_at(pos - 3)) return pos;
  }
  return std::string_view::npos;
}

// True when only spaces, tabs or a CR follow `pos` up to the end of its line.
bool rest_of_line_is_blank(std::string_view text, size_t pos) {
  size_t eol = text.find('\n', pos);
  std::string_view rest = text.substr(pos, eol == std::string_view::npos ? text.npos : eol - pos);
  return rest.find_first_not_of(" \t\r") == std::string_view::npos;
}

void split_pem(std::string_view text, ReadResult& out) {
  int block = 0;
  size_t pos = 0;
  while ((pos = find_at_line_start(text, kBegin, pos)) != std::string_view::npos) {
    ++block;
    size_t line_end = text.find('\n', pos);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(pos, line_end - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    size_t body_start = std::min(line_end + 1, text.size());
    if (line.size() < kBegin.size() + kDashes.size() || !ends_with(line, kDashes)) {
      out.warn({block, "malformed BEGIN line, skipped"});
      pos = body_start;
      continue;
    }
    std::string_view label =
        line.substr(kBegin.size(), line.size() - kBegin.size() - kDashes.size());
    std::string end_marker = "-----END " + std::string(label) + "-----";
    size_t end = find_at_line_start(text, end_marker, body_start);
    size_t next_begin = find_at_line_start(text, kBegin, body_start);
    if (end == std::string_view::npos ||
        (next_begin != std::string_view::npos && next_begin < end)) {
      out.warn({block, printable(label) + " block is truncated (no END line), skipped"});
      pos = body_start;
      continue;
    }
    pos = end + end_marker.size();
    if (!rest_of_line_is_blank(text, pos)) {
      // OpenSSL fails such a block, and with it the whole file for curl and Python.
      out.warn({block, printable(label) + " block's END line has text after it, skipped"});
      continue;
    }
    take_pem_block(label, text.substr(body_start, end - body_start), block, out);
  }
}

}  // namespace

namespace {

enum class TextEncoding { kUtf8, kUtf16WithBom, kUtf16WithoutBom, kUtf32 };

TextEncoding text_encoding(std::string_view c) {
  auto starts = [&](std::string_view bom) { return c.substr(0, bom.size()) == bom; };
  if (starts(std::string_view("\xFF\xFE\x00\x00", 4)) ||
      starts(std::string_view("\x00\x00\xFE\xFF", 4))) {
    return TextEncoding::kUtf32;
  }
  if (starts("\xFF\xFE") || starts("\xFE\xFF")) return TextEncoding::kUtf16WithBom;
  // "-\0-\0-\0-\0-\0B\0" or "\0-\0-…": ASCII text with every other byte zero.
  if (c.size() >= 8 && c[0] != '\0' && c[1] == '\0' && c[3] == '\0' && c[5] == '\0') {
    return TextEncoding::kUtf16WithoutBom;
  }
  if (c.size() >= 8 && c[0] == '\0' && c[1] != '\0' && c[2] == '\0' && c[4] == '\0') {
    return TextEncoding::kUtf16WithoutBom;
  }
  return TextEncoding::kUtf8;
}

std::string encoding_problem(TextEncoding e) {
  switch (e) {
    case TextEncoding::kUtf32:
      return "UTF-32 text: save the file as UTF-8 or ASCII";
    case TextEncoding::kUtf16WithoutBom:
      return "looks like UTF-16 without a byte-order mark: save the file as UTF-8 or ASCII";
    default:
      return "UTF-16 text that does not decode: save the file as UTF-8 or ASCII";
  }
}

struct IconvClose {
  void operator()(iconv_t* cd) const {
    iconv_close(*cd);
    delete cd;
  }
};

// glibc's iconv, which reads the byte-order mark and drops it.
bool utf16_to_utf8(std::string_view in, std::string& out) {
  iconv_t opened = iconv_open("UTF-8", "UTF-16");
  if (opened == reinterpret_cast<iconv_t>(-1)) return false;
  std::unique_ptr<iconv_t, IconvClose> cd(new iconv_t(opened));
  out.assign(in.size() / 2 * 3 + 16, '\0');  // a UTF-16 unit is at most 3 bytes of UTF-8
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  char* dst = out.data();
  size_t dst_left = out.size();
  if (iconv(*cd, &src, &src_left, &dst, &dst_left) == static_cast<size_t>(-1)) return false;
  out.resize(out.size() - dst_left);
  return true;
}

}  // namespace

ReadResult split_certificates(std::string_view content) {
  ReadResult out;
  // Windows tools write "Unicode" text (PowerShell's `>`, Notepad): PEM is ASCII, so UTF-16 with
  // a byte-order mark is read as the UTF-8 it spells; other encodings get a reason, not silence.
  std::string converted;
  if (TextEncoding e = text_encoding(content); e != TextEncoding::kUtf8) {
    // ASCII PEM among UTF-16 text is what OpenSSL reads and the conversion hides: a file that
    // is one certificate to one reader and another to the next is refused whole.
    if (e == TextEncoding::kUtf16WithBom && content.find(kBegin) != std::string_view::npos) {
      out.warn({0, "UTF-16 text that also holds ASCII PEM: readers would disagree on it"});
      return out;
    }
    if (e == TextEncoding::kUtf16WithBom && utf16_to_utf8(content, converted)) {
      content = converted;
    } else {
      out.warn({0, encoding_problem(e)});
      return out;
    }
  }
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  if (find_at_line_start(content, kBegin, 0) != std::string_view::npos) {
    split_pem(content, out);
    return out;
  }
  if (content.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    // The agent never writes an empty source, so one is a truncated or mistaken file.
    out.warn({0, "empty file, no certificates", WarningKind::kNotACertificate});
    return out;
  }
  if (static_cast<unsigned char>(content[0]) == 0x30) {
    if (is_der_crl(content)) {
      out.warn({0, "certificate revocation list (DER)", WarningKind::kNotACertificate});
      return out;
    }
    take_der(std::string(content), 1, false, out);
    // A whole-file DER object that is not a certificate is a file-level problem, not a block's.
    for (auto& w : out.warnings) {
      w.block = 0;
      w.reason = "not a DER certificate or PKCS#7 bundle: " + w.reason;
    }
    return out;
  }
  out.warn({0, "no certificate found (not PEM, DER or PKCS#7)", WarningKind::kNotACertificate});
  return out;
}

ReadResult read_certificates(std::string_view content) {
  ReadResult split = split_certificates(content);
  ReadResult out;
  out.warnings = std::move(split.warnings);
  out.more_warnings = split.more_warnings;
  for (auto& raw : split.certs) {
    auto cert = Certificate::from_der(raw.der);
    if (!cert) {
      out.warn({raw.block, "malformed certificate (" + cert.error().message + "), skipped"});
      continue;
    }
    out.certs.push_back(std::move(raw));
  }
  return out;
}

Result<std::string> read_source_file(const std::string& path, size_t max_bytes,
                                     const FileStamp* checked) {
  // O_NONBLOCK keeps a FIFO from hanging the open; the fstat below then refuses it.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    return make_error(Code::kBadInput, path + ": cannot open: " + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return make_error(Code::kBadInput, path + ": cannot stat: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode))
    return make_error(Code::kBadInput, path + ": is a directory, not a file");
  if (!S_ISREG(st.st_mode)) return make_error(Code::kBadInput, path + ": not a regular file");
  if (checked != nullptr && (static_cast<uint64_t>(st.st_dev) != checked->dev ||
                             static_cast<uint64_t>(st.st_ino) != checked->ino)) {
    return make_error(Code::kBadInput,
                      path + ": replaced between its ownership check and the read; not read");
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    std::string limit = max_bytes >= (size_t{1} << 20) ? std::to_string(max_bytes >> 20) + " MiB"
                                                       : std::to_string(max_bytes >> 10) + " KiB";
    return make_error(Code::kBadInput, path + ": " + std::to_string(st.st_size) +
                                           " bytes is larger than the " + limit + " limit");
  }
  std::string content(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < content.size()) {
    ssize_t n = ::read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(Code::kBadInput, path + ": cannot read: " + std::strerror(errno));
    if (n == 0) break;  // shrank while reading: take what is there
    got += static_cast<size_t>(n);
  }
  content.resize(got);
  return content;
}

void ReadResult::warn(ReadWarning warning) {
  bool defect = warning.kind == WarningKind::kDefect;
  if (defect) ++defects;
  ++more_warnings;
  if (warnings.size() < kMaxReadWarnings) {
    warnings.push_back(std::move(warning));
    --more_warnings;
  } else if (defect) {
    // A defect is what fails the file: it takes the place of the last harmless note (a CRL among
    // hundreds), so that the reason is named, not only counted.
    auto harmless = std::find_if(warnings.rbegin(), warnings.rend(), [](const ReadWarning& w) {
      return w.kind == WarningKind::kNotACertificate;
    });
    if (harmless != warnings.rend()) *harmless = std::move(warning);
  }
}

std::string describe(const std::string& file, const ReadWarning& warning) {
  if (warning.block == 0) return file + ": " + warning.reason;
  return file + ": block " + std::to_string(warning.block) + ": " + warning.reason;
}

}  // namespace trust
