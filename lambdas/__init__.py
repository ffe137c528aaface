"""Lambda handler sources, one folder per function (standard library and boto3 only).

Installed inside the wheel as ``warm_start_tuning.lambdas`` so that the constructs can
find their assets from any working directory.
"""
