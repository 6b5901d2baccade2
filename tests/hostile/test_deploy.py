"""Deploy publishes only regular files under the output folder (issue item 4)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.deploy.conftest import aws_env, bucket_state, moto_url, new_bucket, synthetic_site, write_site  # noqa: F401
from tests.deploy.test_cli import site_with
from tests.hostile.util import NOW, assert_one_clean_line


def _file_link(out, tmp_path):
    os.symlink("/etc/passwd", out / "passwd.html")
    return "passwd.html", "a link"


def _folder_link(out, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the bucket")
    os.symlink(outside, out / "extra")
    return "extra", "a link"


def _loop(out, tmp_path):
    os.symlink("loop", out / "incidents" / "loop")
    return "incidents/loop", "a link"


def _fifo(out, tmp_path):
    os.mkfifo(out / "pipe.html")
    return "pipe.html", "not a regular file"


@pytest.mark.parametrize("plant", [_file_link, _folder_link, _loop, _fifo], ids=["file-link", "folder-link", "loop", "fifo"])
def test_deploy_from_a_folder_with_a_non_file_uploads_nothing(moto_url, tmp_path, plant):  # noqa: F811
    bucket = new_bucket(moto_url)
    site = site_with(tmp_path, [{"name": "primary", "bucket": bucket, "endpoint_url": moto_url}])
    out = write_site(tmp_path / "out", synthetic_site())
    rel, what = plant(out, tmp_path)
    result = CliRunner().invoke(main, ["deploy", str(site), "--from", str(out)])
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, str(out / rel), what)
    assert bucket_state(moto_url, bucket) == {}


def test_deploy_builds_then_refuses_a_link_the_build_left_alone(moto_url, tmp_path):  # noqa: F811
    """`deploy` without --from: a link planted in output/ beside the build is not followed either."""
    bucket = new_bucket(moto_url)
    site = site_with(tmp_path, [{"name": "primary", "bucket": bucket, "endpoint_url": moto_url}])
    (site / "output").mkdir()
    os.symlink("/etc/passwd", site / "output" / "passwd.txt")
    result = CliRunner().invoke(main, ["deploy", str(site), "--now", NOW])
    # The build replaces nothing it does not make, but removes what it no longer makes: the link goes.
    assert result.exit_code == 0, result.output
    assert not os.path.lexists(site / "output" / "passwd.txt")
    assert "passwd.txt" not in bucket_state(moto_url, bucket)
