// Editing etc/trustagent.conf the way a person would: one `key = value` line changed in place (or
// appended), every comment and other setting kept as it was.
#pragma once

#include <string>

#include "trust/result.h"

namespace agent {

// `content` with the first active `key = …` line set to `key = value`, later active duplicates of
// the key removed, or the line appended when the key is not set. Commented lines are left alone.
std::string with_setting(const std::string& content, const std::string& key,
                         const std::string& value);

}  // namespace agent
