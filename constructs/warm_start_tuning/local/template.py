"""Read a synthesized CloudFormation template the way CloudFormation would deploy it.

``cdk synth`` writes the state machine definition as ``DefinitionString`` built with
``Fn::Join`` around ``Fn::GetAtt`` (the validator Lambda's ARN) and ``Ref`` of pseudo
parameters (``AWS::Partition``, ``AWS::Region``, ...). This module resolves those
intrinsics into the plain Amazon States Language that Step Functions would receive, and
describes the resources the local engine has to create for it: the Lambda functions
(handler, environment, asset folder), SNS topics, event buses, DynamoDB tables and
EventBridge rules.

Physical names follow a deterministic scheme (``<stack>-<logical id>``) unless the
template names the resource, so the ARNs inside the definition match the resources
the engine creates.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "LambdaSpec",
    "RuleSpec",
    "ScheduleSpec",
    "TableSpec",
    "ResolveContext",
    "StateMachineSpec",
    "SynthesizedTemplate",
    "InvalidDefinitionError",
    "TemplateError",
    "UnsupportedDefinitionError",
    "check_definition_supported",
    "load_template",
    "parse_template",
]


class TemplateError(ValueError):
    """The template cannot be turned into something the local engine can run."""


class UnsupportedDefinitionError(TemplateError):
    """The definition uses a feature the local engine (moto) cannot run."""


class InvalidDefinitionError(TemplateError):
    """Step Functions would refuse the definition itself (CreateStateMachine's
    ``InvalidDefinition``), before any execution starts."""


# Task resources whose Parameters Step Functions checks against the fields the optimized
# integration documents: createHyperParameterTuningJob, with or without .sync.
_TUNING_TASK = re.compile(r"^arn:[^:]+:states:::sagemaker:createHyperParameterTuningJob(\.sync)?$")


@dataclass(frozen=True)
class LambdaSpec:
    logical_id: str
    function_name: str
    arn: str
    handler: str
    runtime: str | None
    environment: dict[str, str]
    timeout: int
    asset_dir: Path | None  # None: no folder known (resolved later, or inline code)
    inline_code: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """An ``AWS::DynamoDB::Table``, in CreateTable's terms (resolved)."""

    logical_id: str
    name: str
    arn: str
    key_schema: tuple[dict[str, Any], ...]
    attribute_definitions: tuple[dict[str, Any], ...]
    billing_mode: str  # PROVISIONED (CloudFormation's default) | PAY_PER_REQUEST
    provisioned_throughput: dict[str, Any] | None = None
    global_secondary_indexes: tuple[dict[str, Any], ...] = ()
    local_secondary_indexes: tuple[dict[str, Any], ...] = ()
    stream_specification: dict[str, Any] | None = None
    sse_specification: dict[str, Any] | None = None
    #: TimeToLiveSpecification: {"AttributeName": ..., "Enabled": bool}.
    time_to_live: dict[str, Any] | None = None
    point_in_time_recovery: bool = False


@dataclass(frozen=True)
class RuleSpec:
    """An ``AWS::Events::Rule`` (resolved): its pattern or schedule and its targets."""

    logical_id: str
    name: str
    arn: str
    event_bus: str  # bus name; "default" unless the rule says otherwise
    event_pattern: dict[str, Any] | None
    schedule_expression: str | None
    state: str  # ENABLED | DISABLED | ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
    targets: tuple[dict[str, Any], ...]

    @property
    def enabled(self) -> bool:
        return self.state.startswith("ENABLED")


@dataclass(frozen=True)
class ScheduleSpec:
    """An ``AWS::Scheduler::Schedule`` (resolved)."""

    logical_id: str
    name: str
    arn: str
    expression: str  # rate(...), cron(...) or at(...)
    state: str  # ENABLED (CloudFormation's default) | DISABLED
    target: dict[str, Any]  # Arn, Input, RoleArn, RetryPolicy, ...
    #: FlexibleTimeWindow's MaximumWindowInMinutes (0: Mode OFF).
    flexible_window_minutes: int = 0

    @property
    def enabled(self) -> bool:
        return self.state == "ENABLED"


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    name: str
    arn: str
    definition: dict[str, Any]
    state_machine_type: str
    role_arn: str | None
    #: The resolved identity-policy statements of the role, when the template defines
    #: the role (None: an imported role, or a policy the engine cannot resolve).
    role_statements: tuple[dict[str, Any], ...] | None = None


