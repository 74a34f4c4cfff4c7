#include "agent/connector.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <algorithm>

#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string_view>

#include "agent/curl.h"
#include "agent/tls_backend.h"
#include "trust/fingerprint.h"
#include "trust/ossl.h"
#include "trust/safe_text.h"
#include "trust/time_format.h"

namespace agent {
namespace {

constexpr size_t kMaxBody = 1 << 20;  // connect only wants the status; never buffer a flood

struct Target {
  std::string url, host;  // host without IPv6 brackets
  int port = 443;
  bool is_ip = false;
};

trust::Result<Target> parse_target(const std::string& text) {
  if (text.empty()) {
    return trust::make_error(trust::Code::kBadInput,
                             "no server to connect to: give a URL or set 'server' in the config");
  }
  std::string url = text;
  if (url.find("://") == std::string::npos) url = "https://" + url;
  curl::Url u(curl_url());
  char* part = nullptr;
  auto bad = [&](const std::string& why) {
    return trust::make_error(trust::Code::kBadInput,
                             "'" + text + "' is not a usable address: " + why);
  };
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return bad("cannot parse it");
  if (curl_url_get(u.get(), CURLUPART_SCHEME, &part, 0) != CURLUE_OK) return bad("no scheme");
  std::string scheme = part;
  curl_free(part);
  if (scheme != "https") return bad("only https is supported");
  Target t;
  if (curl_url_get(u.get(), CURLUPART_HOST, &part, 0) != CURLUE_OK) return bad("no host");
  t.host = part;
  curl_free(part);
  if (curl_url_get(u.get(), CURLUPART_PORT, &part, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    t.port = std::atoi(part);
    curl_free(part);
  }
  if (curl_url_get(u.get(), CURLUPART_URL, &part, 0) != CURLUE_OK) return bad("cannot rebuild it");
  t.url = part;
  curl_free(part);
  if (t.host.size() > 2 && t.host.front() == '[') {
    t.host = t.host.substr(1, t.host.size() - 2);
    t.is_ip = true;
  } else {
    unsigned char buf[16];
    t.is_ip = ::inet_pton(AF_INET, t.host.c_str(), buf) == 1;
  }
  return t;
}

std::string der_of(X509* x) { return trust::der_of(*x); }

// Everything the handshake's verification saw, for the report afterwards.
struct Capture {
  const ConnectRequest* request = nullptr;
  const Target* target = nullptr;
  trust::AnchorIndex* index = nullptr;
  bool called = false;
  std::vector<std::string> presented, verified;  // DER, leaf first
  std::optional<trust::Error> failure;           // what the verification refused, and why

  void refuse(trust::Reason reason, std::string message) {
    failure = trust::connection_error(reason, std::move(message));
  }
};

std::string describe(X509* x) {
  auto cert = trust::Certificate::from_der(der_of(x));
  return cert ? cert->info().subject : "<unparsable certificate>";
}

struct Failure {
  trust::Reason reason;
  std::string message;
};

// The failures that name what is wrong with one certificate of the chain, or nullopt.
std::optional<Failure> certificate_failure(int err, X509* at) {
  std::string who = at ? describe(at) : "the server's certificate";
  auto when = [&](bool start) {
    const ASN1_TIME* t = at ? (start ? X509_get0_notBefore(at) : X509_get0_notAfter(at)) : nullptr;
    std::tm tm{};
    return t && ASN1_TIME_to_tm(t, &tm) == 1 ? trust::to_iso8601(timegm(&tm))
                                             : "an unreadable date";
  };
  using R = trust::Reason;
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return Failure{R::kExpired, who + " expired on " + when(false)};
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Failure{R::kNotYetValid, who + " is not valid before " + when(true)};
    case X509_V_ERR_INVALID_CA:
      return Failure{R::kInvalidCa, who +
                                        " signs for others but is not a CA (its basicConstraints "
                                        "or keyUsage do not allow it)"};
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return Failure{R::kPathLength, "the chain through " + who +
                                         " is longer than a CA's pathLenConstraint allows"};
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
    case X509_V_ERR_SUBTREE_MINMAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
    case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
      return Failure{R::kNameConstraints,
                     who + " has a name its issuing CA may not issue for (name constraints: " +
                         X509_verify_cert_error_string(err) + ")"};
    case X509_V_ERR_INVALID_PURPOSE:
      return Failure{R::kInvalidPurpose,
                     who + " is not for TLS servers (its extendedKeyUsage or purpose forbids it)"};
    default:
      return std::nullopt;
  }
}

// Names the issuer the store lacks, and says whether anchors of that name exist with other keys.
std::string untrusted_message(const Capture& cap, X509_STORE_CTX* ctx, int err, X509* at) {
  X509* top = cap.presented.empty() ? at : nullptr;
  STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(ctx);
  if (sent && sk_X509_num(sent) > 0) top = sk_X509_value(sent, sk_X509_num(sent) - 1);
  if (top == nullptr) top = X509_STORE_CTX_get0_cert(ctx);
  auto top_info = trust::Certificate::from_der(der_of(top));
  std::string issuer_text = top_info ? top_info->info().issuer : "?";
  std::string message = "no anchor in the store for issuer '" + issuer_text + "' (" +
                        X509_verify_cert_error_string(err) + ")";
  if (cap.index == nullptr) return message;
  int ok = 0;
  unsigned long hash = X509_NAME_hash_ex(X509_get_issuer_name(top), nullptr, nullptr, &ok);
  auto same_name = ok ? cap.index->find_by_subject_hash(hash) : std::vector<trust::IndexedAnchor>{};
  if (!same_name.empty()) {
    message += "; the store has " + std::to_string(same_name.size()) +
               " anchor(s) with that name, e.g. [" + std::to_string(same_name[0].index) +
               "] sha256 " + same_name[0].sha256 + ", but none signed this chain (different key)";
  }
  if (!cap.index->capped().empty()) message += "; " + cap.index->capped();
  return message;
}

void explain_chain_failure(Capture& cap, X509_STORE_CTX* ctx) {
  int err = X509_STORE_CTX_get_error(ctx);
  X509* at = X509_STORE_CTX_get_current_cert(ctx);
  if (auto failure = certificate_failure(err, at)) {
    cap.refuse(failure->reason, std::move(failure->message));
    return;
  }
  cap.refuse(trust::Reason::kUntrusted, untrusted_message(cap, ctx, err, at));
  trust::ossl::drain_errors();
}

int verify_callback(X509_STORE_CTX* ctx, void* arg) {
  auto& cap = *static_cast<Capture*>(arg);
  const ConnectRequest& req = *cap.request;
  cap.called = true;
  X509* leaf = X509_STORE_CTX_get0_cert(ctx);
  cap.presented.clear();
  STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(ctx);
  for (int i = 0; sent && i < sk_X509_num(sent); ++i)
    cap.presented.push_back(der_of(sk_X509_value(sent, i)));
  if (cap.presented.empty() || cap.presented.front() != der_of(leaf)) {
    cap.presented.insert(cap.presented.begin(), der_of(leaf));
  }
  if (req.handshake_only) return 1;

  if (req.verify_peer) {
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx) <= 0) {
      explain_chain_failure(cap, ctx);
      return 0;
    }
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
    for (int i = 0; chain && i < sk_X509_num(chain); ++i)
      cap.verified.push_back(der_of(sk_X509_value(chain, i)));
    if (req.verify_host) {
      const Target& t = *cap.target;
      bool match = t.is_ip ? X509_check_ip_asc(leaf, t.host.c_str(), 0) == 1
                           : X509_check_host(leaf, t.host.c_str(), t.host.size(), 0, nullptr) == 1;
      if (!match) {
        std::string names;
        for (const auto& n : trust::host_names(*leaf)) names += (names.empty() ? "" : ", ") + n;
        cap.refuse(trust::Reason::kHostnameMismatch,
                   "the certificate is for " + (names.empty() ? std::string("no name") : names) +
                       ", not for '" + t.host + "'");
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_HOSTNAME_MISMATCH);
        return 0;
      }
    }
  }
  if (!req.pins.empty()) {
    bool any = std::any_of(req.pins.begin(), req.pins.end(),
                           [&](const trust::Pin& p) { return trust::pin_matches(p, *leaf); });
    if (!any) {
      std::string wanted;
      for (const auto& p : req.pins) wanted += (wanted.empty() ? "" : "; ") + p.text();
      cap.refuse(trust::Reason::kPinMismatch, "the server's certificate matches no pin: pinned " +
                                                  wanted + "; server has " +
                                                  trust::leaf_pins(*leaf));
      X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
      return 0;
    }
  }
  return 1;
}

