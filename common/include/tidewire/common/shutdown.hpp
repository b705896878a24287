#pragma once
// SIGINT/SIGTERM turn into a flag and a wakeable fd, so every binary stops the same way:
// stop taking input, flush what is durable, close connections, exit 0.
namespace tidewire {

// Installs the handlers once. Returns an eventfd that becomes readable on the first signal.
int install_shutdown_handlers();
bool shutdown_requested();
// Lets tests and embedders ask for the same orderly stop without a signal.
void request_shutdown();
// Blocks until a signal arrives or request_shutdown() is called.
void wait_for_shutdown();

}  // namespace tidewire
