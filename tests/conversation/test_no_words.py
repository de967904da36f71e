"""A message with no words gets the "not understood" answer with topics, never "Dạ vâng"."""

from __future__ import annotations

import pytest

from bot.conversation.no_words import has_no_words
from bot.nlu.vocabulary import known_words, knows_none_of, lemmas
from tests.channels.fresh import fresh
from tests.fakes.channels import Channels, fb_text, zalo_event

NOT_UNDERSTOOD = "mình chưa hiểu ý bạn"


@pytest.mark.parametrize("text", ["", "   ", "???", "...", "\u200b", "?!\n…"])
def test_text_without_words(text: str) -> None:
    assert has_no_words(text)


@pytest.mark.parametrize("text", ["ok", "1", "👍", "vâng", "/consent_accept", "? a"])
def test_text_with_something_to_read(text: str) -> None:
    assert not has_no_words(text)


@pytest.mark.parametrize("text", ["", "   ", "???", "..."])
async def test_zalo_message_without_words_is_not_understood(channels: Channels, text: str) -> None:
    user = "2468458835296117922"
    channels.consented("zalo", user)
    body = fresh(zalo_event("user_send_text", user, "z_nw", text=text))
    assert (await channels.post_zalo(body)).status == 200
    sent = await channels.zalo.wait_for(channels.zalo.SEND, 1)
    message = sent[0].body["message"]
    assert NOT_UNDERSTOOD in message["text"]
    assert "Dạ vâng" not in message["text"]
    # The topics it can help with, as buttons.
    assert len(message["attachment"]["payload"]["buttons"]) >= 3


async def test_facebook_message_without_words_is_not_understood(channels: Channels) -> None:
    channels.consented("facebook", "5501")
    assert (await channels.post_facebook(fb_text("5501", " ? ", "m_nw"))).status == 200
    sent = await channels.graph.wait_messages(1)
    assert NOT_UNDERSTOOD in sent[0].body["message"]["text"]
    assert sent[0].body["message"]["quick_replies"]


@pytest.mark.parametrize("text", ["asdkjh qwe", "kkk", "zzz", "Привет", "hmm"])
async def test_a_message_with_no_known_word_is_not_understood(
    channels: Channels, text: str
) -> None:
    channels.consented("facebook", "9301")
    assert (await channels.post_facebook(fb_text("9301", text, f"m_nk_{text}"))).status == 200
    sent = await channels.graph.wait_messages(1)
    texts = " ".join(r.body["message"].get("text", "") for r in sent).lower()
    assert NOT_UNDERSTOOD in texts and "dạ vâng" not in texts


@pytest.mark.parametrize("text", ["bóng đá tối qua", "1", "ok", "what is digital transformation?"])
def test_a_message_with_a_known_word_goes_to_the_nlu(text: str) -> None:
    assert not knows_none_of(lemmas(text), known_words())
