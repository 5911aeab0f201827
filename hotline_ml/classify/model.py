"""One Chinese BERT encoder, one linear head per task (appeal type levels, urgency).

Serving runs one forward pass for all tasks. The label spaces, class weights and calibration temperatures are
stored in the model's own config, so a saved checkpoint is self-describing: labels always come from it.
Works with any BERT-architecture checkpoint (bert-base-chinese, hfl/chinese-roberta-wwm-ext, hfl/rbt3, and
the toolkit's hotline-bert-mini).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import BertConfig, BertModel, BertPreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import ModelOutput

from hotline_ml.classify.features import IGNORE, TASKS, LabelSpace
from hotline_ml.classify.tokenizer import offline
from hotline_ml.config import ClassWeighting, Pooling


@dataclass
class MultiTaskOutput(ModelOutput):
    """``logits`` is a tuple with one ``(batch, n_labels)`` tensor per task, in ``config.tasks`` order."""

    loss: torch.Tensor | None = None
    logits: tuple[torch.Tensor, ...] | None = None


class HotlineBertClassifier(BertPreTrainedModel):
    """BERT encoder + one classification head per task in ``config.tasks`` ({task: [labels]})."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.tasks: dict[str, list[str]] = dict(config.tasks)
        self.pooling = Pooling(config.pooling)  # written by load_for_finetuning from model.pooling
        self.bert = BertModel(config, add_pooling_layer=self.pooling is Pooling.cls)
        dropout = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({t: nn.Linear(config.hidden_size, len(labels)) for t, labels in self.tasks.items()})
        # Class weights stay plain lists in the config and become tensors in forward: buffers registered here
        # are left uninitialised when from_pretrained builds the model on the meta device (transformers 5).
        weights = getattr(config, "class_weights", None) or {}
        self.class_weights = {t: list(weights.get(t, [1.0] * len(labels))) for t, labels in self.tasks.items()}
        self.post_init()

    def forward(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, labels_type_l1: torch.Tensor | None = None,
                labels_type_l2: torch.Tensor | None = None, labels_urgency: torch.Tensor | None = None,
                **kwargs) -> MultiTaskOutput:
        """Logits per task; with labels, the sum of per-task weighted cross-entropies over labelled rows.

        Args:
            input_ids: ``(batch, seq)`` token ids.
            attention_mask: ``(batch, seq)``, 1 for real tokens.
            token_type_ids: ``(batch, seq)``, optional.
            labels_<task>: ``(batch,)`` label ids, -100 where a row has no label for that task.
        """
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        pooled = self.dropout(self._pool(out, attention_mask))
        logits = tuple(self.heads[t](pooled) for t in self.tasks)
        given = {"type_l1": labels_type_l1, "type_l2": labels_type_l2, "urgency": labels_urgency}
        loss = None
        for task, task_logits in zip(self.tasks, logits, strict=True):
            y = given[task]
            if y is None or not bool((y != IGNORE).any()):
                continue  # no labels for this task in this batch: its loss is masked out
            weight = torch.tensor(self.class_weights[task], dtype=task_logits.dtype, device=task_logits.device)
            task_loss = nn.functional.cross_entropy(task_logits, y, weight=weight, ignore_index=IGNORE)
            loss = task_loss if loss is None else loss + task_loss
        if loss is None and any(v is not None for v in given.values()):
            loss = sum(lg.sum() * 0.0 for lg in logits)  # keeps the graph for a batch without any label
        return MultiTaskOutput(loss=loss, logits=logits)

    def _pool(self, out, attention_mask: torch.Tensor | None) -> torch.Tensor:
        if self.pooling is Pooling.cls:
            return out.pooler_output
        return _mean_pool(out.last_hidden_state, attention_mask)


def _mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Average of the token states over real (unpadded) tokens: ``(batch, seq, h) -> (batch, h)``."""
    if attention_mask is None:
        return hidden.mean(dim=1)
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def class_weights(labels: LabelSpace, ids: dict[str, list[int]], scheme: ClassWeighting | str,
                  ) -> dict[str, list[float]]:
    """Per-task class weights from training label ids: ``none``, ``balanced`` (1/n) or ``sqrt`` (1/sqrt n).

    Weights are normalised to mean 1 over the classes present; a class with no training example gets 1.

    Raises:
        ValueError: ``scheme`` is not a :class:`~hotline_ml.config.ClassWeighting` value.
    """
    scheme = ClassWeighting(scheme)
    out = {}
    for task, names in labels.tasks.items():
        counts = torch.bincount(torch.tensor([i for i in ids[task] if i != IGNORE], dtype=torch.long),
                                minlength=len(names)).float()
        if scheme is ClassWeighting.none:
            w = torch.ones(len(names))
        else:
            power = -1.0 if scheme is ClassWeighting.balanced else -0.5
            w = torch.where(counts > 0, counts.clamp(min=1) ** power, torch.zeros(len(names)))
            w = torch.where(counts > 0, w / w[counts > 0].mean(), torch.ones(len(names)))
        out[task] = [round(float(x), 6) for x in w]
    return out


def load_for_finetuning(pretrained: str, tokenizer: PreTrainedTokenizerBase, labels: LabelSpace,
                        weights: dict[str, list[float]], pooling: Pooling | str = Pooling.mean,
                        ) -> HotlineBertClassifier:
    """Load a BERT checkpoint's encoder (offline-first) and add fresh heads for ``labels``.

    The embedding matrix grows when the tokenizer has tokens the checkpoint lacks (the masking placeholders
    in bert-base-chinese, for instance). ``pooling`` is ``model.pooling`` in the job (conf/model/); the default
    serves tests and benchmarks that build a model in code.
    """
    unknown = set(labels.tasks) - set(TASKS)
    if unknown:
        raise ValueError(f"unknown task(s) {sorted(unknown)}; tasks are {TASKS}")
    local = offline(pretrained)
    config = BertConfig.from_pretrained(pretrained, local_files_only=local)
    config.tasks = labels.tasks
    config.class_weights = weights
    config.temperatures = {t: 1.0 for t in labels.tasks}
    config.pooling = Pooling(pooling).value  # a plain string in the saved config.json
    model = HotlineBertClassifier.from_pretrained(pretrained, config=config, local_files_only=local)
    if model.get_input_embeddings().num_embeddings < len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))
    return model
