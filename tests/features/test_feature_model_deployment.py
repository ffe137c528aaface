"""6. Composition: app.py's ModelDeploymentStack embeds the WarmStartTuning fragment in a
larger workflow: preprocess -> tune -> a model from the best training job -> an endpoint
configuration. It runs end to end on the local engine."""

from __future__ import annotations

import json

from cdk_helpers import flatten, load_example_app
from warm_start_tuning.local import LocalEngine

EXAMPLE = load_example_app()


def _definition(synthesized) -> dict:
    (machine,) = synthesized.resources("AWS::StepFunctions::StateMachine", synthesized.deployment_template).values()
    return json.loads(flatten(machine["Properties"]["DefinitionString"]))


def test_the_fragment_sits_between_preprocessing_and_deployment(synthesized) -> None:
    definition = _definition(synthesized)
    states = definition["States"]
    assert definition["StartAt"] == "Preprocess"
    assert states["Preprocess"]["Next"] == "ReadRunInput"
    for result in ("Result", "ResultWithOverallBest"):
        assert states[result]["Next"] == "DescribeBestTrainingJob"
    assert states["DescribeBestTrainingJob"]["Parameters"] == {"TrainingJobName.$": "$.bestTrainingJob.TrainingJobName"}
    assert states["DescribeBestTrainingJob"]["Next"] == "CreateModel"
    assert states["CreateModel"]["Resource"].endswith(":states:::sagemaker:createModel")
    assert states["CreateModel"]["Next"] == "CreateEndpointConfig"
    assert states["CreateEndpointConfig"]["Resource"].endswith(":states:::sagemaker:createEndpointConfig")
    assert states["CreateEndpointConfig"]["End"] is True


def test_the_best_training_job_becomes_a_model_and_an_endpoint_configuration(engine: LocalEngine, synthesized) -> None:
    request = {
        "HyperParameterTuningJobConfig": EXAMPLE.tuning_job_config(),
        "TrainingJobDefinition": EXAMPLE.training_job_definition(
            "example-ml-data", "arn:aws:iam::123456789012:role/imgcls-training"
        ),
    }
    engine.sagemaker.add_tuning_job("imgcls-parent-1", request)
    arn = engine.deploy(synthesized.deployment_template)

    result = engine.run(arn, {}, name="deploy-2024-06-02")

    assert result.status == "SUCCEEDED", result.cause
    output = result.output
    job = output["tuningJobName"]
    best = output["bestTrainingJob"]["TrainingJobName"]
    assert job.startswith("imgdeploy-") and best.startswith(job)
    artifacts = f"s3://example-ml-data/image-classification/output/{best}/output/model.tar.gz"
    assert output["bestModel"] == {"modelArtifacts": artifacts, "image": EXAMPLE.TRAINING_IMAGE}

    sagemaker = engine.client("sagemaker")
    model = sagemaker.describe_model(ModelName=job)
    assert model["PrimaryContainer"]["ModelDataUrl"] == artifacts
    assert model["PrimaryContainer"]["Image"] == EXAMPLE.TRAINING_IMAGE
    assert output["model"]["ModelArn"] == model["ModelArn"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=job)
    assert [(v["ModelName"], v["InstanceType"], v["InitialInstanceCount"]) for v in config["ProductionVariants"]] == [
        (job, "ml.m5.xlarge", 1)
    ]
    assert output["endpointConfig"]["EndpointConfigArn"] == config["EndpointConfigArn"]
