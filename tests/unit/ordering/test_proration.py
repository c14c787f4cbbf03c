"""Discounts split exactly: across the stores by their goods, then across each order's lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.ordering.checkout import allocate
from app.ordering.proration import largest_remainder


def test_ten_off_twenty_thirty_fifty_gives_eighteen_twenty_seven_forty_five():
    goods = [20, 30, 50]
    split = allocate([[g] for g in goods], [0, 0, 0], platform_fen=10, points_fen=0)
    assert split.store_totals("platform") == [2, 3, 5]
    assert [g - d for g, d in zip(goods, split.store_totals("platform"), strict=True)] == [
        18,
        27,
        45,
    ]


def test_one_fen_left_over_goes_to_the_largest_remainder():
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    assert largest_remainder(100, [3333, 3333, 3334]) == [33, 33, 34]


def test_a_discount_larger_than_the_goods_is_capped_at_the_goods():
    split = allocate([[300, 200]], [1000], platform_fen=1000, points_fen=1000)
    assert split.store == [[300, 200]]
    assert split.platform == [[0, 0]] and split.points == [[0, 0]]


lines = st.lists(st.integers(min_value=0, max_value=50_000), min_size=1, max_size=5)
stores = st.lists(lines, min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(
    stores,
    st.lists(st.integers(min_value=0, max_value=60_000), min_size=5, max_size=5),
    st.integers(min_value=0, max_value=300_000),
    st.integers(min_value=0, max_value=300_000),
)
def test_random_carts_split_every_discount_exactly(cart, store_discounts, platform, points):
    store_discounts = store_discounts[: len(cart)]
    split = allocate(cart, store_discounts, platform, points)
    goods = sum(map(sum, cart))
    # each store coupon: its parts sum to the coupon (capped at that store's goods)
    for lines_fen, discount, parts in zip(cart, store_discounts, split.store, strict=True):
        assert sum(parts) == min(discount, sum(lines_fen))
    after_store = goods - sum(map(sum, split.store))
    # the platform coupon: parts over stores and lines sum to it exactly (capped at what's left)
    assert sum(split.store_totals("platform")) == min(platform, after_store)
    after_platform = after_store - sum(split.store_totals("platform"))
    assert sum(split.store_totals("points")) == min(points, after_platform)
    for s, lines_fen in enumerate(cart):
        for j, line in enumerate(lines_fen):
            shares = (split.store[s][j], split.platform[s][j], split.points[s][j])
            assert all(share >= 0 for share in shares)
            assert sum(shares) <= line  # no line pays less than nothing
