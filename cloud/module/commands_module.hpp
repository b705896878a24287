#pragma once
// The commands module: commands to devices, stored, sent to the edge each device was last
// seen through, re-sent until a result arrives or the deadline passes (CommandService),
// and their HTTP API (POST /v1/devices/{id}/commands, GET /v1/commands/{id}).
//
// Needs: FleetRegistry (fleet). Commands live in the registry's store because a result
// completes its command in the same transaction that stores the batch carrying it; so
// this module has no store option of its own.
// Provides: CommandService (dispatch sends its offers with it).
// Options: command-timeout-s, command-resend-s.
#include <memory>

#include "tidewire/cloud/module.hpp"

namespace tidewire::cloud {

CloudModulePtr make_commands_module();

}  // namespace tidewire::cloud
