#include "policy/index.h"

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>
#include <unordered_set>

#include "policy/policy.h"
#include "policy/xml_error.h"
#include "trust/certificate.h"
#include "trust/fingerprint.h"
#include "trust/safe_text.h"
#include "trust/source_reader.h"
#include "trust/text.h"
#include "trust/time_format.h"

namespace policy {
namespace {

bool is_safe_href(std::string_view href) {
  if (href.empty() || href.size() > 255 || href.front() == '/') return false;
  size_t start = 0;
  while (start <= href.size()) {
    size_t end = href.find('/', start);
    std::string_view part =
        href.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    bool plain = std::all_of(part.begin(), part.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '.' || c == '-' || c == '_';
    });
    if (!plain) return false;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return true;
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
           return std::isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

trust::Result<IndexHeader> parse_header(const pugi::xml_node& root, const std::string& source,
                                        std::string_view xml) {
  IndexHeader h;
  if (pugi::xml_attribute serial = root.attribute("serial")) {
    int64_t n = 0;
    if (!trust::parse_number(serial.value(), n) || n < 0) {
      return trust::make_error(trust::Code::kBadInput, source + ": serial=\"" +
                                                           trust::printable_text(serial.value()) +
                                                           "\" is not a non-negative integer");
    }
    h.serial = n;
  }
  if (pugi::xml_attribute expires = root.attribute("expires")) {
    h.expires = trust::from_iso8601(expires.value());
    if (!h.expires) {
      return trust::make_error(trust::Code::kBadInput, source + ": expires=\"" +
                                                           trust::printable_text(expires.value()) +
                                                           "\" is not YYYY-MM-DDTHH:MM:SSZ");
    }
  }
  for (pugi::xml_node signer : root.children("Signer")) {
    if (h.signers.size() >= kMaxIndexSigners) {
      return trust::make_error(
          trust::Code::kBadInput,
          source + ": more than " + std::to_string(kMaxIndexSigners) + " <Signer> elements");
    }
    trust::ReadResult read = trust::read_certificates(signer.child_value());
    if (read.certs.size() != 1 || !read.warnings.empty()) {
      return trust::make_error(trust::Code::kBadInput,
                               where(source, xml, signer.offset_debug() - 1) +
                                   ": <Signer> must hold exactly one PEM certificate");
    }
    h.signers.push_back(std::move(read.certs.front().der));
  }
  return h;
}

}  // namespace

bool is_safe_guid(std::string_view guid) {
  return !guid.empty() && guid.size() <= 64 &&
         std::all_of(guid.begin(), guid.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_' || c == '{' || c == '}';
         });
}

namespace {

// One <Policy> entry, or why it is refused (the rest of the index still counts).
trust::Result<IndexEntry> read_entry(const pugi::xml_node& p, const std::string& source,
                                     std::string_view xml, std::unordered_set<std::string>& seen) {
  IndexEntry e;
  e.guid = p.attribute("guid").value();
  e.sha256 = p.attribute("sha256").value();
  e.href = p.attribute("href").value();
  // The position is only worked out for an entry that is refused: finding a line number scans
  // the document, and doing that for every entry would make a large index quadratic.
  auto refuse = [&](const std::string& why) {
    return trust::make_error(trust::Code::kBadInput,
                             where(source, xml, p.offset_debug() - 1) + ": " + why);
  };
  if (!is_safe_guid(e.guid)) return refuse("guid=\"" + e.guid + "\" is not a GUID");
  if (!trust::parse_number(p.attribute("revision").value(), e.revision) || e.revision < 0) {
    return refuse(e.guid + ": bad revision");
  }
  std::transform(e.sha256.begin(), e.sha256.end(), e.sha256.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (!is_hex64(e.sha256)) return refuse(e.guid + ": sha256 is not 64 hex digits");
  if (!is_safe_href(e.href)) {
    return refuse(e.guid + ": href=\"" + e.href +
                  "\" points outside the central server's policies folder");
  }
  if (!seen.insert(e.guid).second) return refuse(e.guid + ": listed twice");
  return e;
}

}  // namespace

trust::Result<ParsedIndex> parse_index(std::string_view xml, const std::string& source) {
  if (xml.size() > kMaxIndexBytes) {
    return trust::make_error(trust::Code::kBadInput, source + ": the index is larger than 4 MiB");
  }
  if (auto d = xml.find("<!DOCTYPE"); d != std::string_view::npos) {
    return trust::make_error(trust::Code::kBadInput,
                             where(source, xml, static_cast<std::ptrdiff_t>(d)) +
                                 ": DTDs are not allowed in a policy index");
  }
  pugi::xml_document doc;
  auto parsed = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return trust::make_error(
        trust::Code::kBadInput,
        where(source, xml, parsed.offset) + ": not well-formed XML: " + parsed.description());
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "PolicyIndex") {
    return trust::make_error(trust::Code::kBadInput, source + ": the root element is <" +
                                                         root.name() + ">, not <PolicyIndex>");
  }
  ParsedIndex out;
  auto header = parse_header(root, source, xml);
  if (!header) return header.error();
  out.header = std::move(*header);
  std::unordered_set<std::string> seen;
  for (pugi::xml_node p : root.children("Policy")) {
    if (out.entries.size() + out.refused.size() >= kMaxIndexEntries) {
      return trust::make_error(trust::Code::kBadInput, source + ": more than " +
                                                           std::to_string(kMaxIndexEntries) +
                                                           " policies; refusing the whole index");
    }
    auto e = read_entry(p, source, xml, seen);
    if (e) {
      out.entries.push_back(std::move(*e));
    } else {
      out.refused.push_back(e.error());
    }
  }
  return out;
}

std::string write_index(const std::vector<IndexEntry>& entries, const IndexHeader& header) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("PolicyIndex");
  if (header.serial) root.append_attribute("serial") = std::to_string(*header.serial).c_str();
  if (header.expires) root.append_attribute("expires") = trust::to_iso8601(*header.expires).c_str();
  for (const auto& der : header.signers) {
    root.append_child("Signer")
        .append_child(pugi::node_pcdata)
        .set_value(("\n" + trust::to_pem(der)).c_str());
  }
  for (const auto& e : entries) {
    pugi::xml_node p = root.append_child("Policy");
    p.append_attribute("guid") = e.guid.c_str();
    p.append_attribute("revision") = std::to_string(e.revision).c_str();
    p.append_attribute("sha256") = e.sha256.c_str();
    p.append_attribute("href") = e.href.c_str();
  }
  std::ostringstream out;
  doc.save(out, "  ");
  return out.str();
}

trust::Result<std::vector<IndexEntry>> index_for_directory(const std::string& dir,
                                                           std::vector<Policy>* parsed) {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && name.size() > 4 && name.substr(name.size() - 4) == ".xml" &&
        name != "index.xml") {
      names.push_back(name);
    }
  }
  if (ec) return trust::make_error(trust::Code::kBadInput, dir + ": cannot list: " + ec.message());
  std::sort(names.begin(), names.end());
  std::vector<IndexEntry> out;
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    auto content = trust::read_source_file(path, kMaxPolicyBytes);
    if (!content) return content.error();
    auto p = parse_policy(*content, path);
    if (!p) return p.error();
    if (!is_safe_href(name)) {
      return trust::make_error(trust::Code::kBadInput, path + ": file name cannot be published");
    }
    out.push_back({p->guid, p->revision, trust::to_hex(trust::sha256_of(*content)), name});
    if (parsed) parsed->push_back(std::move(*p));
  }
  return out;
}

}  // namespace policy
