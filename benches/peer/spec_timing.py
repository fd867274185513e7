"""Timing rules of shared/bench/SPEC.md section 0.1, shared by the peer scripts.

- Native thread pools are pinned to 2 threads (call `pin_threads()` before
  numpy, torch or LightGBM is imported).
- Foreign CPU time = the machine's busy CPU time minus this process's
  (and its children's) during the timed region. A run is quiet when the
  foreign time is at most max(1 s, 3% of 2 x wall).
- A run that is not quiet is repeated once the machine has been idle
  (< 5% busy over 3 s), up to a number of tries.

This module imports nothing heavy so that pinning takes effect.
"""

import os
import resource
import sys
import time

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pin_threads(n=2):
    """Pin every native pool to `n` threads (before the libraries load)."""
    for var in THREAD_VARS:
        os.environ[var] = str(n)


def system_busy_s():
    """Busy CPU seconds of the whole machine (first line of /proc/stat)."""
    with open("/proc/stat") as f:
        v = [float(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK_TCK


def own_cpu_s():
    """CPU seconds of this process and its reaped children."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def is_quiet(foreign, wall):
    return foreign <= max(1.0, 0.03 * 2.0 * wall)


def wait_idle(max_wait_s=600.0):
    """Wait until the machine is < 5% busy over 3 s; False on time-out."""
    deadline = time.monotonic() + max_wait_s
    ncpu = os.cpu_count() or 1
    while time.monotonic() < deadline:
        b0 = system_busy_s()
        time.sleep(3.0)
        if (system_busy_s() - b0) / (3.0 * ncpu) < 0.05:
            return True
    return False


class Timed:
    """What `timed` measured: the task's result and the SPEC 0.1 facts."""

    def __init__(self, result, wall, foreign, own, quiet, attempts):
        self.result = result
        self.wall = wall
        self.foreign = foreign
        self.own = own
        self.quiet = quiet
        self.attempts = attempts


def timed(fn, max_tries=3, own=own_cpu_s):
    """Run `fn()` until a run is quiet or `max_tries` runs were made,
    waiting for an idle machine between tries. `own` measures this
    process's CPU seconds (pass one that also counts worker processes)."""
    max_tries = max(1, max_tries)
    for attempt in range(1, max_tries + 1):
        busy0, own0 = system_busy_s(), own()
        t0 = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - t0
        used = own() - own0
        foreign = max(0.0, (system_busy_s() - busy0) - used)
        quiet = is_quiet(foreign, wall)
        if quiet or attempt == max_tries:
            return Timed(result, wall, foreign, used, quiet, attempt)
        print(f"# not quiet (foreign {foreign:.2f} s), waiting for idle", file=sys.stderr)
        wait_idle()
    raise AssertionError("unreachable")
