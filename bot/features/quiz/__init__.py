"""The digital-transformation quiz: question bank, attempts in chat, contests, leaderboard."""
