"""The embedded synthetic 12345 corpus (seeded, deterministic): volumes, surge events, appeal texts."""

from hotline_ml.data.synthetic.generator import SyntheticCorpus, generate_corpus, taxonomy_types, write_corpus

__all__ = ["SyntheticCorpus", "generate_corpus", "taxonomy_types", "write_corpus"]
