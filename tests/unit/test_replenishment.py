"""Replenishment's arithmetic on series whose answers are known: patterns, each forecasting method, safety
stock, order-up-to levels, proposals in packs, and the fair share of a scarce DC."""

from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from oms.domain.replenishment.demand import Move, daily
from oms.domain.replenishment.forecast import (
    Method,
    Pattern,
    at_least,
    croston,
    dying,
    filled,
    forecast,
    over,
    patterns,
    sba,
    ses,
    sloped,
    tsb,
)
from oms.domain.replenishment.levels import Levels, Policy, levels, position, proposals, rounded, safety_stock
from oms.domain.replenishment.settings import DEFAULT, Rule, RuleBook, Store, settled
from oms.domain.replenishment.sharing import Ask, shared


def rows(*series):
    demand = np.array(series, dtype=float)
    return demand, np.ones_like(demand, dtype=bool)


def test_patterns_come_from_the_demand_interval_and_the_sizes_spread():
    smooth = [5, 6, 5, 4, 5, 6, 5, 4]  # every day, little spread
    erratic = [1, 9, 2, 12, 1, 10, 1, 11]  # every day, sizes all over
    intermittent = [0, 0, 4, 0, 0, 4, 0, 0, 5]  # one day in three, steady size
    lumpy = [0, 0, 1, 0, 0, 12, 0, 0, 2]
    demand = np.array([s + [0] * (9 - len(s)) if len(s) < 9 else s for s in (smooth, erratic, intermittent, lumpy)],
                      dtype=float)
    seen = np.ones_like(demand, dtype=bool)
    seen[:2, 8] = False  # the first two series have 8 days
    pattern, adi, cv2 = patterns(demand, seen)
    assert list(pattern) == [Pattern.SMOOTH, Pattern.ERRATIC, Pattern.INTERMITTENT, Pattern.LUMPY]
    assert adi[0] == 1 and adi[2] == 3
    sizes = np.array([4, 4, 5])
    assert cv2[2] == pytest.approx(sizes.var() / sizes.mean() ** 2)
    none, _, _ = patterns(np.zeros((1, 5)), np.ones((1, 5), dtype=bool))
    assert none[0] == Pattern.NO_DEMAND


def test_a_stock_out_day_is_not_learnt_as_no_demand():
    demand = np.array([[6, 6, 0, 0, 0, 6, 6]], dtype=float)
    seen = np.array([[True, True, False, False, False, True, True]])
    f = forecast(demand, seen)
    assert f.pattern[0] == Pattern.SMOOTH and f.method[0] == Method.SES
    assert f.daily[0] == pytest.approx(6) and f.sigma[0] == pytest.approx(0)
    blind = forecast(demand, np.ones_like(seen))  # counting those days would halve the forecast
    assert blind.daily[0] < 5


def test_exponential_smoothing_by_hand():
    demand, seen = rows([10, 10, 10, 10, 10, 10, 10, 20])
    level, error = ses(demand, seen, 0.5)
    assert level[0] == pytest.approx(15)  # 0.5 × 20 + 0.5 × 10
    assert error[0] == pytest.approx(100 / 8)  # one miss of 10 in eight days
    assert ses(*rows([3] * 30), 0.2)[0][0] == pytest.approx(3)


def test_croston_sba_and_tsb_on_a_demand_of_four_every_fourth_day():
    demand, seen = rows([0, 0, 0, 4] * 10)
    assert croston(demand, seen, 0.1)[0][0] == pytest.approx(1.0)  # 4 units / 4 days
    assert sba(demand, seen, 0.1)[0][0] == pytest.approx(0.95)  # × (1 − 0.1 / 2)
    # TSB after a day with demand: its probability at the top of its cycle, β / (1 − (1 − β)⁴), × 4 units.
    assert tsb(demand, seen, 0.1, 0.1)[0][0] == pytest.approx(4 * 0.1 / (1 - 0.9 ** 4), rel=0.01)
    f = forecast(demand, seen)
    assert f.pattern[0] == Pattern.INTERMITTENT and f.method[0] == Method.CROSTON
    assert f.daily[0] == pytest.approx(1.0)


def test_a_series_dying_out_goes_to_tsb_whose_forecast_decays():
    demand, seen = rows([0, 3, 0, 5, 0, 0, 2, 0, 4] + [0] * 20)
    f = forecast(demand, seen)
    assert f.method[0] == Method.TSB
    still = forecast(*rows([0, 3, 0, 5, 0, 0, 2, 0, 4]))
    assert still.method[0] in (Method.CROSTON, Method.SBA)
    assert f.daily[0] < still.daily[0] / 2  # twenty days without demand weigh


