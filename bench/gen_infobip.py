"""Generate realistic Infobip SMS delivery-report lines (one webhook body per line).

    python bench/gen_infobip.py N OUT.jsonl [--seed 1]

The mix follows a plausible production distribution: mostly delivered, then absent
subscribers, unknown subscribers, expiries, operator rejections, DND, and a few codes
that are not in the catalog (new codes appear in production before any table lists them).
"""

from __future__ import annotations

import argparse
import json
import random

MIX = [
    (0.86, (3, "DELIVERED", 5, "DELIVERED_TO_HANDSET"), (0, "OK", 0, "NO_ERROR", False)),
    (
        0.04,
        (2, "UNDELIVERABLE", 9, "UNDELIVERABLE_NOT_DELIVERED"),
        (1, "HANDSET_ERRORS", 27, "EC_ABSENT_SUBSCRIBER", False),
    ),
    (
        0.03,
        (2, "UNDELIVERABLE", 9, "UNDELIVERABLE_NOT_DELIVERED"),
        (1, "HANDSET_ERRORS", 1, "EC_UNKNOWN_SUBSCRIBER", True),
    ),
    (
        0.02,
        (4, "EXPIRED", 15, "EXPIRED_EXPIRED"),
        (2, "USER_ERRORS", 4101, "EC_VALIDITYEXPIRED", True),
    ),
    (
        0.02,
        (2, "UNDELIVERABLE", 4, "UNDELIVERABLE_REJECTED_OPERATOR"),
        (3, "OPERATOR_ERRORS", 2050, "EC_DEST_ADDRESS_BLACKLISTED", True),
    ),
    (0.01, (5, "REJECTED", 10, "REJECTED_DND"), (0, "OK", 0, "NO_ERROR", False)),
    (0.01, (1, "PENDING", 7, "PENDING_ENROUTE"), (0, "OK", 0, "NO_ERROR", False)),
    (
        0.005,
        (2, "UNDELIVERABLE", 9, "UNDELIVERABLE_NOT_DELIVERED"),
        (1, "HANDSET_ERRORS", 1160, "EC_NNR_ERRORINMESSAGETRANSPORTXUDT", False),
    ),
    (
        0.005,
        (2, "UNDELIVERABLE", 9, "UNDELIVERABLE_NOT_DELIVERED"),
        (1, "HANDSET_ERRORS", 9999, "EC_SOMETHING_NEW", False),
    ),
]
PREFIXES = ["38598", "38591", "33612", "33677", "4915", "4479", "1415", "3460", "3932", "4869"]


def pick(r: float) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """The (status, error) pair the cumulative weights put r in."""
    acc = 0.0
    for weight, status, error in MIX:
        acc += weight
        if r <= acc:
            return status, error
    return MIX[-1][1], MIX[-1][2]


def line(rng: random.Random, i: int) -> str:
    status, error = pick(rng.random())
    to = (
        rng.choice(PREFIXES)
        + "".join(str(rng.randrange(10)) for _ in range(12 - len(PREFIXES[0]) + 2))[:7]
    )
    sec = 10 + i % 45
    result = {
        "bulkId": f"bulk-{i // 100:08d}",
        "messageId": f"3f2a{i:012d}",
        "to": to,
        "sentAt": f"2026-11-24T10:{i % 60:02d}:{sec:02d}.123+0000",
        "doneAt": f"2026-11-24T10:{i % 60:02d}:{sec + 3:02d}.456+0000",
        "smsCount": 1 + (i % 7 == 0),
        "mccMnc": "21910",
        "callbackData": "campaign=autumn",
        "price": {"pricePerMessage": 0.0075, "currency": "EUR"},
        "status": dict(zip(("groupId", "groupName", "id", "name"), status, strict=True))
        | {"description": "Message delivered to handset"},
        "error": dict(zip(("groupId", "groupName", "id", "name", "permanent"), error, strict=True))
        | {"description": "No Error"},
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
            f.write(line(rng, i) + "\n")


if __name__ == "__main__":
    main()
