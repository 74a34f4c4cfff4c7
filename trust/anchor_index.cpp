#include "trust/anchor_index.h"

#include <sys/stat.h>

#include <charconv>
#include <cstring>
#include <map>

#include "trust/certificate.h"
#include "trust/fingerprint.h"
#include "trust/merge_state.h"
#include "trust/ossl.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace trust {
namespace {

constexpr std::string_view kHeader = "trustagent-index 2 ";

// Anchors decoded for one name at most: beyond it a lookup stops and says so (10,000 anchors of
// one name would otherwise cost seconds in every handshake).
constexpr size_t kMaxSameName = 64;

int get_by_subject(X509_LOOKUP* lookup, X509_LOOKUP_TYPE type, const X509_NAME* name,
                   X509_OBJECT* ret) {
  if (type != X509_LU_X509 || name == nullptr) return 0;
  auto* self = static_cast<AnchorIndex*>(X509_LOOKUP_get_method_data(lookup));
  return self->add_matching(X509_LOOKUP_get_store(lookup), *name, ret);
}

// One method for the process; OpenSSL keeps a pointer to it in every store that uses it.
X509_LOOKUP_METHOD* index_method() {
  static X509_LOOKUP_METHOD* method = [] {
    X509_LOOKUP_METHOD* m = X509_LOOKUP_meth_new("trustagent store index");
    X509_LOOKUP_meth_set_get_by_subject(m, get_by_subject);
    return m;
  }();
  return method;
}

int store_ex_index() {
  static const int index = X509_STORE_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

Result<std::shared_ptr<AnchorIndex>> AnchorIndex::open(const Layout& layout) {
  auto store = MappedFile::open(layout.merged);
  if (!store) return store.error();
  auto index = MappedFile::open(layout.merged_index);
  std::optional<MappedFile> mapped;
  if (index) mapped.emplace(std::move(*index));
  std::shared_ptr<AnchorIndex> self(new AnchorIndex(std::move(*store), std::move(mapped)));
  // The index is trusted only if it names the store that the last merge wrote and the store has
  // not been touched since: checking that costs a stat, hashing 10,000 anchors would not.
  std::string_view bytes = self->index_ ? self->index_->bytes() : std::string_view();
  auto state = load_merge_state(layout.merge_state);
  struct stat st {};
  bool store_untouched = false;
  if (state && ::stat(layout.merged.c_str(), &st) == 0) {
    store_untouched = static_cast<int64_t>(st.st_size) == state->merged_stamp.size &&
                      st.st_ino == state->merged_stamp.ino;
  }
  self->stale_ = !self->index_ || !state || !store_untouched ||
                 bytes.substr(0, kHeader.size()) != kHeader ||
                 bytes.substr(kHeader.size(), 64) != state->merged_sha256;
  return self;
}

std::vector<AnchorIndex::Line> AnchorIndex::lines_matching(const std::string& field) const {
  std::vector<Line> out;
  if (stale_) return out;
  std::string needle = "\t" + field + "\t";
  std::string_view text = index_->bytes();
  for (size_t hit = text.find(needle); hit != std::string_view::npos;
       hit = text.find(needle, hit + 1)) {
    size_t start = text.rfind('\n', hit);
    start = start == std::string_view::npos ? 0 : start + 1;
    size_t end = text.find('\n', hit);
    std::string_view line = text.substr(start, end - start);
    std::string_view f[8];
    size_t from = 0;
    int n = 0;
    for (; n < 8; ++n) {
      size_t tab = line.find('\t', from);
      f[n] = line.substr(from, tab == std::string_view::npos ? std::string_view::npos : tab - from);
      if (tab == std::string_view::npos) break;
      from = tab + 1;
    }
    Line l;
    if (n < 7 || !parse_number(f[0], l.index) || !parse_number(f[3], l.subject_hash, 16) ||
        !parse_number(f[4], l.offset) || !parse_number(f[5], l.length)) {
      continue;
    }
    // The needle may have matched another column (an offset that looks like a hash).
    if (f[1] != field && f[3] != field) continue;
    l.sha256 = f[1];
    l.key_id = f[6];
    l.subject = f[7];
    out.push_back(std::move(l));
    hit = end == std::string_view::npos ? text.size() - 1 : end;
  }
  return out;
}

std::optional<IndexedAnchor> AnchorIndex::find_by_sha256(const std::string& sha256_hex) const {
  for (const auto& a : loaded_) {
    if (a.sha256 == sha256_hex) return a;
  }
  for (auto& l : lines_matching(sha256_hex)) {
    if (l.sha256 == sha256_hex) return IndexedAnchor{l.index, l.sha256, l.subject};
  }
  return std::nullopt;
}

std::vector<IndexedAnchor> AnchorIndex::find_by_subject_hash(unsigned long subject_hash) const {
  std::vector<IndexedAnchor> out;
  for (auto& l : lines_matching(hex_number(subject_hash))) {
    if (l.subject_hash == subject_hash) out.push_back({l.index, l.sha256, l.subject});
  }
  return out;
}

int AnchorIndex::add_matching(X509_STORE* store, const X509_NAME& name, X509_OBJECT* ret) {
  int ok = 0;
  unsigned long hash = X509_NAME_hash_ex(&name, nullptr, nullptr, &ok);
  if (!ok) {
    ossl::drain_errors();
    return 0;
  }
  int found = 0;
  size_t decoded = 0;
  for (auto& l : lines_matching(hex_number(hash))) {
    if (l.subject_hash != hash || l.offset + l.length > store_.bytes().size()) continue;
    if (added_.count(l.offset)) continue;
    if (++decoded > kMaxSameName) {
      note_cap(l.subject);
      break;
    }
    ReadResult read = split_certificates(store_.bytes().substr(l.offset, l.length));
    if (read.certs.size() != 1) continue;
    const auto* p = reinterpret_cast<const unsigned char*>(read.certs[0].der.data());
    ossl::Ptr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(read.certs[0].der.size())));
    ++parsed_;
    if (!x || X509_NAME_cmp(X509_get_subject_name(x.get()), &name) != 0) continue;
    added_.insert(l.offset);
    // Every anchor with this name goes into the store, so the verifier can pick the one whose key
    // signed the certificate (two anchors share a name during a rollover).
    X509_STORE_add_cert(store, x.get());
    if (!found && ret != nullptr && X509_OBJECT_set1_X509(ret, x.get()) == 1) {
      // OpenSSL's caller treats `ret` as borrowed from the store (the by_dir lookup fills it
      // without a reference) and takes its own reference; so give back the one set1 took.
      // The store keeps the certificate alive for the whole verification.
      X509_free(x.get());
    }
    found = 1;
  }
  ossl::drain_errors();
  return found;
}

