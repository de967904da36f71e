"""The gateway's tables (SQLAlchemy Core metadata shared with Alembic).

Records an admin can see hold pseudonymous user references only (`user_ref`), never a raw
platform id. Rasa's own tracker table (`events`) lives beside these and is not described here.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# One row per message, both directions: what the assistant understood and how fast (inbound),
# what it said (outbound, linked to the outbox row that carries its delivery/read status). Text is
# masked before storage, and kept (with the user reference) only for citizens who consented.
messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("user_ref", String(64), nullable=True),
    Column("direction", String(3), nullable=False, server_default="in"),  # in | out
    Column("conversation_id", Integer, nullable=True),
    Column("intent", String(64), nullable=True),
    Column("topic", String(32), nullable=True),
    Column("confidence", Float, nullable=True),
    Column("fallback", Boolean, nullable=True),
    Column("latency_ms", Float, nullable=True),
    Column("replies", Integer, nullable=True),
    Column("text", Text, nullable=True),
    Column("outbox_id", Integer, nullable=True),
)
Index("ix_messages_created_at", messages.c.created_at)
Index("ix_messages_user_ref", messages.c.user_ref)

# A conversation: a citizen's messages with no gap longer than the session timeout. Conversations
# of citizens who did not consent are counted with no user reference.
conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("user_ref", String(64), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("messages", Integer, nullable=False),
)
Index("ix_conversations_started_at", conversations.c.started_at)
Index("ix_conversations_user_ref", conversations.c.user_ref)

# What a citizen chose: consent (pending | granted | declined), their commune (optional), and
# what the assistant waits for from them (e.g. "commune"). A declined citizen keeps this one row
# so the choice is honoured; nothing else about them is stored.
citizens = Table(
    "citizens",
    metadata,
    Column("user_ref", String(64), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("consent", String(12), nullable=False),
    Column("consent_at", DateTime(timezone=True), nullable=True),
    Column("commune", String(64), nullable=True),
    Column("awaiting", String(16), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("nickname", String(40), nullable=True),  # chosen for the quiz leaderboard
    Column("newsletter", Boolean, nullable=True),  # subscribed to the monthly newsletter
    Column("newsletter_at", DateTime(timezone=True), nullable=True),
)

# Ratings after an answer (helpful / not helpful), with the topic of the answer rated.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("user_ref", String(64), nullable=True),
    Column("topic", String(32), nullable=True),
    Column("helpful", Boolean, nullable=False),
)
Index("ix_feedback_created_at", feedback.c.created_at)

# Inbound events, committed before the webhook is acknowledged. (platform, event_id) is unique:
# a retried or duplicated delivery finds its row and is answered once.
inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("page_id", String(64), nullable=False),
    Column("user_ref", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=True),  # masked before storage
    Column("payload", String(1000), nullable=True),
    # The platform's address of an attached image (a screenshot to read); cleared with the text
    # once the turn is done.
    Column("attachment_url", Text, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),  # pending | done | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("processed_at", DateTime(timezone=True), nullable=True),
    # Which worker took the row and until when (bot/pipeline/claims.py); a dead worker's claim
    # expires.
    Column("claimed_by", String(48), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    UniqueConstraint("platform", "event_id", name="uq_inbox_platform_event"),
)
Index("ix_inbox_status", inbox.c.status, inbox.c.id)
Index("ix_inbox_conversation", inbox.c.platform, inbox.c.user_ref, inbox.c.status, inbox.c.id)

# Replies waiting to be sent (or sent): written in the same transaction that completes the
# inbox row, sent by the relay in `seq` order per conversation.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("page_id", String(64), nullable=False),
    Column("user_ref", String(64), nullable=False),
    Column("inbox_id", Integer, nullable=True),
    Column("body", Text, nullable=False),  # JSON of the platform message (without recipient)
    Column("messaging_type", String(24), nullable=False, default="RESPONSE"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # pending | sending (claimed, on the wire) | sent | dead | unknown | cancelled
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("platform_message_id", String(128), nullable=True),
    Column("delivery", String(12), nullable=True),  # delivered | read
    Column("last_error", String(300), nullable=True),
    # The newsletter issue a message belongs to (its figures on the newsletter page).
    Column("issue_id", Integer, nullable=True),
    # What the message is: "reply" (to a turn), or a feature's kind, e.g. "newsletter"; features
    # act before or after sending their kinds (bot/pipeline/hooks.py).
    Column("kind", String(16), nullable=False, server_default="reply"),
    Column("claimed_by", String(48), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)
Index("ix_outbox_conversation", outbox.c.platform, outbox.c.user_ref, outbox.c.status, outbox.c.id)
Index("ix_outbox_message", outbox.c.platform, outbox.c.platform_message_id)

# The only place raw platform ids live: what is needed to send to a user. Admin pages and
# reports read user_ref only. Also holds the messaging window (last inbound time).
recipients = Table(
    "recipients",
    metadata,
    Column("user_ref", String(64), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("page_id", String(64), nullable=False),
    Column("platform_user_id", String(128), nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_inbound_at", DateTime(timezone=True), nullable=False),
    Column("followed", Boolean, nullable=True),
    # The last reply page/OA staff sent from outside the assistant: it stays quiet for a while.
    Column("staff_reply_at", DateTime(timezone=True), nullable=True),
    # Messenger handover: another app owns the thread until it is passed back.
    Column("thread_away", Boolean, nullable=True),
)

# What could not be processed or sent, kept for admins (bodies masked and truncated).
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("direction", String(8), nullable=False),  # in | out
    Column("reason", String(300), nullable=False),
    Column("body", Text, nullable=True),
    Column("user_ref", String(64), nullable=True),
)

# Zalo OA tokens: the refresh token is single-use and rotated on every refresh, so the new pair
# is written here (one row per OA) before the access token is used.
zalo_tokens = Table(
    "zalo_tokens",
    metadata,
    Column("oa_id", String(64), primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, default=1),
)

# What was done with personal data, for audit: the action and how many rows, never who.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("action", String(32), nullable=False),  # erase | retention | view
    Column("channel", String(16), nullable=True),
    Column("rows", Integer, nullable=False),
)
Index("ix_audit_log_created_at", audit_log.c.created_at)

# People who use the admin pages: the Department's staff (admin) and youth-union volunteers.
admin_users = Table(
    "admin_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),  # admin | volunteer
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

# Signed-in admin sessions: a cookie is honoured only while its row is here (logout, disabling
# the account or changing its role delete the rows). `id` is a hash of the cookie's session id.
admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
Index("ix_admin_sessions_user_id", admin_sessions.c.user_id)

# A conversation handed to a person: waiting (in the volunteers' queue) -> claimed -> closed
# (handed back by the volunteer or the citizen) or expired (nobody claimed it in time).
handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("user_ref", String(64), nullable=False),
    Column("reason", String(16), nullable=False),  # request | fallbacks | button
    Column("status", String(12), nullable=False),  # waiting | claimed | closed | expired
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("first_response_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("closed_by", String(16), nullable=True),  # citizen | volunteer | timeout
    # The citizen's commune when they asked (routes to its volunteers first, counts per commune).
    Column("commune", String(64), nullable=True),
    # The citizen's rating after it closed: 3 satisfied, 2 so-so, 1 not satisfied.
    Column("rating", Integer, nullable=True),
    Column("rated_at", DateTime(timezone=True), nullable=True),
)
Index("ix_handoffs_status", handoffs.c.status, handoffs.c.created_at)
Index("ix_handoffs_user_ref", handoffs.c.user_ref)

# What the citizen and the volunteer wrote during a handoff (masked), for the volunteer's page.
handoff_messages = Table(
    "handoff_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("author", String(16), nullable=False),  # citizen | volunteer | bot
    Column("volunteer", String(64), nullable=True),
    Column("text", Text, nullable=False),
    Column("user_ref", String(64), nullable=False),
)
Index("ix_handoff_messages_handoff_id", handoff_messages.c.handoff_id)

# The communes a volunteer answers first (bot/features/handoff/routing.py).
volunteer_communes = Table(
    "volunteer_communes",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("commune", String(64), primary_key=True),
)
Index("ix_volunteer_communes_commune", volunteer_communes.c.commune)

# Short replies admins prepare for volunteers, with placeholders (bot/features/handoff/canned.py).
canned_replies = Table(
    "canned_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# What a handoff achieved, recorded by its volunteer (bot/features/handoff/outcomes.py).
handoff_outcomes = Table(
    "handoff_outcomes",
    metadata,
    Column("handoff_id", Integer, primary_key=True),
    Column("outcome", String(24), primary_key=True),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# The quiz's question bank: seeded from content/quiz.yml, then edited by admins.
quiz_questions = Table(
    "quiz_questions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("topic", String(24), nullable=False),
    Column("question", Text, nullable=False),
    Column("options", Text, nullable=False),  # JSON list of 4 strings
    Column("answer", String(1), nullable=False),  # A | B | C | D
    Column("why", Text, nullable=False),
    Column("source", String(300), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Contest periods: the first finished attempt of a consenting citizen inside one is counted.
quiz_contests = Table(
    "quiz_contests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One quiz attempt: 10 questions, answered in order. Practice attempts of citizens who did not
# consent lose their user reference when they end.
quiz_attempts = Table(
    "quiz_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("user_ref", String(64), nullable=True),
    Column("contest_id", Integer, nullable=True),
    Column("counted", Boolean, nullable=False),
    Column("status", String(12), nullable=False),  # active | finished | stopped
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("question_ids", Text, nullable=False),  # JSON list
    Column("position", Integer, nullable=False),  # questions answered so far
    Column("score", Integer, nullable=False),
    Column("commune", String(64), nullable=True),
)
Index("ix_quiz_attempts_user_ref", quiz_attempts.c.user_ref)
Index("ix_quiz_attempts_started_at", quiz_attempts.c.started_at)

# Broadcasts written by admins: newsletter issues (to subscribers) and alerts (to everyone who
# consented), to a segment (communes and/or topics asked about lately, or everyone), sent now or
# at `send_at` to those inside their messaging window; the others are counted as skipped.
newsletter_issues = Table(
    "newsletter_issues",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(12), nullable=False, server_default="newsletter"),  # newsletter | alert
    Column("title", String(120), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(300), nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("send_at", DateTime(timezone=True), nullable=True),
    Column("status", String(12), nullable=False),  # draft | scheduled | sent
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("recipients", Integer, nullable=False, server_default="0"),
    Column("queued", Integer, nullable=False, server_default="0"),
    Column("skipped", Integer, nullable=False, server_default="0"),
    # The segment (JSON lists of commune names and topic ids; none: everyone) and how many days
    # back a question on a topic counts.
    Column("communes", Text, nullable=True),
    Column("topics", Text, nullable=True),
    Column("topic_days", Integer, nullable=True),
)

# Workshops, training sessions, mobile campaigns, DX Day events: answered from here in chat.
# (Not "events": that is Rasa's tracker table in the same database.)
campaign_events = Table(
    "campaign_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # event | training
    Column("title", String(200), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("place", String(200), nullable=False),
    Column("commune", String(64), nullable=True),
    Column("link", String(300), nullable=True),
    Column("description", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_campaign_events_starts_at", campaign_events.c.starts_at)

# The writing contest on success stories (one row: its rules and deadline) and submissions.
writing_contest = Table(
    "writing_contest",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("rules", Text, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("link", String(300), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
contest_submissions = Table(
    "contest_submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(24), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("user_ref", String(64), nullable=False),
    Column("status", String(12), nullable=False),  # draft | submitted
    Column("text", Text, nullable=True),
    Column("contact_name", String(100), nullable=True),
    Column("commune", String(64), nullable=True),
)
Index("ix_contest_submissions_user_ref", contest_submissions.c.user_ref)

# Help volunteers gave residents in person, logged by the volunteers for the monthly report.
guidance_sessions = Table(
    "guidance_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("volunteer", String(64), nullable=False),
    Column("held_on", Date, nullable=False),
    Column("commune", String(64), nullable=False),
    Column("residents", Integer, nullable=False),
    Column("topics", String(200), nullable=False),  # comma-separated keys
    Column("notes", String(500), nullable=True),
)
Index("ix_guidance_sessions_held_on", guidance_sessions.c.held_on)

# Answers edited in the browser: every save (or rollback) is a new version of the intent's answer;
# content/answers.yml is version 0 and the newest row wins. The largest id is the content's
# generation: each process compares it once a turn to know when to reload.
answer_versions = Table(
    "answer_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("intent", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(100), nullable=False),
    Column("messages", Text, nullable=False),  # JSON list of strings
    Column("buttons", Text, nullable=False),  # JSON list of intents
    Column("source", String(500), nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("review_by", String(10), nullable=False),
    Column("factual", Boolean, nullable=False),
    Column("author", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("note", String(300), nullable=False),
    UniqueConstraint("intent", "version", name="uq_answer_versions_intent_version"),
)

# The review queue (/admin/review): examples an admin assigned to an answer (or to a new answer
# made from them). They join the training data as a generated file, never nlu_data/; a model
# trained with a row sets its model_version.
reviewed_examples = Table(
    "reviewed_examples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("text", Text, nullable=False),  # masked, placeholders as plain words
    Column("intent", String(64), nullable=False),
    Column("group_key", String(64), nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("kind", String(12), nullable=False),  # assign | answer
    Column("model_version", Integer, nullable=True),
)
Index("ix_reviewed_examples_intent", reviewed_examples.c.intent)

# Citizens' messages an admin has dealt with in the review queue: they leave the queue.
reviewed_messages = Table(
    "reviewed_messages",
    metadata,
    Column("message_id", Integer, primary_key=True, autoincrement=False),
    Column("message_at", DateTime(timezone=True), nullable=False),  # the message's created_at
    Column("group_key", String(64), nullable=False),
    Column("reviewed_at", DateTime(timezone=True), nullable=False),
)

# Trained models (issue 18 item 1): one row a model, the one in service `active`. `running` is 1
# on the one training in progress and NULL elsewhere: its unique constraint is the lock that
# lets one training run at a time across workers. No row active: the baseline file serves.
model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("path", Text, nullable=False),
    # training | ready | failed | active | previous | retired
    Column("status", String(12), nullable=False),
    Column("stage", String(12), nullable=False, default="waiting"),
    Column("running", Integer, nullable=True, unique=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("reviewed_count", Integer, nullable=False, default=0),
    Column("heldout_accuracy", Float, nullable=True),
    Column("heldout_by_form", Text, nullable=True),  # JSON {form: accuracy}
    Column("trained_by", String(64), nullable=False),
    Column("error", Text, nullable=True),
    Column("activated_at", DateTime(timezone=True), nullable=True),
)
Index("ix_model_versions_status", model_versions.c.status)

# The model each worker's process has in memory, written when it loads one: the admin sees that
# every worker took the model put in service.
model_loads = Table(
    "model_loads",
    metadata,
    Column("worker", String(64), primary_key=True),
    Column("version", Integer, nullable=True),  # NULL: the baseline file
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)
