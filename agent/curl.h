// RAII for libcurl handles. curl_global_init runs once, in main.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>

namespace agent::curl {

struct EasyFree {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using Easy = std::unique_ptr<CURL, EasyFree>;

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

// Sets options one after another and keeps the first refusal: which option, and libcurl's word.
// (Not the curl_easy_setopt macro's compile-time type check: each call below states its type.)
class Options {
 public:
  explicit Options(CURL* h) : h_(h) {}
  template <class T>
  void operator()(CURLoption option, T value, const char* name) {
    if (failure_) return;
    CURLcode rc = curl_easy_setopt(h_, option, value);
    if (rc != CURLE_OK) failure_ = std::string(name) + " (" + curl_easy_strerror(rc) + ")";
  }
  const std::optional<std::string>& failure() const { return failure_; }

 private:
  CURL* h_;
  std::optional<std::string> failure_;
};

// Nothing but https: CURLOPT_PROTOCOLS_STR from libcurl 7.85, CURLOPT_PROTOCOLS before it (and
// in the TRUSTAGENT_OLDEST_CURL build, which compiles only what libcurl 7.76 has).
inline void only_https(Options& set) {
#if LIBCURL_VERSION_NUM >= 0x075500 && !defined(TRUSTAGENT_OLDEST_CURL)
  set(CURLOPT_PROTOCOLS_STR, "https", "CURLOPT_PROTOCOLS_STR");
#else
  set(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTPS), "CURLOPT_PROTOCOLS");
#endif
}

struct UrlFree {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using Url = std::unique_ptr<CURLU, UrlFree>;

}  // namespace agent::curl
