// var/state/refresh.state: for each central server (or mirror) whose index was last accepted, the
// validators it sent with it (ETag, Last-Modified), so the next refresh asks it conditionally and
// a quiet fleet costs one small 304 per server per interval.
//
//   server<TAB>URL<TAB>ETAG<TAB>LAST-MODIFIED
//
// A validator holding a control character is not kept: it would be sent back as a header.
#pragma once

#include <map>
#include <string>

#include "trust/layout.h"
#include "trust/result.h"

namespace agent {

struct IndexValidators {
  std::string etag, last_modified;
};

// By index URL. A missing or damaged file reads as none (every index is fetched in full once).
std::map<std::string, IndexValidators> load_index_validators(const trust::Layout& layout);
trust::Result<void> save_index_validators(const trust::Layout& layout,
                                          const std::map<std::string, IndexValidators>& by_url);

}  // namespace agent
