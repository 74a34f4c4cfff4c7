// Which files feed the merged store, in order: the agent's own cainfo.pem, cainfo-ss.pem and
// cainfo-reserve.pem, then every admin-named CA file (command line, config, later policy CAInfo)
// in the order given. An admin CA file must be an absolute path: a relative one would depend on
// the agent's working directory.
#pragma once

#include <string>
#include <vector>

#include "policy/policy_set.h"
#include "trust/layout.h"
#include "trust/merge.h"
#include "trust/result.h"

namespace policy {

// Order: the agent's three files, the policies' CAInfo/CAPath files (precedence order), the
// command-line and config CA files, then the system CA bundle if a policy asks for it.
trust::Result<std::vector<trust::SourceSpec>> build_source_list(
    const trust::Layout& layout, const std::vector<std::string>& ca_files,
    const Effective& effective = {});

// The sources trustagent writes itself (add, remove, fetch, reserves); never an admin's file.
std::vector<std::string> agent_managed_sources(const trust::Layout& layout);

}  // namespace policy
