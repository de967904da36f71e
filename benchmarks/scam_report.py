"""Precision and recall of the scam check: `python -m benchmarks.scam_report`."""

from __future__ import annotations

from bot.features.scam.evaluation import evaluate


def main() -> None:
    scores, mistakes = evaluate()
    print(f"{'set':<10}{'examples':>9}{'precision':>11}{'recall':>8}  tp fp fn tn")
    for name, s in scores.items():
        print(
            f"{name:<10}{s.total:>9}{s.precision:>11.2f}{s.recall:>8.2f}  "
            f"{s.tp} {s.fp} {s.fn} {s.tn}"
        )
    for label, risk, text in mistakes:
        print(f"mistake: {label} rated {risk}: {text[:100]}")


if __name__ == "__main__":
    main()
