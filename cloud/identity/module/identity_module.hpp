#pragma once
// The identity module of tidewire-cloud: API tokens with scopes, the Gate that checks them
// on every route, the audit log of writes, and the `token` command (docs/security.md).
// List it first: the host installs its Gate in front of every module's routes.
#include "tidewire/cloud/module.hpp"

namespace tidewire::identity {

cloud::CloudModulePtr make_identity_module();

}  // namespace tidewire::identity