def test_every_method_is_chosen_per_series_in_one_call():
    demand = np.array([[5, 6, 5, 4, 5, 6, 5, 4, 5, 6], [0, 0, 0, 4] * 2 + [0, 4], [0] * 10,
                       [0, 1, 0, 0, 9, 0, 0, 1, 0, 12]], dtype=float)
    f = forecast(demand, np.ones_like(demand, dtype=bool))
    assert list(f.method) == [Method.SES, Method.CROSTON, Method.NONE, Method.SBA]
    assert f.daily[2] == 0 and f.sigma[2] == 0


def test_safety_stock_for_regular_demand_follows_the_formula():
    # d̄ = 10 a day, σd = 3, over 7 days, the lead time spreading by 1 day, 95 %.
    got = safety_stock(np.array([10.0]), np.array([3.0]), np.array([Pattern.SMOOTH]), np.array([7.0]),
                       np.array([1.0]), np.array([0.95]))
    assert got[0] == pytest.approx(1.6449 * np.sqrt(7 * 9 + 100 * 1), rel=1e-4)
    # The forecast's own spread counts once a day over the 7 days: 7² × 1².
    leaning = safety_stock(np.array([10.0]), np.array([3.0]), np.array([Pattern.SMOOTH]), np.array([7.0]),
                           np.array([1.0]), np.array([0.95]), level_sigma=np.array([1.0]))
    assert leaning[0] == pytest.approx(1.6449 * np.sqrt(7 * 9 + 49 * 1 + 100 * 1), rel=1e-4)


def test_a_slow_mover_is_counted_in_whole_units_by_its_poisson_quantile():
    # 0.2 a day over 10 days: a mean of 2; Poisson's 95 % quantile is 5, so 3 units of safety stock.
    got = safety_stock(np.array([0.2]), np.array([np.sqrt(0.2)]), np.array([Pattern.INTERMITTENT]),
                       np.array([10.0]), np.array([0.0]), np.array([0.95]))
    assert stats.poisson.ppf(0.95, 2) == 5 and got[0] == pytest.approx(3)
    # Lumpy: the days vary more than a Poisson's would: the negative binomial asks for more.
    lumpy = safety_stock(np.array([0.2]), np.array([1.5]), np.array([Pattern.LUMPY]), np.array([10.0]),
                         np.array([0.0]), np.array([0.95]))
    assert lumpy[0] > got[0]


def test_the_order_up_to_level_keeps_the_shelf_presented_and_within_its_capacity():
    common = dict(sigma=np.array([0.0] * 3), pattern=np.array([Pattern.SMOOTH] * 3),
                  review_days=np.array([4.0] * 3), lead_days=np.array([2.0] * 3), lead_sigma=np.array([0.0] * 3),
                  service=np.array([0.95] * 3), policy=np.array([Policy.ORDER_UP_TO] * 3),
                  days_of_supply=np.array([0.0] * 3))
    got = levels(np.array([2.0, 0.1, 50.0]), presentation=np.array([0, 6, 0]), shelf=np.array([0, 0, 200]), **common)
    # 2 a day over 6 days: 12 (no spread); 0.6 raised to the 6 the shelf shows; 300 capped at the shelf's 200.
    assert list(got.order_up_to) == [12, 6, 200]


def test_proposals_by_policy_rounded_to_packs_with_the_threshold_and_the_minimum():
    got = levels(np.array([2.0, 2.0, 2.0]), np.zeros(3), np.array([Pattern.SMOOTH] * 3), np.full(3, 4.0),
                 np.full(3, 2.0), np.zeros(3), np.full(3, 0.95), np.zeros(3), np.zeros(3),
                 np.array([Policy.ORDER_UP_TO, Policy.MIN_MAX, Policy.DAYS_OF_SUPPLY]), np.array([0, 0, 10.0]))
    # 2 a day over 6 days: 12; min_max's min protects the same 12 days, its max adds 4 days' demand: 20; 10
    # days of supply: 20.
    assert list(got.order_up_to) == [12, 20, 20] and list(got.reorder_point) == [12, 12, 20]
    at = position(np.array([5, 5, 5]), np.array([1, 1, 1]), np.array([0, 0, 0]), np.array([2, 2, 2]),
                  np.array([0, 0, 0]))
    assert list(at) == [4, 4, 4]
    policies = np.array([Policy.ORDER_UP_TO, Policy.MIN_MAX, Policy.DAYS_OF_SUPPLY])
    assert list(proposals(got, at, policies, np.ones(3), np.full(3, 0.5), np.zeros(3))) == [8, 16, 16]
    # min_max waits while the position is over its min.
    higher = position(np.array([7, 13, 7]), np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3))
    assert list(proposals(got, higher, policies, np.ones(3), np.full(3, 0.5), np.zeros(3))) == [5, 0, 13]


