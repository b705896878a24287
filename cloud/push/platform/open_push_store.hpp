#pragma once
// The push store named by a store URL. The only code that names the push store backends:
// adding one (e.g. postgres://) is a line here and its adapter under platform/.
#include "tidewire/cloud/store_url.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/push/push_store.hpp"

namespace tidewire::push {

// sqlite: -> SqlitePushStore on url.path. Another scheme -> kInvalidArgument naming it and
// the backends built in.
Expected<PushStorePtr> open_push_store(const cloud::StoreUrl& url);

}  // namespace tidewire::push
