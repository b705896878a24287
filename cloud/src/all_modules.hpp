#pragma once
// Every capability module tidewire-cloud can run, in dependency order (a module finds the
// services of those before it). main.cpp hands them to the CloudHost; the security tests
// walk the routes of exactly this list, so a module added here is checked too.
#include <vector>

#include "tidewire/cloud/module.hpp"

namespace tidewire::cloud {

std::vector<CloudModulePtr> all_modules();

}  // namespace tidewire::cloud