CURLcode ssl_ctx_callback(CURL*, void* ssl_ctx, void* arg) {
  auto& cap = *static_cast<Capture*>(arg);
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  // A store of our own replaces whatever curl set up: only the merged store is trusted.
  trust::ossl::Ptr<X509_STORE> store(X509_STORE_new());
  if (!store) return CURLE_OUT_OF_MEMORY;
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (cap.index != nullptr && !cap.index->attach(store.get())) {
    cap.refuse(trust::Reason::kTlsError,
               trust::ossl::with_errors("the store's index could not be attached"));
    return CURLE_SSL_CACERT_BADFILE;
  }
  for (const auto& der : cap.request->only_anchors) {
    auto cert = trust::Certificate::from_der(der);
    if (!cert || X509_STORE_add_cert(store.get(), cert->x509_ptr()) != 1) {
      cap.refuse(trust::Reason::kTlsError,
                 cert ? trust::ossl::with_errors("a certificate to trust could not be loaded")
                      : "a certificate to trust could not be loaded: " + cert.error().message);
      return CURLE_SSL_CACERT_BADFILE;
    }
  }
  SSL_CTX_set_cert_store(ctx, store.release());  // the SSL_CTX owns it from here
  SSL_CTX_set_cert_verify_callback(ctx, verify_callback, &cap);
  return CURLE_OK;
}

