#pragma once
// The PushService's WebhookPoster over the WebhookSender: the service decides retries and
// states; the sender makes one bounded attempt and says whether retrying can help.
#include "tidewire/push/push_service.hpp"
#include "webhook/webhook_sender.hpp"

namespace tidewire::push {

class SenderWebhookPoster final : public WebhookPoster {
 public:
  explicit SenderWebhookPoster(WebhookSender& sender) : sender_(sender) {}
  Status post(const std::string& url, std::string json_body, std::vector<std::pair<std::string, std::string>> headers,
              std::function<void(bool ok, bool permanent, const std::string& detail)> done) override;
  Status check_url(const std::string& url) override { return sender_.check_url(url); }

 private:
  WebhookSender& sender_;
};

}  // namespace tidewire::push
