"""OVERRIDE_NOT_ALLOWED: what an execution input may adjust (DESIGN.md, "Trust model").

Whoever may call StartExecution is not trusted with more than the pipeline's owner
allowed at synth time. The input may only narrow or adjust what the props define:

- ``staticHyperParameters``: new values for keys the definition already has; never a
  new key, never SageMaker's reserved ``sagemaker_*`` keys (they choose the code a
  framework container runs: ``sagemaker_submit_directory``, ``sagemaker_program``);
- ``inputData``: existing channels only, pointed at S3 locations inside the allowed
  ones (settings.inputLocations; default: the buckets of the definition's channels and
  of the new-data trigger);
- ``tuningJobName`` and ``resume``: inside the pipeline's own name space, ``<prefix>-``;
- ``parents``: when settings.parentPrefixes is set, only jobs of the pipeline's own name
  space, of those prefixes, or the pipeline's default parents;
- only the fields settings.allowedOverrides lists (default: all of them).

Pure (stdlib only). The prefix is a boundary: ``imgcls`` owns ``imgcls-*`` and never
reaches ``imgcls2-...``. SageMaker lowercases job names in ARNs (which IAM matches), so
names are compared lowercased.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._access import as_dict, as_list, get_dict, get_list, quote, show, text
from .codes import INVALID_REQUEST, OVERRIDE_NOT_ALLOWED
from .errors import Violation

#: The execution input's fields that adjust a run (settings.allowedOverrides narrows them).
OVERRIDE_FIELDS = (
    "parents",
    "warmStartType",
    "tuningJobName",
    "inputData",
    "maxTrainingJobs",
    "maxParallelTrainingJobs",
    "staticHyperParameters",
    "resume",
)
#: Written by the new-data trigger; allowed only when the pipeline has new-data channels.
TRIGGER_FIELDS = ("newObject",)
#: Written by the schedule: the run's identity only (run_key.py), allowed on every pipeline
#: (it changes nothing the run does, and allowedOverrides does not narrow it).
IDENTITY_FIELDS = ("scheduledTime",)
RESERVED_HYPERPARAMETER_PREFIX = "sagemaker_"
_S3_LOCATION = re.compile(r"s3://([^/\s]+)(/.*)?", re.DOTALL)
_MAX_LISTED = 20
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Channels that read a manifest: the manifest may list any S3 object, wherever it is.
_MANIFEST_TYPES = ("ManifestFile", "AugmentedManifestFile")


def name_space(prefix: str) -> str:
    """The start of every name of the pipeline: the prefix and a dash."""
    return f"{prefix}-"


def ascii_lower(text: str) -> str:
    """Lowercase A-Z only: SageMaker names are ASCII, and Unicode lowercasing would make
    look-alikes (the Kelvin sign lowercases to 'k') compare equal."""
    return text.translate(_ASCII_LOWER)


def in_name_space(name: Any, prefix: str) -> bool:
    """True when ``name`` is one of the pipeline's own job names (``<prefix>-...``)."""
    return isinstance(name, str) and ascii_lower(name).startswith(name_space(prefix))


def name_violation(field: str, name: Any, prefix: str) -> Violation | None:
    """OVERRIDE_NOT_ALLOWED when the input's ``field`` (tuningJobName, resume) names a job
    outside the pipeline's name space."""
    if not isinstance(name, str) or in_name_space(name, prefix):
        return None
    return _not_allowed(f"execution input: {field} {quote(name)} is outside this pipeline's names; it must "
                        f"start with {name_space(prefix)!r} (the pipeline's IAM and jobs are scoped to them)")


def name_is_parent_violations(name: Any, parents: Any) -> list[Violation]:
    """A new job named like one of its parents would be that parent: SageMaker answers
    "already exists", and the run must never report the parent as its result."""
    if not isinstance(name, str):
        return []
    return [_not_allowed(f"execution input: tuningJobName {quote(name)} names a parent of this run; the new job "
                         "needs a name of its own")
            for parent in as_list(parents) if isinstance(parent, str) and ascii_lower(parent) == ascii_lower(name)][:1]


def _not_allowed(message: str) -> Violation:
    return Violation(OVERRIDE_NOT_ALLOWED, message)


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else "") or "none"


