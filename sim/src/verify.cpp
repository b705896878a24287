#include "tidewire/sim/verify.hpp"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>

#include "http/client.hpp"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::sim {

double percentile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string VerifyReport::to_json() const {
  std::ostringstream os;
  os << "{\"ok\":" << (ok() ? "true" : "false") << ",\"devices\":" << devices << ",\"expected_events\":" << expected
     << ",\"found_exactly_once\":" << found << ",\"missing\":" << missing << ",\"duplicated\":" << duplicated
     << ",\"device_outbox_drops\":" << device_drops << ",\"latency_ms\":{\"p50\":" << latency_p50_ms
     << ",\"p99\":" << latency_p99_ms << ",\"max\":" << latency_max_ms << "}}";
  return os.str();
}

Expected<VerifyReport> verify_in_cloud(const HttpEndpoint& cloud, const std::vector<DeviceLedger>& ledgers) {
  VerifyReport report;
  std::vector<double> latencies;
  google::protobuf::util::JsonParseOptions json;
  json.ignore_unknown_fields = true;
  for (const auto& ledger : ledgers) {
    ++report.devices;
    report.expected += ledger.scripted_seqs.size();
    report.device_drops += ledger.dropped;
    std::unordered_map<uint64_t, int> seen;  // seq -> times stored, this boot only
    std::unordered_map<uint64_t, double> latency;
    uint64_t after = 0;
    while (true) {
      std::string target = "/v1/devices/" + ledger.device_id + "/events?after_seq=" + std::to_string(after) +
                           "&limit=1000";
      auto resp = http::http_request(cloud.host, cloud.port, "GET", target, "", 10'000, cloud.auth());
      if (!resp) return resp.error().with_context("GET " + target);
      if (resp->status == 404) break;  // the cloud never heard of this device: all missing
      if (resp->status != 200) {
        return make_error(ErrorCode::kUnavailable, "GET " + target + " -> " + std::to_string(resp->status) + " " +
                                                       resp->body.substr(0, 200));
      }
      v1::EventList page;
      if (auto st = google::protobuf::util::JsonStringToMessage(resp->body, &page, json); !st.ok()) {
        return make_error(ErrorCode::kMalformed, "events page: " + std::string(st.message()));
      }
      for (const auto& e : page.events()) {
        if (e.boot_id() != ledger.boot_id) continue;
        seen[e.seq()]++;
        latency[e.seq()] = static_cast<double>(e.stored_ms() - e.device_time_ms());
      }
      if (page.next_after_seq() == 0 || page.events().empty()) break;
      after = page.next_after_seq();
    }
    for (uint64_t seq : ledger.scripted_seqs) {
      auto it = seen.find(seq);
      if (it == seen.end()) {
        ++report.missing;
        continue;
      }
      if (it->second > 1) ++report.duplicated;
      else ++report.found;
      latencies.push_back(latency[seq]);
    }
  }
  report.latency_p50_ms = percentile(latencies, 0.50);
  report.latency_p99_ms = percentile(latencies, 0.99);
  report.latency_max_ms = latencies.empty() ? 0 : latencies.back();
  return report;
}

}  // namespace tidewire::sim
