"""Trained models: background retraining with the reviewed examples, versions with their
held-out accuracy, the swap on every worker and the rollback (issue 18 item 1)."""
