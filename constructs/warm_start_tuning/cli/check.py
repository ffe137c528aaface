"""``warm-start-tuning check``: would SageMaker accept this warm start?

Runs the validator Lambda's own flow (planner, rule engine, botocore model check) against
the real parent jobs in the caller's account. Read-only: the only AWS call is
DescribeHyperParameterTuningJob.

Exit status: 0 accepted, 1 rejected, 2 could not check (usage error, unreadable request
file, no AWS credentials or region, AWS error).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from warm_start_tuning.lambdas.warm_start_validator.warm_start_rules.limits import (
    DEFAULT_FAILED_PARENT_POLICY,
    DEFAULT_TRAINING_JOB_LIMIT,
    FAILED_PARENT_POLICIES,
    WARM_START_TYPES,
)

NAME = "check"
HELP = (
    "Check the warm-start rules against existing parent tuning jobs "
    "(read-only: DescribeHyperParameterTuningJob only)."
)
PROG = "warm-start-tuning"
# The pipeline names jobs after the execution; a check has none, so it uses a fixed one.
_CHECK_EXECUTION = "warm-start-tuning-check"


class UsageError(Exception):
    """Something the user must fix before anything can be checked (exit 2)."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "exit status: 0 accepted, 1 rejected, 2 could not check (usage error, unreadable "
        "request file, no AWS credentials or region, AWS error)"
    )
    parser.add_argument(
        "--parent", action="append", required=True, metavar="NAME",
        help="parent tuning job name (repeat for up to 5 parents)",
    )
    parser.add_argument("--warm-start-type", required=True, choices=WARM_START_TYPES)
    parser.add_argument(
        "--request", required=True, metavar="FILE.json",
        help="CreateHyperParameterTuningJob request as boto3 takes it ('-' reads stdin)",
    )
    parser.add_argument(
        "--training-job-limit", type=_positive_int, default=DEFAULT_TRAINING_JOB_LIMIT,
        metavar="N",
        help=f"training jobs allowed across parents + new job (default {DEFAULT_TRAINING_JOB_LIMIT})",
    )
    parser.add_argument(
        "--failed-parent-policy", choices=FAILED_PARENT_POLICIES, default=DEFAULT_FAILED_PARENT_POLICY,
        help="a Failed parent without a completed training job: reject (default) or warn",
    )
    parser.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    parser.add_argument("--json", action="store_true", help="print the report (or the violations) as JSON")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def read_request(path: str, stdin: TextIO | None = None) -> Any:
    try:
        if path == "-":
            raw = (stdin or sys.stdin).read()
        else:
            with open(path, encoding="utf-8") as handle:
                raw = handle.read()
        return json.loads(raw)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read --request {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"--request {path} is not valid JSON: {error}") from None


def run(args: argparse.Namespace) -> int:
    # Imported here: `warm-start-tuning --help` and the other subcommands need no boto3.
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    from warm_start_tuning.lambdas.warm_start_validator import parents
    from warm_start_tuning.rules import INVALID_REQUEST, Violation, WarmStartValidationError, plan

    try:
        request = read_request(args.request)
    except UsageError as error:
        print(f"{PROG} check: {error}", file=sys.stderr)
        return 2
    event = {
        "parents": list(args.parent),
        "warmStartType": args.warm_start_type,
        "request": request,
        "overrides": None,
        "executionName": _CHECK_EXECUTION,
        "settings": {
            "trainingJobLimit": args.training_job_limit,
            "failedParentPolicy": args.failed_parent_policy,
            # The account's own credentials: every detail of every parent may be shown.
            "explainForeignParents": True,
        },
    }
    try:
        client = boto3.session.Session(region_name=args.region).client(
            "sagemaker", config=Config(retries=dict(parents.RETRY_CONFIG))
        )
        result = plan(event, lambda name: parents.describe_parent(client, name))
        problems = parents.model_problems(client, result["request"])
        if problems:
            raise WarmStartValidationError(
                [Violation(INVALID_REQUEST, f"CreateHyperParameterTuningJob request: {p}") for p in problems],
                {**result["report"], "accepted": False},
            )
    except WarmStartValidationError as error:
        _print_rejection(error, args.json)
        return 1
    except NoRegionError:
        print(f"{PROG}: no AWS region configured (pass --region or set AWS_REGION)", file=sys.stderr)
        return 2
    except NoCredentialsError:
        print(
            f"{PROG}: no AWS credentials found (configure a profile or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY; check only needs sagemaker:DescribeHyperParameterTuningJob)",
            file=sys.stderr,
        )
        return 2
    except (ClientError, BotoCoreError) as error:
        print(f"{PROG}: AWS error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result["report"], indent=2, default=str))
    else:
        print(format_report(result["report"], []))
    return 0


def _print_rejection(error: Any, as_json: bool) -> None:
    violations = [v.to_dict() for v in error.violations]
    if as_json:
        print(json.dumps({"violations": violations}, indent=2, default=str))
    else:
        print(format_report(error.report or {}, violations))


# --- human-readable report ----------------------------------------------------------


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def _findings(items: list[Mapping[str, Any]]) -> list[str]:
    lines = []
    for item in items:
        parent = f" [{item['parent']}]" if item.get("parent") else ""
        lines.append(f"  {item.get('code')}{parent}: {item.get('message')}")
    return lines


def format_report(report: Mapping[str, Any], violations: list[Mapping[str, Any]]) -> str:
    """The report as text. ``report`` may be partial or empty (a rejection before the
    engine ran); every field is optional."""
    accepted = not violations and bool(report.get("accepted", True))
    lines = [
        f"Warm start ({report.get('warmStartType', '?')}): "
        + ("ACCEPTED" if accepted else "REJECTED")
    ]
    parent_rows = [p for p in report.get("parents") or [] if isinstance(p, Mapping)]
    if parent_rows:
        rows = [["PARENT", "STATUS", "CREATED", "TRAINING JOBS", "COMPLETED", "CHANGES"]]
        for p in parent_rows:
            changes = p.get("changes")
            rows.append([
                _cell(p.get("name")), _cell(p.get("status")), _cell(p.get("creationTime")),
                _cell(p.get("trainingJobsLaunched")), _cell(p.get("completedTrainingJobs")),
                _cell(changes.get("count") if isinstance(changes, Mapping) else None),
            ])
        lines += ["", "Parents", *_table(rows)]
    changes = report.get("changes")
    if isinstance(changes, Mapping):
        lines.append("")
        lines.append(
            f"Changes: {_cell(changes.get('max'))} used of {_cell(changes.get('limit'))} "
            "allowed (most against any one parent)"
        )
    jobs = report.get("trainingJobs")
    if isinstance(jobs, Mapping):
        lines.append(
            f"Training jobs: {_cell(jobs.get('usedByParents'))} used by parents + "
            f"{_cell(jobs.get('newMaximum'))} new = {_cell(jobs.get('total'))} of "
            f"{_cell(jobs.get('limit'))} allowed"
        )
    warnings = [w for w in report.get("warnings") or [] if isinstance(w, Mapping)]
    if warnings:
        lines += ["", "Warnings", *_findings(warnings)]
    if violations:
        lines += ["", "Violations", *_findings(violations)]
    return "\n".join(lines)
