#include "trust/pem_parity.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <unordered_set>

#include "trust/ossl.h"
#include "trust/source_reader.h"

namespace trust {

namespace {

// Every block OpenSSL's PEM reader finds, up to where it stops; why it stopped, or "" at the end.
// What comes before a stop counts: OpenSSL's directory lookup (-CApath) keeps those certificates.
std::string read_blocks(std::string_view text, std::vector<PemBlock>& out) {
  ossl::drain_errors();
  ossl::Ptr<BIO> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return "out of memory: " + ossl::drain_errors();
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    int got = PEM_read_bio(bio.get(), &name, &header, &data, &length);
    ossl::Bytes<char> owned_name(name), owned_header(header);
    ossl::Bytes<unsigned char> owned_data(data);
    if (got == 1) {
      out.push_back(
          {name, std::string(reinterpret_cast<char*>(data), static_cast<size_t>(length))});
      continue;
    }
    unsigned long error = ERR_peek_last_error();
    if (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE) {
      ossl::drain_errors();
      return "";  // no further BEGIN line: the end of the text
    }
    std::string why = ossl::drain_errors();
    return why.empty() ? "unreadable block" : why;
  }
}

}  // namespace

Result<std::vector<PemBlock>> openssl_pem_blocks(std::string_view text) {
  std::vector<PemBlock> out;
  if (std::string stopped = read_blocks(text, out); !stopped.empty()) {
    return make_error(Code::kBadInput, "OpenSSL's PEM reader stops after " +
                                           std::to_string(out.size()) + " block(s): " + stopped);
  }
  return out;
}

std::vector<std::string> certificates_only_openssl_sees(std::string_view text,
                                                        const std::vector<std::string_view>& ours) {
  std::vector<std::string> out;
  if (text.find("-----BEGIN") == std::string_view::npos) return out;
  std::vector<PemBlock> blocks;
  (void)read_blocks(text, blocks);  // a later unreadable block does not undo the earlier ones
  std::unordered_set<std::string_view> known(ours.begin(), ours.end());
  for (auto& b : blocks) {
    if ((b.label == "CERTIFICATE" || b.label == "X509 CERTIFICATE") && !known.count(b.der)) {
      out.push_back(std::move(b.der));
    }
  }
  return out;
}

Result<void> check_reads_back(std::string_view text, const std::vector<ExpectedCert>& expected,
                              const std::string& file) {
  auto refuse = [&](const std::string& why) {
    return make_error(Code::kBadInput, file + ": refusing to write it: read back, " + why +
                                           "; the file on disk is unchanged");
  };
  auto blocks = openssl_pem_blocks(text);
  if (!blocks) return refuse(blocks.error().message);
  std::vector<std::string_view> openssl_ders;
  for (const auto& b : *blocks) {
    if (b.label != "CERTIFICATE") {
      return refuse("OpenSSL's PEM reader finds a " + b.label + " block");
    }
    openssl_ders.push_back(b.der);
  }
  ReadResult ours = split_certificates(text);
  for (const auto& w : ours.warnings) {
    // An empty store is legitimate (merge --allow-empty); "no certificate found" says just that.
    if (w.block == 0 && expected.empty()) continue;
    return refuse("trustagent's reader warns: " + describe(file, w));
  }
  std::vector<std::string_view> our_ders;
  for (const auto& c : ours.certs) our_ders.push_back(c.der);
  for (const auto& [reader, found] : {std::pair{"OpenSSL's PEM reader", &openssl_ders},
                                      std::pair{"trustagent's reader", &our_ders}}) {
    size_t k = 0;
    while (k < found->size() && k < expected.size() && (*found)[k] == expected[k].der) ++k;
    if (k == found->size() && k == expected.size()) continue;
    return refuse(std::string(reader) + " finds " + std::to_string(found->size()) +
                  " certificate(s) where " + std::to_string(expected.size()) +
                  " were written, differing at block " + std::to_string(k + 1) + " (" +
                  (k < expected.size() ? "certificate " + expected[k].name
                                       : std::string("after the last certificate")) +
                  ")");
  }
  return {};
}

}  // namespace trust
