"""Split an amount in fen across parts in proportion to their weights, exactly.

The largest-remainder method: each part gets the floor of its exact share, and the fen left over
go one each to the parts with the largest remainders (ties to the earlier part). The parts always
sum to the amount; none is negative; with amount <= sum(weights) no part exceeds its weight.

    largest_remainder(1000, [2000, 3000, 5000]) == [200, 300, 500]
    largest_remainder(1, [1, 1, 1]) == [1, 0, 0]
"""

from __future__ import annotations


def largest_remainder(amount: int, weights: list[int]) -> list[int]:
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("amount and weights must not be negative")
    total = sum(weights)
    if total == 0:
        if amount:
            raise ValueError("cannot split a positive amount across zero weights")
        return [0] * len(weights)
    floors = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors
