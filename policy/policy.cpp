#include "policy/policy.h"

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>

#include "policy/xml_error.h"
#include "trust/source_reader.h"
#include "trust/text.h"
#include "trust/time_format.h"

namespace policy {
namespace {

struct Reader {
  std::string_view text;
  const std::string& file;

  // offset_debug() is the element name's offset; one less points at its '<'.
  trust::Error error(const pugi::xml_node& node, const std::string& message) const {
    return trust::make_error(trust::Code::kBadInput,
                             where(file, text, node.offset_debug() - 1) + ": " + message);
  }
};

// A host name, an IPv4 address or a bracketed IPv6 address: nothing that could add a user, a
// path or a query to the URL it becomes.
bool is_address(std::string_view a) {
  if (a.empty() || a.size() > 253) return false;
  if (a.front() == '[') {
    return a.back() == ']' && std::all_of(a.begin() + 1, a.end() - 1, [](unsigned char c) {
             return std::isxdigit(c) || c == ':' || c == '.';
           });
  }
  return std::all_of(a.begin(), a.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; });
}

bool is_base_path(std::string_view p) {
  return p.front() == '/' && p.find("..") == std::string_view::npos &&
         std::all_of(p.begin(), p.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_';
         });
}

std::optional<std::string> text_of(const pugi::xml_node& node, const char* attribute) {
  pugi::xml_attribute a = node.attribute(attribute);
  if (!a || a.value()[0] == '\0') return std::nullopt;
  return std::string(a.value());
}

trust::Result<std::optional<bool>> boolean(const Reader& r, const pugi::xml_node& node,
                                           const char* attribute) {
  auto value = text_of(node, attribute);
  if (!value) return std::optional<bool>();
  std::string v = *value;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "yes" || v == "true" || v == "1") return std::optional<bool>(true);
  if (v == "no" || v == "false" || v == "0") return std::optional<bool>(false);
  return r.error(node, std::string(attribute) + "=\"" + *value +
                           "\" is not a boolean (yes/no, true/false, 1/0)");
}

trust::Result<std::optional<int64_t>> integer(const Reader& r, const pugi::xml_node& node,
                                              const char* attribute, int64_t min, int64_t max) {
  auto value = text_of(node, attribute);
  if (!value) return std::optional<int64_t>();
  int64_t n = 0;
  if (!trust::parse_number(*value, n) || n < min || n > max) {
    return r.error(node, std::string(attribute) + "=\"" + *value + "\" is not a number from " +
                             std::to_string(min) + " to " + std::to_string(max));
  }
  return std::optional<int64_t>(n);
}

trust::Result<std::optional<std::string>> absolute_path(const Reader& r, const pugi::xml_node& node,
                                                        const char* attribute) {
  auto value = text_of(node, attribute);
  if (value && (*value)[0] != '/') {
    return r.error(node, std::string(attribute) + "=\"" + *value + "\" must be an absolute path");
  }
  // Refused here, whole: a stored policy the source list refuses later would stop every command.
  if (value && std::any_of(value->begin(), value->end(),
                           [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return r.error(node, std::string(attribute) + " holds a control character");
  }
  return value;
}

}  // namespace

bool is_valid_guid(std::string_view guid) {
  return !guid.empty() && guid.size() <= 64 &&
         std::all_of(guid.begin(), guid.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_' || c == '{' || c == '}';
         });
}