def test_a_proposal_never_fills_the_shelf_past_its_capacity():
    wanted = Levels(np.zeros(3), np.array([40.0, 40, 40]), np.array([40.0, 40, 40]))
    # Up to 40 from 1 in packs of 6: 42 would do, the shelf holds 36: 30 (5 packs) fit; with a minimum order
    # of 36 nothing fits; without a shelf limit, 42.
    got = proposals(wanted, np.array([1, 1, 1]), np.zeros(3, dtype=int), np.full(3, 6), np.full(3, 0.5),
                    np.array([0, 36, 0]), shelf=np.array([36, 36, 0]))
    assert list(got) == [30, 0, 42]


def test_rounding_to_packs():
    packs = rounded(np.array([8, 10, 0, 1, 3]), np.array([6, 6, 6, 6, 1]), np.array([0.5, 0.5, 0.5, 0.1, 0.5]),
                    np.array([0, 0, 0, 0, 5]))
    # 8 = 1 pack and a third (under half: 6); 10 = 1 and two thirds (12); nothing; a sixth over 0.1 (6);
    # 3 under a minimum of 5 (5).
    assert list(packs) == [6, 12, 0, 6, 5]


def test_a_dc_with_enough_gives_each_store_what_it_asked():
    asks = [Ask("A", 10, 5, 1), Ask("B", 4, 2, 1)]
    assert shared(20, asks) == {"A": 10, "B": 4}


def test_a_scarce_dc_evens_the_stores_days_of_supply():
    # A has 2 days of cover, B 10: 20 units bring both to DS = (20 + 4 + 20) / 4 = 11 days: A gets 18, B 2.
    asks = [Ask("A", 30, position=4, daily=2), Ask("B", 30, position=20, daily=2)]
    assert shared(20, asks) == {"A": 18, "B": 2}
    # A store past the common days gets nothing, and the others share without it.
    asks = [Ask("A", 30, 0, 2), Ask("B", 30, 0, 2), Ask("C", 30, 100, 2)]
    assert shared(10, asks) == {"A": 5, "B": 5, "C": 0}


def test_a_share_is_capped_by_what_was_asked_and_packs_go_where_they_add_most():
    asks = [Ask("A", 4, 0, 5), Ask("B", 40, 0, 1)]  # A asks little: B takes what A leaves
    assert shared(20, asks) == {"A": 4, "B": 16}
    asks = [Ask("A", 24, 0, 3, pack=6), Ask("B", 24, 0, 1, pack=6)]
    got = shared(18, asks)
    # DS = 18 / 4 = 4.5 days: A 13.5 (2 packs), B 4.5 (0); the pack left goes to B (0 days) rather than A (4).
    assert got == {"A": 12, "B": 6} and sum(got.values()) <= 18
    # A share a hair under a whole unit from float sums is that unit.
    assert shared(10, [Ask("A", 10, -5, 0), Ask("B", 10, 3, 1)]) == {"A": 5, "B": 5}


def test_a_stores_ledger_makes_three_streams_and_marks_the_days_it_had_nothing():
    d = date(2026, 5, 1)
    second, fourth = d + timedelta(1), d + timedelta(3)
    moves = [Move(d, -2, "sale"), Move(d, -1, "ship"), Move(second, 1, "return"), Move(second, -4, "sale"),
             Move(second, 3, "receipt"), Move(second, -3, "sale"), Move(fourth, 6, "receipt"),
             Move(fourth, -1, "collect")]
    # Now 5 on hand: the 4th began with 0, the 3rd with 0 (and nothing left), the 2nd with 3, the 1st with 6.
    days = daily(moves, 5, d - timedelta(1), d + timedelta(3))
    assert [(x.walk_in, x.online, x.returns, x.opening, x.out_of_stock) for x in days] == [
        (0, 0, 0, 6, False), (2, 1, 0, 6, False), (7, 0, 1, 3, False), (0, 0, 0, 0, True), (0, 1, 0, 0, False)]
    assert days[1].demand == 3 and days[0].day == d - timedelta(1)


