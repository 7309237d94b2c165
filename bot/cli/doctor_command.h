#pragma once
// `cc-ci doctor [--config FILE]`: checks that this host is ready to run cc-ci (doctor.h),
// one line per check, and exits non-zero when any check failed.

namespace ccci {

// argv[0] is "doctor". Returns the process exit code.
int RunDoctorCommand(int argc, char** argv);

}  // namespace ccci
