"""Hooks: what other domains do when a ticket is called or finished, without the queue
knowing them.

The queue sits below the service domain (which tells the teller who is coming, and keeps the
visit's timeline), so it may not import it. Instead the application registers async hooks
at start-up (``main.create_app``); ``call_next`` and ``recall`` run the *called* hooks, and
``finish_service`` the *finished* hooks, in the same unit of work right after the change —
so what a hook writes commits (or rolls back) with the call itself. A hook's error fails
the action: hooks must only raise for bugs, never for business reasons.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

CalledHook = Callable[[AsyncSession, int, int, int], Awaitable[None]]
"""``hook(session, ticket_id, counter_id, staff_id)`` after a ticket is called or recalled."""
FinishedHook = Callable[[AsyncSession, int, int], Awaitable[None]]
"""``hook(session, ticket_id, staff_id)`` after a ticket's service is finished."""

_called: list[CalledHook] = []
_finished: list[FinishedHook] = []


def on_called(hook: CalledHook) -> CalledHook:
    """Register ``hook`` for calls and recalls (once: registering again changes nothing)."""
    if hook not in _called:
        _called.append(hook)
    return hook


def on_finished(hook: FinishedHook) -> FinishedHook:
    """Register ``hook`` for finished services (once)."""
    if hook not in _finished:
        _finished.append(hook)
    return hook


def remove(hook: CalledHook | FinishedHook) -> None:
    """Unregister ``hook`` wherever it is registered."""
    for registry in (_called, _finished):
        if hook in registry:
            registry.remove(hook)  # type: ignore[arg-type]


async def run_called(session: AsyncSession, ticket_id: int, counter_id: int, staff_id: int) -> None:
    """Run the *called* hooks, in registration order."""
    for hook in tuple(_called):
        await hook(session, ticket_id, counter_id, staff_id)


async def run_finished(session: AsyncSession, ticket_id: int, staff_id: int) -> None:
    """Run the *finished* hooks, in registration order."""
    for hook in tuple(_finished):
        await hook(session, ticket_id, staff_id)
