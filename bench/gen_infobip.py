"""Generate realistic Infobip SMS delivery-report lines (one webhook body per line).

    python bench/gen_infobip.py N OUT.jsonl [--seed 1]

The mix follows a plausible production distribution: mostly delivered, then absent
subscribers, unknown subscribers, expiries, operator rejections, DND, and a few codes
that are not in the catalog (new codes appear in production before any table lists them).
Reports look like Infobip's documented SMS delivery report: its keys in its order, random
message ids and recipients over ten destinations (their mccMnc and price), sending times
spread evenly over a day with millisecond precision, delivery 0.5-30 s later, and a
callbackData on some.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta

# (weight, status (groupId, groupName, id, name, description),
#  error (groupId, groupName, id, name, description, permanent))
MIX = [
    (
        0.86,
        (3, "DELIVERED", 5, "DELIVERED_TO_HANDSET", "Message delivered to handset"),
        (0, "OK", 0, "NO_ERROR", "No Error", False),
    ),
    (
        0.04,
        (2, "UNDELIVERABLE", 9, "UNDELIVERABLE_NOT_DELIVERED", "Message sent not delivered"),
        (1, "HANDSET_ERRORS", 27, "EC_ABSENT_SUBSCRIBER", "Absent Subscriber", False),
    ),
    (
        0.03,
        (2, "UNDELIVERABLE", 9, "UNDELIVERABLE_NOT_DELIVERED", "Message sent not delivered"),
        (1, "HANDSET_ERRORS", 1, "EC_UNKNOWN_SUBSCRIBER", "Unknown Subscriber", True),
    ),
    (
        0.02,
        (4, "EXPIRED", 15, "EXPIRED_EXPIRED", "Message expired"),
        (2, "USER_ERRORS", 4101, "EC_VALIDITYEXPIRED", "Validity expired", True),
    ),
    (
        0.02,
        (2, "UNDELIVERABLE", 4, "UNDELIVERABLE_REJECTED_OPERATOR", "Message rejected by operator"),
        (3, "OPERATOR_ERRORS", 2050, "EC_DEST_ADDRESS_BLACKLISTED", "Destination blocked", True),
    ),
    (
        0.01,
        (5, "REJECTED", 10, "REJECTED_DND", "Destination on DND list"),
        (0, "OK", 0, "NO_ERROR", "No Error", False),
    ),
    (
        0.01,
        (1, "PENDING", 7, "PENDING_ENROUTE", "Message sent to next instance"),
        (0, "OK", 0, "NO_ERROR", "No Error", False),
    ),
    (
        0.005,
        (2, "UNDELIVERABLE", 9, "UNDELIVERABLE_NOT_DELIVERED", "Message sent not delivered"),
        (1, "HANDSET_ERRORS", 1160, "EC_NNR_ERRORINMESSAGETRANSPORTXUDT", "Network error", False),
    ),
    (
        0.005,
        (2, "UNDELIVERABLE", 9, "UNDELIVERABLE_NOT_DELIVERED", "Message sent not delivered"),
        (1, "HANDSET_ERRORS", 9999, "EC_SOMETHING_NEW", "Unknown error", False),
    ),
]
# Destinations: (number prefix, mccMnc, price per message in EUR).
DESTINATIONS = [
    ("38598", "21901", 0.0412),
    ("38591", "21910", 0.0412),
    ("33612", "20801", 0.0395),
    ("33677", "20810", 0.0395),
    ("4915", "26201", 0.0731),
    ("4479", "23415", 0.0280),
    ("1415", "310260", 0.0075),
    ("3460", "21401", 0.0598),
    ("3932", "22201", 0.0621),
    ("4869", "26002", 0.0203),
]
STATUS_KEYS = ("groupId", "groupName", "id", "name", "description")
ERROR_KEYS = ("groupId", "groupName", "id", "name", "description", "permanent")
DAY = datetime(2026, 11, 24, tzinfo=UTC)


def pick(r: float) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """The (status, error) pair the cumulative weights put r in."""
    acc = 0.0
    for weight, status, error in MIX:
        acc += weight
        if r <= acc:
            return status, error
    return MIX[-1][1], MIX[-1][2]


def stamp(moment: datetime) -> str:
    """Infobip's timestamp form: 2026-11-24T10:00:10.123+0000."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def line(rng: random.Random, i: int, n: int) -> str:
    """The i-th of n reports, sent evenly over one day, in Infobip's key order."""
    status, error = pick(rng.random())
    prefix, mcc_mnc, price = rng.choice(DESTINATIONS)
    to = prefix + "".join(str(rng.randrange(10)) for _ in range(12 - len(prefix)))
    sent = DAY + timedelta(seconds=86_400 * i / n, milliseconds=rng.randrange(1000))
    done = sent + timedelta(milliseconds=rng.randrange(500, 30_000))
    result: dict[str, object] = {
        "bulkId": f"bulk-{i // 100:08d}",
        "messageId": f"{rng.getrandbits(128):032x}",
        "to": to,
        "sentAt": stamp(sent),
        "doneAt": stamp(done),
        "smsCount": 1 + (rng.random() < 0.15),
        "mccMnc": mcc_mnc,
    }
    if rng.random() < 0.3:
        result["callbackData"] = f"campaign=autumn-{i % 5}"
    result |= {
        "price": {"pricePerMessage": price, "currency": "EUR"},
        "status": dict(zip(STATUS_KEYS, status, strict=True)),
        "error": dict(zip(ERROR_KEYS, error, strict=True)),
    }
    return json.dumps({"results": [result]}, separators=(",", ":"))


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("n", type=int)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    with open(a.out, "w") as f:
        for i in range(a.n):
            f.write(line(rng, i, a.n) + "\n")


if __name__ == "__main__":
    main()
