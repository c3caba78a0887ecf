#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Transfer benchmarks of the core client against the simulator.

  bench/transfer.py [BUILD_DIR]

Download: a 200 MB result, by `clapboard-cli download` and by curl, from the
same simulator URL in the same run; throughput ratio (goal >= 0.9) and the
CLI's peak resident memory (goal < 30 MB).
Upload: a 10 MB image, by the core client (slot + PUT) and by curl's PUT to a
fresh presigned URL of the same simulator; throughput ratio (goal >= 0.9).
Each figure is the median of several runs.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROUNDS = 5
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "_build"))
cli = os.path.join(build, "src/cli/clapboard-cli")
sim = os.path.join(build, "src/sim/clapboard-sim")

subprocess.run(["ninja", "-C", build, "src/cli/clapboard-cli", "src/sim/clapboard-sim", "bench/bench-upload"],
               check=True, stdout=subprocess.DEVNULL)
upload = os.path.join(build, "bench/bench-upload")


def timed(argv, env=None):
    """Runs argv; returns (seconds, peak RSS in MB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed with {status}")
    return seconds, usage.ru_maxrss / 1024.0, out.decode()


def post_json(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer bench-key"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["data"]


with tempfile.TemporaryDirectory(prefix="clap-bench-") as tmp:
    blob = os.path.join(tmp, "result.mp4")
    with open(blob, "wb") as f:
        chunk = os.urandom(1 << 20)
        for _ in range(200):
            f.write(chunk)
    size_mb = os.path.getsize(blob) / 1e6

    server = subprocess.Popen([sim, "--port", "0", "--pending-ms", "0", "--processing-ms", "0",
                               "--result-file", blob, "--data-dir", os.path.join(tmp, "sim")],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = server.stdout.readline().split()[-1]
    env = dict(os.environ, CLAPBOARD_BASE_URL=base, CLAPBOARD_API_KEY="bench-key",
               CLAPBOARD_POLL_MS="50")
    try:
        _, _, out = timed([cli, "--quiet", "generate", "--prompt", "bench", "--wait"], env)
        task_id, url = out.split()[:2]

        curl_t, cli_t, rss = [], [], []
        for i in range(ROUNDS):
            dest = os.path.join(tmp, "curl.mp4")
            curl_t.append(timed(["curl", "-sf", "-o", dest, url])[0])
            os.unlink(dest)
            dest = os.path.join(tmp, "cli.mp4")
            t, m, _ = timed([cli, "--quiet", "download", task_id, "--output", dest], env)
            cli_t.append(t)
            rss.append(m)
            assert os.path.getsize(dest) == os.path.getsize(blob)
            os.unlink(dest)

        c, k = statistics.median(curl_t), statistics.median(cli_t)
        print(f"download {size_mb:.0f} MB: curl {size_mb / c:.0f} MB/s, clapboard-cli {size_mb / k:.0f} MB/s, "
              f"ratio {c / k:.2f} (goal >= 0.9); clapboard-cli peak RSS {max(rss):.1f} MB (goal < 30)")

        image = os.path.join(tmp, "big.png")
        with open(image, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x07\x80\x00\x00\x04\x38")
            f.write(os.urandom(10_000_000 - 24))
        image_mb = os.path.getsize(image) / 1e6

        curl_t, ours_t = [], []
        for i in range(ROUNDS):
            slot = post_json(base + "/api/v1/files", {"filename": "big.png", "contentType": "image/png",
                                                       "fileSize": os.path.getsize(image)})
            curl_t.append(timed(["curl", "-sf", "-T", image, "-H", "Content-Type: image/png",
                                 "-o", "/dev/null", slot["uploadUrl"]])[0])
            ours_t.append(float(timed([upload, base, image, "image/png"])[2]))

        c, k = statistics.median(curl_t), statistics.median(ours_t)
        print(f"upload {image_mb:.0f} MB: curl PUT {image_mb / c:.0f} MB/s, core client {image_mb / k:.0f} MB/s "
              f"(slot + PUT), ratio {c / k:.2f} (goal >= 0.9)")
    finally:
        server.terminate()
        server.wait()