@dataclass
class SynthesizedTemplate:
    state_machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    lambdas: dict[str, LambdaSpec] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)  # logical id -> topic name
    event_buses: dict[str, str] = field(default_factory=dict)  # logical id -> bus name
    tables: dict[str, TableSpec] = field(default_factory=dict)
    rules: dict[str, RuleSpec] = field(default_factory=dict)
    schedules: dict[str, ScheduleSpec] = field(default_factory=dict)

    def state_machine(self, selector: str | None = None) -> StateMachineSpec:
        """The state machine whose logical id is (or contains) ``selector``; the only
        one when ``selector`` is None."""
        machines = self.state_machines
        if not machines:
            raise TemplateError("the template has no AWS::StepFunctions::StateMachine")
        if selector is None:
            if len(machines) == 1:
                return next(iter(machines.values()))
            raise TemplateError(
                f"the template has {len(machines)} state machines; choose one of "
                f"{sorted(machines)} with state_machine=..."
            )
        if selector in machines:
            return machines[selector]
        found = [spec for lid, spec in machines.items() if selector in lid or selector == spec.name]
        if len(found) == 1:
            return found[0]
        raise TemplateError(
            f"state_machine={selector!r} matches {len(found)} of {sorted(machines)}"
        )


@dataclass(frozen=True)
class ResolveContext:
    region: str = "us-east-1"
    account_id: str = "123456789012"
    partition: str = "aws"
    stack_name: str = "local"
    url_suffix: str = "amazonaws.com"


_PSEUDO = {
    "AWS::Partition": lambda c: c.partition,
    "AWS::Region": lambda c: c.region,
    "AWS::AccountId": lambda c: c.account_id,
    "AWS::StackName": lambda c: c.stack_name,
    "AWS::StackId": lambda c: (
        f"arn:{c.partition}:cloudformation:{c.region}:{c.account_id}:stack/{c.stack_name}/local"
    ),
    "AWS::URLSuffix": lambda c: c.url_suffix,
    "AWS::NoValue": lambda c: None,
    "AWS::NotificationARNs": lambda c: [],
}

# Resource types whose Ref is an ARN rather than a name.
_REF_IS_ARN = {"AWS::SNS::Topic", "AWS::StepFunctions::StateMachine", "AWS::StepFunctions::Activity"}
# Property that names the resource, when the template sets it.
_NAME_PROPERTY = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Events::EventBus": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Events::Rule": "Name",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Scheduler::Schedule": "Name",
}
# A stable stream label: CloudFormation's is the stream's creation time, unknown locally.
_STREAM_LABEL = "1970-01-01T00:00:00.000"


