// The connector against real TLS servers on loopback (openssl s_server on ephemeral ports).
#include "agent/connector.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"
#include "trust/merge.h"

namespace agent {
namespace {

using testing_support::Issued;
using testing_support::make_cert;

// The failure's kind as JSON and the CLI print it, its message, and the process exit status.
std::string code_of(const ConnectOutcome& out) { return trust::reason_name(out.reason()); }
std::string message_of(const ConnectOutcome& out) {
  return out.failure ? out.failure->message : std::string();
}
trust::Code exit_code(const ConnectOutcome& out) {
  return out.failure ? out.failure->code : trust::Code::kOk;
}

class Connector : public ::testing::Test {
 protected:
  // Writes `anchors` as cainfo.pem and merges, as every command does before connecting.
  void trust_only(const std::string& anchors) {
    home_.write(layout_.cainfo, anchors);
    auto r = trust::update_store(layout_, {{layout_.cainfo, "cainfo.pem"}}, {.allow_empty = true});
    ASSERT_TRUE(r) << r.error().message;
  }
  std::unique_ptr<testing_support::TlsServer> serve(const Issued& leaf,
                                                    const std::string& chain = "") {
    auto server = testing_support::serve_certificate(home_, leaf, chain);
    EXPECT_GT(server->port(), 0);
    return server;
  }
  ConnectOutcome connect_to(const std::string& target, ConnectRequest request = {}) {
    request.target = target;
    request.layout = layout_;
    if (request.timeout_seconds == 10) request.timeout_seconds = 5;
    auto r = connect(request);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ConnectOutcome{};
  }
  std::string local(int port) { return "localhost:" + std::to_string(port); }

