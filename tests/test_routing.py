"""Routing policies, without any process."""
from grader.platform.routing import Router

NAMES = ["web.1", "web.2", "web.3"]


def test_round_robin_cycles_in_worker_order():
    router = Router("round_robin")
    assert [router.choose(NAMES) for _ in range(4)] == ["web.1", "web.2", "web.3", "web.1"]


def test_random_is_reproducible_from_its_seed_and_differs_between_seeds():
    def picks(seed):
        router = Router("random", seed)
        return [router.choose(NAMES) for _ in range(20)]

    assert picks(1) == picks(1)
    assert picks(1) != picks(2)


def test_never_same_never_repeats_a_clients_last_worker():
    router = Router("never_same")
    for client in ("a", "b"):
        chosen = [router.choose(NAMES, client) for _ in range(10)]
        assert all(x != y for x, y in zip(chosen, chosen[1:]))


def test_sticky_pins_each_client_to_one_worker():
    router = Router("sticky")
    assert len({router.choose(NAMES, "alice") for _ in range(10)}) == 1


def test_unknown_policy_is_refused_with_the_known_ones():
    try:
        Router("fastest")
    except ValueError as error:
        assert "round_robin, random, never_same, sticky" in str(error)
    else:
        raise AssertionError("an unknown policy was accepted")
