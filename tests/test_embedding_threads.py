"""The embedder is shared by every worker thread: token counts (chunking a record being
published) and encodings (another publish, a search) may run at the same time and must give
what they give alone (8 concurrent publishes once failed with "Unable to create tensor")."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from app.components.embedding import Embedder

TEXTS = [("statistical coding of occupations " * n).strip() for n in range(1, 40)]


@pytest.mark.slow
def test_concurrent_token_counts_and_encodings_match_sequential_ones() -> None:
    embedder = Embedder()
    alone = embedder.embed(TEXTS)
    counts = [embedder.count_tokens(t * 3) for t in TEXTS]

    def work(i: int) -> tuple[np.ndarray, int]:
        return embedder.embed(TEXTS), embedder.count_tokens(TEXTS[i % len(TEXTS)] * 3)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(24)))
    for i, (vectors, count) in enumerate(results):
        np.testing.assert_allclose(vectors, alone, atol=1e-5)
        assert count == counts[i % len(TEXTS)]
