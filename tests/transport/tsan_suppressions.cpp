// ThreadSanitizer builds only (make tsan): Debian's paho libraries are not built with
// -fsanitize=thread, so TSan cannot see the atomics inside them. Their delivery-token
// bookkeeping then looks like races, and paho-cpp's own lock pair (client mutex vs the C
// library's global mutex) like a lock-order inversion. The suppressions name paho's
// functions only, so a race in our adapter (even on paho's thread) is still reported.
extern "C" const char* __tsan_default_suppressions();
extern "C" const char* __tsan_default_suppressions() {
  return "race:mqtt::async_client::remove_token\n"
         "race:mqtt::delivery_token::~delivery_token\n"
         "race:mqtt::token::on_success\n"
         "race:mqtt::token::on_failure\n"
         "deadlock:mqtt::async_client::remove_token\n";
}
