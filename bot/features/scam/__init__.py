"""Scam check: rate a pasted message, link or phone number and say why."""
