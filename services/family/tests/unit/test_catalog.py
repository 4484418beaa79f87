from datetime import date

import pytest

from family.domain import catalog
from shared import files


def test_default_validity_ends_with_the_school_year() -> None:
    assert catalog.end_of_school_year(date(2026, 3, 10)) == date(2026, 8, 31)
    assert catalog.end_of_school_year(date(2026, 8, 31)) == date(2026, 8, 31)
    assert catalog.end_of_school_year(date(2026, 9, 1)) == date(2027, 8, 31)


def test_codes_of_new_entries_come_from_their_label() -> None:
    assert catalog.slug("Attestation d'assurance") == "attestation_d_assurance"
    assert catalog.slug("  École : inscription ") == "ecole_inscription"
    assert catalog.slug("!!!") == "type"


def test_who_wrote_last_decides_the_status() -> None:
    assert catalog.status_after_message("open", "staff") == "answered"
    assert catalog.status_after_message("answered", "family") == "open"
    assert catalog.status_after_message("open", "staff", close=True) == "closed"
    with pytest.raises(catalog.RequestClosed):
        catalog.status_after_message("closed", "family")


def test_the_type_comes_from_the_content() -> None:
    assert files.sniff(b"%PDF-1.7\n...\n%%EOF\n") == files.PDF
    assert files.sniff(b"%PDF-1.7 truncated") is None
    assert files.sniff(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR....") == files.PNG
    assert files.sniff(b"\xff\xd8\xff\xe0JFIF") == files.JPEG
    assert files.sniff(b"GIF89a") is None
    assert files.clean_filename("../../etc/passwd", files.PDF) == "passwd.pdf"
    assert files.clean_filename("photo.JPEG", files.JPEG) == "photo.jpg"
    assert files.human_size(5 * 1024 * 1024) == "5 Mo"
