// One certificate trusted means one anchor. The attacks of the outside review, reproduced with
// real servers: a hostile certificate's subject carries a whole PEM certificate (a hidden root),
// laid out for trustagent's reader, for OpenSSL's 254-byte line pieces, or as a lone BEGIN line.
// Whatever the agent is made to store, every reader (OpenSSL's PEM reader as curl and
// `openssl verify` use it, trustagent's reader, `list`, `connect`) sees the same anchors, and a
// server whose leaf the hidden root issued is refused by all of them.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"
#include "trust/certificate.h"
#include "trust/source_reader.h"

namespace {

using nlohmann::json;
using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::run_cli;

// The certificates curl --cacert and `openssl verify -CAfile` load from a file: what
// PEM_X509_INFO_read_bio returns (an empty list with ok=false when it cannot read the file).
struct OpenSslView {
  bool ok = false;
  std::vector<std::string> ders;
};
OpenSslView openssl_view(const std::string& text) {
  OpenSslView view;
  trust::ossl::Ptr<BIO> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr);
  if (infos == nullptr) {
    trust::ossl::drain_errors();
    return view;
  }
  view.ok = true;
  for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
    X509* x = sk_X509_INFO_value(infos, i)->x509;
    if (x != nullptr) view.ders.push_back(trust::der_of(*x));
  }
  sk_X509_INFO_pop_free(infos, X509_INFO_free);
  return view;
}

std::vector<std::string> agent_view(const std::string& text) {
  std::vector<std::string> out;
  for (auto& c : trust::read_certificates(text).certs) out.push_back(std::move(c.der));
  return out;
}

