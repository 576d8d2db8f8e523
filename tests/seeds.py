"""An independent reading of the five source documents in shared/seeds/.

This parser shares no code with the catalog: tests compare what it reads straight from the
seed files with what the catalog holds, fact by fact.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

SEEDS = Path(
    os.environ.get("DLRKIT_SEEDS", Path(__file__).resolve().parents[2] / "shared" / "seeds")
)
FILES = {
    "000": "000_0f4f1a13effe02f0.txt",
    "001": "001_1301a07079af433e.txt",
    "002": "002_6890c7c437132ca3.txt",
    "003": "003_ee3b8ab4a0768521.txt",
    "004": "004_d92efabf1587a6a0.txt",
}


@dataclass
class Row:
    provider: str
    kind: str
    channel: str
    code: int | str
    source: str
    name: str | None = None
    group_id: int | None = None
    group_name: str | None = None
    permanent: bool | None = None
    extra: dict[str, str] = field(default_factory=dict)


def text(source: str) -> str:
    return (SEEDS / FILES[source]).read_text(encoding="utf-8")


# --- Infobip reference (001) and its HLR twin (002) -----------------------------------------

_INFOBIP_SECTIONS = {
    "General Status Codes": ("status", "general"),
    "Voice Status Codes": ("status", "voice"),
    "Push Notifications Status Codes": ("status", "push"),
    "General Error Codes": ("error", "general"),
    "Voice Error Codes": ("error", "voice"),
    "Push Notification Error Codes": ("error", "push"),
    "Email Error Codes": ("error", "email"),
    "Chat Error Codes": ("error", "chat"),
    "Mobile Identity Error Codes": ("error", "mobile_identity"),
    "DLT Error Codes": ("error", "dlt"),
}
_GROUP_RE = re.compile(r"^(?P<name>.+?) \(group id: (?P<id>\d+)\)")
_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_ ]*[A-Z0-9]$")


def infobip_reference(source: str = "001") -> list[Row]:
    """Rows of 001 (with names) or 002 (ids and flags; names only for mobile identity and DLT)."""
    rows: list[Row] = []
    section: tuple[str, str] | None = None
    group: tuple[str, int] | None = None
    tokens: list[str] = []

    def flush() -> None:
        if section is None:
            tokens.clear()
            return
        kind, channel = section
        has_flag = kind == "error" and channel not in ("mobile_identity", "dlt")

        def row(code: int, name: str | None, permanent: bool | None = None) -> Row:
            group_id, group_name = (group[1], group[0]) if group else (None, None)
            return Row(
                "infobip", kind, channel, code, source, name, group_id, group_name, permanent
            )

        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if not tok.isdigit():
                i += 1
                continue
            code = int(tok)
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if has_flag:
                if nxt not in ("true", "false"):
                    i += 1
                    continue
                name_tok = tokens[i + 2] if i + 2 < len(tokens) else ""
                name = name_tok if _NAME_RE.match(name_tok) else None
                rows.append(row(code, name, nxt == "true"))
                i += 2
                continue
            name = nxt if _NAME_RE.match(nxt) else None
            if name is None and source == "001":
                i += 1
                continue
            found = row(code, name)
            if channel == "dlt" and source == "001":
                m = re.search(r"^(\d+) - ", "\n".join(tokens[i + 2 : i + 5]), re.M)
                if m:
                    found.extra["status_id"] = m.group(1)
            rows.append(found)
            i += 2 if name else 1
        tokens.clear()

    for line in text(source).splitlines():
        stripped = line.strip()
        if stripped in _INFOBIP_SECTIONS:
            flush()
            section = _INFOBIP_SECTIONS[stripped]
            group = None
            continue
        m = _GROUP_RE.match(stripped)
        if m and section is not None:
            flush()
            group = (m["name"], int(m["id"]))
            continue
        if stripped.startswith("- "):
            tokens.append("-")  # a description: never a name
            continue
        tokens.extend(t.strip() for t in stripped.split("|") if t.strip())
    flush()
    return rows


# --- Infobip voice migration (000) -----------------------------------------------------------


@dataclass
class Migration:
    migrated: dict[int, list[tuple[int, int, str]]]  # legacy -> [(new, group, name)]
    legacy: dict[int, tuple[str, int | None]]  # legacy -> (name, group id or None)
    retired: list[int]
    introduced: list[tuple[int, int, str]]
    status_reason: tuple[int, int, str, int, str]  # status, group, name, error, error name


def migration() -> Migration:
    body = text("000")
    mig = body.split("Migrated error codes", 1)[1].split("Retired error codes", 1)[0]
    ret = body.split("Retired error codes", 1)[1].split("New error codes", 1)[0]
    new = body.split("New error codes", 1)[1].split("Status reason changes", 1)[0]
    sr = body.split("Status reason changes", 1)[1]
    target_re = re.compile(r"(1\d{4})(\d)([A-Z_]+?)(?=[A-Z][a-z])")
    migrated: dict[int, list[tuple[int, int, str]]] = {}
    legacy: dict[int, tuple[str, int | None]] = {}
    last = None
    for line in mig.splitlines():
        m = re.match(r"^(5\d{3})([A-Z_]+)(\d)(.*)$", line)
        if m:
            last = int(m[1])
            legacy[last] = (m[2], int(m[3]))
            t = target_re.search(m[4])
            migrated[last] = [(int(t[1]), int(t[2]), t[3])] if t else []
            continue
        t = target_re.match(line)
        if t and last is not None:
            migrated[last].append((int(t[1]), int(t[2]), t[3]))
    retired = []
    for line in ret.splitlines():
        m = re.match(r"^(5\d{3})([A-Z_]+?)(?=[A-Z][a-z])", line)
        if m:
            retired.append(int(m[1]))
            legacy[int(m[1])] = (m[2], None)
    introduced = [
        (int(t[1]), int(t[2]), t[3]) for t in (target_re.match(x) for x in new.splitlines()) if t
    ]
    s = re.search(r"^(\d+) \(NEW\)(\d)([A-Z_]+?)(1\d{4})([A-Z_]+)$", sr, re.M)
    assert s, "status reason row not found in 000"
    return Migration(
        migrated, legacy, retired, introduced, (int(s[1]), int(s[2]), s[3], int(s[4]), s[5])
    )


# --- SMSPartner (003) -------------------------------------------------------------------------

_SMSPARTNER_SECTIONS = {
    "Sending SMS": ("api_error", "send_sms"),
    "SMS Cancellation": ("api_error", "cancel_sms"),
    "Status Retrieval": ("api_error", "status_retrieval"),
    "Status List": ("status", "status_list"),
    "SMS Status": ("dlr_status", "sms"),
    "Number Verification": ("api_error", "number_verification"),
    "Location": ("api_error", "location"),
    "Sub-account": ("api_error", "subaccount"),
    "Sending Voice Messages / VMS": ("api_error", "voice_message"),
    "Sending Mail": ("api_error", "mail"),
}


def smspartner() -> list[Row]:
    rows: list[Row] = []
    section: tuple[str, str] | None = None
    group: tuple[str, int] | None = None
    for line in text("003").splitlines():
        heading = re.match(r"^#+ (.*)$", line)
        if heading:
            title = heading[1].strip()
            m = re.match(r"^(?:Code Status: )?(\w+) \((status|error)GrpId: (\d+)\)", title)
            if m:
                section = ("status" if m[2] == "status" else "error", "hlr")
                group = (m[1], int(m[3]))
            elif title in _SMSPARTNER_SECTIONS:
                section, group = _SMSPARTNER_SECTIONS[title], None
            elif title in ("HLR", "Error Codes (HLR)", "Status Error Codes", "API Error Codes"):
                section, group = None, None
            continue
        if section is None:
            continue
        kind, channel = section
        if channel == "send_sms":
            m = re.match(r"^(\d+) ([A-Z][a-z].*)$", line.strip())
            if m:  # the code stated above the table
                rows.append(Row("smspartner", kind, channel, int(m[1]), "003", m[2].strip()))
                continue
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if (
            not cells
            or not cells[0]
            or set(cells[0]) <= set(":-")
            or cells[0] in ("Codes", "statusId", "errorId")
        ):
            continue
        if channel == "hlr":
            # a damaged row may hold two rows' cells ("| 508 | false | | 509 | false | NAME | ...")
            while cells:
                code = int(cells[0])
                if kind == "status":
                    rows.append(
                        Row("smspartner", kind, channel, code, "003", cells[1], group[1], group[0])
                    )
                    break
                permanent = cells[1] == "true"
                name = cells[2] or None
                rows.append(
                    Row(
                        "smspartner",
                        kind,
                        channel,
                        code,
                        "003",
                        name,
                        group[1],
                        group[0],
                        permanent,
                    )
                )
                if name is None and len(cells) > 3 and cells[3].isdigit():
                    cells = cells[3:]  # the next row's cells
                    continue
                break
            continue
        code: int | str = int(cells[0]) if cells[0].isdigit() else cells[0]
        name = cells[1] if kind != "dlr_status" else None
        rows.append(Row("smspartner", kind, channel, code, "003", name))
    return rows


# --- Plivo (004) ------------------------------------------------------------------------------


def plivo() -> list[Row]:
    records: list[list[str]] = []
    for line in text("004").splitlines():
        if re.match(r"^\d{1,4} [A-Z]", line):
            records.append([line])
        elif records:
            records[-1].append(line)
    rows = []
    for rec in records:
        cells = [" ".join(c.split()) for c in " ".join(rec).split("|")]
        cells = [c for c in cells if c]
        head = re.match(r"^(\d+) (.+)$", cells[0])
        assert head, cells
        rows.append(
            Row(
                "plivo",
                "hangup_cause",
                "voice",
                int(head[1]),
                "004",
                head[2],
                extra={"hangup_source": cells[-3], "direction": cells[-2], "call_state": cells[-1]},
            )
        )
    return rows
