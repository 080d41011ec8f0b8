"""Synthetic ASC X12 5010 837P (005010X222A1) files: the audit's test fixtures and its benchmark input.

Every name, id and date in them is made up (patients "TESTPATIENT", member ids "ZZ…", the test NPI
1234567893). :func:`interchange` builds one interchange from claims; each claim is a subscriber, a payer and
its service lines. Segments end with ``~`` and a newline, as most clearinghouses write them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Service:
    code: str
    modifiers: tuple[str, ...] = ()
    units: int = 1
    date: str | None = None  # CCYYMMDD; None: no DTP*472 (the claim's date is used)
    pos: str | None = None  # SV105, when it differs from the claim's CLM05-1
    charge: str = "100"


@dataclass(frozen=True)
class Claim:
    claim_id: str
    pos: str
    date: str  # CCYYMMDD: the claim's DTP*434 statement date... used as each line's DTP*472 by default
    services: Sequence[Service]
    filing: str = "MB"  # SBR09 claim filing indicator: MB Medicare Part B, CI commercial
    payer_name: str = "MEDICARE PART B"
    payer_id: str = "00000"
    patient: tuple[str, str, str, str] = ("TESTPATIENT", "ALPHA", "ZZ0000001A", "19400101")  # last, first, id, DOB
    line_dates: bool = True
    extra: Sequence[str] = field(default_factory=tuple)


def _claim_segments(c: Claim, hl: int) -> Iterator[str]:
    last, first, member, dob = c.patient
    yield f"HL*{hl}*1*22*0"
    yield f"SBR*P*18*******{c.filing}"
    yield f"NM1*IL*1*{last}*{first}****MI*{member}"
    yield "N3*1 TEST STREET"
    yield "N4*SPRINGFIELD*IL*627010000"
    yield f"DMG*D8*{dob}*F"
    yield f"NM1*PR*2*{c.payer_name}*****PI*{c.payer_id}"
    total = sum(int(s.charge) for s in c.services)
    yield f"CLM*{c.claim_id}*{total}***{c.pos}:B:1*Y*A*Y*Y"
    yield "HI*ABK:M5416"
    yield from c.extra
    for n, s in enumerate(c.services, 1):
        yield f"LX*{n}"
        comp = ":".join(("HC", s.code, *s.modifiers))
        yield f"SV1*{comp}*{s.charge}*UN*{s.units}*{s.pos}**1" if s.pos else f"SV1*{comp}*{s.charge}*UN*{s.units}***1"
        when = s.date or (c.date if c.line_dates else None)
        if when:
            yield f"DTP*472*D8*{when}"


def transaction(claims: Iterable[Claim], st: str = "0001") -> Iterator[str]:
    body = [
        f"BHT*0019*00*{st}*20250401*1200*CH",
        "NM1*41*2*TEST BILLING SERVICE*****46*TESTSUBMIT",
        "PER*IC*TEST CONTACT*TE*5555550100",
        "NM1*40*2*TEST CLEARINGHOUSE*****46*TESTRECV",
        "HL*1**20*1",
        "NM1*85*2*TEST PAIN CLINIC*****XX*1234567893",
        "N3*100 TEST AVENUE",
        "N4*SPRINGFIELD*IL*627010000",
        "REF*EI*123456789",
    ]
    hl = 2
    for c in claims:
        body.extend(_claim_segments(c, hl))
        hl += 1
    yield f"ST*837*{st}*005010X222A1"
    yield from body
    yield f"SE*{len(body) + 2}*{st}"


def interchange(claims: Iterable[Claim], *, per_transaction: int = 0) -> str:
    """One interchange (ISA/GS … GE/IEA) holding ``claims``, in transactions of ``per_transaction`` claims
    (0: all in one)."""
    claims = list(claims)
    chunks = ([claims[i:i + per_transaction] for i in range(0, len(claims), per_transaction)]
              if per_transaction else [claims])
    segs = ["ISA*00*          *00*          *ZZ*TESTSUBMIT     *ZZ*TESTRECV       *250401*1200*^*00501*000000001*0*T*:",
            "GS*HC*TESTSUBMIT*TESTRECV*20250401*1200*1*X*005010X222A1"]
    for n, chunk in enumerate(chunks, 1):
        segs.extend(transaction(chunk, f"{n:04d}"))
    segs.append(f"GE*{len(chunks)}*1")
    segs.append("IEA*1*000000001")
    return "".join(s + "~\n" for s in segs)


def fixture_claims() -> list[Claim]:
    """The audit's 837P fixture: five claims, two payers (Medicare Part B, a commercial payer), places of
    service 11, 22 and 24, and a bilateral transforaminal epidural (64483-50) billed with 77003 (included)."""
    commercial = {"filing": "CI", "payer_name": "TEST COMMERCIAL HEALTH", "payer_id": "99999"}
    return [
        Claim("X12-001", "22", "20250310", [Service("64483", ("50",)), Service("77003", ("26",))],
              patient=("TESTPATIENT", "BRAVO", "ZZ0000002A", "19410202")),
        Claim("X12-002", "11", "20250311", [Service("64405"), Service("77002")], **commercial,  # type: ignore[arg-type]
              patient=("TESTPATIENT", "CHARLIE", "ZZ0000003B", "19520303")),
        Claim("X12-003", "24", "20250312", [Service("62282"), Service("62281"), Service("77003", ("26",)),
                                            Service("77003", ("26", "59"))],
              patient=("TESTPATIENT", "DELTA", "ZZ0000004C", "19630404")),
        Claim("X12-004", "22", "20250313", [Service("64405"), Service("77002")],
              patient=("TESTPATIENT", "ECHO", "ZZ0000005D", "19740505")),
        Claim("X12-005", "11", "20250314", [Service("20610", ("RT",)), Service("76942")],
              **commercial,  # type: ignore[arg-type]
              patient=("TESTPATIENT", "FOXTROT", "ZZ0000006E", "19850606")),
    ]


def broken_variants() -> dict[str, str]:
    """Structurally broken versions of the fixture, each with what is wrong (the tests check that pyx12 reports
    it with its segment and that the other claims are still audited)."""
    good = interchange(fixture_claims())
    segs = good.split("~\n")
    # 1. a service line without its required DTP*472 (claim X12-005 line 1): the claim's date is used
    at = next(i for i, s in enumerate(segs) if s.startswith("SV1*HC:20610"))
    no_date = "~\n".join(segs[:at + 1] + segs[at + 2:])
    # 2. a segment the 837P does not define, inside claim X12-002
    at = next(i for i, s in enumerate(segs) if s.startswith("CLM*X12-002"))
    stray = "~\n".join(segs[:at + 1] + ["ZZZ*1"] + segs[at + 1:])
    # 3. claim X12-004's first service line has no procedure code
    bad_code = good.replace("SV1*HC:64405*100*UN*1***1~\nDTP*472*D8*20250313", "SV1*HC*100*UN*1***1~\n"
                            "DTP*472*D8*20250313")
    # 4. the file is cut off in the middle of claim X12-004 (no SE, GE, IEA)
    cut = good[:good.index("CLM*X12-004")]
    return {"missing_dtp": no_date, "stray_segment": stray, "missing_code": bad_code, "truncated": cut}


def bench_claims(n_lines: int, seed: int = 6) -> Iterator[Claim]:
    """Claims with about ``n_lines`` service lines in all, the mix of bench/bench_audit.py (its makers)."""
    import random

    from bench_audit import MIX, POS  # type: ignore[import-not-found]

    rng = random.Random(seed)
    makers = [m for m, _ in MIX]
    weights = [w for _, w in MIX]
    written = 0
    n = 0
    while written < n_lines:
        n += 1
        pos = rng.choices([p for p, _ in POS], [w for _, w in POS])[0]
        medicare = rng.random() < 0.45
        when = f"2025{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        lines = [(c, m, u) for c, m, u in rng.choices(makers, weights)[0](rng, pos != "11")]
        services = [Service(c, tuple(m.split()), int(u)) for c, m, u in lines][:max(1, n_lines - written)]
        written += len(services)
        yield Claim(f"B{n:08d}", pos, when, services, filing="MB" if medicare else "CI",
                    payer_name="MEDICARE PART B" if medicare else "TEST COMMERCIAL HEALTH",
                    payer_id="00000" if medicare else "99999",
                    patient=("TESTPATIENT", "BENCH", f"ZZ{n:08d}", "19500101"))


def write_bench_file(path: str, n_lines: int, seed: int = 6, per_transaction: int = 5000) -> None:
    """An 837P file of about ``n_lines`` service lines, written a transaction at a time."""
    claims = bench_claims(n_lines, seed)
    with open(path, "w", encoding="ascii", newline="") as fh:
        fh.write("ISA*00*          *00*          *ZZ*TESTSUBMIT     *ZZ*TESTRECV       *250401*1200*^*00501*"
                 "000000001*0*T*:~\nGS*HC*TESTSUBMIT*TESTRECV*20250401*1200*1*X*005010X222A1~\n")
        n = 0
        while True:
            chunk = [c for _, c in zip(range(per_transaction), claims, strict=False)]
            if not chunk:
                break
            n += 1
            fh.write("".join(s + "~\n" for s in transaction(chunk, f"{n:04d}")))
        fh.write(f"GE*{n}*1~\nIEA*1*000000001~\n")


if __name__ == "__main__":
    import sys

    sys.stdout.write(interchange(fixture_claims()))
