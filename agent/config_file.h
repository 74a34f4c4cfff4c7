// Editing etc/trustagent.conf the way a person would: one `key = value` line changed in place (or
// added), every comment and other setting kept as it was.
#pragma once

#include <string>

#include "trust/result.h"

namespace agent {

// `content` with the first top-level `key = …` line (before any [section]) set to `key = value`,
// keeping an inline `# comment`; later top-level duplicates removed. When the key is not set at
// top level, the line is added before the first [section] (a setting below a section header
// belongs to that section and would not be read as the top-level one), or at the end.
// Commented lines and sections are left alone.
std::string with_setting(const std::string& content, const std::string& key,
                         const std::string& value);

}  // namespace agent
