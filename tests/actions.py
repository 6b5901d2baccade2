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

    def condition(self, cond: str | None, context: dict) -> bool:
        if not cond:
            return True
        m = _COND.fullmatch(cond.strip())
        assert m, f"condition not supported here: {cond}"
        kind, ident, name, value = m.groups()
        return context[kind].get(ident, {}).get(name, "") == value

    def run_workflow(self, path: Path, extra_env: dict | None = None) -> dict[str, dict]:
        """Run every job in order; returns each job's outputs. Fails on the first failed step."""
        workflow = load(path)
        needs: dict[str, dict] = {}
        for job_id, job in workflow["jobs"].items():
            if not self.condition(job.get("if"), {"needs": needs, "steps": {}}):
                self.ran.append(Ran(job_id, {"job": job_id}, skipped=True))
                needs[job_id] = {}
                continue
            steps: dict[str, dict] = {}
            env = {**self.env, **(extra_env or {})}
            for i, step in enumerate(job["steps"]):
                context = {"steps": steps, "needs": needs}
                if not self.condition(step.get("if"), context):
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
                result = subprocess.run(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", self.expand(step["run"], context)],
                    cwd=self.cwd, env={**env, **step_env, "GITHUB_OUTPUT": str(output)},
                    capture_output=True, text=True, timeout=self.timeout)
                self.ran.append(Ran(job_id, step, result))
                assert result.returncode == 0, (path.name, job_id, step.get("name") or step["run"], result.stdout, result.stderr)
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
