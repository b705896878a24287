#include "tidewire/push/push_notifier.hpp"

#include <string>
#include <vector>

#include "tidewire/common/log.hpp"

namespace tidewire::push {

Status PushNotifier::notify(const v1::PushRequest& request, const std::string& key) {
  auto accepted = service_.push(request, key);
  if (accepted) return {};
  // The key was taken by this notice already, sent without recipients unknown at the time
  // (below); notice keys are their caller's own, so a conflict means "sent".
  if (accepted.error().code == ErrorCode::kConflict) return {};
  if (accepted.error().reason != "unknown_recipient") return accepted.error();
  v1::PushRequest known = request;
  known.clear_recipient_ids();
  std::vector<std::string> unknown;
  for (const auto& id : request.recipient_ids()) {
    auto r = service_.recipient(id);
    if (r) {
      known.add_recipient_ids(id);
    } else if (r.error().code == ErrorCode::kNotFound) {
      unknown.push_back(id);
    } else {
      return r.error();
    }
  }
  if (unknown.empty()) return accepted.error();  // refused for another reason
  std::string names;
  for (const auto& id : unknown) names += (names.empty() ? "" : ", ") + id;
  metrics_
      .counter("tw_push_notice_unknown_recipients_total",
               "Recipient ids named by a module's notice (an alert rule) that are not registered, per notice")
      .inc(unknown.size());
  TW_WARN("push", "notice " << key << " names unregistered recipient(s) " << names
                            << "; sent to the others (register them with PUT /v1/recipients/{id} or fix the rule)");
  if (known.recipient_ids().empty() && known.tags().empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no registered recipient: " + names + " unknown");
  }
  auto again = service_.push(known, key);
  if (!again) return again.error();
  return {};
}

}  // namespace tidewire::push
