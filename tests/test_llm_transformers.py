"""The local transformers backend, on a tiny random model the test builds (nothing is downloaded).

Skipped when the optional extra (torch, transformers) is not installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from streamer.brief import load_brief  # noqa: E402
from streamer.llm import LLMConfig, Message, create_chat  # noqa: E402
from streamer.llm.transformers_local import TransformersChat  # noqa: E402
from streamer.planner import TemplatePlanner  # noqa: E402
from streamer.planner.llm import LLMPlanner  # noqa: E402

EOS = "<|endoftext|>"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-layer GPT-2 with a byte-level tokenizer and a chat template, saved like a real model folder."""
    path = tmp_path_factory.mktemp("tiny-llm")
    tok = tokenizers.Tokenizer(tokenizers.models.BPE())
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(vocab_size=400, special_tokens=[EOS],
                                             initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["hello there, the price is 18 dollars", "今天直播间价格是99元"], trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, pad_token=EOS)
    fast.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant: "
    eos = fast.convert_tokens_to_ids(EOS)
    config = transformers.GPT2Config(vocab_size=len(fast), n_positions=8192, n_embd=32, n_layer=1, n_head=2,
                                     bos_token_id=eos, eos_token_id=eos)
    torch.manual_seed(0)
    transformers.GPT2LMHeadModel(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


HELLO = [Message("system", "be brief"), Message("user", "hello")]


async def test_complete_generates_text_locally(tiny_model: Path) -> None:
    chat = TransformersChat(tiny_model, device="cpu")
    text = await chat.complete(HELLO, temperature=0, max_tokens=8)
    assert isinstance(text, str) and text == await chat.complete(HELLO, temperature=0, max_tokens=8)


async def test_stream_yields_the_same_text_as_complete(tiny_model: Path) -> None:
    chat = TransformersChat(tiny_model, device="cpu")
    whole = await chat.complete(HELLO, temperature=0, max_tokens=8)
    pieces = [p async for p in chat.stream(HELLO, temperature=0, max_tokens=8)]
    assert "".join(pieces) == whole


def test_factory_builds_the_local_backend(tiny_model: Path) -> None:
    chat = create_chat(LLMConfig(backend="transformers", model=str(tiny_model), device="cpu"))
    assert isinstance(chat, TransformersChat) and chat.device == "cpu"


async def test_a_model_that_writes_nonsense_leaves_the_template_show(tiny_model: Path) -> None:
    brief = load_brief(Path(__file__).parent / "briefs" / "mug_en.yaml")
    planner = LLMPlanner(brief, TransformersChat(tiny_model, device="cpu"), seed=1, variants=1, max_attempts=2,
                         max_tokens=8)
    rundown = await planner.aplan(loops=1)
    assert planner.requests == 2 and "still invalid after 2 attempts" in rundown.notes[0]
    assert rundown.sentences() == TemplatePlanner(brief, seed=1).plan(1).sentences()
