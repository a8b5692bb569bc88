"""From forecasts to the units each store should receive, for many store-SKUs at once.

Over the protection interval P (the days an order must last: until the store's next order, plus the lead
time):

    safety stock   regular demand: z · sqrt(W · σd² + P² · σf² + 2 · P · H · cfb + H² · σb² + d̄² · σL²), z
                   the service level's normal quantile (σd: a day's spread around the forecast d̄, counted over
                   W = the demand over P / d̄, the days weighed by their demand — a day's variance grows with
                   its demand, as a count's does — which is P without a weekly pattern or a trend; σf: the
                   forecast's own, counted P times over as every day of P leans on it; σb: a trend's slope's
                   own, counted H = P(P + 1) / 2 times over as the day h ahead leans on it h times; cfb: the
                   covariance of those two; σL: the lead time's spread in days); slow movers
                   (intermittent or lumpy, or under ``SLOW`` units over P and varying at least as much as a
                   Poisson count): the service level's quantile of demand over P, Poisson with mean d̄·P —
                   negative binomial when the days vary more than a Poisson's would — less that mean;
    order-up-to    S = the demand over P + safety stock, never under the presentation minimum (what the shelf
                   shows), never over the shelf's capacity;
    position       on hand + in transit + on order − reserved (online orders and holds not yet left) − units
                   kept aside (the service counts no transfers in transit nor units kept aside yet: 0);
    proposal       order_up_to: S − position; days_of_supply: the same with S over the days asked; min_max:
                   the level above (its min, s) protects the interval, and once the position is at or under
                   it the store orders up to s + a review period's demand (its max), else nothing. Never
                   negative; rounded to case packs (a part of a pack at or over the rounding threshold makes a
                   whole one), at least the minimum order quantity when anything is sent, never past the
                   shelf's capacity (a pack less, or nothing when the minimum does not fit).
"""

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy import stats

from .forecast import Pattern

SLOW = 10.0  # mean demand over the protection interval under which a series is counted in whole units


class Policy(IntEnum):
    ORDER_UP_TO = 0
    MIN_MAX = 1
    DAYS_OF_SUPPLY = 2


@dataclass(frozen=True)
class Levels:
    safety: np.ndarray
    order_up_to: np.ndarray
    reorder_point: np.ndarray  # (min_max's s; the others order whenever under S)


def safety_stock(daily: np.ndarray, sigma: np.ndarray, pattern: np.ndarray, days: np.ndarray,
                 lead_sigma: np.ndarray, service: np.ndarray, expected: np.ndarray | None = None,
                 level_sigma: np.ndarray | None = None, trend_sigma: np.ndarray | None = None,
                 level_trend: np.ndarray | None = None) -> np.ndarray:
    """The safety stock over ``days`` for each series (see the module's docstring); ``expected``: the demand
    over those days where it is not ``daily × days`` (a weekly pattern, a trend); ``level_sigma``: the
    forecast's own spread (σf); ``trend_sigma`` and ``level_trend``: its slope's (σb) and their covariance."""
    daily, sigma, days = np.asarray(daily, float), np.asarray(sigma, float), np.asarray(days, float)
    lead_sigma, service = np.asarray(lead_sigma, float), np.asarray(service, float)
    level = np.zeros_like(daily) if level_sigma is None else np.asarray(level_sigma, float)
    slope = np.zeros_like(daily) if trend_sigma is None else np.asarray(trend_sigma, float)
    both = np.zeros_like(daily) if level_trend is None else np.asarray(level_trend, float)
    z = stats.norm.ppf(service)
    mean = daily * days if expected is None else np.asarray(expected, float)
    weighed = np.where(daily > 0, mean / np.maximum(daily, 1e-12), days)
    ahead = days * (days + 1) / 2
    variance = (weighed * sigma ** 2 + days ** 2 * level ** 2 + 2 * days * ahead * both + ahead ** 2 * slope ** 2
                + daily ** 2 * lead_sigma ** 2)
    variance = np.maximum(variance, 0.0)
    regular = z * np.sqrt(variance)
    # Negative binomial with that mean and variance where the days vary more than a Poisson's; else Poisson.
    spread = variance > mean * 1.0001
    slow = (pattern >= Pattern.INTERMITTENT) | ((mean < SLOW) & (variance >= mean))
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(spread, mean ** 2 / np.maximum(variance - mean, 1e-12), 1.0)
        p = np.where(spread, mean / np.maximum(variance, 1e-12), 0.5)
    counted = np.where(spread, stats.nbinom.ppf(service, np.maximum(n, 1e-9), np.clip(p, 1e-12, 1.0)),
                       stats.poisson.ppf(service, np.maximum(mean, 1e-12)))
    counted = np.where(mean > 0, np.maximum(counted - mean, 0.0), 0.0)
    return np.where(slow, counted, regular)


