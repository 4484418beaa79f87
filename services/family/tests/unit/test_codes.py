from family.domain import codes


def test_codes_have_no_ambiguous_characters_and_enough_entropy():
    drawn = {codes.generate() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(len(c) == codes.LENGTH and not set(c) & set("01ILO") for c in drawn)
    assert len(codes.ALPHABET) ** codes.LENGTH > 2**48


def test_typed_codes_are_normalised():
    assert codes.display("K7QX9M2HTA") == "K7QX9-M2HTA"
    assert codes.normalise(" k7qx9-m2hta ") == "K7QX9M2HTA"
    assert codes.normalise("K7QX9 M2HTA") == "K7QX9M2HTA"
    assert codes.normalise("K7QX9-M2HT") is None
    assert codes.normalise("O7QX9-M2HTA") is None  # O is never in a code
    assert codes.normalise("") is None