def suggestion(word: Any, choices: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for a near-miss, else ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def bucket_location(uri: Any) -> str | None:
    """``s3://bucket/`` for an S3 URI, None when ``uri`` is not one."""
    match = _S3_LOCATION.fullmatch(uri) if isinstance(uri, str) else None
    return f"s3://{match.group(1)}/" if match else None


def location_allows(location: str, uri: str) -> bool:
    """True when ``uri`` lies inside ``location``, read as a folder: ``s3://b/data/``
    allows ``s3://b/data/x``, never ``s3://b/data-other`` and never ``s3://b/data``
    itself (an S3Prefix channel reads every key that starts with ``data``, so also
    ``data-other/``). The bucket root may be written without its slash."""
    folder = location if location.endswith("/") else location + "/"
    root = bucket_location(folder) == folder
    return uri.startswith(folder) or (root and uri == folder.rstrip("/"))


def _dot_segments(uri: str) -> bool:
    # S3 keys are literal, but other tools normalise "..": refuse what reads as escaping.
    return any(part in (".", "..") for part in uri[len("s3://"):].split("/")[1:])


def definition_channels(request: Any) -> list[str]:
    """The channel names of the request's TrainingJobDefinition."""
    channels = get_list(get_dict(request, "TrainingJobDefinition"), "InputDataConfig")
    names = (as_dict(channel).get("ChannelName") for channel in channels)
    return [name for name in names if isinstance(name, str)]


def _manifest_channels(request: Any) -> list[str]:
    channels = get_list(get_dict(request, "TrainingJobDefinition"), "InputDataConfig")
    return [as_dict(c).get("ChannelName") for c in channels
            if get_dict(get_dict(c, "DataSource"), "S3DataSource").get("S3DataType") in _MANIFEST_TYPES]


def definition_hyperparameters(request: Any) -> list[str]:
    """The static hyperparameter names an input may give new values (reserved ones aside)."""
    statics = get_dict(get_dict(request, "TrainingJobDefinition"), "StaticHyperParameters")
    return [name for name in statics if isinstance(name, str) and not is_reserved(name)]


def is_reserved(name: str) -> bool:
    return name.lower().startswith(RESERVED_HYPERPARAMETER_PREFIX)


def default_input_locations(request: Any, new_data_bucket: Any = None, new_data_prefix: Any = None) -> list[str]:
    """The buckets of the definition's S3 channels and the new-data trigger's folder
    (its bucket and key prefix)."""
    locations: list[str] = []
    for channel in get_list(get_dict(request, "TrainingJobDefinition"), "InputDataConfig"):
        uri = get_dict(get_dict(channel, "DataSource"), "S3DataSource").get("S3Uri")
        location = bucket_location(uri)
        if location is not None:
            locations.append(location)
    if isinstance(new_data_bucket, str) and new_data_bucket:
        prefix = new_data_prefix if isinstance(new_data_prefix, str) else ""
        locations.append(f"s3://{new_data_bucket}/{prefix}")
    return list(dict.fromkeys(locations))


@dataclass(frozen=True)
class InputPolicy:
    """What the props allow an execution input to adjust (from the state machine's settings)."""

    job_name_prefix: str
    allowed_fields: tuple[str, ...] = OVERRIDE_FIELDS
    input_locations: tuple[str, ...] = ()
    parent_prefixes: tuple[str, ...] | None = None

    @classmethod
    def from_settings(cls, settings: Any, request: Any, job_name_prefix: str,
                      violations: list[Violation] | None = None) -> "InputPolicy":
        """The policy the settings describe; malformed settings are reported (INVALID_
        REQUEST, through ``violations``) and read as the narrowest policy."""
        found = violations if violations is not None else []
        raw = as_dict(settings)

        def strings(key: str) -> tuple[str, ...] | None:
            value = raw.get(key)
            if value is None:
                return None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                found.append(Violation(INVALID_REQUEST, f"settings.{key} must be a list of strings; got {show(value)}"))
                return ()
            return tuple(value)

        fields = strings("allowedOverrides")
        if fields is not None and any(f not in OVERRIDE_FIELDS for f in fields):
            found.append(Violation(INVALID_REQUEST, f"settings.allowedOverrides may only hold {', '.join(OVERRIDE_FIELDS)}"))
            fields = tuple(f for f in fields if f in OVERRIDE_FIELDS)
        locations = strings("inputLocations")
        if locations is None:
            locations = tuple(default_input_locations(request, raw.get("newDataBucket"), raw.get("newDataPrefix")))
        elif any(bucket_location(location) is None for location in locations):
            found.append(Violation(INVALID_REQUEST, "settings.inputLocations must be s3:// URIs"))
            locations = tuple(location for location in locations if bucket_location(location) is not None)
        parent_prefixes = strings("parentPrefixes")
        return cls(job_name_prefix, OVERRIDE_FIELDS if fields is None else fields, locations, parent_prefixes)

    # --- the checks -----------------------------------------------------------------

    def field_violations(self, run_input: Mapping[str, Any], *, new_data: bool) -> list[Violation]:
        """Fields the input may not give at all: unknown ones, ones the props leave out,
        and newObject on a pipeline without new-data channels."""
        known = OVERRIDE_FIELDS + TRIGGER_FIELDS + IDENTITY_FIELDS
        allowed = ([f for f in OVERRIDE_FIELDS if f in self.allowed_fields] + (list(TRIGGER_FIELDS) if new_data else [])
                   + list(IDENTITY_FIELDS))
        violations = []
        for key in run_input:
            if key in allowed:
                continue
            if key not in known:
                why = f"is not a field of the execution input{suggestion(key, known)}"
            elif key in TRIGGER_FIELDS:
                why = "is written by the new-data trigger, and this pipeline has none"
            else:
                why = "is not one of the overrides this pipeline allows"
            violations.append(_not_allowed(f"execution input: {text(key)} {why}; allowed: {_listing(allowed)}"))
        return violations

    def override_violations(self, overrides: Any, request: Any) -> list[Violation]:
        """Values the input may not set: new or reserved hyperparameters, new channels,
        data outside the allowed locations (names: :func:`name_violation`)."""
        overrides = as_dict(overrides)
        return (self._hyperparameter_violations(overrides.get("staticHyperParameters"), request)
                + self._input_data_violations(overrides.get("inputData"), request))

    def parent_violations(self, parents: Any) -> list[Violation]:
        """Parents the run may not use (only when the props restrict them). The message
        names the job the input gave and nothing of its configuration: it is never
        described."""
        if self.parent_prefixes is None:
            return []
        return [
            Violation(OVERRIDE_NOT_ALLOWED,
                      f"execution input: parent {quote(parent)} is not a job this pipeline may use; parents must "
                      f"start with one of {', '.join(repr(p) for p in self.parent_spaces())}", parent)
            for parent in as_list(parents)
            if isinstance(parent, str) and not self.may_describe(parent)
        ]

    def parent_spaces(self) -> list[str]:
        """The name prefixes of the jobs a run may use as parents (None: any)."""
        return [name_space(self.job_name_prefix), *(self.parent_prefixes or ())]

    def may_describe(self, name: str) -> bool:
        """True when the validator may describe ``name`` (its IAM allows it)."""
        return self.parent_prefixes is None or any(
            ascii_lower(name).startswith(ascii_lower(space)) for space in self.parent_spaces())

    def _hyperparameter_violations(self, values: Any, request: Any) -> list[Violation]:
        if not isinstance(values, Mapping):
            return []  # the planner reports the shape
        existing = definition_hyperparameters(request)
        violations = []
        for name in values:
            if not isinstance(name, str):
                continue
            if is_reserved(name):
                why = (f"is reserved by SageMaker ({RESERVED_HYPERPARAMETER_PREFIX}* keys choose the code a "
                       "framework container runs) and may only be set in the pipeline's definition")
            elif name not in existing:
                why = (f"is not a static hyperparameter of the definition{suggestion(name, existing)}; the input "
                       "may change values, never add keys")
            else:
                continue
            violations.append(_not_allowed(
                f"execution input: staticHyperParameters.{shorten_name(name)} {why}; allowed: {_listing(existing)}"))
        return violations

    def _input_data_violations(self, input_data: Any, request: Any) -> list[Violation]:
        if not isinstance(input_data, Mapping):
            return []
        channels = definition_channels(request)
        locations = list(self.input_locations)
        violations = []
        for channel, uri in input_data.items():
            if not isinstance(channel, str):
                continue
            if channel in _manifest_channels(request):
                violations.append(_not_allowed(
                    f"execution input: inputData.{shorten_name(channel)} reads a manifest (S3DataType "
                    f"{'/'.join(_MANIFEST_TYPES)}), which may list any S3 object: its location is set by the "
                    "pipeline's definition only"))
            elif channel not in channels:
                violations.append(_not_allowed(
                    f"execution input: inputData.{shorten_name(channel)} is not a channel of the definition"
                    f"{suggestion(channel, channels)}; the input may point existing channels at new data, never "
                    f"add one; channels: {_listing(channels)}"))
            elif isinstance(uri, str) and uri.startswith("s3://") and (
                _dot_segments(uri) or not any(location_allows(loc, uri) for loc in locations)
            ):
                violations.append(_not_allowed(
                    f"execution input: inputData.{channel} {quote(uri)} is outside the allowed input locations "
                    f"{_listing(locations)}"))
        return violations


def shorten_name(name: str) -> str:
    return name if len(name) <= 64 else name[:61] + "..."
