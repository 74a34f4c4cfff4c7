// Text that came from outside (a certificate's subject, issuer or SANs, a server's reply, a policy
// value, a file name) is attacker-controlled. Before trustagent writes it anywhere (a PEM comment,
// the index, a state file, JSON, a log line, a terminal) it passes through one of these, so that it
// cannot be read back as something else: not as a PEM boundary, not as a second line or record, not
// as a terminal or bidirectional-text control, and not as invalid UTF-8 that aborts a JSON encoder.
//
// Escapes are written with a backslash and are unambiguous to a reader:
//   \xNN      a byte that is not part of valid UTF-8, or an ASCII control character (C0, DEL)
//   \u{NNNN}  a Unicode control or format character: C1 (U+0080..U+009F, U+0085 NEL included),
//             the line and paragraph separators U+2028/U+2029, bidirectional overrides and
//             isolates (U+202A..U+202E, U+2066..U+2069, U+200E/U+200F, U+061C), U+FEFF
// Every other code point of valid UTF-8 passes unchanged.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace trust {

// Valid UTF-8 with no control or format characters; the escapes above replace the rest.
std::string printable_text(std::string_view raw);

// printable_text(), and then safe between PEM blocks of a file read by OpenSSL, GnuTLS, NSS or Go:
// no run of five dashes anywhere (the 5th dash of a run becomes \x2d), and at most `max_bytes`
// bytes (cut at a character boundary, "..." marking the cut), so that a comment line of which it
// is a part stays well below the 254-byte pieces OpenSSL's PEM reader reads a line in.
inline constexpr size_t kMaxCommentText = 160;
std::string pem_comment_text(std::string_view raw, size_t max_bytes = kMaxCommentText);

}  // namespace trust
