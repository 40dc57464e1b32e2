"""The arrival flow: identify the customer (the customers domain's rules, unchanged), then
record the arrival — today's visit and the notifications the outlet's routes call for.

Both channels that identify a customer at an outlet use it: the JSON ``POST /identify``
(kiosks, tablets, counters) and the kiosk page. An identification by a channel device
(online banking) is not an arrival: the customer is not in the outlet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.service import Principal
from smartbranch.credentials import CredentialHasher
from smartbranch.customers import service as customers
from smartbranch.orgs.service import get_outlet_by_code
from smartbranch.service import visits


@dataclass(frozen=True, slots=True)
class ArrivalOutcome:
    """The identification, and the arrival it made (None for a channel device)."""

    identified: customers.Identified
    arrival: visits.Arrival | None


async def identify_arrival(
    session: AsyncSession,
    principal: Principal,
    hasher: CredentialHasher,
    *,
    outlet_code: str,
    kind: str,
    value: str,
    ttl: timedelta,
) -> ArrivalOutcome:
    """Identify the customer behind a presented credential at an outlet and, when the
    device stands in the outlet (kiosk, tablet, counter), record their arrival. Both happen
    in the caller's unit of work: the notifications go out only if it commits."""
    found = await customers.identify(
        session, principal, hasher, outlet_code=outlet_code, kind=kind, value=value, ttl=ttl
    )
    if principal.device.kind not in visits.ARRIVAL_DEVICES:
        return ArrivalOutcome(found, None)
    outlet = await get_outlet_by_code(session, outlet_code)
    arrival = await visits.record_arrival(
        session,
        customer_id=found.customer_id,
        outlet_id=outlet.id,
        device_kind=principal.device.kind.value,
        credential_kind=kind,
        tier=found.tier,
    )
    return ArrivalOutcome(found, arrival)