namespace {

trust::Result<void> read_header(const Reader& r, pugi::xml_node root, Policy& p) {
  auto guid = text_of(root, "guid");
  if (!guid) return r.error(root, "<Policy> has no guid");
  if (!is_valid_guid(*guid)) return r.error(root, "guid=\"" + *guid + "\" is not a GUID");
  p.guid = *guid;
  p.name = text_of(root, "name").value_or("");
  auto revision = integer(r, root, "revision", 0, INT64_MAX);
  if (!revision) return revision.error();
  p.revision = revision->value_or(0);
  auto priority = integer(r, root, "priority", INT32_MIN, INT32_MAX);
  if (!priority) return priority.error();
  p.priority = priority->value_or(0);
  return {};
}

trust::Result<void> read_curl_ssl(const Reader& r, pugi::xml_node ssl, Policy& p) {
  for (auto [attr, out] :
       {std::pair{"SSLVerifyPeer", &p.verify_peer}, std::pair{"SSLVerifyHost", &p.verify_host},
        std::pair{"UseSystemCAStore", &p.use_system_store}}) {
    auto b = boolean(r, ssl, attr);
    if (!b) return b.error();
    *out = *b;
  }
  auto ca_info = absolute_path(r, ssl, "CAInfo");
  if (!ca_info) return ca_info.error();
  p.ca_info = *ca_info;
  auto ca_path = absolute_path(r, ssl, "CAPath");
  if (!ca_path) return ca_path.error();
  p.ca_path = *ca_path;
  p.pins_text = text_of(ssl, "SSLNSPublicHttpsCertFingerprint");
  if (p.pins_text) {
    auto pins = trust::parse_pin_list(*p.pins_text);
    if (!pins) return r.error(ssl, "SSLNSPublicHttpsCertFingerprint: " + pins.error().message);
    p.pins = *pins;
  }
  return {};
}

trust::Result<void> read_refresh(const Reader& r, pugi::xml_node refresh, Policy& p) {
  auto interval = integer(r, refresh, "IntervalSeconds", 1, 30 * 86400);
  if (!interval) return interval.error();
  p.refresh_interval = *interval;
  auto jitter = integer(r, refresh, "JitterSeconds", 0, 86400);
  if (!jitter) return jitter.error();
  p.refresh_jitter = *jitter;
  return {};
}

trust::Result<ReserveCertificate> read_reserve(const Reader& r, pugi::xml_node reserve) {
  ReserveCertificate rc;
  if (auto at = text_of(reserve, "ActivateAt")) {
    auto epoch = trust::from_iso8601(*at);
    if (!epoch) {
      return r.error(reserve, "ActivateAt=\"" + *at + "\" is not a date like 2027-01-10T00:00:00Z");
    }
    rc.activate_at = *epoch;
  }
  if (auto replaces = text_of(reserve, "Replaces")) {
    for (std::string_view rest = *replaces; !rest.empty();) {
      size_t semi = rest.find(';');
      std::string_view one = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      if (one.empty()) continue;
      auto fp = trust::parse_fingerprint(one);
      if (!fp) {
        return r.error(
            reserve, "Replaces=\"" + std::string(one) + "\" is not a SHA-256 or SHA-1 fingerprint");
      }
      rc.replaces.push_back(*fp);
    }
  }
  trust::ReadResult read = trust::read_certificates(reserve.child_value());
  if (read.certs.size() != 1 || !read.warnings.empty()) {
    return r.error(reserve, "<ReserveCertificate> must hold exactly one PEM certificate");
  }
  rc.der = std::move(read.certs.front().der);
  return rc;
}

trust::Result<void> read_server(const Reader& r, pugi::xml_node server, Policy& p) {
  p.server_address = text_of(server, "Address");
  auto port = integer(r, server, "Port", 1, 65535);
  if (!port) return port.error();
  if (*port) p.server_port = static_cast<int>(**port);
  p.server_base_path = text_of(server, "BasePath");
  return {};
}

trust::Result<Mirror> read_mirror(const Reader& r, pugi::xml_node mirror) {
  auto address = text_of(mirror, "Address");
  if (!address || !is_address(*address)) {
    return r.error(mirror, "<Mirror> needs Address= a host name or IP address");
  }
  if (auto base = text_of(mirror, "BasePath"); base && !is_base_path(*base)) {
    return r.error(mirror, "<Mirror> BasePath= must be a plain absolute path");
  }
  auto port = integer(r, mirror, "Port", 1, 65535);
  if (!port) return port.error();
  return Mirror{*address, *port ? std::optional<int>(static_cast<int>(**port)) : std::nullopt,
                text_of(mirror, "BasePath")};
}

// The document, well-formed, small, without a DTD, and with <Policy> at its root.
trust::Result<pugi::xml_node> policy_element(pugi::xml_document& doc, std::string_view xml,
                                             const std::string& file) {
  if (xml.size() > kMaxPolicyBytes) {
    return trust::make_error(trust::Code::kBadInput, file + ": " + std::to_string(xml.size()) +
                                                         " bytes is larger than the 1 MiB limit");
  }
  // pugixml never expands a DTD's entities, but a document that declares one is refused outright:
  // a policy has no use for it, and a billion-laughs file should not even look accepted.
  if (auto doctype = xml.find("<!DOCTYPE"); doctype != std::string_view::npos) {
    return trust::make_error(trust::Code::kBadInput,
                             where(file, xml, static_cast<std::ptrdiff_t>(doctype)) +
                                 ": DTDs and entity declarations are not allowed in a policy");
  }
  pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return trust::make_error(
        trust::Code::kBadInput,
        where(file, xml, parsed.offset) + ": not well-formed XML: " + parsed.description());
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "Policy") {
    return Reader{xml, file}.error(
        root, std::string("the root element is <") + root.name() + ">, not <Policy>");
  }
  return root;
}

}  // namespace

trust::Result<Policy> parse_policy(std::string_view xml, const std::string& file) {
  pugi::xml_document doc;
  auto root = policy_element(doc, xml, file);
  if (!root) return root.error();
  Reader r{xml, file};
  Policy p;
  p.file = file;
  if (auto ok = read_header(r, *root, p); !ok) return ok.error();
  if (pugi::xml_node ssl = root->child("CurlSSL")) {
    if (auto ok = read_curl_ssl(r, ssl, p); !ok) return ok.error();
  }
  if (pugi::xml_node refresh = root->child("Refresh")) {
    if (auto ok = read_refresh(r, refresh, p); !ok) return ok.error();
  }
  for (pugi::xml_node reserve : root->children("ReserveCertificate")) {
    auto rc = read_reserve(r, reserve);
    if (!rc) return rc.error();
    p.reserves.push_back(std::move(*rc));
  }
  if (pugi::xml_node server = root->child("Server")) {
    if (auto ok = read_server(r, server, p); !ok) return ok.error();
  }
  for (pugi::xml_node mirror : root->children("Mirror")) {
    if (p.mirrors.size() >= kMaxMirrors) return r.error(mirror, "too many <Mirror> elements");
    auto m = read_mirror(r, mirror);
    if (!m) return m.error();
    p.mirrors.push_back(std::move(*m));
  }
  return p;
}

std::string server_url(const std::string& address, std::optional<int> port,
                       const std::optional<std::string>& base_path) {
  std::string url = "https://" + address;
  if (port) url += ":" + std::to_string(*port);
  return url + base_path.value_or("");
}

}  // namespace policy
