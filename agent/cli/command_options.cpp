#include "agent/cli/command_options.h"

#include "agent/certificate_file.h"
#include "trust/time_format.h"

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

void add_password_options(CLI::App* cmd, PasswordOptions& o) {
  o.password_option = cmd->add_option("--password", o.password,
                                      "PKCS#12 password (\"\" for none; visible to other local "
                                      "users in the process list: prefer --password-file); only "
                                      "its certificates are read, its key is never decrypted");
  cmd->add_option("--password-file", o.file, "File whose first line is the PKCS#12 password")
      ->excludes(o.password_option);
}

trust::Result<std::optional<std::string>> password_of(const PasswordOptions& o) {
  return agent::password_from(o.password, o.file,
                              o.password_option != nullptr && o.password_option->count() > 0);
}

void add_activation_options(CLI::App* cmd, ActivationOptions& o) {
  auto* at = cmd->add_option("--activate-at", o.at,
                             "When the reserve takes over: 2027-01-10T00:00:00Z, "
                             "2027-01-10T02:00:00+02:00 or 2027-01-10; default: when the "
                             "certificate it replaces expires");
  cmd->add_option("--activate-in", o.in_days, "When it takes over, in days from now")
      ->check(CLI::Range(0.0, 3650.0))
      ->excludes(at);
}

trust::Result<std::optional<int64_t>> activation_of(const ActivationOptions& o, int64_t now) {
  if (o.in_days >= 0) return std::optional(now + static_cast<int64_t>(o.in_days * 86400));
  if (o.at.empty()) return std::optional<int64_t>();
  auto at = trust::from_date_text(o.at);
  if (!at) {
    return trust::make_error(trust::Code::kBadInput,
                             "--activate-at '" + o.at +
                                 "' is not 2027-01-10T00:00:00Z, 2027-01-10T02:00:00+02:00, "
                                 "2027-01-10 or 10-01-2027 00:00");
  }
  return std::optional(*at);
}

}  // namespace cli
