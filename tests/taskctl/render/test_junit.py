"""`gate --junit`'s XML (`render/junit.py`): well-formed whatever a command printed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from taskctl.core.status import ItemOutcome, TaskOutcome
from taskctl.core.verify.gate import GateReport
from taskctl.core.verify.task import ItemResult, TaskResult
from taskctl.render.junit import render


def test_terminal_escapes_and_controls_in_output_stay_well_formed():
    tail = "bad \x1b[31mred\x1b[0m \x01\x02 x\ttab\r\nline \ufffe\n"
    item = ItemResult(1, "prints colours \x07", ItemOutcome.FAIL, reasons=["exit 1 \x1b"],
                      record={"output_tail": tail, "duration_s": 0.5})
    report = GateReport(tasks=[TaskResult("T1", TaskOutcome.FAILED, items=[item])],
                        spec_errors=["x\x0cy"])
    root = ET.fromstring(render(report))
    failure = root.find("testsuite/testcase/failure")
    assert failure.text.startswith("bad \\x1b[31mred\\x1b[0m \\x01\\x02 x\ttab")
    assert failure.get("message") == "exit 1 \\x1b"
    assert root.find("testsuite/testcase").get("name") == "item 1: prints colours \\x07"
    assert root.get("failures") == "2"
