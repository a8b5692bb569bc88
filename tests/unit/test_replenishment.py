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
    croston,
    forecast,
    over,
    patterns,
    sba,
    ses,
    tsb,
)
from oms.domain.replenishment.levels import Levels, Policy, levels, position, proposals, rounded, safety_stock
from oms.domain.replenishment.settings import DEFAULT, Rule, Store, settled
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
