"""Load-time checks: a broken data file fails with the file, the row and the field named."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from dlrkit import Catalog, CatalogError
from dlrkit.catalog.build import compile_bytes

DATA = Path(str(resources.files("dlrkit.catalog").joinpath("data")))


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_directory_loads_like_the_compiled_catalog(data_copy: Path) -> None:
    assert Catalog.from_directory(data_copy).entries == Catalog.default().entries


def test_compiled_file_is_fresh() -> None:
    assert (
        compile_bytes(DATA)
        == resources.files("dlrkit.catalog").joinpath("compiled.json").read_bytes()
    )


def test_unknown_enum_names_file_row_field(data_copy: Path) -> None:
    _edit(
        data_copy / "plivo" / "hangup-causes.toml",
        'reason = "recipient_busy"',
        'reason = "busyish"',
    )
    with pytest.raises(CatalogError) as err:
        Catalog.from_directory(data_copy)
    e = err.value
    assert e.file == "plivo/hangup-causes.toml"
    assert e.field == "reason"
    assert e.row
    assert e.line
    assert "plivo/hangup-causes.toml:" in str(e)


def test_undocumented_duplicate_is_refused(data_copy: Path) -> None:
    path = data_copy / "plivo" / "hangup-causes.toml"
    _edit(path, "code = 3100\n", "code = 3010\n")
    with pytest.raises(CatalogError, match="a repeated id must carry a `quirk`"):
        Catalog.from_directory(data_copy)


def test_link_to_a_missing_standard_is_refused(data_copy: Path) -> None:
    _edit(data_copy / "plivo" / "hangup-causes.toml", '"sip:response:486"', '"sip:response:499"')
    with pytest.raises(CatalogError) as err:
        Catalog.from_directory(data_copy)
    assert err.value.field == "standard"
    assert "sip:response:499" in str(err.value)


def test_unknown_key_is_refused(data_copy: Path) -> None:
    _edit(data_copy / "plivo" / "hangup-causes.toml", "[[entry]]\n", "[[entry]]\ncolour = 1\n")
    with pytest.raises(CatalogError) as err:
        Catalog.from_directory(data_copy)
    assert err.value.field == "colour"


def test_migration_name_mismatch_is_refused(data_copy: Path) -> None:
    _edit(
        data_copy / "relations" / "infobip-voice-migration-2024.toml",
        '"EC_DECLINE"',
        '"EC_DECLINED"',
    )
    with pytest.raises(CatalogError, match="legacy name 'EC_DECLINED'"):
        Catalog.from_directory(data_copy)


def test_missing_description_is_refused(data_copy: Path) -> None:
    path = data_copy / "sccp" / "return-causes.toml"
    text = path.read_text()
    start = text.index("description =")
    end = text.index("\n", start)
    path.write_text(text[:start] + 'description = "short"' + text[end:])
    with pytest.raises(CatalogError) as err:
        Catalog.from_directory(data_copy)
    assert err.value.field == "description"
