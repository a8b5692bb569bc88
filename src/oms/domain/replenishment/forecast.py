"""Daily demand forecasts for many series at once, each by the method its pattern calls for.

A series is a store's daily demand of one SKU, oldest day first; ``seen`` says which days count: a day the
store had nothing to sell shows no demand it could not meet, so it is left out rather than learnt as 0.

The pattern (Syntetos, Boylan & Croston, 2005) comes from the average demand interval (ADI: days counted
per day with demand) and the squared coefficient of variation of the demand sizes (CV², over the days with
demand), cut at 1.32 and 0.49:

    smooth        ADI < 1.32, CV² < 0.49   simple exponential smoothing (SES)
    erratic       ADI < 1.32, CV² ≥ 0.49   SES
    intermittent  ADI ≥ 1.32, CV² < 0.49   Croston
    lumpy         ADI ≥ 1.32, CV² ≥ 0.49   SBA (Syntetos-Boylan approximation: Croston × (1 − α/2))

and an intermittent or lumpy series whose last demand is older than twice its ADI is dying out: TSB
(Teunter, Syne & Babai, 2011), whose probability of demand decays on every day without one, while Croston's
forecast would stay where the last demand left it.

A regular series seen for a few weeks may also have a weekly pattern (its weekday indices): where smoothing
it without that pattern leaves clearly less error, it is kept, and a forecast over given days weighs each day
by its weekday's index (``over``).

Each method's smoothing constant is the one of ``ALPHAS`` with the least one-step-ahead squared error over
the series; ``sigma`` is the spread of a day's demand around the forecast (for SES, that error less its
level's own noise, kept as ``level_sigma``: over P days a day's spread adds up P times, the level's P² times).
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from functools import partial

import numpy as np

ADI_CUT, CV2_CUT = 1.32, 0.49
ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)
TSB_BETA = 0.1  # how fast TSB's probability of demand follows the days with and without demand
WARM_UP = 7  # days seen whose mean starts SES's level
WEEKS = 3  # times each weekday must have been seen for a weekly pattern to be learnt
KEEP_PATTERN = 0.9  # … and the share of the squared error it must leave at most to be kept


class Pattern(IntEnum):
    NO_DEMAND = 0
    SMOOTH = 1
    ERRATIC = 2
    INTERMITTENT = 3
    LUMPY = 4


class Method(IntEnum):
    NONE = 0  # no demand seen: forecast 0
    SES = 1
    CROSTON = 2
    SBA = 3
    TSB = 4


@dataclass(frozen=True)
class Forecasts:
    """Per series: its pattern, the method used, the daily demand forecast, the spread of a day's demand
    around it, and the statistics the pattern was read from."""
    pattern: np.ndarray  # Pattern values
    method: np.ndarray  # Method values
    daily: np.ndarray
    sigma: np.ndarray
    adi: np.ndarray  # inf where no demand was seen
    cv2: np.ndarray
    season: np.ndarray  # series × 7 weekday indices (Monday first), 1 where no weekly pattern was learnt
    level_sigma: np.ndarray  # the spread of the daily forecast itself (SES's level; 0 for the others)


def patterns(demand: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each series' pattern, ADI and CV² (over the days seen)."""
    demand = np.where(seen, demand, 0.0)
    days = seen.sum(axis=1)
    positive = (demand > 0) & seen
    count = positive.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(count > 0, days / np.maximum(count, 1), np.inf)
        total = demand.sum(axis=1)
        mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        square = (demand ** 2).sum(axis=1)
        variance = np.where(count > 0, square / np.maximum(count, 1) - mean ** 2, 0.0)
        cv2 = np.where(mean > 0, np.maximum(variance, 0.0) / np.maximum(mean, 1e-12) ** 2, 0.0)
    regular = adi < ADI_CUT
    steady = cv2 < CV2_CUT
    pattern = np.where(regular, np.where(steady, Pattern.SMOOTH, Pattern.ERRATIC),
                       np.where(steady, Pattern.INTERMITTENT, Pattern.LUMPY))
    return np.where(count > 0, pattern, Pattern.NO_DEMAND).astype(np.int8), adi, cv2