def test_a_stores_sku_takes_each_field_from_the_most_specific_rule_that_sets_it():
    rules = [("*", "*", Rule(service_level=0.9, case_pack=6)),
             ("*", "DEC-*", Rule(service_level=0.97, presentation_min=4)),
             ("ST-1", "DEC-*", Rule(shelf_capacity=24)),
             ("*", "DEC-0001", Rule(case_pack=12)),
             ("ST-1", "*", Rule(policy="min_max", case_pack=3)),
             ("ST-2", "DEC-0001", Rule(presentation_min=8)),
             ("*", "DE*", Rule(rounding_threshold=0.2)),
             ("*", "DEC-00*", Rule(rounding_threshold=0.7))]
    got = settled(rules, "ST-1", "DEC-0001")
    # The SKU's own rule sets the pack; the class its service level, shelf (the store's) and presentation;
    # the longer class wins the threshold; the store's "*" its policy; the rest is the default.
    assert got == Rule("min_max", 0.97, 4, 24, 12, 0.7, DEFAULT.min_order, DEFAULT.days_of_supply)
    assert settled(rules, "ST-3", "KIT-0001") == Rule("order_up_to", 0.9, 0, 0, 6, 0.5, 0, 14)
    assert settled([], "ST-1", "DEC-0001") == DEFAULT
    twice = Store("ST-1", "DC-1", (1, 4), 2.0)
    assert twice.review_days(date(2026, 5, 4)) == 3 and twice.review_days(date(2026, 5, 7)) == 4  # Mon, Thu
    assert twice.review_days(date(2026, 5, 5)) == 2 and Store("S", "D", (3,), 1).review_days(date(2026, 5, 6)) == 7


def test_a_weekly_pattern_is_learnt_where_it_explains_the_days_and_weighs_the_days_covered():
    week = [2, 2, 2, 2, 4, 8, 1]  # Monday to Sunday: Saturdays sell four times a Monday
    demand = np.array([week * 6, [3] * 42], dtype=float)
    seen = np.ones_like(demand, dtype=bool)
    weekdays = np.arange(42) % 7  # the first day a Monday
    f = forecast(demand, seen, weekdays)
    assert f.season[0] == pytest.approx(np.array(week) / 3)  # (the week's mean: 3 a day)
    assert f.daily[0] == pytest.approx(3) and f.sigma[0] == pytest.approx(0, abs=1e-9)
    assert list(f.season[1]) == [1] * 7  # a flat series keeps no pattern
    # Friday to Sunday: 4 + 8 + 1 = 13 units, where a flat forecast would say 9.
    assert over(f, np.array([4, 5, 6]))[0] == pytest.approx(13) and over(f, np.array([4, 5, 6]))[1] == 9
    assert list(forecast(demand, seen).season[0]) == [1] * 7  # without weekdays, none is learnt


def test_a_weekly_series_spread_is_the_spread_of_the_days_that_follow():
    # 3,000 series of Poisson counts with a strong weekly pattern: 13 weeks learnt, the next week's days
    # compared with their forecast. The indices fitted to the learnt days take some of their noise for pattern
    # and err themselves on the days to come; the spread announced (a day's and the level's) must be the
    # spread met (4.57 units² a day; it says 4.48). Read from the learnt days alone, it said 3.90.
    rng = np.random.default_rng(5)
    week = np.array([2.0, 2.0, 3.0, 3.0, 5.0, 9.0, 4.0])  # Monday first; 4 a day over the week
    demand = rng.poisson(np.tile(week, 14)[None, :].repeat(3000, axis=0)).astype(float)
    learnt, coming = demand[:, :91], demand[:, 91:]
    f = forecast(learnt, np.ones_like(learnt, dtype=bool), np.arange(91) % 7)
    assert (f.season != 1).any(axis=1).all()
    met = ((coming - f.daily[:, None] * f.season) ** 2).mean()
    announced = (f.sigma ** 2 * f.season.mean(axis=1) + f.level_sigma ** 2).mean()
    assert announced == pytest.approx(met, rel=0.04)


