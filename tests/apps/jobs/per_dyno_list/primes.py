def count_primes(n):
    """Number of primes below n, by trial division."""
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    count = 0
    for k in range(2, n):
        d = 2
        while d * d <= k:
            if k % d == 0:
                break
            d += 1
        else:
            count += 1
    return count
