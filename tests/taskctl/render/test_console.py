"""The consoles show text from task files as written: no markup, no emoji codes."""

from __future__ import annotations

TITLE = "fix :bug: [b]x[/b] [/]"


def test_titles_are_printed_as_written(copy_example, taskctl):
    tasks = copy_example("agent-mvp")
    f = tasks / "tasks" / "T033-early-stopping.yaml"
    text = f.read_text()
    start = text.index("title:")
    end = text.index("\n", start)
    f.write_text(text[:start] + f'title: "{TITLE}"' + text[end:])
    for argv in (["list"], ["show", "T033"], ["next", "-n", "0"]):
        r = taskctl([*argv, "--tasks-dir", tasks])
        assert r.code == 0 and TITLE in r.out, (argv, r.out)
