// Reading a certificate source, any format. Properties:
//  - every certificate accepted parses, and re-reads to the same DER as PEM and as a DER file;
//  - a store rendered from the input holds only CERTIFICATE blocks, and no line of any private
//    key block in the input appears in it unless it is also a line of an accepted certificate
//    (keys are skipped, never copied).
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "trust/certificate.h"
#include "trust/source_reader.h"
#include "trust/store_index.h"

namespace {

// The base64 lines of every "-----BEGIN <label>-----" block whose label names a private key.
std::vector<std::string> key_lines(std::string_view text) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = text.find("-----BEGIN ", at)) != std::string_view::npos) {
    size_t label_end = text.find("-----", at + 11);
    if (label_end == std::string_view::npos) break;
    std::string_view label = text.substr(at + 11, label_end - at - 11);
    at = label_end + 5;
    if (label.find("PRIVATE KEY") == std::string_view::npos) continue;
    size_t end = text.find("-----", at);  // its END line, or whatever delimiter comes first
    std::string_view body = text.substr(at, end == std::string_view::npos ? text.npos : end - at);
    size_t pos = 0;
    while (pos < body.size()) {
      size_t next = body.find('\n', pos);
      std::string_view line = body.substr(pos, next == body.npos ? body.npos : next - pos);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (line.size() >= 24 && line.find_first_of(" :-") == std::string_view::npos) {
        out.emplace_back(line);
      }
      if (next == body.npos) break;
      pos = next + 1;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  trust::ReadResult read = trust::read_certificates(input);

  std::vector<trust::Certificate> certs;
  for (const auto& raw : read.certs) {
    FUZZ_CHECK(trust::to_hex(raw.sha256) == trust::to_hex(trust::sha256_of(raw.der)));
    auto cert = trust::Certificate::from_der(raw.der);
    FUZZ_CHECK(cert);
    auto as_pem = trust::read_certificates(trust::to_pem(raw.der));
    FUZZ_CHECK(as_pem.certs.size() == 1 && as_pem.certs[0].der == raw.der);
    auto as_der = trust::read_certificates(raw.der);
    FUZZ_CHECK(as_der.certs.size() == 1 && as_der.certs[0].der == raw.der);
    certs.push_back(std::move(*cert));
  }

  std::vector<trust::CertInfo> infos;
  infos.reserve(certs.size());
  for (const auto& c : certs) infos.push_back(c.info());
  std::vector<trust::StoreEntry> entries;
  for (size_t i = 0; i < certs.size(); ++i)
    entries.push_back({&infos[i], certs[i].der(), {"fuzz"}});
  std::string store = trust::render_store(entries).text;

  size_t begin = 0;
  while ((begin = store.find("-----BEGIN", begin)) != std::string::npos) {
    FUZZ_CHECK(store.compare(begin, 27, "-----BEGIN CERTIFICATE-----") == 0);
    begin += 10;
  }
  // A line a key block shares with an accepted certificate's own PEM is certificate data (a
  // fuzzer can splice one into the other); any other key line in the store would be a leak.
  std::string cert_pems;
  for (const auto& c : certs) cert_pems += trust::to_pem(c.der());
  for (const auto& line : key_lines(input)) {
    FUZZ_CHECK(store.find(line) == std::string::npos || cert_pems.find(line) != std::string::npos);
  }
  // Everything the store holds reads back as exactly the certificates accepted.
  auto reread = trust::read_certificates(store);
  FUZZ_CHECK(reread.certs.size() == certs.size());
  for (size_t i = 0; i < certs.size(); ++i) FUZZ_CHECK(reread.certs[i].der == certs[i].der());
  return 0;
}
