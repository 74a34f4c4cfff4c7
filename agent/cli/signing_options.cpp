#include "agent/cli/signing_options.h"

namespace cli {

void add_signing_options(CLI::App* cmd, SigningOptions& o, bool with_next_signers) {
  auto* key = cmd->add_option("--sign-key", o.signing.key_files,
                              "PEM private key of a policy signer: also write index.xml.sig, a "
                              "detached CMS signature (the key is never copied). Repeat with "
                              "--sign-cert to sign with several keys (rotating a signer)")
                  ->allow_extra_args(false);
  auto* cert = cmd->add_option("--sign-cert", o.signing.cert_files,
                               "The signer's certificate, one per --sign-key in the same order "
                               "(endpoints trust it with `policy trust-signer`)")
                   ->allow_extra_args(false);
  key->needs(cert);
  cert->needs(key);
  cmd->add_option("--sign-pass-file", o.signing.pass_file,
                  "File whose first line is the passphrase of an encrypted --sign-key")
      ->needs(key);
  cmd->add_option("--valid-days", o.valid_days,
                  "Days endpoints accept the signed index (default 7); publish again before then")
      ->check(CLI::PositiveNumber)
      ->needs(key);
  if (!with_next_signers) return;
  cmd->add_option("--next-signers", o.signing.next_signers_file,
                  "PEM certificates that replace the endpoints' policy signers once they accept "
                  "this index (rotation: list the new signer, sign with the current)")
      ->needs(key);
}

// nullopt without a key; an error for a lifetime no index may have.
trust::Result<std::optional<agent::IndexSigning>> signing_from(const SigningOptions& o) {
  if (o.signing.key_files.empty()) return std::optional<agent::IndexSigning>();
  // Checked before the conversion: NaN and huge values have no int64_t.
  if (!(o.valid_days >= 1.0 / 24 && o.valid_days <= 366)) {
    return trust::make_error(trust::Code::kBadInput,
                             "--valid-days must be from 0.0417 (an hour) to 366");
  }
  agent::IndexSigning s = o.signing;
  s.lifetime_seconds = static_cast<int64_t>(o.valid_days * 86400);
  return std::optional(s);
}

}  // namespace cli
