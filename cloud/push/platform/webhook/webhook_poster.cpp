#include "webhook_poster.hpp"

namespace tidewire::push {

Status SenderWebhookPoster::post(const std::string& url, std::string json_body,
                                 std::vector<std::pair<std::string, std::string>> headers,
                                 std::function<void(bool, bool, const std::string&)> done) {
  return sender_.post(url, std::move(json_body), std::move(headers),
                      [done = std::move(done)](const WebhookResult& r) { done(r.ok, r.permanent, r.detail); });
}

}  // namespace tidewire::push
