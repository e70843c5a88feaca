"""One lock around the imports of PyTorch and transformers.

presidio is imported with those two hidden (`app/services/pii.py`: its optional Hugging Face
pipe would load them, for seconds, where GAIOS uses its pattern recognizers only). While they
are hidden, another thread importing them would fail, so both sides hold this lock."""

import threading

TORCH_IMPORTS = threading.RLock()
