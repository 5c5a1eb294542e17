"""What the audit hook makes of the events it sees: the path a file operation really touched."""
from __future__ import annotations

import os

from grader.platform.audit_hook import _accessed


def test_a_path_relative_to_a_directory_fd_is_reported_where_it_really_is(tmp_path):
    # shutil.rmtree, and so tempfile.TemporaryDirectory, removes files by name relative to a folder's fd
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        assert _accessed("os.remove", ("download.csv", fd)) == (str(tmp_path / "download.csv"), "write")
        assert _accessed("os.rmdir", ("sub", fd)) == (str(tmp_path / "sub"), "write")
        assert _accessed("os.rename", ("a", "b", fd, fd)) == (str(tmp_path / "b"), "write")
    finally:
        os.close(fd)


def test_without_a_directory_fd_a_path_is_reported_as_given():
    assert _accessed("os.remove", ("download.csv", -1)) == ("download.csv", "write")
    assert _accessed("os.remove", ("/abs/x.csv", 5)) == ("/abs/x.csv", "write")
    assert _accessed("open", ("notes.txt", "r", 0)) == ("notes.txt", "read")
