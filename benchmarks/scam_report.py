"""Precision and recall of the scam check: `python -m benchmarks.scam_report`.

Development sets print their mistakes. The frozen test part (2026c) is printed only when its file
is there, and without its mistakes (reading them would turn it into a development set);
`--show-test-mistakes` prints them anyway, for a closing review."""

from __future__ import annotations

import argparse

from bot.features.scam.evaluation import SETS, evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show-test-mistakes", action="store_true")
    args = parser.parse_args()
    print(f"{'set':<30}{'examples':>9}{'precision':>11}{'recall':>8}  tp fp fn tn")
    for name, path, readable in SETS:
        if not path.exists():  # the frozen part is kept apart until the lead measures it
            continue
        scores, mistakes = evaluate(path)
        for part, s in scores.items():
            label = name if part == "all" else f"  {part}"
            print(
                f"{label:<30}{s.total:>9}{s.precision:>11.2f}{s.recall:>8.2f}  "
                f"{s.tp} {s.fp} {s.fn} {s.tn}"
            )
        if readable or args.show_test_mistakes:
            for label, risk, text in mistakes:
                print(f"  mistake: {label} rated {risk}: {text[:100]}")


if __name__ == "__main__":
    main()
