"""Precision and recall of the scam check: `python -m benchmarks.scam_report`.

The frozen test part is printed without its mistakes (reading them would turn it into a
development set); `--show-test-mistakes` prints them anyway, for a closing review."""

from __future__ import annotations

import argparse

from bot.features.scam.evaluation import DEVELOPMENT, TEST, evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-test-mistakes", action="store_true")
    args = parser.parse_args()
    print(f"{'set':<24}{'examples':>9}{'precision':>11}{'recall':>8}  tp fp fn tn")
    for name, path in (("development", DEVELOPMENT), ("test (frozen)", TEST)):
        scores, mistakes = evaluate(path)
        for part, s in scores.items():
            label = name if part == "all" else f"  {part}"
            print(
                f"{label:<24}{s.total:>9}{s.precision:>11.2f}{s.recall:>8.2f}  "
                f"{s.tp} {s.fp} {s.fn} {s.tn}"
            )
        if path == DEVELOPMENT or args.show_test_mistakes:
            for label, risk, text in mistakes:
                print(f"  mistake: {label} rated {risk}: {text[:100]}")


if __name__ == "__main__":
    main()
