"""How fast the response scrubber alone streams the egress benchmark's body, in the proxy's image.

The end-to-end figure (npm run bench:egress) shares two cores with the fake upstream and the
client; this one is the proxy's own part: the bench body (JSON lines with a few escapes of
three schemes, as the fake upstream sends) fed in 64 KiB reads, as from an upstream, through a
ResponseStream with the test suite's three credentials. Prints the best of three runs.

    npm run bench:scrubber        (MIB=10 for a shorter body)
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "addons"))

from airlock_egress import HOLD_BYTES, window_for  # noqa: E402
from body_decoding import stream_decoder  # noqa: E402
from hidden_forms import DeepScrubber  # noqa: E402
from response_stream import ResponseStream  # noqa: E402
from secret_views import SecretScrubber  # noqa: E402

MiB = 1 << 20
READ = 64 << 10


class Credential:
    def __init__(self, name, value):
        self.name, self.value = name, value


# The values test/helpers/stack.ts plants in the proxy (TEST_SECRETS).
CREDENTIALS = [
    Credential("FAKE_API_TOKEN", "fk_live_9mQ2xT7vLp4RzW8nKc3J"),
    Credential("FAKE_FILE_TOKEN", "ff_file_Yb6Hs2Qe8Tn4Wr1Mz5Pd"),
    Credential("FAKE_SCOPED_TOKEN", "fs_scope_Vc7Gk3Ja9Lx2Nq6Rt4Bh"),
]


def bench_body(size):
    """What test/fixtures/fake-upstream/server.ts sends for /bytes?n=size."""
    lines, total, i = [], 0, 0
    while total < size:
        line = ('{"id":%d,"name":"item-%d","url":"https:\\/\\/x.test\\/a?b=1&c=%%20%d","note":"caf\\u00e9 &amp; more"}\n' % (i, i, i)).encode()
        lines.append(line)
        total += len(line)
        i += 1
    return b"".join(lines)[:size]


def stream_once(scrubber, body):
    stream = ResponseStream(scrubber, stream_decoder(None, 1 << 40), window_for(scrubber), 1 << 40, HOLD_BYTES)
    started, released = time.perf_counter(), 0
    for at in range(0, len(body), READ):
        released += sum(map(len, stream(body[at:at + READ])))
    released += sum(map(len, stream(b"")))
    elapsed = time.perf_counter() - started
    if released != len(body) or stream.poisoned:
        raise SystemExit(f"the scrubber changed the body: {released} of {len(body)} bytes, {stream.poisoned}")
    return elapsed


def main():
    mib = int(os.environ.get("MIB", "50"))
    body = bench_body(mib * MiB)
    scrubber = DeepScrubber(SecretScrubber(CREDENTIALS))
    best = min(stream_once(scrubber, body) for _ in range(3))
    print(f"scrubber alone: {mib} MiB in {best:.3f} s = {mib / best:.1f} MiB/s (best of 3, one core)")


if __name__ == "__main__":
    main()
