"""Reading synthesized templates: intrinsics resolved as CloudFormation would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from local_pipeline import FIXTURES, pipeline_template

from warm_start_tuning.local.template import (
    ResolveContext,
    TemplateError,
    UnsupportedDefinitionError,
    check_definition_supported,
    load_template,
    parse_template,
)

CTX = ResolveContext(region="eu-west-1", stack_name="Demo")


def _machine(definition_string: object, **resources: object) -> dict:
    return {
        "Resources": {
            **resources,
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": definition_string},
            },
        }
    }


def test_pipeline_template_resolves_to_plain_asl() -> None:
    parsed = parse_template(pipeline_template(), CTX, assets_root=FIXTURES)

    machine = parsed.state_machine()
    assert machine.name == "Demo-PipelineStateMachine9A8B7C6D"
    assert machine.arn == "arn:aws:states:eu-west-1:123456789012:stateMachine:Demo-PipelineStateMachine9A8B7C6D"
    assert machine.role_arn == "arn:aws:iam::123456789012:role/Demo-StateMachineRole12345678"
    states = machine.definition["States"]
    assert states["PollParents"]["Resource"] == "arn:aws:states:::lambda:invoke"
    assert states["PollParents"]["Parameters"]["FunctionName"] == (
        "arn:aws:lambda:eu-west-1:123456789012:function:Demo-PollFunction1A2B3C4D"
    )
    assert states["CreateTuningJob"]["Resource"] == "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync"

    poll = parsed.lambdas["PollFunction1A2B3C4D"]
    assert (poll.handler, poll.runtime, poll.timeout) == ("handler.poll_handler", "python3.12", 30)
    assert poll.asset_dir == FIXTURES / "validator_asset"
    assert poll.environment == {"FIXTURE_SETTING": "fixture-eu-west-1"}


def test_intrinsics() -> None:
    template = _machine(
        {
            "Fn::Sub": [
                '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{'
                '"topic":"${Topic}","bus":"${Bus.Arn}","custom":"${Custom}","literal":"${!NotAVar}",'
                '"account":"${AWS::AccountId}","picked":"${Picked}","fn":"${Fn.Arn}"},"End":true}}}',
                {
                    "Custom": {"Fn::Join": ["/", ["a", {"Ref": "AWS::Region"}, {"Ref": "Param"}]]},
                    "Picked": {"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]},
                },
            ]
        },
        Topic={"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
        Bus={"Type": "AWS::Events::EventBus", "Properties": {"Name": "ml-events"}},
        Fn={"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "given-name", "Handler": "index.h"}},
    )
    template["Parameters"] = {"Param": {"Type": "String", "Default": "dflt"}}

    parsed = parse_template(template, CTX)

    result = parsed.state_machine().definition["States"]["A"]["Result"]
    assert result == {
        "topic": "arn:aws:sns:eu-west-1:123456789012:alerts",  # Ref of a topic is its ARN
        "bus": "arn:aws:events:eu-west-1:123456789012:event-bus/ml-events",
        "custom": "a/eu-west-1/dflt",
        "literal": "${NotAVar}",
        "account": "123456789012",
        "picked": "y",
        "fn": "arn:aws:lambda:eu-west-1:123456789012:function:given-name",
    }
    assert parsed.topics == {"Topic": "alerts"}
    assert parsed.event_buses == {"Bus": "ml-events"}


def test_definition_object_with_substitutions() -> None:
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": "named",
                    "Definition": {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${Fn}", "End": True}}},
                    "DefinitionSubstitutions": {"Fn": {"Fn::GetAtt": ["Fn", "Arn"]}},
                },
            },
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "index.handler",
                                                                  "Code": {"ZipFile": "def handler(e, c): return e"}}},
        }
    }
    parsed = parse_template(template, CTX)
    machine = parsed.state_machine("named")
    assert machine.definition["States"]["A"]["Resource"].endswith(":function:Demo-Fn")
    assert parsed.lambdas["Fn"].inline_code == "def handler(e, c): return e"


def test_errors_name_the_problem() -> None:
    with pytest.raises(TemplateError, match="Fn::ImportValue"):
        parse_template(_machine({"Fn::ImportValue": "shared"}), CTX)
    with pytest.raises(TemplateError, match="unknown 'Nope'"):
        parse_template(_machine({"Fn::Join": ["", [{"Ref": "Nope"}]]}), CTX)
    with pytest.raises(TemplateError, match="not JSON"):
        parse_template(_machine("{not json"), CTX)
    with pytest.raises(TemplateError, match="no Resources"):
        parse_template({}, CTX)
    with pytest.raises(TemplateError, match="no AWS::StepFunctions::StateMachine"):
        parse_template({"Resources": {}}, CTX).state_machine()
    two = _machine('{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}')
    two["Resources"]["Other"] = two["Resources"]["Machine"]
    with pytest.raises(TemplateError, match="2 state machines"):
        parse_template(two, CTX).state_machine()
    assert parse_template(two, CTX).state_machine("Other").logical_id == "Other"


def test_load_template_from_a_file_gives_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "Stack.template.json"
    path.write_text(json.dumps(pipeline_template()))
    template, root = load_template(path)
    assert root == tmp_path
    assert "Resources" in template
    assert load_template(json.dumps({"Resources": {}}))[1] is None
    with pytest.raises(TemplateError, match="no template file"):
        load_template(tmp_path / "missing.json")


def test_unsupported_features_are_reported_with_their_place() -> None:
    check_definition_supported(pipeline_template_definition())
    with pytest.raises(UnsupportedDefinitionError, match=r"\$\.States\.A: QueryLanguage JSONata"):
        check_definition_supported(
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONata", "End": True}}}
        )
    with pytest.raises(UnsupportedDefinitionError, match="QueryLanguage JSONata"):
        check_definition_supported({"QueryLanguage": "JSONata", "StartAt": "A", "States": {}})
    with pytest.raises(UnsupportedDefinitionError, match=r"Parameters\.v\.\$: variable reference"):
        check_definition_supported(
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"v.$": "$count"}, "End": True}}}
        )
    with pytest.raises(UnsupportedDefinitionError, match=r"Branches\[0\]\.States\.B: Assign"):
        check_definition_supported(
            {
                "StartAt": "P",
                "States": {
                    "P": {
                        "Type": "Parallel",
                        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {}, "End": True}}}],
                        "End": True,
                    }
                },
            }
        )
    # Dollar signs in plain values are data, not variables.
    check_definition_supported(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"price": "$price"}, "End": True}}}
    )


def pipeline_template_definition() -> dict:
    return parse_template(pipeline_template(), CTX).state_machine().definition