def ses(demand: np.ndarray, seen: np.ndarray, alpha: float,
        scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Simple exponential smoothing: the level after the last day, and the one-step errors' mean square.
    ``scale``: each day's weekday index (series × days): the level is smoothed on the demand without it, and
    each day's error is measured on its own scale."""
    n, days = demand.shape
    flat = demand if scale is None else demand / scale
    first = seen & (np.cumsum(seen, axis=1) <= WARM_UP)  # the first days seen: a series may start late
    level = (flat * first).sum(axis=1) / np.maximum(first.sum(axis=1), 1)
    error, counted = np.zeros(n), np.zeros(n)
    for t in range(days):
        y, ok = flat[:, t], seen[:, t]
        expected = level if scale is None else level * scale[:, t]
        error += np.where(ok, (demand[:, t] - expected) ** 2, 0.0)
        counted += ok
        level = np.where(ok, alpha * y + (1 - alpha) * level, level)
    return level, error / np.maximum(counted, 1)


def croston(demand: np.ndarray, seen: np.ndarray, alpha: float, factor: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Croston's method: demand size and interval smoothed on the days with demand; the forecast per day is
    their ratio (× ``factor``). Answers it after the last day, and the one-step errors' mean square."""
    n, days = demand.shape
    positive = (demand > 0) & seen
    # Started from the series' own averages (its first estimates would otherwise weigh a single day).
    count = positive.sum(axis=1)
    size = np.where(count > 0, (demand * positive).sum(axis=1) / np.maximum(count, 1), 0.0)
    interval = np.where(count > 0, seen.sum(axis=1) / np.maximum(count, 1), 1.0)
    waited = np.zeros(n)
    error, counted = np.zeros(n), np.zeros(n)
    for t in range(days):
        y, ok, hit = demand[:, t], seen[:, t], positive[:, t]
        error += np.where(ok, (y - factor * size / interval) ** 2, 0.0)
        counted += ok
        waited += ok
        size = np.where(hit, alpha * y + (1 - alpha) * size, size)
        interval = np.where(hit, alpha * waited + (1 - alpha) * interval, interval)
        waited = np.where(hit, 0.0, waited)
    return factor * size / interval, error / np.maximum(counted, 1)


def sba(demand: np.ndarray, seen: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Croston's forecast corrected for its bias (Syntetos & Boylan): × (1 − α/2)."""
    return croston(demand, seen, alpha, 1 - alpha / 2)


def tsb(demand: np.ndarray, seen: np.ndarray, alpha: float, beta: float = TSB_BETA) -> tuple[np.ndarray, np.ndarray]:
    """Teunter-Syntetos-Babai: the probability of demand smoothed every day seen (so it decays while none
    comes), the size on the days with demand; the forecast is their product."""
    n, days = demand.shape
    positive = (demand > 0) & seen
    count = positive.sum(axis=1)
    size = np.where(count > 0, (demand * positive).sum(axis=1) / np.maximum(count, 1), 0.0)
    chance = count / np.maximum(seen.sum(axis=1), 1)
    error, counted = np.zeros(n), np.zeros(n)
    for t in range(days):
        y, ok, hit = demand[:, t], seen[:, t], positive[:, t]
        error += np.where(ok, (y - chance * size) ** 2, 0.0)
        counted += ok
        chance = np.where(ok, beta * hit + (1 - beta) * chance, chance)
        size = np.where(hit, alpha * y + (1 - alpha) * size, size)
    return chance * size, error / np.maximum(counted, 1)


Run = Callable[[np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray]]


def _best(method: Run, demand: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The method's forecast with, per series, the smoothing constant of least one-step squared error: the
    forecast, that error and the constant."""
    best_forecast, best_error = method(demand, seen, ALPHAS[0])
    best_alpha = np.full(len(demand), ALPHAS[0])
    for alpha in ALPHAS[1:]:
        forecast, error = method(demand, seen, alpha)
        better = error < best_error
        best_forecast = np.where(better, forecast, best_forecast)
        best_error = np.where(better, error, best_error)
        best_alpha = np.where(better, alpha, best_alpha)
    return best_forecast, best_error, best_alpha


def weekly(demand: np.ndarray, seen: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    """Each series' weekday indices (series × 7, ISO Monday first): its mean demand on that weekday over its
    mean, where it was seen at least ``WEEKS`` times on every weekday; 1 elsewhere (no weekly pattern learnt)."""
    n = len(demand)
    index = np.ones((n, 7))
    total, count = (demand * seen).sum(axis=1), seen.sum(axis=1)
    mean = total / np.maximum(count, 1)
    sums, counts = np.zeros((n, 7)), np.zeros((n, 7))
    for w in range(7):
        on = seen & (weekdays == w)[None, :]
        sums[:, w], counts[:, w] = (demand * on).sum(axis=1), on.sum(axis=1)
    enough = (counts >= WEEKS).all(axis=1) & (mean > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        found = np.clip(sums / np.maximum(counts, 1) / np.maximum(mean, 1e-12)[:, None], 0.2, 3.0)
    found /= found.mean(axis=1, keepdims=True)  # (indices average 1 over the week)
    index[enough] = found[enough]
    return index


def forecast(demand: np.ndarray, seen: np.ndarray, weekdays: np.ndarray | None = None) -> Forecasts:
    """Each series' daily demand forecast by the method its pattern calls for (see the module's docstring).
    ``demand`` and ``seen``: arrays of series × days, oldest day first; ``weekdays``: each day's weekday (0 =
    Monday), to learn a weekly pattern for the regular series (smoothed without it, ``Forecasts.season``)."""
    demand = np.asarray(demand, dtype=float)
    seen = np.asarray(seen, dtype=bool)
    pattern, adi, cv2 = patterns(demand, seen)
    method = np.select([pattern == Pattern.NO_DEMAND, pattern <= Pattern.ERRATIC, pattern == Pattern.INTERMITTENT],
                       [Method.NONE, Method.SES, Method.CROSTON], Method.SBA)
    # Dying out: the days seen since the last demand outnumber twice the ADI.
    positive = (demand > 0) & seen
    after = np.argmax(positive[:, ::-1], axis=1)  # days after the last with demand (0 where none had one)
    from_end = np.cumsum(seen[:, ::-1], axis=1)  # days seen among the last k + 1
    since = np.where(after > 0, from_end[np.arange(len(after)), np.maximum(after - 1, 0)], 0)
    method = np.where((method >= Method.CROSTON) & (since > 2 * adi), Method.TSB, method).astype(np.int8)
    season = np.ones((len(demand), 7))
    regular = method == Method.SES
    if weekdays is not None and regular.any():
        season[regular] = weekly(demand[regular], seen[regular], np.asarray(weekdays))
    daily, error, level = np.zeros(len(demand)), np.zeros(len(demand)), np.zeros(len(demand))
    for kind, run in ((Method.SES, ses), (Method.CROSTON, croston), (Method.SBA, sba), (Method.TSB, tsb)):
        rows = np.flatnonzero(method == kind)
        if len(rows):
            daily[rows], error[rows], alpha = _best(run, demand[rows], seen[rows])
            if kind == Method.SES and weekdays is not None:
                # Smoothed without its weekly pattern, kept where that clearly explains the days better (both
                # errors measured on the demand itself).
                scale = season[rows][:, np.asarray(weekdays)]
                weekly_daily, weekly_error, weekly_alpha = _best(partial(ses, scale=scale), demand[rows], seen[rows])
                better = weekly_error < error[rows] * KEEP_PATTERN
                season[rows[~better]] = 1.0
                daily[rows] = np.where(better, weekly_daily, daily[rows])
                error[rows] = np.where(better, weekly_error, error[rows])
                alpha = np.where(better, weekly_alpha, alpha)
            if kind == Method.SES:
                # SES's one-step error carries its level's own noise: for steady demand its variance is the
                # day's × (1 + α / (2 − α)). The day's spread is kept, and the level's apart: over P days the
                # level's error counts P times over (``level_sigma``).
                error[rows] /= 1 + alpha / (2 - alpha)
                level[rows] = np.sqrt(error[rows] * alpha / (2 - alpha))
    return Forecasts(pattern, method, daily, np.sqrt(error), adi, cv2, season, level)


def over(forecasts: Forecasts, weekdays: np.ndarray) -> np.ndarray:
    """Each series' demand over the days of these weekdays (0 = Monday): its daily forecast weighed by its
    weekday indices."""
    found: np.ndarray = forecasts.daily * forecasts.season[:, np.asarray(weekdays)].sum(axis=1)
    return found
