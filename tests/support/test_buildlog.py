"""The build-log parser shared by the e2e tests and the benchmarks (no builder needed)."""

from __future__ import annotations

from tests.support.buildlog import Step, steps

BUILDKIT_LOG = """\
#0 building with "default" instance using docker driver
#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s
#4 [b 1/2] FROM docker.io/library/python:3.12-slim-trixie@sha256:abc
#4 CACHED
#5 [b 2/2] RUN echo x > /x
#5 CACHED
#6 [stage-1 2/3] COPY --from=b /x /x
#6 CACHED
#7 [stage-1 3/3] COPY app.txt /app/app.txt
#7 0.1s running
#7 [stage-1 3/3] COPY app.txt /app/app.txt
#7 DONE 0.1s
#8 exporting to image
#8 DONE 0.1s
"""

BUILDAH_LOG = """\
[1/2] STEP 1/2: FROM python:3.12-slim-trixie AS b
[1/2] STEP 2/2: RUN echo x > /x
--> Using cache 85158ee2a66d44056d2d7a7032eed4755a1aaaf771b7e17fa6833c88e6238a96
--> 85158ee2a66
[2/2] STEP 1/4: FROM python:3.12-slim-trixie
[2/2] STEP 2/4: COPY --from=b /x /x
--> Using cache 1f9149545a3ca5f94b1703fef5a94849a5680198b5e2bc1aee451c000c2f97ba
--> 1f9149545a3
[2/2] STEP 3/4: COPY app.txt /app/app.txt
--> 426681b070e
[2/2] STEP 4/4: USER 10001
[2/2] COMMIT localhost/x:1
--> 9a8b7c6d5e4
"""


def test_buildkit_steps_deduplicated_and_cached() -> None:
    assert steps(BUILDKIT_LOG) == [
        Step("b", "FROM docker.io/library/python:3.12-slim-trixie@sha256:abc", True),
        Step("b", "RUN echo x > /x", True),
        Step("stage-1", "COPY --from=b /x /x", True),
        Step("stage-1", "COPY app.txt /app/app.txt", False),
    ]


def test_buildah_steps_cached_and_run() -> None:
    found = [(s.stage, s.instruction, s.cached) for s in steps(BUILDAH_LOG)]
    assert found == [
        ("1", "FROM python:3.12-slim-trixie AS b", False),
        ("1", "RUN echo x > /x", True),
        ("2", "FROM python:3.12-slim-trixie", False),
        ("2", "COPY --from=b /x /x", True),
        ("2", "COPY app.txt /app/app.txt", False),
        ("2", "USER 10001", False),
    ]


def test_buildah_steps_timed_from_step_line_to_commit() -> None:
    lines = BUILDAH_LOG.splitlines()
    stamps = [float(i) for i in range(len(lines))]  # line i arrived at i seconds
    timed = {s.instruction: s.seconds for s in steps(BUILDAH_LOG, stamps)}
    assert timed["COPY app.txt /app/app.txt"] == 1.0  # STEP on line 8, "--> " on line 9
    assert timed["RUN echo x > /x"] == 2.0  # closed by its "--> <id>", not "Using cache"
    assert timed["USER 10001"] == 2.0  # the last step ends at the commit's "--> "


def test_one_stage_buildah_log_and_no_stamps() -> None:
    log = "STEP 1/2: FROM python:3.12-slim-trixie\nSTEP 2/2: RUN true\n--> abc\n"
    assert steps(log) == [
        Step("1", "FROM python:3.12-slim-trixie", False),
        Step("1", "RUN true", False),
    ]