struct Body {
  bool keep = false;
  size_t limit = kMaxBody;
  size_t seen = 0;
  bool too_large = false;
  std::string data;
};

size_t take_body(char* data, size_t size, size_t count, void* arg) {
  auto& body = *static_cast<Body*>(arg);
  body.seen += size * count;
  if (body.seen > body.limit) {
    body.too_large = body.keep;
    return 0;  // stop the transfer: nobody needs more
  }
  if (body.keep) body.data.append(data, size * count);
  return size * count;
}

// The validators a conditional request needs next time, from the final response's headers. Read
// by a header callback rather than curl_easy_header (7.83), so libcurl 7.76 (RHEL 9) will do.
struct Validators {
  std::string etag, last_modified;
};

bool header_named(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) !=
        std::tolower(static_cast<unsigned char>(name[i]))) {
      return false;
    }
  }
  return true;
}

std::string header_value(std::string_view line, size_t name_size) {
  std::string_view v = line.substr(name_size + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
    v.remove_suffix(1);
  return std::string(v);
}

size_t take_header(char* data, size_t size, size_t count, void* arg) {
  auto& v = *static_cast<Validators*>(arg);
  std::string_view line(data, size * count);
  if (line.substr(0, 5) == "HTTP/") v = {};  // a new response: only the last one's count
  if (header_named(line, "ETag")) v.etag = header_value(line, 4);
  if (header_named(line, "Last-Modified")) v.last_modified = header_value(line, 13);
  return size * count;
}

std::string network_message(CURLcode rc, const Target& t, const char* detail, double timeout) {
  std::string where =
      (t.is_ip && t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host) + ":" +
      std::to_string(t.port);
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return "cannot resolve " + t.host + " (" + detail + ")";
    case CURLE_COULDNT_CONNECT:
      return where + ": cannot connect (" + detail + ")";
    case CURLE_OPERATION_TIMEDOUT:
      return where + ": no answer within " + std::to_string(timeout).substr(0, 4) + " s (" +
             detail + ")";
    default:
      return where + ": " + detail;
  }
}

}  // namespace

std::string how_to_trust(const ConnectOutcome& out) {
  // Only an unknown certificate is fixed by trusting it: not a wrong host name, an expired
  // certificate or a pin.
  if (out.reason() != trust::Reason::kUntrusted || out.chain.empty()) return "";
  const trust::CertInfo& leaf = out.chain.front().info;
  // The command first and the server's own words last, short and quoted: a subject can hold
  // text that looks like another command, pushed out of sight by blank characters.
  std::string subject = leaf.subject.size() > 80 ? leaf.subject.substr(0, 80) + "…" : leaf.subject;
  return "after checking its fingerprint: trustagent fetch " + address_of(out) + " --fingerprint " +
         leaf.sha256 + " (the server presents sha256 " + leaf.sha256 + ", subject \"" +
         trust::printable_text(subject) + "\")";
}

namespace {

// libcurl calls this about once a second even while nothing moves.
int stop_if_asked(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(stop))() ? 1 : 0;
}

