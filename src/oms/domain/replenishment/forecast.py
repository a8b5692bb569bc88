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

and an intermittent or lumpy series is dying out where the days seen since its last demand make a gap its
own intervals would give less than one time in a hundred (``DYING``; the chance of a day with demand read from
its first to its last demand): TSB (Teunter, Syntetos & Babai, 2011), whose probability of demand decays on
every day without one, while Croston's forecast would stay where the last demand left it. (A fixed "twice the
ADI" would call one stationary series in seven dying and forecast it far too low.)

A regular series seen for a few weeks may also have a weekly pattern (its weekday indices): where smoothing
it without that pattern leaves clearly less error, it is kept, and a forecast over given days weighs each day
by its weekday's index (``over``).

A regular series seen for at least ``TREND_DAYS`` days whose least-squares slope (over the days seen, without
its weekly pattern) is larger than its standard error has a trend: the slope's square then outweighs its
variance, so forecasting with it is expected to err less than leaving it out (the usual 5 % test would leave
two slopes in three of a slow but steady trend out, and SES would lag those by slope × (1 − α) / α a day).
It is forecast by Holt's linear method with that slope (``holt``), the day h ahead at level + h × slope,
and the slope's standard error counts in the forecast's own spread.

A day that ended with the shelf empty (``emptied``: told, or read from a day seen before one not seen) sold
what there was: its demand was at least that. Before anything is learnt, that day's sales are replaced by the
demand expected given that lower bound (``filled``: the days with demand taken as a negative binomial
(or Poisson) count with their mean and variance), and the spread that bound leaves is added to the method's error.

