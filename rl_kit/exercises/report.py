"""What ``rl-kit check`` reports: one result per check, and the report of a whole file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class CheckResult:
    """One check: its kind (unit, gradient, learning), what it checks, and how it went."""

    kind: str
    name: str
    passed: bool
    expected: str = ""
    got: str = ""
    hint: str = ""
    figure: str = ""

    def lines(self) -> list[str]:
        lines = [f"{'PASS' if self.passed else 'FAIL'}  {self.kind:8} {self.name}"]
        if not self.passed:
            if self.expected:
                lines.append(f"      expected: {self.expected}")
            if self.got:
                lines.append(f"      got:      {self.got}")
            if self.hint:
                lines.append(f"      hint:     {self.hint}")
        if self.figure:
            lines.append(f"      learning curve: {self.figure}")
        return lines


@dataclass
class Report:
    """Every check of one file; passed when all of them did."""

    file: str
    exercise: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def text(self) -> str:
        lines = [f"Checking {self.file} (exercise {self.exercise})", ""]
        for check in self.checks:
            lines += check.lines()
        passed = sum(c.passed for c in self.checks)
        lines += ["", f"{passed} of {len(self.checks)} checks passed" + ("." if self.passed else ": not yet.")]
        return "\n".join(lines)

    def as_json(self) -> str:
        return json.dumps({"file": self.file, "exercise": self.exercise, "passed": self.passed,
                           "checks": [asdict(c) for c in self.checks]}, indent=2)  # fmt: skip
