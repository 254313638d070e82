"""A library's message embedded in one of ours is cut at a word and says it was cut (models.errors).

Oracle: hand-worked strings (the hub's offline message that a review found cut mid-word, "try aga").
"""

from __future__ import annotations

from saliency.models.errors import foreign_message

HUB = ("An error happened while trying to locate the file on the Hub and we cannot find the requested files in the "
       "local cache. Please check your connection and try again or make sure your Internet connection is on.")


def test_a_long_message_is_cut_at_a_word_and_ends_in_dots():
    got = foreign_message(HUB, 160)
    assert got == ("An error happened while trying to locate the file on the Hub and we cannot find the requested "
                   "files in the local cache. Please check your connection and ...")
    assert len(got) <= 160


def test_a_short_message_is_kept_whole_on_one_line():
    assert foreign_message("set `weights_only`\x1b[1m to\x1b[0m\nFalse.", 160) == "set 'weights_only' to False."
    assert foreign_message("x" * 160, 160) == "x" * 160
