#pragma once
// Runtime red flags of the deployed stack, for rung 7 (clean), read from what docker prints
// for the two commands the runner runs after the suite's deploys:
//   docker --context S stack ps STACK --no-trunc --format '{{json .}}'
//     one JSON object per task, current and past (docker/cli cli/command/task/formatter.go):
//     {"CurrentState":"Running 2 minutes ago","DesiredState":"Running","Error":"","ID":"...",
//      "Image":"...","Name":"STACK_app.1","Node":"...","Ports":""}; with a non-table format
//     the earlier tasks of a slot carry the same Name, not the " \_ " prefix.
//   docker --context S inspect --type container --format '{{json .Name}} {{json .State.OOMKilled}}'
//   ID...
//     one line per container: "/STACK_app.1.x7k" true; the IDs come from
//     `docker --context S ps --all --no-trunc --quiet --filter
//     label=com.docker.stack.namespace=STACK`.
// A task that failed, was rejected or orphaned, or ended with an error, is a flag; so is one
// that completed and was replaced in its slot (swarm restarted it). Tasks shut down because
// the suite redeployed (upgrade) are not. Swarm reports a container the kernel killed for
// memory only as "non-zero exit (137)", so OOM kills are read from the containers.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bot/runner/finding.h"

namespace ccci::runner {

struct StackTask {
  std::string id;
  std::string name;     // service.slot
  std::string desired;  // Running, Shutdown...
  std::string state;    // the first word of CurrentState: Running, Failed, Complete...
  std::string error;
};

// InvalidArgument when a non-empty line is not a task object.
Result<std::vector<StackTask>> ParseStackPs(std::string_view output);

std::vector<Finding> TaskFlags(const std::vector<StackTask>& tasks);

// The containers `docker inspect` says were OOM-killed. InvalidArgument on a line that is not
// `"<name>" true|false`.
Result<std::vector<Finding>> OomFlags(std::string_view inspect_output);

}  // namespace ccci::runner
