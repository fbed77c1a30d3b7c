"""Where a py-spy raw profile spends its samples: self time by function (the
innermost frame), and time under frames matching a pattern.

    python bench/measurements/py_spy_self.py /tmp/jl-bench-profile.1.raw [--top 40]
        [--under 'fold|ingest_rows']
"""

from __future__ import annotations

import argparse
import re
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--under", action="append", default=[])
    args = parser.parse_args()
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    with open(args.raw) as fh:
        for line in fh:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            n = int(count)
            total += n
            frames = stack.split(";")
            own[re.sub(r":\d+\)", ")", frames[-1])] += n
            for pattern in args.under:
                if any(re.search(pattern, f) for f in frames):
                    under[pattern] += n
    print(f"{total} samples")
    for name, n in own.most_common(args.top):
        print(f"{100 * n / total:6.2f} %  {name}")
    for pattern, n in under.items():
        print(f"under {pattern!r}: {100 * n / total:.2f} %")


if __name__ == "__main__":
    main()
