"""How a customer chooses among the promise's options: a multinomial logit, the simplest model of choice that
weighs price against speed. Each option's appeal is the mode's taste, less ``per_euro`` a euro of its price and
``per_day`` a day until its latest delivery, plus the customer's own random taste (a Gumbel draw, which makes the
choice a logit); walking away has the appeal ``walk_away``. The customer takes the most appealing."""

from datetime import datetime

import numpy as np

from .scenario import Choice

DAY_SECONDS = 86_400.0


def choose(options: list[dict], now: datetime, choice: Choice, rng: np.random.Generator) -> dict | None:
    """The option chosen, or None when the customer walks away (a lost sale)."""
    if not options:
        return None
    appeal = np.array([choice.taste.get(o["mode"], 0.0) - choice.per_euro * o["price"]["amount"] / 100
                       - choice.per_day * _days(o, now) for o in options] + [choice.walk_away])
    appeal += rng.gumbel(size=len(appeal))
    best = int(np.argmax(appeal))
    return options[best] if best < len(options) else None


def _days(option: dict, now: datetime) -> float:
    return max(0.0, (datetime.fromisoformat(option["latest"]) - now).total_seconds() / DAY_SECONDS)
