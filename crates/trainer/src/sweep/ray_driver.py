"""Run the shards of a cointrainer sweep plan on a Ray cluster.

`cointrainer sweep ray` writes this file and runs it; it only maps shard
indices to `cointrainer sweep run-shard` calls of the same binary, with
per-shard CPU/GPU resources and up to --max-retries retries of a shard whose
worker died or whose `cointrainer` process was killed by a signal (the OOM
killer, say). A shard that fails (bad input: a nonzero exit status) is
reported with its error and not retried; the others go on. One JSON line per
finished shard, then a summary line; the exit status is 1 when a shard
failed, 2 on timeout.
"""

import argparse
import json
import os
import subprocess
import sys
import time


class ShardKilled(Exception):
    """The shard's `cointrainer` process died from a signal: retried."""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--address", required=True)
    p.add_argument("--plan", required=True)
    p.add_argument("--binary", required=True)
    p.add_argument("--config")
    p.add_argument("--cwd")
    p.add_argument("--cpus-per-shard", type=float, default=1.0)
    p.add_argument("--gpus-per-shard", type=float, default=0.0)
    p.add_argument("--max-retries", type=int, default=3)
    p.add_argument("--timeout", type=float, default=0.0)
    a = p.parse_args()
    with open(a.plan) as f:
        n = sum(1 for line in f if line.strip())

    import ray

    ray.init(address=a.address, logging_level="ERROR", log_to_driver=False)

    @ray.remote(
        num_cpus=a.cpus_per_shard,
        num_gpus=a.gpus_per_shard,
        max_retries=a.max_retries,
        retry_exceptions=[ShardKilled],
    )
    def shard(i):
        cmd = [a.binary]
        if a.config:
            cmd += ["--config", a.config]
        cmd += ["sweep", "run-shard", "--plan", a.plan, "--index", str(i)]
        cwd = a.cwd if a.cwd and os.path.isdir(a.cwd) else None
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
        if r.returncode < 0:
            raise ShardKilled("shard %d: cointrainer was killed by signal %d" % (i, -r.returncode))
        return i, r.returncode, (r.stdout + r.stderr).strip()[-2000:]

    pending = {shard.remote(i): i for i in range(n)}
    failed = []
    done = 0
    start = time.monotonic()
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=5.0)
        for ref in ready:
            i = pending.pop(ref)
            try:
                _, rc, out = ray.get(ref)
            except Exception as e:  # the task failed past its retries
                e = getattr(e, "cause", None) or e  # the task's own error, not Ray's traceback
                rc, out = -1, ("%s: %s" % (type(e).__name__, e))[-2000:]
            done += 1
            line = {"shard": i, "ok": rc == 0, "done": done, "total": n}
            if rc != 0:
                line["error"] = out
                failed.append(i)
            print(json.dumps(line), flush=True)
        if a.timeout and time.monotonic() - start > a.timeout:
            print(json.dumps({"timeout": True, "pending": sorted(pending.values())}), flush=True)
            sys.exit(2)
    print(json.dumps({"total": n, "failed": sorted(failed)}), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