  testing_support::TempHome home_;
  trust::Layout layout_ = trust::Layout::at(home_.path());
  Issued root_ = make_cert({.common_name = "Test Root", .is_ca = true});
  Issued server_ = make_cert({.common_name = "localhost",
                              .dns_names = {"localhost"},
                              .ip_addresses = {"127.0.0.1", "::1"}},
                             &root_);
};

TEST_F(Connector, AuthenticatesThroughTheRootAndReportsIt) {
  trust_only(make_cert({.common_name = "Unrelated", .is_ca = true}).pem() + root_.pem());
  auto srv = serve(server_);
  ConnectOutcome out = connect_to(local(srv->port()));
  ASSERT_TRUE(out.ok()) << code_of(out) << ": " << message_of(out);
  EXPECT_EQ(out.http_status, 200);
  ASSERT_TRUE(out.anchor);
  EXPECT_EQ(out.anchor->index, 2);
  EXPECT_EQ(out.anchor->sha256, root_.sha256());
  ASSERT_EQ(out.chain.size(), 1u);
  EXPECT_EQ(out.chain[0].info.sha256, server_.sha256());
  EXPECT_EQ(exit_code(out), trust::Code::kOk);
}

TEST_F(Connector, SelfSignedServerPinnedAsItsOwnAnchor) {
  Issued self = make_cert({.common_name = "localhost", .dns_names = {"localhost"}});
  trust_only(self.pem());
  auto srv = serve(self);
  ConnectOutcome out = connect_to(local(srv->port()));
  ASSERT_TRUE(out.ok()) << message_of(out);
  EXPECT_EQ(out.anchor->sha256, self.sha256());
}

TEST_F(Connector, LeafAndIntermediateFromATestRoot) {
  Issued intermediate = make_cert({.common_name = "Test Intermediate", .is_ca = true}, &root_);
  Issued leaf = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &intermediate);
  auto srv = serve(leaf, intermediate.pem());
  trust_only(root_.pem());
  ConnectOutcome via_root = connect_to(local(srv->port()));
  ASSERT_TRUE(via_root.ok()) << message_of(via_root);
  EXPECT_EQ(via_root.anchor->sha256, root_.sha256());
  EXPECT_EQ(via_root.chain.size(), 2u);
  // An intermediate alone is enough: partial-chain trust.
  trust_only(make_cert({.common_name = "Other", .is_ca = true}).pem() + intermediate.pem());
  ConnectOutcome via_intermediate = connect_to(local(srv->port()));
  ASSERT_TRUE(via_intermediate.ok()) << message_of(via_intermediate);
  EXPECT_EQ(via_intermediate.anchor->index, 2);
  EXPECT_EQ(via_intermediate.anchor->sha256, intermediate.sha256());
}

TEST_F(Connector, UnknownIssuerIsUntrustedAndNamesIt) {
  trust_only(make_cert({.common_name = "Someone Else", .is_ca = true}).pem());
  auto srv = serve(server_);
  ConnectOutcome out = connect_to(local(srv->port()));
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(code_of(out), "untrusted");
  EXPECT_NE(
      message_of(out).find("no anchor in the store for issuer 'CN=Test Root,O=trustagent tests'"),
      std::string::npos)
      << message_of(out);
  EXPECT_EQ(exit_code(out), trust::Code::kRefused);
  ASSERT_EQ(out.chain.size(), 1u);  // the chain is shown even when it is not trusted
  EXPECT_EQ(out.chain[0].info.sha256, server_.sha256());
}

TEST_F(Connector, SameNameDifferentKeyIsExplained) {
  Issued impostor = make_cert({.common_name = "Test Root", .is_ca = true});  // same name, new key
  trust_only(impostor.pem());
  auto srv = serve(server_);
  ConnectOutcome out = connect_to(local(srv->port()));
  EXPECT_EQ(code_of(out), "untrusted");
  EXPECT_NE(message_of(out).find("none signed this chain (different key)"), std::string::npos)
      << message_of(out);
}

TEST_F(Connector, ExpiredAndNotYetValidServerCertificates) {
  trust_only(root_.pem());
  Issued expired = make_cert({.common_name = "localhost",
                              .not_before_days = -30,
                              .not_after_days = -1,
                              .dns_names = {"localhost"}},
                             &root_);
  auto a = serve(expired);
  ConnectOutcome old = connect_to(local(a->port()));
  EXPECT_EQ(code_of(old), "expired");
  EXPECT_NE(message_of(old).find("CN=localhost,O=trustagent tests expired on "), std::string::npos)
      << message_of(old);
  Issued future = make_cert({.common_name = "localhost",
                             .not_before_days = 2,
                             .not_after_days = 30,
                             .dns_names = {"localhost"}},
                            &root_);
  auto b = serve(future);
  ConnectOutcome early = connect_to(local(b->port()));
  EXPECT_EQ(code_of(early), "not_yet_valid");
  EXPECT_NE(message_of(early).find("is not valid before"), std::string::npos);
}

TEST_F(Connector, HostNameMismatchListsTheCertificatesNames) {
  trust_only(root_.pem());
  Issued other =
      make_cert({.common_name = "other.example", .dns_names = {"other.example"}}, &root_);
  auto srv = serve(other);
  ConnectOutcome out = connect_to(local(srv->port()));
  EXPECT_EQ(code_of(out), "hostname_mismatch");
  EXPECT_NE(message_of(out).find("the certificate is for DNS:other.example"), std::string::npos);
  EXPECT_NE(message_of(out).find("not for 'localhost'"), std::string::npos);
  ConnectRequest lax;
  lax.verify_host = false;
  EXPECT_TRUE(connect_to(local(srv->port()), lax).ok());
}

TEST_F(Connector, Ipv6LiteralWithPort) {
  trust_only(root_.pem());
  auto srv = serve(server_);
  ConnectOutcome out = connect_to("[::1]:" + std::to_string(srv->port()));
  ASSERT_TRUE(out.ok()) << code_of(out) << ": " << message_of(out);
  EXPECT_EQ(out.host, "::1");
  EXPECT_EQ(out.url, "https://[::1]:" + std::to_string(srv->port()) + "/");
}

TEST_F(Connector, PinsOnCertificateOrPublicKeyAnyOneMatching) {
  trust_only(root_.pem());
  auto srv = serve(server_);
  auto pins = [](std::string text) { return *trust::parse_pin_list(text); };
  ConnectRequest right;
  right.pins = pins(std::string(64, '0') + ";" + server_.sha256());
  EXPECT_TRUE(connect_to(local(srv->port()), right).ok());

  ConnectRequest wrong;
  wrong.pins = pins(std::string(64, 'a'));
  ConnectOutcome out = connect_to(local(srv->port()), wrong);
  EXPECT_EQ(code_of(out), "pin_mismatch");
  EXPECT_NE(message_of(out).find("pinned sha256:" + std::string(64, 'a')), std::string::npos);
  EXPECT_NE(message_of(out).find("server has sha256:" + server_.sha256()), std::string::npos);

  // The SPKI pin from the mismatch message works on its own.
  std::string spki = message_of(out).substr(message_of(out).find("sha256//"));
  ConnectRequest by_key;
  by_key.pins = pins(spki);
  EXPECT_TRUE(connect_to(local(srv->port()), by_key).ok());
}

// A loopback TCP socket bound to an ephemeral port, returned through `port`.
int loopback_socket(int* port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return s;
}

TEST_F(Connector, ClosedPortIsANetworkError) {
  int port = 0;
  ::close(loopback_socket(&port));  // nobody listens there now
  trust_only(root_.pem());
  ConnectOutcome out = connect_to("127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(code_of(out), "network");
  EXPECT_EQ(exit_code(out), trust::Code::kNetwork);
  EXPECT_NE(message_of(out).find("127.0.0.1:" + std::to_string(port) + ": cannot connect"),
            std::string::npos)
      << message_of(out);
}

TEST_F(Connector, SilentServerTimesOut) {
  int port = 0;
  int s = loopback_socket(&port);
  ::listen(s, 4);  // accepts TCP (kernel backlog) but never speaks TLS
  trust_only(root_.pem());
  ConnectRequest quick;
  quick.timeout_seconds = 1;
  auto start = std::chrono::steady_clock::now();
  ConnectOutcome out = connect_to("127.0.0.1:" + std::to_string(port), quick);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(s);
  EXPECT_EQ(code_of(out), "network");
  EXPECT_NE(message_of(out).find("no answer within 1"), std::string::npos) << message_of(out);
  EXPECT_LT(took, 4.0);
}

TEST_F(Connector, ThousandAnchorsRightOneLastParsesOnlyWhatMatches) {
  std::string anchors;
  for (int i = 0; i < 999; ++i) {
    anchors += make_cert({.common_name = "Filler " + std::to_string(i), .is_ca = true}).pem();
  }
  trust_only(anchors + root_.pem());
  auto srv = serve(server_);
  ConnectOutcome out = connect_to(local(srv->port()));
  ASSERT_TRUE(out.ok()) << message_of(out);
  EXPECT_EQ(out.anchor->index, 1000);
  EXPECT_LE(out.anchors_parsed, 3) << "the index should spare parsing the other 999";
}

TEST_F(Connector, RolloverReportsTheAnchorWhoseKeySignedTheServer) {
  Issued old_root = make_cert({.common_name = "Rollover Root", .is_ca = true});
  Issued new_root = make_cert({.common_name = "Rollover Root", .is_ca = true});
  Issued leaf = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &new_root);
  trust_only(old_root.pem() + new_root.pem());
  auto srv = serve(leaf);
  ConnectOutcome out = connect_to(local(srv->port()));
  ASSERT_TRUE(out.ok()) << message_of(out);
  EXPECT_EQ(out.anchor->index, 2);
  EXPECT_EQ(out.anchor->sha256, new_root.sha256());
}

TEST_F(Connector, StaleIndexFallsBackToTheWholeStoreNeverTrustingLess) {
  trust_only(make_cert({.common_name = "Other", .is_ca = true}).pem() + root_.pem());
  std::filesystem::remove(layout_.merged_index);
  auto srv = serve(server_);
  ConnectOutcome out = connect_to(local(srv->port()));
  ASSERT_TRUE(out.ok()) << message_of(out);
  EXPECT_EQ(out.anchor->index, 2);
  EXPECT_EQ(out.anchors_parsed, 2);
}

TEST_F(Connector, NoVerifyPeerAcceptsAnyServerButReportsNoAnchor) {
  trust_only(make_cert({.common_name = "Someone Else", .is_ca = true}).pem());
  auto srv = serve(server_);
  ConnectRequest unsafe;
  unsafe.verify_peer = false;
  ConnectOutcome out = connect_to(local(srv->port()), unsafe);
  EXPECT_TRUE(out.ok()) << message_of(out);
  EXPECT_FALSE(out.anchor);
}

TEST_F(Connector, NonHttpsTargetIsAUsageError) {
  ConnectRequest r;
  r.target = "http://localhost/";
  r.layout = layout_;
  auto out = connect(r);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("only https is supported"), std::string::npos);
}

}  // namespace
}  // namespace agent
