"""Helpers every floor of the house uses, knowing nothing of Values or networks.

* :mod:`.checks` — argument checks with errors that name the function, the argument
  and the value, and the one rule for what counts as a real number;
* :mod:`.files` — files written all or nothing, and read without surprises;
* :mod:`.collector` — Python's cycle collector paused while big graphs are built.
"""
