"""Run the custom actions of `actions/` inside the Rasa process.

Rasa 3.6 only knows remote action servers: `RemoteAction.run` serialises the tracker and calls
`action_endpoint.request(json=...)`. Substituting an endpoint whose `request` hands that JSON to
rasa_sdk's `ActionExecutor` keeps Rasa's own contract (same payload, same validation, same
events) without an HTTP hop or a second server to start.
"""

from __future__ import annotations

import warnings
from typing import Any

from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException


class InProcessActionEndpoint(EndpointConfig):
    def __init__(self, package: str = "actions") -> None:
        super().__init__(url="inprocess://actions")
        self.executor = ActionExecutor()
        with warnings.catch_warnings():
            # rasa_sdk imports the package with the deprecated load_module() API.
            warnings.simplefilter("ignore", DeprecationWarning)
            self.executor.register_package(package)

    async def request(
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        action_call = kwargs.get("json") or {}
        try:
            return await self.executor.run(action_call)
        except ActionExecutionRejection as exc:
            # Rasa turns a 400 from the action server into ActionExecutionRejection; do the same.
            from rasa.core.actions.action import ActionExecutionRejection as RasaRejection

            raise RasaRejection(exc.action_name, exc.message) from exc
        except ActionNotFoundException as exc:
            from rasa.shared.exceptions import RasaException

            raise RasaException(f"No custom action named '{exc.action_name}'") from exc


def skip_schema_check_for_inprocess_actions() -> None:
    """Rasa re-validates (and re-checks the schema of) every action result with jsonschema, most
    of a turn's time (README, "Measured figures"). That check guards against a remote action
    server returning malformed JSON; in-process results come from rasa_sdk's executor, which
    already validates the events, and from our own dispatcher. Remote actions keep the check."""
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction, "_khdx_patched", False):
        return
    original = RemoteAction._validate_action_result

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        if isinstance(self.action_endpoint, InProcessActionEndpoint):
            return True
        return bool(original(self, result))

    RemoteAction._validate_action_result = validate
    RemoteAction._khdx_patched = True
