"""Store-to-store rebalancing: the most urgent short store first, from the nearest store with units beyond its
level, never from one farther than the short store's DC, never more than a giver spares."""

from oms.domain.replenishment.rebalance import Short, Spare, rebalanced

PARIS, MARAIS, BASTILLE, LILLE = (48.8566, 2.3522), (48.859, 2.362), (48.853, 2.369), (50.63, 3.06)


def short(store, units, cover, at, dc_km=18.0):
    return Short(store, units, cover, *at, dc_km)


def test_the_nearest_giver_sends_first_and_the_next_nearest_the_rest():
    moves = rebalanced([short("PARIS", 7, 1.0, PARIS)], [Spare("BASTILLE", 10, *BASTILLE), Spare("MARAIS", 4, *MARAIS)])
    assert [(m.from_store, m.to_store, m.units) for m in moves] == [("MARAIS", "PARIS", 4), ("BASTILLE", "PARIS", 3)]
    assert moves[0].km < moves[1].km < 2


def test_the_most_urgent_store_is_served_first_and_a_giver_spares_no_more_than_it_has():
    moves = rebalanced([short("PARIS", 5, 2.5, PARIS), short("BASTILLE", 5, 0.5, BASTILLE)],
                       [Spare("MARAIS", 6, *MARAIS)])
    assert [(m.to_store, m.units) for m in moves] == [("BASTILLE", 5), ("PARIS", 1)]


def test_a_store_farther_than_the_dc_sends_nothing_and_a_store_never_sends_to_itself():
    assert rebalanced([short("LILLE", 5, 0.0, LILLE, dc_km=20.0)], [Spare("MARAIS", 50, *MARAIS)]) == []
    assert rebalanced([short("MARAIS", 5, 0.0, MARAIS)], [Spare("MARAIS", 50, *MARAIS)]) == []
    [move] = rebalanced([short("LILLE", 5, 0.0, LILLE, dc_km=500.0)], [Spare("MARAIS", 50, *MARAIS)])
    assert (move.from_store, move.to_store, move.units) == ("MARAIS", "LILLE", 5) and 200 < move.km < 210