int shell(const std::string& command) {
  int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// "-----BEGIN CERTIFICATE----- <base64 on one line> -----END CERTIFICATE-----": what a subject
// attribute can hold (RFC 2253 escapes newlines, but not spaces, '/' or '=').
std::string inline_pem(const Issued& cert) {
  return "-----BEGIN CERTIFICATE----- " + testing_support::base64_body(cert) +
         " -----END CERTIFICATE-----";
}

// The same certificate laid out for OpenSSL's PEM reader, which reads a line in pieces of 254
// bytes: once printed after `prefix` on a comment line, each piece below starts a "line" of its
// own. `with_body` false leaves a lone BEGIN line (the store becomes unreadable to OpenSSL).
std::string piecewise_pem(const Issued& cert, size_t prefix, bool with_body) {
  constexpr size_t kPiece = 254;
  auto padded = [&](std::string s) {
    s.resize(kPiece, ' ');
    return s;
  };
  std::string out(kPiece - prefix, 'A');
  out += padded("-----BEGIN CERTIFICATE-----");
  if (!with_body) return out + "B";
  std::string body = testing_support::base64_body(cert);
  for (size_t at = 0; at < body.size(); at += kPiece) out += padded(body.substr(at, kPiece));
  return out + "-----END CERTIFICATE-----";
}

class Injection : public ::testing::Test {
 protected:
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  std::string file(const std::string& name) { return read_file(home_.etc(name)); }

  // Both readers see exactly `expected` in a file of the home's etc/.
  void expect_file_holds(const std::string& name, const std::vector<const Issued*>& expected) {
    std::vector<std::string> ders;
    for (const Issued* c : expected) ders.push_back(c->der());
    OpenSslView view = openssl_view(file(name));
    EXPECT_TRUE(view.ok) << name << " is unreadable to OpenSSL";
    EXPECT_EQ(view.ders.size(), ders.size()) << name << " (OpenSSL's reader)";
    EXPECT_TRUE(view.ders == ders) << name << " (OpenSSL's reader)";
    EXPECT_TRUE(agent_view(file(name)) == ders) << name << " (trustagent's reader)";
  }
  // ... in the managed source and in the merged store, and `list` shows as many anchors.
  void expect_only(const std::string& source, const std::vector<const Issued*>& expected) {
    expect_file_holds(source, expected);
    expect_file_holds("cainfo-merged.pem", expected);
    auto listed = run({"list", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_EQ(json::parse(listed.out)["anchors"].size(), expected.size());
  }

  // A server for any name, with a leaf the hidden root issued, is refused by every reader.
  void expect_hidden_root_untrusted(const Issued& hidden) {
    Issued victim = make_cert({.common_name = "bank.example", .dns_names = {"localhost"}}, &hidden);
    auto server = testing_support::serve_certificate(home_, victim);
    ASSERT_GT(server->port(), 0);
    EXPECT_EQ(run({"connect", server->address()}).exit_code, 1);
    std::string merged = home_.etc("cainfo-merged.pem");
    EXPECT_NE(
        shell("curl -sS --max-time 10 --cacert " + merged + " https://" + server->address() + "/"),
        0);
    std::string leaf = home_.write("victim.pem", victim.pem());
    EXPECT_NE(shell("openssl verify -partial_chain -CAfile " + merged + " " + leaf), 0);
    auto removed = run({"remove", hidden.sha256()});
    EXPECT_EQ(removed.exit_code, 2) << "remove of a certificate that is not there must say so";
  }

  // A carrier whose subject lays the hidden root out for OpenSSL's pieces after `prefix` bytes of
  // an annotation line adds one anchor, and nothing the hidden root issued is trusted.
  void expect_piecewise_carrier_inert(size_t prefix) {
    Issued carrier = make_cert(
        {.common_name = "carrier", .raw_subject = {{"OU", piecewise_pem(hidden_, prefix, true)}}});
    ASSERT_EQ(run({"add", home_.write("carrier.pem", carrier.pem())}).exit_code, 0);
    expect_only("cainfo.pem", {&carrier});
    expect_hidden_root_untrusted(hidden_);
  }

  testing_support::TempHome home_;
  Issued hidden_ = testing_support::make_plus_free_root("Hidden Root");
};

TEST_F(Injection, FetchedCertificateWithAPemInItsSubjectAddsOneAnchor) {
  Issued carrier = make_cert({.common_name = "localhost",
                              .dns_names = {"localhost"},
                              .raw_subject = {{"OU", inline_pem(hidden_)}}});
  auto server = testing_support::serve_certificate(home_, carrier);
  ASSERT_GT(server->port(), 0);
  auto fetched = run({"fetch", server->address(), "--fingerprint", carrier.sha256()});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  expect_only("cainfo.pem", {&carrier});
  EXPECT_EQ(run({"connect", server->address()}).exit_code, 0);
  expect_hidden_root_untrusted(hidden_);
}

TEST_F(Injection, AddAndReserveAddOfSuchACertificateAddOneAnchorEach) {
  Issued carrier =
      make_cert({.common_name = "carrier", .raw_subject = {{"O", inline_pem(hidden_)}}});
  Issued reserve =
      make_cert({.common_name = "reserve", .raw_subject = {{"OU", inline_pem(hidden_)}}});
  ASSERT_EQ(run({"add", home_.write("carrier.pem", carrier.pem())}).exit_code, 0);
  expect_only("cainfo.pem", {&carrier});
  ASSERT_EQ(run({"reserve", "add", home_.write("reserve.pem", reserve.pem())}).exit_code, 0);
  expect_file_holds("cainfo-reserve.pem", {&reserve});
  expect_file_holds("cainfo-merged.pem", {&carrier, &reserve});
  expect_hidden_root_untrusted(hidden_);
}

// "# [1] OU=" is where the merged store's annotation put the subject.
TEST_F(Injection, BeginLineAtOpenSslPieceBoundaryOfTheStoreAnnotationIsInert) {
  expect_piecewise_carrier_inert(9);
}

// "# OU=" is where cainfo.pem's annotation put it.
TEST_F(Injection, BeginLineAtOpenSslPieceBoundaryOfTheSourceAnnotationIsInert) {
  expect_piecewise_carrier_inert(5);
}

TEST_F(Injection, LoneBeginLineAtPieceBoundaryLeavesTheStoreLoadable) {
  Issued server_cert = make_cert({.common_name = "localhost", .dns_names = {"localhost"}});
  Issued carrier = make_cert(
      {.common_name = "carrier", .raw_subject = {{"OU", piecewise_pem(hidden_, 9, false)}}});
  ASSERT_EQ(run({"add", home_.write("server.pem", server_cert.pem())}).exit_code, 0);
  ASSERT_EQ(run({"add", home_.write("carrier.pem", carrier.pem())}).exit_code, 0);
  expect_only("cainfo.pem", {&server_cert, &carrier});
  auto server = testing_support::serve_certificate(home_, server_cert);
  ASSERT_GT(server->port(), 0);
  EXPECT_EQ(shell("curl -sS --max-time 10 --cacert " + home_.etc("cainfo-merged.pem") +
                  " https://" + server->address() + "/"),
            0)
      << "curl cannot load the store";
}

TEST_F(Injection, HandEditedSourceWithAHiddenBlockIsRewrittenWithoutIt) {
  // A cainfo.pem planted before the fix: a comment line that OpenSSL reads as a certificate.
  Issued carrier = make_cert({.common_name = "carrier"});
  std::string planted = "# " + piecewise_pem(hidden_, 2, true) + "\n" + carrier.pem();
  home_.write("etc/cainfo.pem", planted);
  ASSERT_EQ(openssl_view(planted).ders.size(), 2u) << "the planted file must fool OpenSSL";
  auto merged = run({"merge"});
  EXPECT_EQ(merged.exit_code, 2) << merged.err;
  EXPECT_NE(merged.err.find("OpenSSL's reader finds a certificate (sha256 " + hidden_.sha256() +
                            ") in text that is not a PEM block at a line's start; not trusted"),
            std::string::npos)
      << merged.err;
  EXPECT_EQ(openssl_view(file("cainfo-merged.pem")).ders, std::vector<std::string>{carrier.der()});
  Issued other = make_cert({.common_name = "other"});
  ASSERT_EQ(run({"add", home_.write("other.pem", other.pem())}).exit_code, 0);
  expect_only("cainfo.pem", {&carrier, &other});
}

// Found by the review of the fix: what other readers make of a source must match too.
TEST_F(Injection, ByteOrderMarkBeforeABeginLineIsReadAsOpenSslReadsIt) {
  Issued one = make_cert({.common_name = "one"});
  Issued two = make_cert({.common_name = "two"});
  home_.write("etc/cainfo.pem", one.pem() + "\xEF\xBB\xBF" + two.pem());
  ASSERT_EQ(run({"merge"}).exit_code, 0);
  expect_file_holds("cainfo-merged.pem", {&one, &two});
}

TEST_F(Injection, EndLineWithTextAfterItIsSkippedAsOpenSslFailsIt) {
  Issued one = make_cert({.common_name = "one"});
  Issued two = make_cert({.common_name = "two"});
  std::string junk = two.pem();
  junk.insert(junk.rfind("-----\n") + 5, "junk");
  home_.write("etc/cainfo.pem", one.pem() + junk);
  auto merged = run({"merge"});
  EXPECT_EQ(merged.exit_code, 2);
  EXPECT_NE(merged.err.find("END line has text after it, skipped"), std::string::npos)
      << merged.err;
  expect_file_holds("cainfo-merged.pem", {&one});
}

// A certificate OpenSSL accepts but GnuTLS refuses makes GnuTLS (wget, git) refuse the whole
// store: its outer signature algorithm is changed to differ from the signed one.
TEST_F(Injection, CertificateThatWouldMakeGnuTlsRefuseTheStoreIsKeptOut) {
  Issued good = make_cert({.common_name = "good"});
  Issued odd = make_cert({.common_name = "odd"});
  std::string der = odd.der();
  const std::string ecdsa_sha256("\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 10);
  size_t outer = der.rfind(ecdsa_sha256);
  ASSERT_NE(outer, std::string::npos);
  der[outer + 9] = '\x03';  // ecdsa-with-SHA384
  std::string pem = trust::to_pem(der);
  auto added = run({"add", home_.write("odd.pem", pem)});
  EXPECT_EQ(added.exit_code, 2);
  EXPECT_NE(added.err.find("signature algorithm fields differ"), std::string::npos) << added.err;
  home_.write("etc/cainfo-ss.pem", good.pem() + pem);
  auto merged = run({"merge"});
  EXPECT_EQ(merged.exit_code, 2);
  expect_file_holds("cainfo-merged.pem", {&good});
}

TEST_F(Injection, AddIntoAFreshHomeCreatesItsDirectories) {
  Issued one = make_cert({.common_name = "one"});
  std::string fresh = home_.path() + "/fresh-home";
  auto r = run_cli({"add", home_.write("one.pem", one.pem()), "--home", fresh});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(agent_view(read_file(fresh + "/etc/cainfo-merged.pem")),
            std::vector<std::string>{one.der()});
}

TEST_F(Injection, IndexFollowsASourceWhoseNameTheStoreCommentCutsShort) {
  Issued one = make_cert({.common_name = "one"});
  std::string long_dir = home_.path() + "/" + std::string(170, 'L');
  std::string a = home_.write(long_dir + "/a.pem", one.pem());
  std::string b = home_.write(long_dir + "/b.pem", one.pem());
  ASSERT_EQ(run({"merge", "--ca-file", a}).exit_code, 0);
  ASSERT_EQ(run({"merge", "--ca-file", b}).exit_code, 0);
  auto listed = run({"list", "--json", "--ca-file", b});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(json::parse(listed.out)["anchors"][0]["sources"][0], b);
}

}  // namespace
