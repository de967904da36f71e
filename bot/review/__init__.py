"""The review queue: citizens' questions the assistant did not answer well, grouped for an admin
to assign to an answer (issue 18 item 1)."""
