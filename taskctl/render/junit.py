"""JUnit XML for `taskctl gate --junit`: one testsuite per completed task, one testcase per
acceptance item. Cached passes are passes with a `cached` property, never skipped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from taskctl.core.status import ItemOutcome, TaskOutcome
from taskctl.core.verify.gate import GateReport
from taskctl.core.verify.task import ItemResult

_FAILURE = {ItemOutcome.FAIL, ItemOutcome.TIMEOUT, ItemOutcome.INTERRUPTED, ItemOutcome.STALE,
            ItemOutcome.NEEDS_SIGNOFF, ItemOutcome.NOT_RUN, ItemOutcome.CANNOT_RUN}


def _case(suite: ET.Element, task: str, it: ItemResult) -> tuple[int, int]:
    rec = it.record or {}
    dur = 0.0 if it.cached else float(rec.get("duration_s") or 0.0)
    case = ET.SubElement(suite, "testcase", classname=task,
                         name=f"item {it.index}: {it.criterion}", time=f"{dur:.3f}")
    props = ET.SubElement(case, "properties")
    for name, value in (("status", it.status), ("cached", str(it.cached).lower()),
                        ("run_id", rec.get("run_id") or ""),
                        ("fingerprint", (rec.get("fingerprint") or {}).get("key") or "")):
        ET.SubElement(props, "property", name=name, value=value)
    if it.status == ItemOutcome.NOT_REVERIFIED:
        why = "; ".join(it.reasons) or "not re-verified here"
        ET.SubElement(case, "skipped", message=why)  # not a status: the JUnit element
        return 0, 1
    if it.status in _FAILURE:
        el = ET.SubElement(case, "failure", message="; ".join(it.reasons) or it.status,
                           type=it.status)
        el.text = rec.get("output_tail") or ""
        return 1, 0
    return 0, 0


def render(report: GateReport) -> bytes:
    root = ET.Element("testsuites", name="taskctl gate")
    total = fails = skips = 0
    for res in report.tasks:
        suite = ET.SubElement(root, "testsuite", name=res.task)
        f = s = 0
        if not res.items:
            case = ET.SubElement(suite, "testcase", classname=res.task, name="acceptance")
            ET.SubElement(case, "failure", message=res.message, type=res.outcome)
            f = 1
        for it in res.items:
            df, ds = _case(suite, res.task, it)
            f, s = f + df, s + ds
        n = max(1, len(res.items))
        suite.set("tests", str(n))
        suite.set("failures", str(f))
        suite.set("errors", "0")
        suite.set("skipped", str(s))  # not a status
        total, fails, skips = total + n, fails + f, skips + s
    if report.spec_errors:
        suite = ET.SubElement(root, "testsuite", name="specs", tests="1", failures="1",
                              errors="0", skipped="0")
        case = ET.SubElement(suite, "testcase", classname="specs", name="validate")
        el = ET.SubElement(case, "failure", message="spec errors", type=TaskOutcome.INVALID)
        el.text = "\n".join(report.spec_errors)
        total, fails = total + 1, fails + 1
    root.set("tests", str(total))
    root.set("failures", str(fails))
    root.set("errors", "0")
    root.set("skipped", str(skips))  # not a status
    for el in root.iter():  # command output holds terminal escapes: XML 1.0 refuses them
        if el.text:
            el.text = _legal(el.text)
        for k, v in el.attrib.items():
            el.set(k, _legal(v))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


# characters XML 1.0 cannot hold, even escaped: C0 controls but tab, LF and CR; surrogates;
# U+FFFE and U+FFFF
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _legal(text: str) -> str:
    """`text` with each character XML cannot hold written as `\\xNN` (ESC as `\\x1b`)."""
    return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
