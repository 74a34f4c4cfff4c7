#include "policy/policy_writer.h"

#include <pugixml.hpp>

#include <sstream>

#include "trust/certificate.h"
#include "trust/time_format.h"

namespace policy {
namespace {

void set(pugi::xml_node node, const char* name, const std::optional<std::string>& value) {
  if (value) node.append_attribute(name) = value->c_str();
}
void set(pugi::xml_node node, const char* name, const std::optional<bool>& value) {
  if (value) node.append_attribute(name) = *value ? "yes" : "no";
}
void set(pugi::xml_node node, const char* name, const std::optional<int64_t>& value) {
  if (value) node.append_attribute(name) = std::to_string(*value).c_str();
}

}  // namespace

std::string write_policy(const Policy& p) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("Policy");
  root.append_attribute("guid") = p.guid.c_str();
  if (!p.name.empty()) root.append_attribute("name") = p.name.c_str();
  root.append_attribute("revision") = std::to_string(p.revision).c_str();
  root.append_attribute("priority") = std::to_string(p.priority).c_str();

  if (p.pins_text || p.verify_peer || p.verify_host || p.ca_info || p.ca_path ||
      p.use_system_store) {
    pugi::xml_node ssl = root.append_child("CurlSSL");
    set(ssl, "SSLNSPublicHttpsCertFingerprint", p.pins_text);
    set(ssl, "SSLVerifyPeer", p.verify_peer);
    set(ssl, "SSLVerifyHost", p.verify_host);
    set(ssl, "CAInfo", p.ca_info);
    set(ssl, "CAPath", p.ca_path);
    set(ssl, "UseSystemCAStore", p.use_system_store);
  }
  if (p.refresh_interval || p.refresh_jitter) {
    pugi::xml_node refresh = root.append_child("Refresh");
    set(refresh, "IntervalSeconds", p.refresh_interval);
    set(refresh, "JitterSeconds", p.refresh_jitter);
  }
  for (const auto& r : p.reserves) {
    pugi::xml_node reserve = root.append_child("ReserveCertificate");
    if (r.activate_at) {
      reserve.append_attribute("ActivateAt") = trust::to_iso8601(*r.activate_at).c_str();
    }
    if (!r.replaces.empty()) {
      std::string list;
      for (const auto& fp : r.replaces) list += (list.empty() ? "" : ";") + fp.hex;
      reserve.append_attribute("Replaces") = list.c_str();
    }
    reserve.append_child(pugi::node_pcdata).set_value(("\n" + trust::to_pem(r.der)).c_str());
  }
  if (p.server_address || p.server_port || p.server_base_path) {
    pugi::xml_node server = root.append_child("Server");
    set(server, "Address", p.server_address);
    if (p.server_port) server.append_attribute("Port") = *p.server_port;
    set(server, "BasePath", p.server_base_path);
  }
  for (const auto& m : p.mirrors) {
    pugi::xml_node mirror = root.append_child("Mirror");
    mirror.append_attribute("Address") = m.address.c_str();
    if (m.port) mirror.append_attribute("Port") = *m.port;
    set(mirror, "BasePath", m.base_path);
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace policy
