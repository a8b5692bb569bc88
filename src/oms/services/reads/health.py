"""Whether the service can answer: its database reachable and its schema at the newest migration."""

import logging

from sqlalchemy import text

from ...db.migrate import current_revision, head_revision
from ..runtime.context import Context

log = logging.getLogger("oms.health")


async def readiness(ctx: Context) -> tuple[bool, dict]:
    """(ready, what to answer); an unreachable database's detail goes to the log only."""
    try:
        async with ctx.db.read() as conn:
            await conn.execute(text("SELECT 1"))
        current = await current_revision(ctx.db.engine)
    except Exception:  # any failure to reach the database means not ready
        log.warning("readiness check failed", exc_info=True)
        return False, {"status": "unavailable", "database": "unreachable"}
    head = head_revision()
    if current != head:
        return False, {"status": "unavailable", "migration": current, "expected": head}
    return True, {"status": "ok", "migration": current}
