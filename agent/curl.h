// RAII for libcurl handles. curl_global_init runs once, in main.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace agent::curl {

struct EasyFree {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using Easy = std::unique_ptr<CURL, EasyFree>;

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

struct UrlFree {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using Url = std::unique_ptr<CURLU, UrlFree>;

}  // namespace agent::curl
