// Which files feed the merged store, in order: the agent's own cainfo.pem, cainfo-ss.pem and
// cainfo-reserve.pem, then every admin-named CA file (command line, config, later policy CAInfo)
// in the order given. An admin CA file must be an absolute path: a relative one would depend on
// the agent's working directory.
#pragma once

#include <string>
#include <vector>

#include "trust/layout.h"
#include "trust/merge.h"
#include "trust/result.h"

namespace policy {

trust::Result<std::vector<trust::SourceSpec>> build_source_list(
    const trust::Layout& layout, const std::vector<std::string>& ca_files);

// The sources trustagent writes itself (add, remove, fetch, reserves); never an admin's file.
std::vector<std::string> agent_managed_sources(const trust::Layout& layout);

}  // namespace policy
