"""The content's own checks: every fact dated and sourced, no past target stated as a goal, no
place name or commune count that contradicts content/communes.csv (check.py), and the facts due
for review that the admin lists (review.py)."""
