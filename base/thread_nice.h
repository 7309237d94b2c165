#pragma once
// A thread's own nice value. On Linux each thread has one (setpriority on its thread id), so a
// process can run one thread ahead of, or behind, its others.

#include "base/status.h"

namespace ccci {

// Adds `delta` to the calling thread's nice value (clamped by the kernel to -20..19). Raising
// the priority (delta < 0) needs CAP_SYS_NICE or an RLIMIT_NICE that allows the new value
// (systemd: LimitNICE=); refused, the thread keeps its value and the error says what to grant.
Status AddThreadNice(int delta);

// The calling thread's nice value.
int ThreadNice();

}  // namespace ccci