def test_a_flat_series_keeps_no_weekly_pattern_of_its_own_noise():
    # Poisson counts with the same mean every day: seven indices fitted to four weeks of them always explain
    # some of the noise; compared on their error counted over the days less the indices, few are kept (87 % of
    # the series kept one over four weeks, 17 % over thirteen, when the errors were compared as measured).
    rng = np.random.default_rng(8)
    for weeks, most in ((4, 0.35), (13, 0.06)):
        demand = rng.poisson(4.0, (3000, 7 * weeks)).astype(float)
        f = forecast(demand, np.ones_like(demand, dtype=bool), np.arange(7 * weeks) % 7)
        assert (f.season != 1).any(axis=1).mean() < most


def test_a_series_on_a_straight_line_is_forecast_along_its_slope():
    demand, seen = rows([10 + 0.5 * t for t in range(60)], [4.0] * 60)
    f = forecast(demand, seen)
    assert list(f.method) == [Method.HOLT, Method.SES] and Method.HOLT.name.lower() == "holt"
    assert f.trend[0] == pytest.approx(0.5) and f.trend[1] == 0
    assert f.daily[0] == pytest.approx(40)  # day 60 on the line, where SES lags behind the last days
    assert ses(demand[:1], seen[:1], 0.5)[0][0] < 39.5
    # The next three days: 40 + 40.5 + 41; a flat series stays flat.
    assert over(f, np.array([0, 1, 2]))[0] == pytest.approx(121.5) and over(f, np.array([0, 1, 2]))[1] == 12
    # No noise around the line: neither the slope nor the level is uncertain.
    assert f.sigma[0] == pytest.approx(0, abs=1e-9) and f.trend_sigma[0] == pytest.approx(0, abs=1e-9)


def test_a_noisy_trend_is_found_with_its_uncertainty_and_noise_alone_is_not_one():
    rng = np.random.default_rng(4)
    t = np.arange(90)
    rising = rng.poisson(4 + 0.05 * t, (200, 90)).astype(float)
    flat = rng.poisson(4.0, (200, 90)).astype(float)
    found = forecast(rising, np.ones_like(rising, dtype=bool))
    held = found.method == Method.HOLT
    assert held.mean() > 0.95  # a slope of 0.05 a day over 90 days is some 7 standard errors
    assert np.median(found.trend[held]) == pytest.approx(0.05, rel=0.15)
    assert (found.trend_sigma[held] > 0).all()
    # Noise around a flat mean: a slope past its standard error about one time in three (|t| > 1), and those
    # slopes are about 0 on average.
    none = forecast(flat, np.ones_like(flat, dtype=bool))
    assert 0.15 < (none.method == Method.HOLT).mean() < 0.5 and abs(none.trend.mean()) < 0.005
    # The least-squares slope of a rising series seen only on some days is still its slope.
    seen = rng.random((1, 90)) < 0.6
    start, slope, standard, trending = sloped(np.array([1 + 0.2 * t], dtype=float), seen)
    assert slope[0] == pytest.approx(0.2) and start[0] == pytest.approx(0.8) and trending[0]


def test_a_trends_uncertainty_widens_the_safety_stock_by_the_formula():
    # 7 days: H = 28 days' worth of slope; σd = 3, σf = 1, σb = 0.1, covariance 0.05.
    common = (np.array([10.0]), np.array([3.0]), np.array([Pattern.SMOOTH]), np.array([7.0]), np.array([0.0]),
              np.array([0.95]))
    got = safety_stock(*common, level_sigma=np.array([1.0]), trend_sigma=np.array([0.1]),
                       level_trend=np.array([0.05]))
    assert got[0] == pytest.approx(1.6449 * np.sqrt(7 * 9 + 49 + 2 * 7 * 28 * 0.05 + 28 ** 2 * 0.01), rel=1e-4)
    assert got[0] > safety_stock(*common, level_sigma=np.array([1.0]))[0]
    # A rising demand over the days (the expected 84 rather than 70): a day's variance grows with it.
    more = safety_stock(*common, expected=np.array([84.0]))
    assert more[0] == pytest.approx(1.6449 * np.sqrt(8.4 * 9), rel=1e-4)


