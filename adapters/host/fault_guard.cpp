// SPDX-License-Identifier: Apache-2.0
#include "adapters/host/fault_guard.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

namespace adapters {

namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
struct sigaction g_previous[NSIG];
thread_local FaultTrap* t_trap = nullptr;

// Async-signal-safe by construction: reads a thread-local, jumps or chains.
void onFault(int signal, siginfo_t* info, void* context) {
  FaultTrap* trap = t_trap;
  if (trap != nullptr && trap->armed) {
    trap->armed = 0;
    trap->signal = signal;
    siglongjmp(trap->jump, 1);
  }
  const struct sigaction& previous = g_previous[signal];
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal, info, context);
    return;
  }
  if (previous.sa_handler == SIG_IGN) {
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != nullptr) {
    previous.sa_handler(signal);
    return;
  }
  // The default action: reinstall it; returning re-executes the faulting
  // instruction, which now terminates the process with the right signal (and core).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(signal, &dfl, nullptr);
  if (info == nullptr || info->si_code <= 0) {
    raise(signal);  // sent by kill(): nothing to re-execute
  }
}

}  // namespace

// Idempotent; re-installs ours when someone replaced it since (a test harness
// that sets and restores its own handlers around each test does).
void installFaultHandlers() {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  for (int signal : kSignals) {
    struct sigaction current {};
    if (sigaction(signal, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) != 0 &&
        current.sa_sigaction == onFault) {
      continue;
    }
    struct sigaction action {};
    action.sa_sigaction = onFault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(signal, &action, &g_previous[signal]);
  }
}

void setThreadTrap(FaultTrap* trap) { t_trap = trap; }

AltSignalStack::AltSignalStack() {
  stack_t current{};
  if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0) {
    return;  // the thread has one already
  }
  size_ = 64 * 1024;
  memory_ = std::malloc(size_);
  if (memory_ == nullptr) {
    return;
  }
  stack_t mine{};
  mine.ss_sp = memory_;
  mine.ss_size = size_;
  if (sigaltstack(&mine, nullptr) != 0) {
    std::free(memory_);
    memory_ = nullptr;
  }
}

AltSignalStack::~AltSignalStack() {
  if (memory_ == nullptr) {
    return;
  }
  stack_t off{};
  off.ss_flags = SS_DISABLE;
  sigaltstack(&off, nullptr);
  std::free(memory_);
}

const char* faultName(int signal) {
  switch (signal) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    default:
      return "a signal";
  }
}

}  // namespace adapters
