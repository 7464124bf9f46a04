"""What travels with a score besides the numbers: conversation context in, evidence out.

Torch-free (the web process may import it). Two contracts, documented in docs/scoring.md:

- ``load_contexts``: per claimed subject, the texts of the messages *before* the flagged one
  in its conversation, oldest first, handed to ``Classifier.score_batch(texts, contexts)``.
  The flags API stores the conversation (``review.conversations``: ``ConversationMessage``
  rows, texts sealed); they are opened here inside the job's app context, at most
  ``MAX_CONTEXT_MESSAGES`` per subject, never logged. Items without one are scored alone.
- ``score_extra``: the JSON kept in ``ItemScore.extra``: evidence as character offsets into the
  scored text plus a label, never text (scores are stored unsealed), and whether context was used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from classifiers import ScoreResult

# The classifier reads at most the last 6 (classifiers/context.py); the API may send 20.
MAX_CONTEXT_MESSAGES = 20


def load_contexts(session: Session, kind: str, ids: Sequence[int]) -> dict[int, list[str]]:
    """Preceding messages per subject id (oldest first), from the conversation the flags API
    stored (review/conversations.py). Cases (anonymous reports) have no conversation."""
    if kind != "item":
        return {}
    from c2c_safety.review.conversations import preceding_texts

    return preceding_texts(session, ids, MAX_CONTEXT_MESSAGES)


def score_extra(result: ScoreResult) -> dict[str, Any]:
    return {
        "evidence": {category: [e.to_dict() for e in items] for category, items in result.evidence.items()},
        "context_used": result.context_used,
    }