def test_a_demand_known_only_to_be_at_least_its_sales_is_expected_above_them():
    # A geometric count (negative binomial of shape 1: variance = mean + mean²) forgets: at or past any bound,
    # it is expected one mean on; E[D² | D ≥ 3] = 9 + 2 × 3 × 2 + (6 + 4).
    first, second = at_least(np.array([3.0, 0.0]), np.array([2.0, 2.0]), np.array([6.0, 6.0]))
    assert first == pytest.approx([5.0, 2.0]) and second == pytest.approx([31.0, 10.0])
    # A Poisson count of mean 2 at least 1: 2 / (1 − e⁻²).
    assert at_least(np.array([1.0]), np.array([2.0]), np.array([2.0]))[0][0] == pytest.approx(2 / (1 - np.exp(-2)))
    # No spread seen: the larger of the sales and the mean.
    assert at_least(np.array([3.0]), np.array([5.0]), np.array([0.0]))[0][0] == 5
    # Days of 2 to 6 units; the shelf emptied at 3 on the last: filled in above 3, with a spread left.
    demand = np.array([[2, 6, 4, 2, 6, 4, 3]], dtype=float)
    seen, emptied = np.ones_like(demand, dtype=bool), np.zeros_like(demand, dtype=bool)
    emptied[0, -1] = True
    values, left = filled(demand, seen, emptied)
    assert values[0, -1] > 4 and left[0, -1] > 0 and list(values[0, :-1]) == [2, 6, 4, 2, 6, 4]
    assert left[0, :-1].sum() == 0


def test_stock_outs_do_not_bias_the_forecast_down():
    rng = np.random.default_rng(9)
    demand = rng.poisson(6.0, (300, 60)).astype(float)
    # The shelf holds 5 units every third day: those days sell at most 5 and end empty.
    short = (np.arange(60) % 3 == 2)[None, :] & (demand >= 5)
    sold = np.where(short, 5.0, demand)
    seen = np.ones_like(sold, dtype=bool)
    told = forecast(sold, seen, emptied=short)
    blind = forecast(sold, seen, emptied=np.zeros_like(short))
    assert blind.daily.mean() < 5.6 and told.daily.mean() == pytest.approx(6.0, rel=0.03)
    # Unless told, a day seen before one not seen is the one whose shelf emptied.
    gap = np.array([[6, 6, 2, 0, 6, 6]], dtype=float)
    unseen = np.array([[True, True, True, False, True, True]])
    assert forecast(gap, unseen).daily[0] > forecast(gap, unseen, emptied=np.zeros_like(unseen)).daily[0]


def test_an_over_dispersed_series_gets_more_safety_stock_than_a_poisson_one():
    # A sale every third day, of 1 or 11 units: 2 a day on average, its days varying far more than a Poisson's.
    lumpy = [0, 0, 1, 0, 0, 11] * 10
    f = forecast(*rows(lumpy))
    assert f.pattern[0] == Pattern.LUMPY and f.sigma[0] ** 2 > 3 * f.daily[0]
    days = np.array([7.0])
    got = safety_stock(f.daily, f.sigma, f.pattern, days, np.zeros(1), np.array([0.95]), level_sigma=f.level_sigma)
    mean = f.daily[0] * 7
    assert got[0] > stats.poisson.ppf(0.95, mean) - mean + 3
    assert f.level_sigma[0] > 0  # Croston's own estimate is uncertain too


def test_dying_out_is_a_gap_the_series_own_intervals_would_rarely_give():
    # A sale every other day, then 10 days without: (1/2)^10 < 1 %; every fifth day then 10 without: not rare.
    often = [0, 3] * 10 + [0] * 10
    seldom = [0, 0, 0, 0, 3] * 8 + [0] * 10
    assert list(dying(*rows(often, often))) == [True, True]
    assert not dying(*rows(seldom))[0] and forecast(*rows(seldom)).method[0] != Method.TSB
    assert not dying(*rows([0] * 20 + [4] + [0] * 20))[0]  # one sale: no interval to judge by


def test_the_rule_book_settles_as_each_rule_is_settled_alone():
    rules = [("*", "*", Rule(service_level=0.9, case_pack=2)), ("*", "DEC-*", Rule(case_pack=6)),
             ("ST-A", "DEC-*", Rule(presentation_min=3)), ("*", "DEC-01", Rule(shelf_capacity=12)),
             ("ST-B", "*", Rule(policy="min_max")), ("*", "DE*", Rule(min_order=4))]
    book = RuleBook(rules)
    for store in ("ST-A", "ST-B", "ST-C"):
        for sku in ("DEC-01", "DEC-02", "DESK-1", "KIT-01"):
            assert book.rule(store, sku) == settled(rules, store, sku), (store, sku)
    assert book.rule("ST-A", "DEC-01").presentation_min == 3 and book.rule("ST-C", "DEC-01").presentation_min == 0
