"""The embedded synthetic 12345 corpus (seeded, deterministic): volumes, surge events, appeal texts."""

from hotline_ml.data.synthetic.generator import (
    SyntheticCorpus,
    corpus_paths,
    generate_corpus,
    read_ground_truth,
    taxonomy_types,
    write_corpus,
)

__all__ = ["SyntheticCorpus", "corpus_paths", "generate_corpus", "read_ground_truth", "taxonomy_types",
           "write_corpus"]