Each method's smoothing constant is the one of ``ALPHAS`` with the least one-step-ahead squared error over
the series; ``sigma`` is the spread of a day's demand around the forecast: that error (a regular series'
counted over its days seen less what was fitted to them: the level, six weekday indices, a slope; and its
weekday indices' own error added) less the forecast's own noise, kept as ``level_sigma`` (and for Holt
``trend_sigma``, the slope's, and their covariance ``level_trend``). Over P days a day's spread adds up P
times, the level's P² times and the slope's (P(P + 1) / 2)² times (see ``levels``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from functools import partial

import numpy as np
from scipy import stats

ADI_CUT, CV2_CUT = 1.32, 0.49
ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)
TSB_BETA = 0.1  # how fast TSB's probability of demand follows the days with and without demand
WARM_UP = 7  # days seen whose mean starts SES's level
WEEKS = 3  # times each weekday must have been seen for a weekly pattern to be learnt
KEEP_PATTERN = 0.9  # … and the share of the squared error it must leave at most to be kept
TREND_DAYS = 28  # days seen a trend is looked for over (fewer: a few odd days would pass for one)
FILL_ROUNDS = 3  # rounds of re-estimating the sizes' mean and variance with the emptied days filled in
DYING = 0.01  # the chance of a gap since the last demand under which a series is taken as dying out


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
    HOLT = 5  # SES with a trend


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
    level_sigma: np.ndarray  # the spread of the daily forecast itself (its level's; 0 where no demand)
    trend: np.ndarray  # Holt's slope per day (of the demand without its weekly pattern); 0 for the others
    trend_sigma: np.ndarray  # the slope's own spread (0 but for Holt)
    level_trend: np.ndarray  # the covariance of the level's and the slope's errors (0 but for Holt)


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


def holt(demand: np.ndarray, seen: np.ndarray, alpha: float, start: np.ndarray, slope: np.ndarray,
         scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Holt's linear method with its slope held at ``slope`` (β = 0: the least-squares slope over the whole
    window, which a smoothed slope would only add noise to), from ``start`` (the level the day before the
    first). A day seen pulls the level by ``alpha`` towards it, a day not seen moves it on by the slope (time
    passes). ``scale`` as for ``ses``. Answers the forecast for the day after the last (level + slope) and
    the one-step errors' mean square."""
    n, days = demand.shape
    flat = demand if scale is None else demand / scale
    level = start.astype(float)
    error, counted = np.zeros(n), np.zeros(n)
    for t in range(days):
        ahead, ok = level + slope, seen[:, t]
        expected = ahead if scale is None else ahead * scale[:, t]
        error += np.where(ok, (demand[:, t] - expected) ** 2, 0.0)
        counted += ok
        level = np.where(ok, alpha * flat[:, t] + (1 - alpha) * ahead, ahead)
    return level + slope, error / np.maximum(counted, 1)


def sloped(flat: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The least-squares line through each series' days seen (against the day's index): its value the day
    before the first, its slope, the slope's standard error, and whether the slope is a trend: over at least
    ``TREND_DAYS`` days, larger than its standard error (|t| > 1, where using it lowers the expected squared
    error)."""
    t = np.arange(flat.shape[1], dtype=float)
    weight = seen.astype(float)
    count = weight.sum(axis=1)
    mean_t = (weight * t).sum(axis=1) / np.maximum(count, 1)
    mean_y = (weight * flat).sum(axis=1) / np.maximum(count, 1)
    dt, dy = (t[None, :] - mean_t[:, None]) * weight, (flat - mean_y[:, None]) * weight
    sxx, sxy, syy = (dt ** 2).sum(axis=1), (dt * dy).sum(axis=1), (dy ** 2).sum(axis=1)
    slope = np.where(sxx > 0, sxy / np.maximum(sxx, 1e-12), 0.0)
    residual = np.maximum(syy - slope * sxy, 0.0) / np.maximum(count - 2, 1)
    standard = np.sqrt(residual / np.maximum(sxx, 1e-12))
    # (A slope within rounding of 0 is none, however flat the residuals.)
    trending = ((count >= TREND_DAYS) & (np.abs(slope) > standard)
                & (np.abs(slope) > 1e-9 * np.maximum(np.abs(mean_y), 1e-9)))
    return mean_y - slope * (mean_t + 1), slope, standard, trending


def at_least(sales: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[D | D ≥ sales] and E[D² | D ≥ sales] for D a count with this mean and variance: negative binomial
    where it varies more than a Poisson count (the sizes of a lumpy series skew right, which a normal would not
    give), Poisson otherwise; where the variance is 0, the larger of the sales and the mean.

    In closed form, from survival functions (no sum over the counts under the bound, whatever its size, and no
    difference of nearly equal numbers): E[D; D ≥ s] = μ · S'(s − 2) and E[D(D − 1); D ≥ s] = μ₂ · S''(s − 3),
    with μ₂ = E[D(D − 1)] and S', S'' the survival functions of the same law with its shape raised by one and
    two (a Poisson's are its own)."""
    spread = (variance > 1e-12) & (mean > 1e-12)
    m, v = np.maximum(mean, 1e-12), np.maximum(variance, mean)
    dispersed = v > m * (1 + 1e-9)
    shape = np.where(dispersed, m ** 2 / np.maximum(v - m, 1e-12), 1.0)  # negative binomial's r and p
    chance = np.clip(np.where(dispersed, m / v, 0.5), 1e-12, 1.0)
    s = np.ceil(np.maximum(sales, 0.0))

    def survival(k: np.ndarray, raised: int) -> np.ndarray:
        found: np.ndarray = np.where(dispersed, stats.nbinom.sf(k, shape + raised, chance), stats.poisson.sf(k, m))
        return found

    tail = survival(s - 1, 0)
    moment2 = np.where(dispersed, shape * (shape + 1) * ((1 - chance) / chance) ** 2, m ** 2)  # E[D(D − 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        above = m * survival(s - 2, 1)  # E[D; D ≥ s]
        first = above / tail
        second = (moment2 * survival(s - 3, 2) + above) / tail
    # So far into the tail that it underflows: a negative binomial's excess over the bound is about its
    # geometric tail's, (v − m) / m; a Poisson's about 0.
    far = ~(tail > 1e-300) | ~np.isfinite(first) | ~np.isfinite(second)
    excess = (v - m) / m
    first = np.where(far, sales + excess, first)
    second = np.where(far, first ** 2 + excess * (1 + excess), second)
    first = np.where(spread, np.maximum(first, sales), np.maximum(sales, mean))
    return first, np.where(spread, np.maximum(second, first ** 2), first ** 2)


def filled(demand: np.ndarray, seen: np.ndarray, emptied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The demand with each emptied day's sales (a lower bound of its demand) replaced by the demand expected
    given that bound, and the variance that bound leaves on each day (0 elsewhere). The days with demand are
    taken as a count with their mean and variance (``at_least``), which the filled days change in turn: ``FILL_ROUNDS``
    rounds of expectation and re-estimation (EM)."""
    bound = emptied & seen & (demand > 0)
    values, left = demand.copy(), np.zeros_like(demand)
    rows = np.flatnonzero(bound.any(axis=1))
    if not len(rows):
        return values, left
    sales, positive = demand[rows], seen[rows] & (demand[rows] > 0)
    at = np.nonzero(bound[rows])
    count = positive.sum(axis=1)
    first, second = sales.copy(), sales ** 2
    for _ in range(FILL_ROUNDS):
        mean = (first * positive).sum(axis=1) / count
        variance = np.maximum((second * positive).sum(axis=1) / count - mean ** 2, 0.0)
        first[at], second[at] = at_least(sales[at], mean[at[0]], variance[at[0]])
    values[rows] = first
    left[rows[at[0]], at[1]] = np.maximum(second[at] - first[at] ** 2, 0.0)
    return values, left


def own_spread(method: np.ndarray, daily: np.ndarray, alpha: np.ndarray, adi: np.ndarray,
               cv2: np.ndarray) -> np.ndarray:
    """The variance of Croston's, SBA's and TSB's forecast itself (0 for the others): the forecast is a
    smoothed size over a smoothed interval (TSB: times a smoothed chance), each with a relative variance of
    α / (2 − α) × its own CV² (the sizes': cv2; geometric intervals': 1 − 1 / ADI; a chance's: ADI − 1);
    the relative variances of a ratio's or product's terms add up (delta method)."""
    finite = np.isfinite(adi)
    interval = np.where(finite, 1 - 1 / np.where(finite, adi, 1.0), 0.0)
    chance = np.where(finite, adi - 1, 0.0)
    relative = np.where(method == Method.TSB,
                        alpha / (2 - alpha) * cv2 + TSB_BETA / (2 - TSB_BETA) * chance,
                        alpha / (2 - alpha) * (cv2 + interval))
    intermittent = (method == Method.CROSTON) | (method == Method.SBA) | (method == Method.TSB)
    found: np.ndarray = np.where(intermittent, daily ** 2 * relative, 0.0)
    return found


Run = Callable[[np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray]]


def _best(method: Run, demand: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The method's forecast with, per series, the smoothing constant of least one-step squared error: the
    forecast, that error and the constant."""
    # Each method walks the days one by one over every series: laid out day by day (column-major), a day's
    # values are side by side in memory, not 90 values apart.
    demand, seen = np.asfortranarray(demand), np.asfortranarray(seen)
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


def methods(demand: np.ndarray, seen: np.ndarray, pattern: np.ndarray, adi: np.ndarray) -> np.ndarray:
    """Each series' method by its pattern (Holt is chosen later, among the SES series with a trend)."""
    method = np.select([pattern == Pattern.NO_DEMAND, pattern <= Pattern.ERRATIC, pattern == Pattern.INTERMITTENT],
                       [Method.NONE, Method.SES, Method.CROSTON], Method.SBA)
    found: np.ndarray = np.where((method >= Method.CROSTON) & dying(demand, seen), Method.TSB, method).astype(np.int8)
    return found


def dying(demand: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Whether each series' days seen since its last demand make a gap its own intervals would give with a
    chance under ``DYING``: (1 − q)^gap, q the share of days with demand from its first to its last (the
    intervals' own estimate; it needs two demands)."""
    positive = (demand > 0) & seen
    count = positive.sum(axis=1)
    seen_before = np.cumsum(seen, axis=1)  # days seen up to each day
    rows = np.arange(len(demand))
    first = np.argmax(positive, axis=1)
    last = positive.shape[1] - 1 - np.argmax(positive[:, ::-1], axis=1)
    between = seen_before[rows, last] - seen_before[rows, first]  # days seen after the first, up to the last
    gap = seen_before[:, -1] - seen_before[rows, last]
    chance = np.where(count >= 2, (count - 1) / np.maximum(between, 1), 0.0)
    with np.errstate(divide="ignore"):
        odds = np.where(chance < 1, gap * np.log1p(-np.minimum(chance, 1 - 1e-12)), -np.inf)
    found: np.ndarray = (count >= 2) & (gap > 0) & (odds < np.log(DYING))
    return found


@dataclass(frozen=True)
class _Fit:
    """SES's or Holt's fit over some series: the forecast for the next day, the one-step errors' mean square,
    the smoothing constant chosen, and Holt's slope and its standard error (0 for SES)."""
    daily: np.ndarray
    error: np.ndarray
    alpha: np.ndarray
    trend: np.ndarray
    trend_se: np.ndarray


def _regular(demand: np.ndarray, seen: np.ndarray, weekdays: np.ndarray | None) -> tuple[_Fit, np.ndarray]:
    """SES, or Holt where the series has a trend, each on the demand without its weekly pattern where that
    pattern explains the days clearly better (both errors measured on the demand itself); and the weekday
    indices kept."""
    n = len(demand)
    daily, error, alpha = _best(ses, demand, seen)
    season, scale = np.ones((n, 7)), None
    if weekdays is not None:
        season = weekly(demand, seen, weekdays)
        weekly_daily, weekly_error, weekly_alpha = _best(
            partial(ses, scale=np.asfortranarray(season[:, weekdays])), demand, seen)
        # Six indices fitted to these very days take some of their noise for pattern: the pattern's error is
        # counted over the days less those six before it is compared (else flat series keep a weekly pattern
        # of noise: most of them over four weeks).
        counted = seen.sum(axis=1)
        better = weekly_error * counted / np.maximum(counted - 6, 1) < error * KEEP_PATTERN
        season[~better] = 1.0
        daily = np.where(better, weekly_daily, daily)
        error = np.where(better, weekly_error, error)
        alpha = np.where(better, weekly_alpha, alpha)
        scale = season[:, weekdays]
    fit = _Fit(daily, error, alpha, np.zeros(n), np.zeros(n))
    start, slope, standard, trending = sloped(demand if scale is None else demand / scale, seen)
    rows = np.flatnonzero(trending)
    if len(rows):
        run = partial(holt, start=start[rows], slope=slope[rows],
                      scale=None if scale is None else np.asfortranarray(scale[rows]))
        fit.daily[rows], fit.error[rows], fit.alpha[rows] = _best(run, demand[rows], seen[rows])
        fit.trend[rows], fit.trend_se[rows] = slope[rows], standard[rows]
    return fit, season


def _smoothed_spreads(fit: _Fit) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SES's or Holt's one-step error split into a day's own variance and the variance of the level's error
    it carries, with the (co)variances of the slope's error. The level, smoothed over a day's noise, errs by
    that noise × α / (2 − α) (its steady state). Holt's slope, fitted to the same days, errs by w (its
    standard error) on the days to come only (the one-step errors measured do not hold it); the level,
    following the days, makes up for it by (1 − α) / α × w: the next day's forecast errs by w / α besides,
    and the day h ahead by ((1 − α) / α + h) × w."""
    alpha, slope = fit.alpha, fit.trend_se ** 2
    lag = (1 - alpha) / alpha
    day = fit.error / (1 + alpha / (2 - alpha))
    return day, day * alpha / (2 - alpha) + lag ** 2 * slope, slope, lag * slope


def forecast(demand: np.ndarray, seen: np.ndarray, weekdays: np.ndarray | None = None,
             emptied: np.ndarray | None = None) -> Forecasts:
    """Each series' daily demand forecast by the method its pattern calls for (see the module's docstring).
    ``demand`` and ``seen``: arrays of series × days, oldest day first; ``weekdays``: each day's weekday (0 =
    Monday), to learn a weekly pattern for the regular series (smoothed without it, ``Forecasts.season``);
    ``emptied``: the days that ended with the shelf empty (their sales a lower bound of their demand), by
    default each day seen before one not seen."""
    demand = np.asarray(demand, dtype=float)
    seen = np.asarray(seen, dtype=bool)
    if emptied is None:
        emptied = seen & np.pad(~seen[:, 1:], ((0, 0), (0, 1)))
    demand, bound = filled(demand, seen, np.asarray(emptied, dtype=bool))
    # What the lower bounds leave unknown adds to every method's error, per day seen.
    unknown = (bound * seen).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
    pattern, adi, cv2 = patterns(demand, seen)
    method = methods(demand, seen, pattern, adi)
    n = len(demand)
    daily, error, alpha, season = np.zeros(n), np.zeros(n), np.zeros(n), np.ones((n, 7))
    level, slope, trend, both = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    day = np.zeros(n)
    rows = np.flatnonzero(method == Method.SES)
    if len(rows):
        fit, season[rows] = _regular(demand[rows], seen[rows], None if weekdays is None else np.asarray(weekdays))
        # Errors measured on the very days the weekly indices and the slope were fitted to understate the days
        # to come: as a residual variance, they count over the days less what was fitted (six indices, a
        # slope; SES's level, smoothed from the days before each, errs on every day as it will); and each
        # weekday's index, a mean of the n / 7 days of its weekday over the week's, errs by a day's variance
        # × 6 / n on every day it weighs (a prediction's 1 + 1 / n).
        weekly_rows = (season[rows] != 1).any(axis=1)
        fitted = 6 * weekly_rows + (fit.trend != 0)
        counted = seen[rows].sum(axis=1)
        fit.error[:] *= (counted / np.maximum(counted - fitted, 1)
                         * np.where(weekly_rows, 1 + 6 / np.maximum(counted, 7), 1.0))
        fit.error[:] += unknown[rows]
        daily[rows], trend[rows] = fit.daily, fit.trend
        day[rows], level[rows], slope[rows], both[rows] = _smoothed_spreads(fit)
        method[rows[fit.trend != 0]] = Method.HOLT  # (a trend found is never 0)
    for kind, run in ((Method.CROSTON, croston), (Method.SBA, sba), (Method.TSB, tsb)):
        rows = np.flatnonzero(method == kind)
        if len(rows):
            daily[rows], error[rows], alpha[rows] = _best(run, demand[rows], seen[rows])
            # Their error carries their forecast's own variance too: the day's is what is left.
            level[rows] = own_spread(method[rows], daily[rows], alpha[rows], adi[rows], cv2[rows])
            day[rows] = np.maximum(error[rows] + unknown[rows] - level[rows], 0.0)
    return Forecasts(pattern, method, np.maximum(daily, 0.0), np.sqrt(day), adi, cv2, season, np.sqrt(level),
                     trend, np.sqrt(slope), both)


def over(forecasts: Forecasts, weekdays: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Each series' (or those of ``rows``') demand over the days of these weekdays (0 = Monday), the first
    being the daily forecast's day and each next one a slope (Holt's trend) further on, each weighed by its
    weekday's index; never under 0 a day."""
    picked = slice(None) if rows is None else rows
    weekdays = np.asarray(weekdays)
    ahead = np.arange(len(weekdays))
    days = np.maximum(forecasts.daily[picked][:, None] + forecasts.trend[picked][:, None] * ahead[None, :], 0.0)
    found: np.ndarray = (days * forecasts.season[picked][:, weekdays]).sum(axis=1)
    return found
