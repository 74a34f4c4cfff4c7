#include "trust/layout.h"

namespace trust {

Layout Layout::at(const std::string& home_in) {
  std::string home = home_in;
  while (home.size() > 1 && home.back() == '/') home.pop_back();
  Layout l;
  l.home = home;
  l.etc_dir = home + "/etc";
  l.var_dir = home + "/var";
  l.state_dir = l.var_dir + "/state";
  l.policies_dir = l.var_dir + "/policies";
  l.hooks_dir = l.etc_dir + "/hooks.d";
  l.config = l.etc_dir + "/trustagent.conf";
  l.cainfo = l.etc_dir + "/cainfo.pem";
  l.cainfo_ss = l.etc_dir + "/cainfo-ss.pem";
  l.cainfo_reserve = l.etc_dir + "/cainfo-reserve.pem";
  l.merged = l.etc_dir + "/cainfo-merged.pem";
  l.merged_index = l.etc_dir + "/cainfo-merged.idx";
  l.capath = l.etc_dir + "/capath";
  l.merge_state = l.state_dir + "/merge.state";
  l.cert_cache = l.state_dir + "/certs.cache";
  l.reserve_state = l.state_dir + "/reserves.state";
  l.servers_state = l.state_dir + "/servers.state";
  l.clock_state = l.state_dir + "/clock.state";
  l.restored = l.state_dir + "/restored";
  l.policy_signers = l.etc_dir + "/policy-signers.pem";
  l.policy_index_state = l.state_dir + "/policy-index.state";
  l.refresh_state = l.state_dir + "/refresh.state";
  l.refresh_record = l.state_dir + "/refresh-record.json";
  l.status = l.state_dir + "/status.json";
  l.endpoint_id = l.state_dir + "/endpoint-id";
  l.acknowledged = l.state_dir + "/acknowledged";
  l.held_back = l.state_dir + "/held-back-policies";
  l.retired = l.var_dir + "/retired.pem";
  l.lock = l.var_dir + "/lock";
  l.daemon_lock = l.var_dir + "/daemon.lock";
  return l;
}

std::string Layout::policy_file(const std::string& guid) const {
  return policies_dir + "/" + guid + ".xml";
}

}  // namespace trust