// The transfer as libcurl is told to make it: only the merged store (or `only_anchors`) is
// trusted, through the verification callback, and nothing but https is spoken. Every option is
// checked (curl::Options): one libcurl refuses, CURLOPT_SSL_CTX_FUNCTION above all, fails the
// connection instead of leaving it verified by something else.
std::optional<std::string> configure(CURL* h, const ConnectRequest& request, const Target& target,
                                     Capture& cap, Body& body, Validators& validators,
                                     const curl::Slist& headers, char* error_buffer) {
  long timeout_ms = static_cast<long>(request.timeout_seconds * 1000);
  curl::Options set(h);
  set(CURLOPT_URL, target.url.c_str(), "CURLOPT_URL");
  set(CURLOPT_ERRORBUFFER, error_buffer, "CURLOPT_ERRORBUFFER");
  set(CURLOPT_NOSIGNAL, 1L, "CURLOPT_NOSIGNAL");
  set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms, "CURLOPT_CONNECTTIMEOUT_MS");
  set(CURLOPT_TIMEOUT_MS, timeout_ms, "CURLOPT_TIMEOUT_MS");
  curl::only_https(set);
  // CURLOPT_USERAGENT copies the string.
  set(CURLOPT_USERAGENT,
      request.user_agent.empty() ? "trustagent/" TRUSTAGENT_VERSION : request.user_agent.c_str(),
      "CURLOPT_USERAGENT");
  // OpenSSL honours our verification callback only in VERIFY_PEER mode; the callback itself
  // applies --no-verify-peer / --no-verify-host, so curl is told to verify in every case.
  set(CURLOPT_SSL_VERIFYPEER, 1L, "CURLOPT_SSL_VERIFYPEER");
  set(CURLOPT_SSL_VERIFYHOST,
      request.verify_host && request.verify_peer && !request.handshake_only ? 2L : 0L,
      "CURLOPT_SSL_VERIFYHOST");
  set(CURLOPT_CAINFO, static_cast<const char*>(nullptr), "CURLOPT_CAINFO");
  set(CURLOPT_CAPATH, static_cast<const char*>(nullptr), "CURLOPT_CAPATH");
  // A resumed session skips verification.
  set(CURLOPT_SSL_SESSIONID_CACHE, 0L, "CURLOPT_SSL_SESSIONID_CACHE");
  set(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_callback, "CURLOPT_SSL_CTX_FUNCTION");
  set(CURLOPT_SSL_CTX_DATA, static_cast<void*>(&cap), "CURLOPT_SSL_CTX_DATA");
  if (request.handshake_only) {
    set(CURLOPT_CONNECT_ONLY, 1L, "CURLOPT_CONNECT_ONLY");
    return set.failure();
  }
  set(CURLOPT_WRITEFUNCTION, take_body, "CURLOPT_WRITEFUNCTION");
  set(CURLOPT_WRITEDATA, static_cast<void*>(&body), "CURLOPT_WRITEDATA");
  set(CURLOPT_HEADERFUNCTION, take_header, "CURLOPT_HEADERFUNCTION");
  set(CURLOPT_HEADERDATA, static_cast<void*>(&validators), "CURLOPT_HEADERDATA");
  if (headers) set(CURLOPT_HTTPHEADER, headers.get(), "CURLOPT_HTTPHEADER");
  if (request.stop_requested) {
    set(CURLOPT_NOPROGRESS, 0L, "CURLOPT_NOPROGRESS");
    set(CURLOPT_XFERINFOFUNCTION, stop_if_asked, "CURLOPT_XFERINFOFUNCTION");
    set(CURLOPT_XFERINFODATA,
        static_cast<void*>(const_cast<std::function<bool()>*>(&request.stop_requested)),
        "CURLOPT_XFERINFODATA");
  }
  return set.failure();
}

bool never_answered(CURLcode rc, const Capture& cap) {
  return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
         rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
         rc == CURLE_GOT_NOTHING || (rc == CURLE_SSL_CONNECT_ERROR && !cap.called);
}

// Why a transfer that did not complete failed: what the verification refused first, then the
// network, then anything else the handshake reported.
trust::Error failure_of(CURLcode rc, const ConnectRequest& request, const Target& target,
                        const Capture& cap, const Body& body, const char* error_buffer) {
  const char* detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
  if (body.too_large) {
    return trust::connection_error(trust::Reason::kNetwork,
                                   target.url + ": the response is larger than the " +
                                       std::to_string(request.max_body) +
                                       "-byte limit; transfer stopped");
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return trust::connection_error(trust::Reason::kNetwork,
                                   target.url + ": stopped: the agent is shutting down");
  }
  if (cap.failure) return *cap.failure;
  if (never_answered(rc, cap)) {
    return trust::connection_error(trust::Reason::kNetwork,
                                   network_message(rc, target, detail, request.timeout_seconds));
  }
  return trust::connection_error(trust::Reason::kTlsError,
                                 target.host + ":" + std::to_string(target.port) + ": " + detail);
}

