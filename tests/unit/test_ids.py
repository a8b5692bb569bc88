from oms.domain.ids import new_id


def test_ids_made_one_after_another_sort_in_that_order():
    ids = [new_id("evt") for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("evt_") and len(i) == 36 for i in ids)