def levels(daily: np.ndarray, sigma: np.ndarray, pattern: np.ndarray, review_days: np.ndarray,
           lead_days: np.ndarray, lead_sigma: np.ndarray, service: np.ndarray, presentation: np.ndarray,
           shelf: np.ndarray, policy: np.ndarray, days_of_supply: np.ndarray,
           expected: np.ndarray | None = None, level_sigma: np.ndarray | None = None,
           trend_sigma: np.ndarray | None = None, level_trend: np.ndarray | None = None) -> Levels:
    """Safety stock, order-up-to level (min_max: its max) and reorder point (min_max: its min; the others
    order whenever under their level) of each series. ``shelf``: 0 for no limit. ``expected``: the demand
    over the protection interval where it is not ``daily`` × its days (a weekly pattern: see
    ``forecast.over``); ``days_of_supply`` series count their days flat; ``level_sigma``, ``trend_sigma``,
    ``level_trend``: the forecast's own spread (``Forecasts``' fields of those names)."""
    daily = np.asarray(daily, float)
    review = np.asarray(review_days, float)
    protection = review + np.asarray(lead_days, float)
    policy = np.asarray(policy)
    supply_days = policy == Policy.DAYS_OF_SUPPLY
    covered = np.where(supply_days, np.asarray(days_of_supply, float), protection)
    mean = daily * covered if expected is None else np.where(supply_days, daily * covered, expected)
    safety = safety_stock(daily, sigma, pattern, covered, lead_sigma, service, mean, level_sigma, trend_sigma,
                          level_trend)
    shelf = np.asarray(shelf, float)
    presentation = np.asarray(presentation, float)

    def within(units: np.ndarray) -> np.ndarray:
        units = np.maximum(units, presentation)
        return np.where(shelf > 0, np.minimum(units, np.maximum(shelf, presentation)), units)
    protected = within(np.ceil(mean + safety - 1e-9))
    # min_max: its min protects the interval; its max adds a review period's demand (fewer, larger orders).
    target = np.where(policy == Policy.MIN_MAX, within(np.ceil(mean + safety + daily * review - 1e-9)), protected)
    return Levels(safety, target, protected)


def position(on_hand: np.ndarray, in_transit: np.ndarray, on_order: np.ndarray, reserved: np.ndarray,
             kept: np.ndarray) -> np.ndarray:
    """What a store has and will have without ordering, for replenishment's purposes."""
    found: np.ndarray = (np.asarray(on_hand) + np.asarray(in_transit) + np.asarray(on_order)
                         - np.asarray(reserved) - np.asarray(kept))
    return found


def proposals(levels: Levels, position: np.ndarray, policy: np.ndarray, pack: np.ndarray, threshold: np.ndarray,
              minimum: np.ndarray, shelf: np.ndarray | None = None) -> np.ndarray:
    """The units to send each series (whole packs, at least the minimum order quantity when any, never past
    the shelf's capacity where it has one)."""
    wanted = np.maximum(levels.order_up_to - position, 0)
    waits = (np.asarray(policy) == Policy.MIN_MAX) & (position > levels.reorder_point)
    units = rounded(np.where(waits, 0, wanted), pack, threshold, minimum)
    if shelf is None:
        return units
    shelf = np.asarray(shelf, float)
    pack = np.maximum(np.asarray(pack, dtype=np.int64), 1)
    room = np.maximum(shelf - position, 0)
    over = (shelf > 0) & (units > room)
    fitting = np.floor(room / pack) * pack
    least = np.ceil(np.asarray(minimum, float) / pack) * pack
    fitting = np.where(fitting >= np.maximum(least, 1), fitting, 0)
    return np.where(over, fitting, units).astype(np.int64)


def rounded(wanted: np.ndarray, pack: np.ndarray, threshold: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    """Units in whole packs: a part of a pack at or over ``threshold`` (0..1) makes one more, under it none;
    anything sent is at least ``minimum`` (itself in whole packs)."""
    pack = np.maximum(np.asarray(pack, dtype=np.int64), 1)
    wanted = np.asarray(wanted, dtype=float)
    whole, part = np.divmod(wanted, pack)
    packs = whole + (part / pack >= np.asarray(threshold) - 1e-9) * (part > 0)
    units = packs * pack
    least = np.ceil(np.asarray(minimum, float) / pack) * pack
    return np.where(units > 0, np.maximum(units, least), 0).astype(np.int64)
