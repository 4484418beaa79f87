import pytest

from family.domain import catalog, changes
from shared import files
from shared.errors import Problem
from shared.http.uploads import checked

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 40
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_a_photo_is_a_jpeg_or_a_png_whatever_its_name():
    assert checked(JPEG, "moi.png", "file", files.IMAGES).content_type == files.JPEG
    upload = checked(PNG, "moi.jpg", "file", files.IMAGES)
    assert upload.content_type == files.PNG and upload.filename == "moi.jpg.png"
    with pytest.raises(Problem) as refused:
        checked(PDF, "photo.jpg", "file", files.IMAGES)
    assert refused.value.status == 415
    assert checked(PDF, "x.pdf", "file", files.DOCUMENTS).content_type == files.PDF
    with pytest.raises(Problem) as empty:
        checked(b"", "photo.jpg", "file", files.IMAGES)
    assert empty.value.status == 422


def test_photo_changes_and_health_documents():
    assert changes.summary("photo", "update", "Léa Martin") == (
        "Modification de la photo : Léa Martin"
    )
    assert changes.summary("photo", "delete") == "Suppression de la photo"
    assert catalog.is_health_document("certificat_medical")
    assert not catalog.is_health_document("avis_imposition")
