/* A timing shim for tests/bench/runner/swarm_suite.sh: installed under a tool's name (abra,
 * docker, ...) in the directory $BENCH_SHIMS that starts PATH, it runs the real tool (PATH
 * without that directory, so the tool's own calls are not shimmed) and appends
 * "NAME START END ARG3 ARG4" (Unix seconds, microseconds) to $BENCH_TIMES. Written in C so
 * that what it adds outside the interval it notes is an exec, not a shell's start-up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  double start = Now();
  const char* name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  const char* shims = getenv("BENCH_SHIMS");
  const char* path = getenv("PATH");
  size_t n = shims ? strlen(shims) : 0;
  if (shims && path && strncmp(path, shims, n) == 0 && path[n] == ':') setenv("PATH", path + n + 1, 1);
  argv[0] = (char*)name;
  pid_t pid = fork();
  if (pid == 0) {
    execvp(name, argv);
    perror(name);
    _exit(127);
  }
  int status = 0;
  while (pid > 0 && waitpid(pid, &status, 0) < 0) {
  }
  double end = Now();
  const char* times = getenv("BENCH_TIMES");
  FILE* f = times ? fopen(times, "a") : NULL;
  if (f) {
    fprintf(f, "%s %.6f %.6f %s %s\n", name, start, end, argc > 3 ? argv[3] : "",
            argc > 4 ? argv[4] : "");
    fclose(f);
  }
  if (pid < 0) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
