"""A handoff belongs to the volunteer who claimed it: another volunteer can neither reply into it
nor hand it back; an admin may take it over, and the audit log keeps that."""

from __future__ import annotations

from bot.web.edge import ref_for
from tests.fakes.channels import (
    Channels,
    login_elsewhere,
    login_volunteer,
    second_client,
    web_sender,
)


async def open_web_handoff(channels: Channels, name: str) -> tuple[int, str]:
    """A consenting web chat citizen who asked for a person: the handoff's id and their id."""
    client = channels.client
    channels.consented("web", name)
    sender = web_sender(client.app, name)
    resp = await client.post(
        "/webhooks/web", json={"sender": sender, "message": "toi muon gap nguoi that"}
    )
    assert (await resp.json())["handoff"] is True
    ref = ref_for(client.app, "web", "web", name)
    rows = channels.rows(f"SELECT id FROM handoffs WHERE user_ref = '{ref}'")  # noqa: S608
    return int(rows[0][0]), sender


async def polled_texts(channels: Channels, sender: str) -> list[str]:
    resp = await channels.client.post("/webhooks/web/poll", json={"sender": sender})
    return [r["text"] for r in (await resp.json())["replies"]]


async def test_another_volunteer_cannot_reply_into_or_close_a_claimed_handoff(
    channels: Channels,
) -> None:
    client = channels.client
    handoff_id, sender = await open_web_handoff(channels, "web-owner")
    csrf_a = await login_volunteer(channels, "tnv.an")
    resp = await client.post(
        f"/admin/handoffs/{handoff_id}/claim", data={"csrf": csrf_a}, allow_redirects=False
    )
    assert resp.status == 302

    other = await second_client(client)
    try:
        csrf_b = await login_elsewhere(channels, other, "tnv.binh")
        page = await (await other.get(f"/admin/handoffs/{handoff_id}")).text()
        assert f'action="/admin/handoffs/{handoff_id}/reply"' not in page
        resp = await other.post(
            f"/admin/handoffs/{handoff_id}/reply",
            data={"csrf": csrf_b, "text": "Tin của người khác"},
            allow_redirects=False,
        )
        assert resp.status == 403
        assert "do tnv.an nhận hỗ trợ" in await resp.text()
        resp = await other.post(
            f"/admin/handoffs/{handoff_id}/close", data={"csrf": csrf_b}, allow_redirects=False
        )
        assert resp.status == 403
        assert "chỉ người đã nhận" in await resp.text()
        # Only an admin may take over.
        resp = await other.post(
            f"/admin/handoffs/{handoff_id}/takeover",
            data={"csrf": csrf_b},
            allow_redirects=False,
        )
        assert resp.status == 403
    finally:
        await other.close()

    texts = await polled_texts(channels, sender)
    assert "Tin của người khác" not in texts
    owner = channels.rows(f"SELECT status, claimed_by FROM handoffs WHERE id = {handoff_id}")  # noqa: S608
    assert owner == [("claimed", "tnv.an")]
    assert channels.count("handoff_messages", "volunteer = 'tnv.binh'") == 0

    # The volunteer who claimed it still can.
    resp = await client.post(
        f"/admin/handoffs/{handoff_id}/reply",
        data={"csrf": csrf_a, "text": "Mình nghe đây bạn."},
        allow_redirects=False,
    )
    assert resp.status == 302
    assert (await polled_texts(channels, sender))[-1] == "Mình nghe đây bạn."
    resp = await client.post(
        f"/admin/handoffs/{handoff_id}/close", data={"csrf": csrf_a}, allow_redirects=False
    )
    assert resp.status == 302
    status = channels.rows(f"SELECT status FROM handoffs WHERE id = {handoff_id}")  # noqa: S608
    assert status == [("closed",)]


async def test_an_admin_takes_over_explicitly_and_the_audit_log_keeps_it(
    channels: Channels,
) -> None:
    client = channels.client
    handoff_id, sender = await open_web_handoff(channels, "web-takeover")
    csrf_a = await login_volunteer(channels, "tnv.an")
    await client.post(f"/admin/handoffs/{handoff_id}/claim", data={"csrf": csrf_a})

    admin = await second_client(client)
    try:
        csrf_admin = await login_elsewhere(channels, admin, "can.bo.so", role="admin")
        # Not without taking over first.
        resp = await admin.post(
            f"/admin/handoffs/{handoff_id}/reply",
            data={"csrf": csrf_admin, "text": "Chào bạn"},
            allow_redirects=False,
        )
        assert resp.status == 403
        resp = await admin.post(
            f"/admin/handoffs/{handoff_id}/takeover",
            data={"csrf": csrf_admin},
            allow_redirects=False,
        )
        assert resp.status == 302
        assert channels.rows(
            "SELECT action, channel, rows FROM audit_log WHERE action = 'handoff_takeover'"
        ) == [("handoff_takeover", "web", 1)]
        assert "can.bo.so đã nhận" in (await polled_texts(channels, sender))[-1]
        resp = await admin.post(
            f"/admin/handoffs/{handoff_id}/reply",
            data={"csrf": csrf_admin, "text": "Cán bộ Sở hỗ trợ bạn tiếp nhé."},
            allow_redirects=False,
        )
        assert resp.status == 302
    finally:
        await admin.close()

    # The volunteer it was taken from is now refused.
    resp = await client.post(
        f"/admin/handoffs/{handoff_id}/reply",
        data={"csrf": csrf_a, "text": "Mình vẫn ở đây"},
        allow_redirects=False,
    )
    assert resp.status == 403
    assert (await polled_texts(channels, sender))[-1] == "Cán bộ Sở hỗ trợ bạn tiếp nhé."