class _Resolver:
    def __init__(self, template: Mapping[str, Any], ctx: ResolveContext) -> None:
        self.ctx = ctx
        resources = template.get("Resources")
        if not isinstance(resources, Mapping):
            raise TemplateError("the template has no Resources section")
        self.resources: Mapping[str, Any] = resources
        parameters = template.get("Parameters")
        self.parameters: Mapping[str, Any] = parameters if isinstance(parameters, Mapping) else {}
        self._names: dict[str, str] = {}

    def type_of(self, logical_id: str) -> str:
        resource = self.resources.get(logical_id)
        return resource.get("Type", "") if isinstance(resource, Mapping) else ""

    def physical_name(self, logical_id: str) -> str:
        if logical_id in self._names:
            return self._names[logical_id]
        resource = self.resources.get(logical_id)
        if not isinstance(resource, Mapping):
            raise TemplateError(f"reference to unknown resource {logical_id!r}")
        self._names[logical_id] = ""  # guard against a name that refers to itself
        prop = _NAME_PROPERTY.get(resource.get("Type", ""))
        given = (resource.get("Properties") or {}).get(prop) if prop else None
        if given is not None:
            name = self.resolve(given, f"{logical_id}.{prop}")
            if not isinstance(name, str):
                raise TemplateError(f"{logical_id}.{prop} does not resolve to a string")
        else:
            # CloudFormation appends a random suffix; a stable one keeps runs comparable.
            name = f"{self.ctx.stack_name}-{logical_id}"[:64]
            if resource.get("Type") == "AWS::S3::Bucket":
                name = name.lower()
        self._names[logical_id] = name
        return name

    def arn(self, logical_id: str) -> str:
        c = self.ctx
        kind = self.type_of(logical_id)
        name = self.physical_name(logical_id)
        prefix = f"arn:{c.partition}"
        return {
            "AWS::Lambda::Function": f"{prefix}:lambda:{c.region}:{c.account_id}:function:{name}",
            "AWS::IAM::Role": f"{prefix}:iam::{c.account_id}:role/{name}",
            "AWS::StepFunctions::StateMachine": (
                f"{prefix}:states:{c.region}:{c.account_id}:stateMachine:{name}"
            ),
            "AWS::StepFunctions::Activity": f"{prefix}:states:{c.region}:{c.account_id}:activity:{name}",
            "AWS::SNS::Topic": f"{prefix}:sns:{c.region}:{c.account_id}:{name}",
            "AWS::SQS::Queue": f"{prefix}:sqs:{c.region}:{c.account_id}:{name}",
            "AWS::S3::Bucket": f"{prefix}:s3:::{name}",
            "AWS::Events::EventBus": f"{prefix}:events:{c.region}:{c.account_id}:event-bus/{name}",
            "AWS::Events::Rule": f"{prefix}:events:{c.region}:{c.account_id}:rule/{name}",
            "AWS::Logs::LogGroup": f"{prefix}:logs:{c.region}:{c.account_id}:log-group:{name}:*",
            "AWS::KMS::Key": f"{prefix}:kms:{c.region}:{c.account_id}:key/{name}",
            "AWS::DynamoDB::Table": f"{prefix}:dynamodb:{c.region}:{c.account_id}:table/{name}",
            "AWS::Scheduler::Schedule": f"{prefix}:scheduler:{c.region}:{c.account_id}:schedule/default/{name}",
        }.get(kind, f"{prefix}:{kind.split('::')[1].lower() if '::' in kind else 'unknown'}:"
                    f"{c.region}:{c.account_id}:{name}")

    def ref(self, target: str, where: str) -> Any:
        if target in _PSEUDO:
            return _PSEUDO[target](self.ctx)
        if target in self.parameters:
            parameter = self.parameters[target]
            if isinstance(parameter, Mapping) and "Default" in parameter:
                return parameter["Default"]
            raise TemplateError(f"{where}: parameter {target!r} has no Default to use locally")
        if target not in self.resources:
            raise TemplateError(f"{where}: Ref to unknown {target!r}")
        kind = self.type_of(target)
        if kind in _REF_IS_ARN:
            return self.arn(target)
        if kind == "AWS::SQS::Queue":
            c = self.ctx
            return f"https://sqs.{c.region}.{c.url_suffix}/{c.account_id}/{self.physical_name(target)}"
        return self.physical_name(target)

    def get_att(self, target: str, attribute: str, where: str) -> Any:
        if target not in self.resources:
            raise TemplateError(f"{where}: Fn::GetAtt of unknown resource {target!r}")
        if attribute == "Arn":
            return self.arn(target)
        if attribute in ("Name", "TopicName", "QueueName"):
            return self.physical_name(target)
        if attribute == "TopicArn":
            return self.arn(target)
        if attribute == "StreamArn" and self.type_of(target) == "AWS::DynamoDB::Table":
            return f"{self.arn(target)}/stream/{_STREAM_LABEL}"
        if attribute == "QueueUrl":
            return self.ref(target, where)
        # Anything else only needs to be a stable, recognisable string locally.
        return f"{self.physical_name(target)}.{attribute}"

    def resolve(self, value: Any, where: str = "") -> Any:
        if isinstance(value, list):
            return [self.resolve(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(self.resolve(arg, where), where)
            if key.startswith("Fn::") or key == "Condition":
                return self._function(key, arg, f"{where}.{key}")
        return {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}

    def _function(self, name: str, arg: Any, where: str) -> Any:
        if name == "Fn::Join":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise TemplateError(f"{where}: expects [delimiter, [values]]")
            delimiter = self.resolve(arg[0], where)
            parts = self.resolve(arg[1], where)
            if not isinstance(parts, list):
                raise TemplateError(f"{where}: the values do not resolve to a list")
            return delimiter.join(_text(p, where) for p in parts)
        if name == "Fn::GetAtt":
            if isinstance(arg, str):
                arg = arg.split(".", 1)
            arg = self.resolve(arg, where)
            if not (isinstance(arg, list) and len(arg) == 2):
                raise TemplateError(f"{where}: expects [logicalId, attribute]")
            return self.get_att(arg[0], arg[1], where)
        if name == "Fn::Sub":
            if isinstance(arg, str):
                text, variables = arg, {}
            elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
                text, variables = arg[0], self.resolve(arg[1], where)
            else:
                raise TemplateError(f"{where}: expects a string or [string, {{variables}}]")
            return self._sub(text, variables, where)
        if name == "Fn::Select":
            index, items = self.resolve(arg, where)
            return items[int(index)]
        if name == "Fn::Split":
            delimiter, text = self.resolve(arg, where)
            return text.split(delimiter)
        if name == "Fn::Base64":
            return base64.b64encode(_text(self.resolve(arg, where), where).encode()).decode()
        if name == "Fn::GetAZs":
            region = self.resolve(arg, where) or self.ctx.region
            return [f"{region}a", f"{region}b", f"{region}c"]
        raise TemplateError(
            f"{where}: {name} is not supported by the local engine (it resolves Ref, "
            "Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::Base64, Fn::GetAZs)"
        )

    def _sub(self, text: str, variables: Mapping[str, Any], where: str) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in variables:
                return _text(variables[token], where)
            if "." in token:
                target, attribute = token.split(".", 1)
                return _text(self.get_att(target, attribute, where), where)
            return _text(self.ref(token, where), where)

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def _text(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TemplateError(f"{where}: {value!r} cannot be joined into a string")


def _substitute(value: Any, substitutions: Mapping[str, Any]) -> Any:
    """Apply DefinitionSubstitutions (``${Name}``) to every string of a definition."""
    if isinstance(value, str):
        return re.sub(
            r"\$\{([A-Za-z0-9_]+)\}",
            lambda m: str(substitutions[m.group(1)]) if m.group(1) in substitutions else m.group(0),
            value,
        )
    if isinstance(value, list):
        return [_substitute(v, substitutions) for v in value]
    if isinstance(value, Mapping):
        return {k: _substitute(v, substitutions) for k, v in value.items()}
    return value


def load_template(source: Mapping[str, Any] | str | Path) -> tuple[dict[str, Any], Path | None]:
    """The template as a dict, and the folder its relative asset paths start from."""
    if isinstance(source, Mapping):
        return dict(source), None
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return json.loads(source), None
    path = Path(source)
    if not path.is_file():
        raise TemplateError(f"no template file at {path}")
    return json.loads(path.read_text(encoding="utf-8")), path.resolve().parent


def parse_template(
    template: Mapping[str, Any],
    ctx: ResolveContext | None = None,
    *,
    assets_root: Path | None = None,
) -> SynthesizedTemplate:
    """Resolve the template's state machines and the resources they call."""
    ctx = ctx or ResolveContext()
    resolver = _Resolver(template, ctx)
    parsed = SynthesizedTemplate()
    for logical_id, resource in resolver.resources.items():
        if not isinstance(resource, Mapping):
            continue
        kind = resource.get("Type")
        props = resource.get("Properties") or {}
        if kind == "AWS::Lambda::Function":
            parsed.lambdas[logical_id] = _lambda_spec(resolver, logical_id, resource, assets_root)
        elif kind == "AWS::SNS::Topic":
            parsed.topics[logical_id] = resolver.physical_name(logical_id)
        elif kind == "AWS::Events::EventBus":
            parsed.event_buses[logical_id] = resolver.physical_name(logical_id)
        elif kind == "AWS::DynamoDB::Table":
            parsed.tables[logical_id] = _table_spec(resolver, logical_id, props)
        elif kind == "AWS::Events::Rule":
            parsed.rules[logical_id] = _rule_spec(resolver, logical_id, props)
        elif kind == "AWS::Scheduler::Schedule":
            parsed.schedules[logical_id] = _schedule_spec(resolver, logical_id, props)
        elif kind == "AWS::StepFunctions::StateMachine":
            parsed.state_machines[logical_id] = StateMachineSpec(
                logical_id=logical_id,
                name=resolver.physical_name(logical_id),
                arn=resolver.arn(logical_id),
                definition=_definition(resolver, logical_id, props),
                state_machine_type=resolver.resolve(props.get("StateMachineType", "STANDARD")),
                role_arn=resolver.resolve(props.get("RoleArn"), f"{logical_id}.RoleArn"),
                role_statements=_role_statements(resolver, props.get("RoleArn")),
            )
    return parsed


def _role_statements(resolver: _Resolver, role_arn: Any) -> tuple[dict[str, Any], ...] | None:
    """The statements of the template's role named by ``role_arn`` ({"Fn::GetAtt":
    [role, "Arn"]}): its inline Policies and every AWS::IAM::Policy attached to it."""
    if not (isinstance(role_arn, Mapping) and list(role_arn) == ["Fn::GetAtt"]):
        return None
    target = role_arn["Fn::GetAtt"]
    role_id = target[0] if isinstance(target, list) and target else None
    if not isinstance(role_id, str) or resolver.type_of(role_id) != "AWS::IAM::Role":
        return None
    documents: list[Any] = []
    role_props = resolver.resources[role_id].get("Properties") or {}
    documents += [p.get("PolicyDocument") for p in role_props.get("Policies") or [] if isinstance(p, Mapping)]
    for resource in resolver.resources.values():
        if not isinstance(resource, Mapping) or resource.get("Type") != "AWS::IAM::Policy":
            continue
        props = resource.get("Properties") or {}
        if {"Ref": role_id} in (props.get("Roles") or []):
            documents.append(props.get("PolicyDocument"))
    statements: list[dict[str, Any]] = []
    try:
        for document in documents:
            for statement in (document or {}).get("Statement") or []:
                statements.append(resolver.resolve(statement, f"{role_id} policy"))
    except TemplateError:
        return None  # e.g. Fn::If: the engine does not judge what it cannot read
    return tuple(statements)


def _definition(resolver: _Resolver, logical_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
    where = f"{logical_id}.Properties"
    if "DefinitionString" in props:
        text = resolver.resolve(props["DefinitionString"], f"{where}.DefinitionString")
        if not isinstance(text, str):
            raise TemplateError(f"{where}.DefinitionString does not resolve to a string")
        try:
            definition = json.loads(text)
        except json.JSONDecodeError as error:
            raise TemplateError(f"{where}.DefinitionString is not JSON: {error}") from None
    elif "Definition" in props:
        definition = resolver.resolve(props["Definition"], f"{where}.Definition")
    elif "DefinitionS3Location" in props:
        raise TemplateError(f"{where}: DefinitionS3Location is not supported locally")
    else:
        raise TemplateError(f"{where}: no DefinitionString or Definition")
    substitutions = props.get("DefinitionSubstitutions")
    if substitutions:
        definition = _substitute(
            definition, resolver.resolve(substitutions, f"{where}.DefinitionSubstitutions")
        )
    if not isinstance(definition, dict):
        raise TemplateError(f"{where}: the definition is not a JSON object")
    return definition


def _table_spec(resolver: _Resolver, logical_id: str, props: Mapping[str, Any]) -> TableSpec:
    where = f"{logical_id}.Properties"
    resolved = resolver.resolve(dict(props), where)
    if not resolved.get("KeySchema"):
        raise TemplateError(f"{where}: a DynamoDB table needs a KeySchema")
    pitr = resolved.get("PointInTimeRecoverySpecification") or {}
    return TableSpec(
        logical_id=logical_id,
        name=resolver.physical_name(logical_id),
        arn=resolver.arn(logical_id),
        key_schema=tuple(resolved["KeySchema"]),
        attribute_definitions=tuple(resolved.get("AttributeDefinitions") or ()),
        # CloudFormation's default, like CreateTable's, is PROVISIONED.
        billing_mode=str(resolved.get("BillingMode") or "PROVISIONED"),
        provisioned_throughput=resolved.get("ProvisionedThroughput"),
        global_secondary_indexes=tuple(resolved.get("GlobalSecondaryIndexes") or ()),
        local_secondary_indexes=tuple(resolved.get("LocalSecondaryIndexes") or ()),
        stream_specification=resolved.get("StreamSpecification"),
        sse_specification=resolved.get("SSESpecification"),
        time_to_live=resolved.get("TimeToLiveSpecification"),
        point_in_time_recovery=bool(pitr.get("PointInTimeRecoveryEnabled")),
    )


def _rule_spec(resolver: _Resolver, logical_id: str, props: Mapping[str, Any]) -> RuleSpec:
    where = f"{logical_id}.Properties"
    pattern = resolver.resolve(props.get("EventPattern"), f"{where}.EventPattern")
    if isinstance(pattern, str):  # CloudFormation takes the pattern as JSON text too
        pattern = json.loads(pattern)
    bus = resolver.resolve(props.get("EventBusName"), f"{where}.EventBusName") or "default"
    if isinstance(bus, str) and ":event-bus/" in bus:
        bus = bus.rsplit("/", 1)[-1]
    targets = resolver.resolve(props.get("Targets") or [], f"{where}.Targets")
    return RuleSpec(
        logical_id=logical_id,
        name=resolver.physical_name(logical_id),
        arn=resolver.arn(logical_id),
        event_bus=str(bus),
        event_pattern=pattern if isinstance(pattern, dict) else None,
        schedule_expression=resolver.resolve(props.get("ScheduleExpression"), f"{where}.ScheduleExpression"),
        # CloudFormation enables a rule whose State is not given.
        state=str(resolver.resolve(props.get("State"), f"{where}.State") or "ENABLED"),
        targets=tuple(t for t in targets if isinstance(t, dict)),
    )


def _schedule_spec(resolver: _Resolver, logical_id: str, props: Mapping[str, Any]) -> ScheduleSpec:
    where = f"{logical_id}.Properties"
    resolved = resolver.resolve(dict(props), where)
    window = resolved.get("FlexibleTimeWindow") or {}
    minutes = window.get("MaximumWindowInMinutes") if window.get("Mode") == "FLEXIBLE" else 0
    return ScheduleSpec(
        logical_id=logical_id,
        name=resolver.physical_name(logical_id),
        arn=resolver.arn(logical_id),
        expression=str(resolved.get("ScheduleExpression") or ""),
        state=str(resolved.get("State") or "ENABLED"),
        target=dict(resolved.get("Target") or {}),
        flexible_window_minutes=int(minutes or 0),
    )


def _lambda_spec(
    resolver: _Resolver, logical_id: str, resource: Mapping[str, Any], assets_root: Path | None
) -> LambdaSpec:
    props = resource.get("Properties") or {}
    where = f"{logical_id}.Properties"
    handler = resolver.resolve(props.get("Handler"), f"{where}.Handler")
    code = props.get("Code") or {}
    inline = code.get("ZipFile") if isinstance(code, Mapping) else None
    if inline is not None:
        inline = resolver.resolve(inline, f"{where}.Code.ZipFile")
    environment = resolver.resolve(
        ((props.get("Environment") or {}).get("Variables")) or {}, f"{where}.Environment"
    )
    asset_dir = None
    metadata = resource.get("Metadata") or {}
    asset_path = metadata.get("aws:asset:path") if isinstance(metadata, Mapping) else None
    if isinstance(asset_path, str):
        candidate = Path(asset_path)
        if not candidate.is_absolute() and assets_root is not None:
            candidate = assets_root / candidate
        asset_dir = candidate
    timeout = props.get("Timeout", 3)
    return LambdaSpec(
        logical_id=logical_id,
        function_name=resolver.physical_name(logical_id),
        arn=resolver.arn(logical_id),
        handler=handler if isinstance(handler, str) else "",
        runtime=resolver.resolve(props.get("Runtime")),
        environment={str(k): "" if v is None else str(v) for k, v in environment.items()},
        timeout=int(timeout) if isinstance(timeout, (int, float)) else 3,
        asset_dir=asset_dir,
        inline_code=inline if isinstance(inline, str) else None,
    )


# --- what moto can run ---------------------------------------------------------------

# ``$name`` (a variable), not ``$`` / ``$.x`` (input) nor ``$$.x`` (context).
_VARIABLE = re.compile(r"(?<![\w$])\$(?!\$)[A-Za-z_]\w*")
_PATH_FIELDS = frozenset(
    {"InputPath", "OutputPath", "ResultPath", "ItemsPath", "SecondsPath", "TimestampPath",
     "Variable", "ErrorPath", "CausePath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
     "ToleratedFailurePercentagePath"}
)


def _undocumented_fields(parameters: Any, where: str) -> list[str]:
    """A literal field the optimized integration does not document, as Step Functions'
    definition check reports it. A ``Field.$`` is left to run time (whether AWS's check
    sees it is not documented; the less convenient reading): the state then fails with
    States.Runtime, which no Catch sees."""
    from ..rules import DOCUMENTED_TUNING_PARAMETERS

    if not isinstance(parameters, Mapping):
        return []
    return [
        f'The field "{key}" is not supported by Step Functions at {where}.Parameters'
        for key in parameters
        if isinstance(key, str) and not key.endswith(".$") and key not in DOCUMENTED_TUNING_PARAMETERS
    ]


def check_definition_supported(definition: Mapping[str, Any]) -> None:
    """Raise InvalidDefinitionError for what Step Functions itself refuses (a field the
    SageMaker tuning integration does not document), and UnsupportedDefinitionError for
    features moto 5.2.5's interpreter fails on: JSONata (``QueryLanguage: JSONata``) and
    workflow variables (``Assign``, ``$name``)."""
    problems: list[str] = []
    invalid: list[str] = []

    def visit_states(states: Any, path: str) -> None:
        if not isinstance(states, Mapping):
            return
        for name, state in states.items():
            if not isinstance(state, Mapping):
                continue
            where = f"{path}.{name}"
            if state.get("QueryLanguage") == "JSONata":
                problems.append(f"{where}: QueryLanguage JSONata")
            if "Assign" in state:
                problems.append(f"{where}: Assign (workflow variables)")
            if isinstance(state.get("Resource"), str) and _TUNING_TASK.match(state["Resource"]):
                invalid.extend(_undocumented_fields(state.get("Parameters"), where))
            for key, value in state.items():
                if key in ("Iterator", "ItemProcessor"):
                    visit_machine(value, f"{where}.{key}")
                elif key == "Branches" and isinstance(value, list):
                    for i, branch in enumerate(value):
                        visit_machine(branch, f"{where}.Branches[{i}]")
                else:
                    visit_paths(value, f"{where}.{key}", key in _PATH_FIELDS)
            for catcher in state.get("Catch") or []:
                if isinstance(catcher, Mapping) and "Assign" in catcher:
                    problems.append(f"{where}.Catch: Assign (workflow variables)")

    def visit_paths(value: Any, where: str, is_path: bool = False) -> None:
        if isinstance(value, str):
            if is_path and _VARIABLE.search(value):
                problems.append(f"{where}: variable reference {value!r}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                visit_paths(item, f"{where}[{i}]", is_path)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                visit_paths(item, f"{where}.{key}", key.endswith(".$") or key in _PATH_FIELDS)

    def visit_machine(machine: Any, where: str) -> None:
        if not isinstance(machine, Mapping):
            return
        if machine.get("QueryLanguage") == "JSONata":
            problems.append(f"{where}: QueryLanguage JSONata")
        visit_states(machine.get("States"), f"{where}.States")

    visit_machine(definition, "$")
    if invalid:
        raise InvalidDefinitionError("SCHEMA_VALIDATION_FAILED: " + "; ".join(invalid))
    if problems:
        raise UnsupportedDefinitionError(
            "the local engine runs JSONPath state machines without workflow variables; "
            "found: " + "; ".join(problems)
        )
