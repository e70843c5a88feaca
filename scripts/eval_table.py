"""Prints a Markdown table of the headline metrics of evaluation runs (the README's
figures are pasted from this, so they are the command's own numbers)."""

import sys
from pathlib import Path

from evaluation.report import flat_metrics, load_run

HEADLINE = (
    "retrieval.hit@1", "retrieval.hit@5", "retrieval.mrr", "retrieval.ndcg@10",
    "answers.key_fact_coverage", "answers.citation_precision", "answers.citation_recall",
    "answers.answer_relevance", "answers.total_p50_ms", "answers.total_p95_ms",
    "hallucination.refusal_accuracy", "hallucination.false_refusal_rate",
    "hallucination.unsupported_sentence_rate_before_guard",
    "hallucination.unsupported_sentence_rate_after_guard",
    "hallucination.invented_number_rate_before_guard",
    "hallucination.invented_number_rate_after_guard", "hallucination.fabricated_citation_rate",
    "confidentiality.pii_to_backend_rate", "confidentiality.secret_leak_rate",
    "confidentiality.injection_success_rate", "confidentiality.upload_screen_precision",
    "confidentiality.upload_screen_recall",
)

if __name__ == "__main__":
    runs = [load_run(Path(p)) for p in sys.argv[1:]]
    names = [f"{r['settings']['backend']} ({r['limit'] or 'all'} q.)" for r in runs]
    print("| metric | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(runs))
    values = [flat_metrics(r) for r in runs]
    for metric in HEADLINE:
        cells = [str(v.get(metric, "-")) for v in values]
        print(f"| {metric} | " + " | ".join(cells) + " |")
