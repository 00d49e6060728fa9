"""LINE-shaped public numbers (issue 16 #4): 18 digits, one-to-one, opaque."""

import pytest

from core.public_ids import public_number, public_number_parse


def test_public_numbers_are_18_digits_and_invert_to_their_key():
    keys = [1, 2, 3, 4, 5, 999, 10**6, 2**40, 9 * 10**17]
    numbers = [public_number(pk) for pk in keys]
    assert all(len(n) == 18 and n.isdigit() and n[0] != "0" for n in numbers)
    assert [public_number_parse(n) for n in numbers] == keys


def test_consecutive_keys_give_unordered_spread_numbers():
    numbers = [int(public_number(pk)) for pk in range(1, 2001)]
    # one-to-one
    assert len(set(numbers)) == 2000
    # not a sequence: neither ordered nor a constant step
    assert numbers != sorted(numbers) and numbers != sorted(numbers, reverse=True)
    steps = {b - a for a, b in zip(numbers, numbers[1:], strict=False)}
    assert len(steps) == 1999
    # spread over the whole 18-digit range, not clustered near the start
    assert min(numbers) < 2 * 10**17 and max(numbers) > 9 * 10**17
    ascending = sum(b > a for a, b in zip(numbers, numbers[1:], strict=False))
    assert 900 < ascending < 1100


def test_other_namespaces_and_keys_give_other_numbers(settings):
    message = public_number(7)
    assert public_number(7, namespace="audience") != message
    settings.PUBLIC_ID_KEY = "another key"
    assert public_number(7) != message


@pytest.mark.parametrize(
    "number",
    [
        "",
        "1",
        "12345678901234567",
        "1234567890123456789",
        "0" * 18,
        "099999999999999999",
        "12345678901234567x",
        "１２３４５６７８９０１２３４５６７８",
    ],
)
def test_malformed_numbers_parse_to_none(number):
    assert public_number_parse(number) is None


@pytest.mark.parametrize("pk", [0, -1, 9 * 10**17 + 1])
def test_keys_out_of_range_are_refused(pk):
    with pytest.raises(ValueError):
        public_number(pk)


def test_13_digit_numbers_for_audiences_are_a_permutation_too():
    numbers = [
        public_number(pk, namespace="audience", digits=13) for pk in range(1, 501)
    ]
    assert all(len(n) == 13 and n.isdigit() and n[0] != "0" for n in numbers)
    assert len(set(numbers)) == 500
    assert numbers != sorted(numbers)
    assert [
        public_number_parse(n, namespace="audience", digits=13) for n in numbers
    ] == list(range(1, 501))
    assert int(max(numbers)) < 2**53  # exact as a JSON number in JavaScript
