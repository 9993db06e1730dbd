"""The rules of attention and sequence models (issue 11): index dtypes, positional tables, what
attention refuses of a mask whatever its shape (its dtype, its absence under the is_causal hint).

Registered in code order: `core.rules` imports this module between SHP014 and SHP100.
"""

from __future__ import annotations

from .rule_base import _HEAD, Rule, rule


@rule
class IndexDtype(Rule):
    code = "SHP015"
    name = "index-dtype"
    message = "{op}: the index is a {dtype} tensor, but torch takes {accepted} indices here and raises {raises}; {hint}"
    summary = ("Indexing (`x[idx]`), F.embedding / nn.Embedding, index_select or gather with a float index tensor "
               "(or a bool one outside indexing).")
    why = ("torch raises `IndexError: tensors used as indices must be long, int, byte or bool tensors` "
           "(or `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int`): "
           "an index computed with `/`, `torch.rand` or `.float()` is float. int32 and int64 are both accepted.")
    fix = "Convert the index with `.long()`, or build it as an integer tensor (`torch.arange(n)`, `dtype=torch.long`)."
    VALID = [
        _HEAD + "class Pick(nn.Module):  # shapelint: input=(2, 8, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.emb = nn.Embedding(8, 16)\n\n"
        "    def forward(self, x):\n        pos = torch.arange(0, x.size(1)).unsqueeze(0)\n"
        "        return x + self.emb(pos)\n"
    ]
    INVALID = [
        _HEAD + "class Pick(nn.Module):  # shapelint: input=(2, 8, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.emb = nn.Embedding(8, 16)\n\n"
        "    def forward(self, x):\n        pos = torch.arange(0, x.size(1)).float().unsqueeze(0)\n"
        "        return x + self.emb(pos)\n",
        _HEAD + "class Pick(nn.Module):  # shapelint: input=(2, 8, 16)\n"
        "    def __init__(self):\n        super().__init__()\n\n"
        "    def forward(self, x):\n        idx = torch.arange(0.0, 4.0)\n"
        "        return x[:, idx]\n",
    ]


@rule
class PositionalTooShort(Rule):
    code = "SHP016"
    name = "positional-embedding-too-short"
    message = "{op}: the positional embedding {table} holds {have} positions but the sequence has {need} ({origin}); torch raises {raises}; {hint}"
    summary = ("A learned positional table (`nn.Parameter(torch.zeros(1, N, D))`, a buffer) added to more than N tokens, "
               "or an `nn.Embedding(block_size, D)` indexed by `torch.arange(t)` with t > block_size.")
    why = ("torch raises `The size of tensor a (T) must match the size of tensor b (N) at non-singleton dimension 1` "
           "for the table, `IndexError: index out of range in self` for the embedding: a ViT whose table forgot the "
           "class token, a GPT run on sequences longer than its block_size. Checked only when both numbers are known.")
    fix = "Give the table as many positions as the longest sequence (N + 1 with a class token), or crop the sequence."
    VALID = [
        _HEAD + "class Patches(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.proj = nn.Conv2d(3, 32, 4, 4)\n"
        "        self.cls = nn.Parameter(torch.zeros(1, 1, 32))\n"
        "        self.pos = nn.Parameter(torch.zeros(1, 17, 32))\n\n"
        "    def forward(self, x):\n        x = self.proj(x).flatten(2).transpose(1, 2)\n"
        "        x = torch.cat([self.cls.expand(x.size(0), -1, -1), x], dim=1)\n"
        "        return x + self.pos\n",
        _HEAD + "class Tokens(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.wte = nn.Linear(8, 32)\n        self.wpe = nn.Embedding(8, 32)\n\n"
        "    def forward(self, x):\n        pos = torch.arange(0, x.size(1))\n"
        "        return self.wte(x).unsqueeze(1) + self.wpe(pos)\n",
    ]
    INVALID = [
        _HEAD + "class Patches(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.proj = nn.Conv2d(3, 32, 4, 4)\n"
        "        self.cls = nn.Parameter(torch.zeros(1, 1, 32))\n"
        "        self.pos = nn.Parameter(torch.zeros(1, 16, 32))\n\n"
        "    def forward(self, x):\n        x = self.proj(x).flatten(2).transpose(1, 2)\n"
        "        x = torch.cat([self.cls.expand(x.size(0), -1, -1), x], dim=1)\n"
        "        return x + self.pos\n",
        _HEAD + "class Tokens(nn.Module):  # shapelint: input=(2, 12)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.wte = nn.Linear(12, 32)\n        self.wpe = nn.Embedding(8, 32)\n\n"
        "    def forward(self, x):\n        pos = torch.arange(0, x.size(1))\n"
        "        return self.wte(x).unsqueeze(1) + self.wpe(pos)\n",
    ]