// The anchor that authenticated the server: the lowest store position among the certificates
// the verification used (or the position in `only_anchors`).
std::optional<trust::IndexedAnchor> anchor_used(const ConnectRequest& request, const Capture& cap,
                                                const trust::AnchorIndex* index) {
  std::optional<trust::IndexedAnchor> found;
  for (size_t i = 0; i < request.only_anchors.size() && !found; ++i) {
    const std::string& der = request.only_anchors[i];
    if (std::find(cap.verified.begin(), cap.verified.end(), der) == cap.verified.end()) continue;
    auto cert = trust::Certificate::from_der(der);
    found = trust::IndexedAnchor{static_cast<int>(i + 1), trust::to_hex(trust::sha256_of(der)),
                                 cert ? cert->info().subject : ""};
  }
  if (index != nullptr) {
    for (const auto& der : cap.verified) {
      auto hit = index->find_by_sha256(trust::to_hex(trust::sha256_of(der)));
      if (hit && (!found || hit->index < found->index)) found = hit;
    }
  }
  return found;
}

}  // namespace

trust::Result<ConnectOutcome> connect(const ConnectRequest& request) {
  auto target = parse_target(request.target);
  if (!target) return target.error();
  ConnectOutcome out;
  out.url = target->url;
  out.host = target->host;
  out.port = target->port;
  if (const std::string& refusal = tls_backend_problem(); !refusal.empty()) {
    out.failure = trust::connection_error(trust::Reason::kTlsError, refusal);
    return out;
  }

  std::shared_ptr<trust::AnchorIndex> index;
  if (!request.handshake_only && request.verify_peer && request.only_anchors.empty()) {
    if (auto opened = trust::AnchorIndex::open(request.layout)) index = *opened;
  }
  Capture cap;
  cap.request = &request;
  cap.target = &*target;
  cap.index = index.get();
  curl::Easy easy(curl_easy_init());
  if (!easy) return trust::make_error(trust::Code::kBadInput, "cannot initialise libcurl");
  char error_buffer[CURL_ERROR_SIZE] = "";
  Body body;
  body.keep = request.keep_body;
  body.limit = request.keep_body ? request.max_body : kMaxBody;
  curl::Slist headers;
  for (const auto& line : request.headers) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  Validators validators;
  if (auto refused =
          configure(easy.get(), request, *target, cap, body, validators, headers, error_buffer)) {
    out.failure = trust::connection_error(trust::Reason::kTlsError,
                                          target->host + ":" + std::to_string(target->port) +
                                              ": libcurl refused " + *refused +
                                              "; not connecting without the store's verification");
    return out;
  }

  CURLcode rc = curl_easy_perform(easy.get());
  for (const auto& der : cap.presented) {
    if (auto cert = trust::Certificate::from_der(der)) out.chain.push_back({cert->info(), der});
  }
  out.anchors_parsed = index ? index->parsed() : 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &out.http_status);
  bool body_capped = rc == CURLE_WRITE_ERROR && out.http_status > 0 && !body.too_large;
  if (rc != CURLE_OK && !body_capped) {
    out.failure = failure_of(rc, request, *target, cap, body, error_buffer);
    return out;
  }
  out.etag = std::move(validators.etag);
  out.last_modified = std::move(validators.last_modified);
  out.body = std::move(body.data);
  out.anchor = anchor_used(request, cap, index.get());
  return out;
}

bool same_server(const std::string& a, const std::string& b) {
  auto x = parse_target(a);
  auto y = parse_target(b);
  if (!x || !y || x->port != y->port || x->host.size() != y->host.size()) return false;
  return std::equal(x->host.begin(), x->host.end(), y->host.begin(), [](char c, char d) {
    return std::tolower(static_cast<unsigned char>(c)) ==
           std::tolower(static_cast<unsigned char>(d));
  });
}

std::string address_of(const ConnectOutcome& outcome) {
  std::string host =
      outcome.host.find(':') != std::string::npos ? "[" + outcome.host + "]" : outcome.host;
  return host + ":" + std::to_string(outcome.port);
}

}  // namespace agent
