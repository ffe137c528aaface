"""A CDK app of N copies of the example pipeline (N = 0: the stack alone), for bench_synth.

    python -m benchmarks.synth_app N OUTDIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def main(count: int, outdir: str) -> None:
    from aws_cdk import App, Stack

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import app as example
    from warm_start_tuning import WarmStartTuningPipeline, WarmStartType

    cdk_app = App(outdir=outdir)
    stack = Stack(cdk_app, "Bench")
    for index in range(count):
        WarmStartTuningPipeline(
            stack,
            f"Pipeline{index}",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            tuning_job_config=example.tuning_job_config(),
            training_job_definition=example.training_job_definition(
                "example-ml-data", "arn:aws:iam::111122223333:role/sagemaker"
            ),
            job_name_prefix=f"p{index}",
            parents=[f"p{index}-parent"],
        )
    cdk_app.synth()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
