"""The progress bar class: tqdm's notebook bar where it can draw, its text bar elsewhere.

``tqdm.auto`` picks the notebook bar in a Jupyter kernel, and warns ("IProgress not found")
when ipywidgets is missing, as in a plain nbclient run; the text bar works there too.
"""

from __future__ import annotations


def tqdm_class():
    """``tqdm.auto.tqdm`` if ipywidgets can draw it, else ``tqdm.tqdm``."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from tqdm import tqdm

        return tqdm
    from tqdm.auto import tqdm

    return tqdm