@rule
class MaskDtype(Rule):
    code = "SHP017"
    name = "mask-dtype"
    message = "{op}: {mask} is {dtype} tensor, but {taker} takes only {accepted} masks and raises {raises}; {hint}"
    summary = ("An integer tensor (`torch.ones(L, L, dtype=torch.long)`, `torch.tril(...).long()`) given as an attention "
               "mask or key padding mask to nn.MultiheadAttention, a Transformer block or F.scaled_dot_product_attention; "
               "a float or integer mask given to masked_fill (`att.masked_fill(self.bias[:, :, :T, :T], -inf)`).")
    why = ("torch raises `AssertionError: only bool and floating types of attn_mask are supported` (key_padding_mask, "
           "src_mask, ...) before it looks at the mask's shape, in training and in eval mode alike; "
           "F.scaled_dot_product_attention raises `Expected attn_mask dtype to be bool or float or to match query "
           "dtype`; masked_fill raises `masked_fill_ only supports boolean masks`. Checked only where "
           "shapelint knows the mask's dtype (the code made it).")
    fix = ("Convert it with `.bool()` (True where attention is not allowed for nn.MultiheadAttention and the "
           "Transformer blocks, True where it is allowed for F.scaled_dot_product_attention), or build a float mask: "
           "0 where allowed, `float('-inf')` where not. For masked_fill, compare: `mask == 0` fills where the mask is 0.")
    VALID = [
        _HEAD + "class Causal(nn.Module):  # shapelint: input=(2, 5, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)\n\n"
        "    def forward(self, x):\n        mask = torch.triu(torch.ones(5, 5), diagonal=1).bool()\n"
        "        return self.attn(x, x, x, attn_mask=mask)[0]\n"
    ]
    INVALID = [
        _HEAD + "class Causal(nn.Module):  # shapelint: input=(2, 5, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)\n\n"
        "    def forward(self, x):\n        mask = torch.triu(torch.ones(5, 5), diagonal=1).long()\n"
        "        return self.attn(x, x, x, attn_mask=mask)[0]\n"
    ]


@rule
class CausalHintWithoutMask(Rule):
    code = "SHP018"
    name = "causal-hint-without-mask"
    message = ("{op}: the is_causal hint is True but no {mask} is given, and {path}torch raises "
               "`RuntimeError: Need attn_mask if specifying the is_causal hint`; pass {mask}={fix_value} with it")
    summary = ("`is_causal=True` (`tgt_is_causal=True`, ...) with no attention mask, on nn.MultiheadAttention or a "
               "Transformer block that cannot take torch's fused eval path (sequence-first, unbatched, cross-attention, "
               "an odd head count).")
    why = ("is_causal is only a hint about the mask passed with it: torch's reference attention raises without one. Only "
           "the fused path (eval under no_grad, batch-first self-attention) runs without it, so where that path cannot "
           "be taken the call fails in training and in eval mode alike.")
    fix = "Pass the causal mask too: `mask=nn.Transformer.generate_square_subsequent_mask(L)`, with `is_causal=True`."
    VALID = [
        _HEAD + "class Causal(nn.Module):  # shapelint: input=(5, 2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.layer = nn.TransformerEncoderLayer(8, 2, 16)\n\n"
        "    def forward(self, x):\n        mask = nn.Transformer.generate_square_subsequent_mask(5)\n"
        "        return self.layer(x, src_mask=mask, is_causal=True)\n"
    ]
    INVALID = [
        _HEAD + "class Causal(nn.Module):  # shapelint: input=(5, 2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.layer = nn.TransformerEncoderLayer(8, 2, 16)\n\n"
        "    def forward(self, x):\n        return self.layer(x, is_causal=True)\n"
    ]
