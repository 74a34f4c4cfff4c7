#include "policy/policy.h"

#include <gtest/gtest.h>

#include "policy/index.h"
#include "policy/policy_set.h"
#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"

namespace policy {
namespace {

std::string doc(const std::string& attrs, const std::string& body = "") {
  return "<?xml version=\"1.0\"?>\n<Policy guid=\"6f0c-1\" name=\"Targeted Agent Settings\" " +
         attrs + ">\n" + body + "</Policy>\n";
}

TEST(PolicyXml, ReadsEverySetting) {
  auto ca = testing_support::make_cert({.is_ca = true});
  std::string fp = std::string(64, 'a');
  auto p = parse_policy(
      doc("revision=\"12\" priority=\"10\"",
          "  <CurlSSL SSLNSPublicHttpsCertFingerprint=\"" + fp + "; sha1:" + std::string(40, 'b') +
              "\" SSLVerifyPeer=\"Yes\" SSLVerifyHost=\"FALSE\" CAInfo=\"/etc/corp/ca.pem\" "
              "CAPath=\"\" UseSystemCAStore=\"0\" FutureKnob=\"x\"/>\n"
              "  <Refresh IntervalSeconds=\"3600\" JitterSeconds=\"300\"/>\n"
              "  <ReserveCertificate ActivateAt=\"2027-01-10T00:00:00Z\" Replaces=\"" +
              std::string(64, 'c') + "; SHA1:" + std::string(40, 'D') + "\">" + ca.pem() +
              "</ReserveCertificate>\n  <Server Address=\"ns.example\" Port=\"8443\" "
              "BasePath=\"/ta\"/>\n  <SomethingNew/>\n"),
      "p.xml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->guid, "6f0c-1");
  EXPECT_EQ(p->revision, 12);
  EXPECT_EQ(p->priority, 10);
  EXPECT_EQ(p->verify_peer, true);
  EXPECT_EQ(p->verify_host, false);
  EXPECT_EQ(p->use_system_store, false);
  EXPECT_EQ(p->ca_info, "/etc/corp/ca.pem");
  EXPECT_FALSE(p->ca_path);  // empty means not set
  ASSERT_EQ(p->pins.size(), 2u);
  EXPECT_EQ(p->pins[0].value, fp);
  EXPECT_EQ(p->refresh_interval, 3600);
  ASSERT_EQ(p->reserves.size(), 1u);
  EXPECT_EQ(p->reserves[0].activate_at, 1799539200);
  ASSERT_EQ(p->reserves[0].replaces.size(), 2u);
  EXPECT_EQ(p->reserves[0].replaces[0].hex, std::string(64, 'c'));
  EXPECT_EQ(p->reserves[0].replaces[1].algorithm, trust::Fingerprint::Algorithm::kSha1);
  EXPECT_EQ(p->reserves[0].replaces[1].hex, std::string(40, 'd'));
  EXPECT_EQ(p->server_port, 8443);
}

TEST(PolicyXml, BooleanSpellings) {
  for (auto [text, value] : {std::pair{"yes", true},
                             {"YES", true},
                             {"true", true},
                             {"1", true},
                             {"no", false},
                             {"No", false},
                             {"false", false},
                             {"0", false}}) {
    auto p =
        parse_policy(doc("", std::string("<CurlSSL SSLVerifyPeer=\"") + text + "\"/>"), "b.xml");
    ASSERT_TRUE(p) << text;
    EXPECT_EQ(p->verify_peer, value) << text;
  }
}

struct Bad {
  const char* name;
  std::string xml;
  std::string message;
};

TEST(PolicyXml, EveryMalformedCaseIsRefusedWithFileLineAndColumn) {
  std::vector<Bad> cases = {
      {"not xml", "this is not xml", "bad.xml:1:16: not well-formed XML: No document element"},
      {"unclosed", "<Policy guid=\"g\">\n  <CurlSSL>\n</Policy>", "bad.xml:3:"},
      {"wrong root", "<Settings guid=\"g\"/>", "the root element is <Settings>, not <Policy>"},
      {"no guid", "<Policy name=\"x\"/>", "bad.xml:1:1: <Policy> has no guid"},
      {"bad guid", "<Policy guid=\"a b\"/>", "is not a GUID"},
      {"bad boolean", doc("", "  <CurlSSL SSLVerifyPeer=\"maybe\"/>"),
       "bad.xml:3:3: SSLVerifyPeer=\"maybe\" is not a boolean"},
      {"relative CAInfo", doc("", "<CurlSSL CAInfo=\"ca.pem\"/>"),
       "CAInfo=\"ca.pem\" must be an absolute path"},
      // Review: refused later by the source list, it stopped every command on the endpoint.
      {"control character in CAInfo", doc("", "<CurlSSL CAInfo=\"/tmp/x&#10;forged\"/>"),
       "CAInfo holds a control character"},
      {"control character in CAPath", doc("", "<CurlSSL CAPath=\"/tmp/&#27;x\"/>"),
       "CAPath holds a control character"},
      {"bad date",
       doc("",
           "<ReserveCertificate ActivateAt=\"next tuesday\">-----BEGIN CERTIFICATE-----"
           "</ReserveCertificate>"),
       "ActivateAt=\"next tuesday\" is not a date"},
      {"bad replaces",
       doc("",
           "<ReserveCertificate Replaces=\"not-a-fingerprint\">-----BEGIN CERTIFICATE-----"
           "</ReserveCertificate>"),
       "Replaces=\"not-a-fingerprint\" is not a SHA-256 or SHA-1 fingerprint"},
      {"bad revision", doc("revision=\"-3\""), "revision=\"-3\" is not a number"},
      {"bad pin", doc("", "<CurlSSL SSLNSPublicHttpsCertFingerprint=\"abc\"/>"),
       "SSLNSPublicHttpsCertFingerprint: 'abc' is not a fingerprint"},
      {"billion laughs",
       "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
       "\"&lol;&lol;&lol;&lol;&lol;\">]>\n<Policy guid=\"g\">&lol2;</Policy>",
       "bad.xml:2:1: DTDs and entity declarations are not allowed"},
      {"too large", doc("name=\"" + std::string(2 << 20, 'x') + "\""),
       "larger than the 1 MiB limit"},
  };
  for (const auto& c : cases) {
    auto p = parse_policy(c.xml, "bad.xml");
    ASSERT_FALSE(p) << c.name;
    EXPECT_EQ(p.error().code, trust::Code::kBadInput) << c.name;
    EXPECT_NE(p.error().message.find(c.message), std::string::npos)
        << c.name << ": " << p.error().message;
  }
}

TEST(PolicySet, LowestPriorityWinsPerSettingTiesByGuidAndAllCaFilesCount) {
  auto a = parse_policy(
      "<Policy guid=\"b\" priority=\"5\"><CurlSSL SSLVerifyHost=\"no\" "
      "CAInfo=\"/etc/a.pem\"/></Policy>",
      "a.xml");
  auto b = parse_policy(
      "<Policy guid=\"a\" priority=\"5\"><CurlSSL SSLVerifyPeer=\"yes\" "
      "SSLVerifyHost=\"yes\" CAInfo=\"/etc/b.pem\"/></Policy>",
      "b.xml");
  auto c = parse_policy(
      "<Policy guid=\"c\" priority=\"1\"><Refresh IntervalSeconds=\"60\"/>"
      "<CurlSSL CAInfo=\"/etc/c.pem\"/></Policy>",
      "c.xml");
  ASSERT_TRUE(a && b && c);
  Effective e = effective_settings({*a, *b, *c});
  EXPECT_EQ(e.verify_host.value, true);  // guid "a" beats "b" at equal priority
  EXPECT_EQ(e.verify_host.from, "a");
  EXPECT_EQ(e.refresh_interval.value, 60);
  EXPECT_EQ(e.refresh_interval.from, "c");
  EXPECT_EQ(e.verify_peer.from, "a");
  EXPECT_TRUE(e.use_system_store.from.empty());  // default
  ASSERT_EQ(e.ca_files.size(), 3u);
  EXPECT_EQ(e.ca_files[0].path, "/etc/c.pem");
  EXPECT_EQ(e.ca_files[1].path, "/etc/b.pem");
  EXPECT_EQ(e.ca_files[2].path, "/etc/a.pem");
}

TEST(PolicySet, CaPathAddsEveryFileInNameOrder) {
  testing_support::TempHome home;
  home.write("certs/b.pem", "x");
  home.write("certs/a.pem", "x");
  auto p = parse_policy(
      "<Policy guid=\"g\"><CurlSSL CAPath=\"" + home.path() + "/certs\"/></Policy>", "p.xml");
  ASSERT_TRUE(p);
  Effective e = effective_settings({*p});
  ASSERT_EQ(e.ca_files.size(), 2u);
  EXPECT_EQ(e.ca_files[0].path, home.path() + "/certs/a.pem");
}

TEST(PolicySet, DirectoryLoadReportsBrokenFilesAndKeepsTheRest) {
  testing_support::TempHome home;
  home.write("var/policies/good.xml", "<Policy guid=\"good\"/>");
  home.write("var/policies/bad.xml", "<Policy>");
  home.write("var/policies/notes.txt", "ignored");
  LoadedPolicies loaded = load_policy_dir(home.path() + "/var/policies");
  ASSERT_EQ(loaded.policies.size(), 1u);
  EXPECT_EQ(loaded.policies[0].guid, "good");
  ASSERT_EQ(loaded.refused.size(), 1u);
  EXPECT_NE(loaded.refused[0].message.find("bad.xml:1:"), std::string::npos);
}

}  // namespace
}  // namespace policy

namespace policy {
namespace {

TEST(PolicyIndexBounds, MoreThan10000EntriesIsRefusedWhole) {
  std::string xml = "<PolicyIndex>";
  for (size_t i = 0; i <= kMaxIndexEntries; ++i) {
    xml += "<Policy guid=\"g" + std::to_string(i) + "\" revision=\"1\" sha256=\"" +
           std::string(64, 'a') + "\" href=\"g.xml\"/>";
  }
  xml += "</PolicyIndex>";
  ASSERT_LT(xml.size(), kMaxIndexBytes);  // the entry bound, not the byte bound, refuses it
  auto parsed = parse_index(xml, "index.xml");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("10000"), std::string::npos) << parsed.error().message;
  xml.erase(xml.rfind("<Policy "), xml.rfind("/>") + 2 - xml.rfind("<Policy "));
  EXPECT_TRUE(parse_index(xml, "index.xml"));  // exactly 10,000 is fine
}

}  // namespace
}  // namespace policy
