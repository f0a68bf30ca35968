// SPDX-License-Identifier: Apache-2.0
// Fault containment for in-process plugins.
//
// Why this and not more: a plugin is a shared object in our address space, so
// nothing short of a separate process isolates it. What is practical in-process
// is to survive the common failure, a wild or null pointer in the plugin's own
// code: every plugin runs on its own thread inside a FaultTrap; a synchronous
// fault signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL) raised on that thread while the
// trap is armed is turned into a siglongjmp back to the plugin dispatcher, which
// marks the plugin failed and never calls it again. The handler runs on an
// alternate signal stack, so a stack overflow in the plugin is caught as well.
//
// Limits, by construction: whatever the plugin held when it faulted is lost for
// good (its heap blocks, its libuv handles, any lock it had taken: if that lock
// is shared with the host, e.g. the allocator's, the process can still hang);
// corruption the plugin caused before faulting is not undone; a plugin that
// scribbles over host memory without faulting is not detected. Faults on any
// other thread, or outside a trap, go to the previously installed handler (under
// AddressSanitizer that is ASan's, which reports and exits), so the host's own
// bugs still crash loudly. Run untrusted adapters out of process instead.
#pragma once

#include <csetjmp>
#include <csignal>
#include <cstddef>

namespace adapters {

struct FaultTrap {
  sigjmp_buf jump;
  volatile sig_atomic_t armed = 0;
  volatile sig_atomic_t signal = 0;  // the signal that sprang the trap
};

// Installs the process-wide handlers (again, if something replaced them). They
// chain to whatever was installed before (the default action, or a sanitizer's).
void installFaultHandlers();

// The calling thread's trap (nullptr = none): the handler jumps to it when armed.
void setThreadTrap(FaultTrap* trap);

// An alternate signal stack for the calling thread while this lives, unless the
// thread already has one (a sanitizer runtime gives every thread its own).
class AltSignalStack {
 public:
  AltSignalStack();
  ~AltSignalStack();
  AltSignalStack(const AltSignalStack&) = delete;
  AltSignalStack& operator=(const AltSignalStack&) = delete;

 private:
  void* memory_ = nullptr;
  size_t size_ = 0;
};

const char* faultName(int signal);

}  // namespace adapters
