"""A small stand-in for GitHub's runner: runs a workflow's jobs and steps in order.

`run:` steps run through bash as the runner runs them (`bash --noprofile
--norc -eo pipefail`), with the step's `env:`, `GITHUB_OUTPUT` and step
outputs; `if:` supports the two forms our workflows use
(`steps.ID.outputs.NAME == 'true'` and `needs.JOB.outputs.NAME == 'true'`);
`uses:` steps are handed to `on_uses`, which plays the action (or does
nothing). `${{ vars.X }}` and `${{ secrets.X }}` come from `variables`.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_COND = re.compile(r"(steps|needs)\.([\w-]+)\.outputs\.([\w-]+) == '([^']*)'")


def load(path: Path) -> dict:
    data = yaml.safe_load(Path(path).read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


@dataclass
class Ran:
    job: str
    step: dict
    result: subprocess.CompletedProcess | None = None
    skipped: bool = False
    env: dict | None = None


@dataclass
class Runner:
    cwd: Path
    env: dict
    tmp: Path
    variables: dict = field(default_factory=dict)
    on_uses: Callable[[dict, dict], dict | None] = lambda step, env: None  # may return env to add
    timeout: int = 300
    ran: list[Ran] = field(default_factory=list)

    def expand(self, text: str, context: dict) -> str:
        def one(m):
            expr = m.group(1)
            if expr.startswith(("vars.", "secrets.")):
                return self.variables.get(expr.split(".", 1)[1], "")
            if expr == "github.run_id":
                return "1"
            if expr.startswith("steps."):
                _, sid, _, name = expr.split(".")
                return context["steps"].get(sid, {}).get(name, "")
            raise AssertionError(f"expression not supported here: {expr}")
        return _EXPR.sub(one, text)

    def condition(self, cond: str | None, context: dict, failed: bool = False) -> bool:
        """`A && B` of output comparisons and status functions; without one, success() is implied."""
        text = (cond or "").strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2].strip()
        status, ok = None, True
        for part in filter(None, (p.strip() for p in text.split("&&"))):
            if part in ("!cancelled()", "always()"):
                status = True
            elif part == "failure()":
                status = failed
            elif part == "success()":
                status = not failed
            else:
                m = _COND.fullmatch(part)
                assert m, f"condition not supported here: {cond}"
                kind, ident, name, value = m.groups()
                ok = ok and context[kind].get(ident, {}).get(name, "") == value
        return ok and (status if status is not None else not failed)

    def run_workflow(self, path: Path, extra_env: dict | None = None, check: bool = True) -> dict[str, dict]:
        """Run every job in order; returns each job's outputs. A failed step fails its job
        (later steps run only if their `if:` says so); with `check`, a failed job fails the test."""
        workflow = load(path)
        needs: dict[str, dict] = {}
        for job_id, job in workflow["jobs"].items():
            if not self.condition(job.get("if"), {"needs": needs, "steps": {}}):
                self.ran.append(Ran(job_id, {"job": job_id}, skipped=True))
                needs[job_id] = {}
                continue
            steps: dict[str, dict] = {}
            env = {**self.env, **(extra_env or {})}
            failed = False
            for i, step in enumerate(job["steps"]):
                context = {"steps": steps, "needs": needs}
                if not self.condition(step.get("if"), context, failed):
                    self.ran.append(Ran(job_id, step, skipped=True))
                    continue
                step_env = {k: self.expand(str(v), context) for k, v in (step.get("env") or {}).items()}
                if "uses" in step:
                    added = self.on_uses({**step, "with": {k: self.expand(str(v), context)
                                                           for k, v in (step.get("with") or {}).items()}}, env)
                    env.update(added or {})
                    self.ran.append(Ran(job_id, step))
                    continue
                output = self.tmp / f"{path.stem}-{job_id}-{i}.out"
                output.write_text("")
                full = {**env, **step_env, "GITHUB_OUTPUT": str(output)}
                result = subprocess.run(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", self.expand(step["run"], context)],
                    cwd=self.cwd, env=full, capture_output=True, text=True, timeout=self.timeout)
                self.ran.append(Ran(job_id, step, result, env=full))
                if result.returncode != 0:
                    failed = True
                    assert not check, (path.name, job_id, step.get("name") or step["run"], result.stdout, result.stderr)
                if "id" in step:
                    steps[step["id"]] = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
            needs[job_id] = {k: self.expand(v, {"steps": steps, "needs": needs})
                             for k, v in (job.get("outputs") or {}).items()}
        return needs


def clean_env(path_first: Path, **extra: str) -> dict:
    """The environment of a fresh runner: no AWS, pip or Python settings of ours."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "PIP_", "PYTHON", "VIRTUAL_ENV", "STATUSGEN_", "GITHUB_"))}
    keep["PATH"] = f"{path_first}{os.pathsep}/usr/local/bin:/usr/bin:/bin"
    return {**keep, "EDITOR": "", "VISUAL": "", **extra}
