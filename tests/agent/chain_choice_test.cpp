// Which anchor authenticates a server when names alone do not decide, and why one does not: the
// issuer is chosen by key (authorityKeyIdentifier through the index, then the signature), CA
// constraint failures name their reason. Real s_server peers on loopback.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"

namespace {

using nlohmann::json;
using testing_support::Issued;
using testing_support::make_cert;
using testing_support::run_cli;

class ChainChoice : public ::testing::Test {
 protected:
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  json connect_to(const Issued& leaf, int expected_exit, const std::string& chain = "") {
    auto server = testing_support::serve_certificate(home_, leaf, chain);
    EXPECT_GT(server->port(), 0);
    auto r = run({"connect", server->address(), "--json"});
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    return json::parse(r.out);
  }
  testing_support::TempHome home_;
};

TEST_F(ChainChoice, TwoAnchorsOfOneNameWithoutKeyIdentifiersVerifyThroughTheOneThatSigned) {
  Issued first = make_cert({.common_name = "Twin CA", .is_ca = true, .key_identifiers = false});
  Issued second = make_cert({.common_name = "Twin CA", .is_ca = true, .key_identifiers = false});
  home_.write("etc/cainfo.pem", first.pem() + second.pem());
  Issued leaf = make_cert(
      {.common_name = "localhost", .dns_names = {"localhost"}, .key_identifiers = false}, &second);
  json j = connect_to(leaf, 0);
  EXPECT_EQ(j["anchor"]["index"], 2) << j.dump();
  EXPECT_EQ(j["anchor"]["sha256"], second.sha256());
}

TEST_F(ChainChoice, TenThousandAnchorsOfOneNameAreNarrowedByKeyIdentifier) {
  Issued shared = make_cert({.common_name = "key holder"});
  std::string many;
  for (int i = 0; i < 10000; ++i) {
    char skid[64];
    std::snprintf(skid, sizeof skid, "00:00:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
    many += make_cert({.common_name = "Crowded CA",
                       .is_ca = true,
                       .subject_key_id = skid,
                       .shared_key = shared.key.get()})
                .pem();
  }
  Issued real = make_cert({.common_name = "Crowded CA", .is_ca = true});
  home_.write("etc/cainfo.pem", many + real.pem());
  ASSERT_EQ(run({"merge"}).exit_code, 0);
  Issued leaf = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &real);
  auto server = testing_support::serve_certificate(home_, leaf);
  ASSERT_GT(server->port(), 0);
  auto start = std::chrono::steady_clock::now();
  auto r = run({"connect", server->address(), "--json"});
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["anchor"]["index"], 10001);
  std::printf("connect through anchor 10,001 of 10,001 of one name: %.0f ms (whole process)\n", ms);

  // Without a key identifier to narrow by, the lookup stops at its bound and says so.
  Issued fake_issuer = make_cert({.common_name = "Crowded CA", .is_ca = true});
  Issued orphan =
      make_cert({.common_name = "localhost", .dns_names = {"localhost"}, .key_identifiers = false},
                &fake_issuer);
  auto other = testing_support::serve_certificate(home_, orphan);
  auto refused = run({"connect", other->address()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("more than 64 anchors are named 'CN=Crowded CA"), std::string::npos)
      << refused.err;
}

TEST_F(ChainChoice, AnAnchorThatIsNotACaIsReportedAsInvalidCa) {
  Issued not_ca = make_cert({.common_name = "Not A CA", .key_usage = "digitalSignature"});
  home_.write("etc/cainfo.pem", not_ca.pem());
  Issued leaf = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &not_ca);
  json j = connect_to(leaf, 1);
  EXPECT_EQ(j["error"]["code"], "invalid_ca") << j.dump();
}

TEST_F(ChainChoice, PathLengthAndNameConstraintFailuresNameTheirReason) {
  Issued root = make_cert({.common_name = "Strict Root", .is_ca = true, .path_length = 0});
  Issued middle = make_cert({.common_name = "Middle CA", .is_ca = true}, &root);
  Issued fenced = make_cert({.common_name = "Fenced Root",
                             .is_ca = true,
                             .name_constraints = "permitted;DNS:.example.com"});
  home_.write("etc/cainfo.pem", root.pem() + fenced.pem());
  Issued deep = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &middle);
  json j = connect_to(deep, 1, middle.pem());
  EXPECT_EQ(j["error"]["code"], "path_length") << j.dump();
  Issued outside = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &fenced);
  json k = connect_to(outside, 1);
  EXPECT_EQ(k["error"]["code"], "name_constraints") << k.dump();
}

}  // namespace