void AnchorIndex::note_cap(const std::string& subject) {
  capped_ = "more than " + std::to_string(kMaxSameName) + " anchors are named '" + subject +
            "'; only the first " + std::to_string(kMaxSameName) +
            " (or those whose key identifier the certificate names) were tried";
}

ossl::Ptr<X509> AnchorIndex::decode(const Line& l) {
  if (l.offset + l.length > store_.bytes().size()) return nullptr;
  ReadResult read = split_certificates(store_.bytes().substr(l.offset, l.length));
  if (read.certs.size() != 1) return nullptr;
  const auto* p = reinterpret_cast<const unsigned char*>(read.certs[0].der.data());
  ++parsed_;
  return ossl::Ptr<X509>(d2i_X509(nullptr, &p, static_cast<long>(read.certs[0].der.size())));
}

int AnchorIndex::find_issuer(X509** issuer, X509_STORE_CTX* ctx, X509* x) {
  const X509_NAME* name = X509_get_issuer_name(x);
  int ok = 0;
  unsigned long hash = X509_NAME_hash_ex(name, nullptr, nullptr, &ok);
  std::vector<Line> candidates;
  if (ok) {
    std::string wanted_key = authority_key_id(*x);
    for (auto& l : lines_matching(hex_number(hash))) {
      if (l.subject_hash != hash) continue;
      // An anchor without a key identifier may still be the one (OpenSSL treats it so).
      if (!wanted_key.empty() && l.key_id != wanted_key && l.key_id != "-") continue;
      if (candidates.size() == kMaxSameName) {
        note_cap(l.subject);
        break;
      }
      candidates.push_back(std::move(l));
    }
  }
  // The one whose key verifies x's signature, valid now if any is: two anchors may share a name
  // and even lack key identifiers, and OpenSSL would stop at the first of them.
  ossl::Ptr<X509> chosen;
  bool chosen_current = false;
  for (const auto& l : candidates) {
    ossl::Ptr<X509> cand = decode(l);
    if (!cand || X509_NAME_cmp(X509_get_subject_name(cand.get()), name) != 0) continue;
    if (X509_check_issued(cand.get(), x) != X509_V_OK) continue;
    EVP_PKEY* key = X509_get0_pubkey(cand.get());
    if (key == nullptr || X509_verify(x, key) != 1) continue;
    bool current = X509_cmp_current_time(X509_get0_notBefore(cand.get())) < 0 &&
                   X509_cmp_current_time(X509_get0_notAfter(cand.get())) > 0;
    if (!chosen || (current && !chosen_current)) {
      chosen = std::move(cand);
      chosen_current = current;
    }
    if (chosen_current) break;
  }
  ossl::drain_errors();
  if (chosen) {
    *issuer = chosen.release();
    return 1;
  }
  // Anchors added to the store directly (connect --ca-file style requests) are found the usual way.
  return X509_STORE_CTX_get1_issuer(issuer, ctx, x);
}

Result<void> AnchorIndex::attach(X509_STORE* store) {
  if (stale_) {
    // Never trust less than the store says: load every anchor of it, in order.
    ReadResult read = split_certificates(store_.bytes());
    for (const auto& raw : read.certs) {
      const auto* p = reinterpret_cast<const unsigned char*>(raw.der.data());
      ossl::Ptr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(raw.der.size())));
      ++parsed_;
      if (!x) continue;
      X509_STORE_add_cert(store, x.get());
      char* subject = X509_NAME_oneline(X509_get_subject_name(x.get()), nullptr, 0);
      loaded_.push_back(
          {static_cast<int>(loaded_.size()) + 1, to_hex(raw.sha256), subject ? subject : ""});
      OPENSSL_free(subject);
    }
    ossl::drain_errors();
    return {};
  }
  X509_LOOKUP* lookup = X509_STORE_add_lookup(store, index_method());
  if (lookup == nullptr) {
    return make_error(Code::kBadInput, "cannot attach the store index: " + ossl::drain_errors());
  }
  X509_LOOKUP_set_method_data(lookup, this);
  if (X509_STORE_set_ex_data(store, store_ex_index(), this) != 1) {
    return make_error(Code::kBadInput, "cannot attach the store index: " + ossl::drain_errors());
  }
  X509_STORE_set_get_issuer(store, [](X509** issuer, X509_STORE_CTX* ctx, X509* x) {
    auto* self = static_cast<AnchorIndex*>(
        X509_STORE_get_ex_data(X509_STORE_CTX_get0_store(ctx), store_ex_index()));
    return self != nullptr ? self->find_issuer(issuer, ctx, x)
                           : X509_STORE_CTX_get1_issuer(issuer, ctx, x);
  });
  return {};
}

}  // namespace trust
