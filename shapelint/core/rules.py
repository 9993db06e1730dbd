"""Every finding shapelint reports: a stable code, its message, its docs and examples.

A rule is a small class (in the manner of pyflakes' messages and Fixit's rules): the
message is a format string whose fields may be `At(node)` line references; `VALID` and
`INVALID` are complete model sources that the test-suite checks both with shapelint
and with real torch, so the documentation cannot drift from the behaviour.
"""

from __future__ import annotations

from typing import List, Type

from .rule_base import _HEAD, REGISTRY, Rule, rule



@rule
class ChannelMismatch(Rule):
    code = "SHP001"
    name = "channel-mismatch"
    message = (
        "{layer} expects {expected} input channels ({param}) but receives {actual} "
        "({origin}); use {param}={actual}"
    )
    summary = "A conv or norm layer's in_channels/num_features differs from the channels it receives."
    why = (
        "torch raises `expected input[...] to have N channels, but got M channels instead` "
        "(or `running_mean should contain N elements`) on the first batch."
    )
    fix = "Set in_channels/num_features to the out_channels of the layer before it."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)\n"
        "        self.bn1 = nn.BatchNorm2d(16)\n"
        "        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)\n\n"
        "    def forward(self, x):\n        return self.conv2(self.bn1(self.conv1(x)))\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)\n"
        "        self.conv2 = nn.Conv2d(18, 32, 3, padding=1)\n\n"
        "    def forward(self, x):\n        return self.conv2(self.conv1(x))\n",
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)\n"
        "        self.bn1 = nn.BatchNorm2d(32)\n\n"
        "    def forward(self, x):\n        return self.bn1(self.conv1(x))\n",
    ]


@rule
class InFeaturesMismatch(Rule):
    code = "SHP002"
    name = "in-features-mismatch"
    message = (
        "{layer} expects {expected} input features ({param}) but receives {actual} "
        "({origin}); {hint}"
    )
    summary = "A Linear's in_features (an RNN's input_size, a Bilinear's in1_features or in2_features) differs from the features it receives."
    why = "torch raises `mat1 and mat2 shapes cannot be multiplied (AxB and CxD)` on the first batch."
    fix = "Set in_features to the number of features the flatten actually produces."
    VALID = [
        _HEAD + "class SimpleCNN(nn.Module):  # shapelint: input=(4, 3, 32, 32)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(3, 18, kernel_size=3, stride=1, padding=1)\n"
        "        self.pool = nn.MaxPool2d(kernel_size=2, stride=2, padding=0)\n"
        "        self.fc1 = nn.Linear(18 * 16 * 16, 64)\n\n"
        "    def forward(self, x):\n        x = self.pool(F.relu(self.conv1(x)))\n"
        "        x = torch.flatten(x, 1)\n        return self.fc1(x)\n"
    ]
    INVALID = [
        _HEAD + "class SimpleCNN(nn.Module):  # shapelint: input=(4, 3, 32, 32)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(3, 18, kernel_size=3, stride=1, padding=1)\n"
        "        self.pool = nn.MaxPool2d(kernel_size=2, stride=2, padding=0)\n"
        "        self.fc1 = nn.Linear(18 * 32 * 32, 64)\n\n"
        "    def forward(self, x):\n        x = self.pool(F.relu(self.conv1(x)))\n"
        "        x = torch.flatten(x, 1)\n        return self.fc1(x)\n"
    ]


@rule
class ViewSizeMismatch(Rule):
    code = "SHP003"
    name = "view-size-mismatch"
    message = "{op} cannot reshape {shape} ({numel} values) into {target}; {hint}"
    summary = "A view/reshape/unflatten whose sizes cannot hold the tensor's values."
    why = ("torch raises `shape '[...]' is invalid for input of size N`; also for a `-1` view whose other sizes do "
           "not divide the values (with the batch not declared: that divide them only for some batch sizes).")
    fix = ("Flatten per sample with x.flatten(1) or x.view(x.size(0), -1) instead of hand-computed sizes; for a split "
           "of the last dimension (fused qkv heads), make the layer before it give the product of the sizes "
           "(Linear(dim, 3 * dim)).")
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8, 4, 4)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(128, 10)\n\n"
        "    def forward(self, x):\n        return self.fc(x.view(x.size(0), 128))\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8, 4, 4)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(100, 10)\n\n"
        "    def forward(self, x):\n        return self.fc(x.view(x.size(0), 100))\n"
    ]


@rule
class BatchFolded(Rule):
    code = "SHP004"
    name = "batch-folded"
    message = (
        "{op} folds features into the batch: each sample has {per_sample} values, "
        "so the first dimension becomes {new_batch} instead of {batch} and samples get mixed; {hint}"
    )
    summary = "A view/reshape that runs, but changes the batch dimension."
    why = (
        "`x.view(-1, 512)` on samples of 2048 values runs without error and turns a batch of "
        "B samples into 4*B rows: every row of the loss then mixes pieces of different samples."
    )
    fix = "Flatten per sample: x.view(x.size(0), -1) or torch.flatten(x, 1)."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 32, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(2048, 10)\n\n"
        "    def forward(self, x):\n        return self.fc(x.view(-1, 2048))\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 32, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(512, 10)\n\n"
        "    def forward(self, x):\n        return self.fc(x.view(-1, 512))\n",
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8, 4, 4)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.pool = nn.AdaptiveAvgPool2d(1)\n\n"
        "    def forward(self, x):\n        return self.pool(x).view(x.size(1), -1)\n",
    ]


@rule
class SpatialCollapse(Rule):
    code = "SHP005"
    name = "spatial-collapse"
    message = (
        "{layer} needs an input of at least {needed} along {axis} but receives {actual} "
        "({origin}); its output would be {out}; {hint}"
    )
    summary = "A conv or pool whose output size falls below 1."
    why = "torch raises `Output size is too small` or `Kernel size can't be greater than actual input size`."
    fix = "Remove a downsampling step, add padding, or feed larger inputs."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(1, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.pool = nn.MaxPool2d(2)\n\n"
        "    def forward(self, x):\n        return self.pool(self.pool(self.pool(x)))\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(1, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.pool = nn.MaxPool2d(2)\n\n"
        "    def forward(self, x):\n        return self.pool(self.pool(self.pool(self.pool(x))))\n"
    ]


@rule
class ShapeMismatch(Rule):
    code = "SHP006"
    name = "shape-mismatch"
    message = "{op}: {detail}"
    summary = "An elementwise operation, torch.cat or torch.stack on tensors whose shapes do not fit."
    why = "torch raises `The size of tensor a (X) must match the size of tensor b (Y)` or `Sizes of tensors must match`."
    fix = "Make the branches produce the same sizes (a downsample on the skip path, matching padding)."
    VALID = [
        _HEAD + "class Block(nn.Module):  # shapelint: input=(2, 16, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(16, 16, 3, padding=1)\n\n"
        "    def forward(self, x):\n        return x + self.conv(x)\n"
    ]
    INVALID = [
        _HEAD + "class Block(nn.Module):  # shapelint: input=(2, 16, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(16, 16, 3, stride=2, padding=1)\n\n"
        "    def forward(self, x):\n        return x + self.conv(x)\n",
        _HEAD + "class Cat(nn.Module):  # shapelint: input=(2, 16, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.a = nn.Conv2d(16, 8, 3, padding=1)\n"
        "        self.b = nn.Conv2d(16, 8, 3)\n\n"
        "    def forward(self, x):\n        return torch.cat([self.a(x), self.b(x)], dim=1)\n",
    ]


@rule
class GroupsNotDivisible(Rule):
    code = "SHP007"
    name = "groups-not-divisible"
    message = "{layer}: {what} ({value}) must be divisible by {groups_name} ({groups}); {hint}"
    summary = ("Conv groups, GroupNorm num_groups or attention heads (nn.MultiheadAttention, the Transformer layers, "
               "a hand-written `x.view(B, T, n_head, C // n_head)`) that do not divide the channels or the width.")
    why = ("torch raises `in_channels must be divisible by groups` (or `embed_dim must be divisible by num_heads`) when "
           "the model is built; a hand-written head split rounds `C // n_head` down, so the view holds fewer values "
           "than the tensor and torch raises at the view (`shape '[2, 8, 8, 4]' is invalid for input of size 576`).")
    fix = "Choose a number of groups (heads) that divides the channels (the width), or a width the head count divides."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 32, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.dw = nn.Conv2d(32, 32, 3, padding=1, groups=32)\n"
        "        self.gn = nn.GroupNorm(8, 32)\n\n"
        "    def forward(self, x):\n        return self.gn(self.dw(x))\n",
        _HEAD + "class Heads(nn.Module):  # shapelint: input=(2, 8, 32)\n"
        "    def __init__(self, n_head=4):\n        super().__init__()\n"
        "        self.n_head = n_head\n        self.qkv = nn.Linear(32, 96)\n\n"
        "    def forward(self, x):\n        B, T, C = x.size()\n"
        "        q, k, v = self.qkv(x).split(C, dim=2)\n"
        "        return q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)\n",
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 32, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.dw = nn.Conv2d(32, 48, 3, padding=1, groups=5)\n\n"
        "    def forward(self, x):\n        return self.dw(x)\n",
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 32, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.gn = nn.GroupNorm(6, 32)\n\n"
        "    def forward(self, x):\n        return self.gn(x)\n",
        _HEAD + "class Heads(nn.Module):  # shapelint: input=(2, 8, 36)\n"
        "    def __init__(self, n_head=8):\n        super().__init__()\n"
        "        self.n_head = n_head\n        self.qkv = nn.Linear(36, 108)\n\n"
        "    def forward(self, x):\n        B, T, C = x.size()\n"
        "        q, k, v = self.qkv(x).split(C, dim=2)\n"
        "        return q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)\n",
    ]


@rule
class SamePaddingStride(Rule):
    code = "SHP008"
    name = "same-padding-stride"
    message = "{layer}: padding='same' is not supported with stride {stride}; {hint}"
    summary = "padding='same' on a strided convolution."
    why = "torch raises `padding='same' is not supported for strided convolutions` when the model is built."
    fix = "Use stride=1, or an explicit padding such as (kernel_size - 1) // 2."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(1, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 7, padding='same')\n\n"
        "    def forward(self, x):\n        return self.conv(x)\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(1, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 7, stride=2, padding='same')\n\n"
        "    def forward(self, x):\n        return self.conv(x)\n"
    ]


@rule
class RankMismatch(Rule):
    code = "SHP009"
    name = "rank-mismatch"
    message = "{layer} expects a {expected} input but receives {actual} ({origin}); {hint}"
    summary = "A layer receives a tensor with the wrong number of dimensions."
    why = "torch raises `Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [...]`."
    fix = "Add the missing unsqueeze/view, or use the layer of the right dimensionality (Conv1d vs Conv2d)."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.bn = nn.BatchNorm2d(3)\n\n"
        "    def forward(self, x):\n        return self.bn(x)\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.bn = nn.BatchNorm1d(3)\n\n"
        "    def forward(self, x):\n        return self.bn(x)\n"
    ]


@rule
class NormalizedShapeMismatch(Rule):
    code = "SHP010"
    name = "normalized-shape-mismatch"
    message = "{layer} normalizes over {expected} but the input ends with {actual} ({origin}); use {fix_value}"
    summary = "LayerNorm's normalized_shape differs from the input's trailing dimensions."
    why = "torch raises `Given normalized_shape=[...], expected input with shape [*, ...]`."
    fix = "Set normalized_shape to the input's trailing sizes."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 10, 64)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.ln = nn.LayerNorm(64)\n\n"
        "    def forward(self, x):\n        return self.ln(x)\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 10, 64)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.ln = nn.LayerNorm(10)\n\n"
        "    def forward(self, x):\n        return self.ln(x)\n"
    ]


@rule
class PoolPadding(Rule):
    code = "SHP011"
    name = "pool-padding-too-large"
    message = "{layer}: padding {padding} is more than half the kernel size {kernel}; use padding={fix_value} or less"
    summary = "A pooling layer whose padding exceeds half its kernel."
    why = "torch raises `pad should be at most half of effective kernel size`."
    fix = "Use padding <= kernel_size // 2."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(1, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.pool = nn.MaxPool2d(3, stride=2, padding=1)\n\n"
        "    def forward(self, x):\n        return self.pool(x)\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(1, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.pool = nn.MaxPool2d(2, stride=2, padding=2)\n\n"
        "    def forward(self, x):\n        return self.pool(x)\n"
    ]


@rule
class DimOutOfRange(Rule):
    code = "SHP012"
    name = "dim-out-of-range"
    message = "{op}: dimension {dim} is out of range for a tensor of {rank} dimensions {shape}"
    summary = "A dim argument (flatten, transpose, cat, softmax, ...) outside the tensor's dimensions."
    why = "torch raises `Dimension out of range (expected to be in range of [-N, N-1], but got D)`."
    fix = "Count dimensions including the batch: a (B, C, H, W) tensor has dims 0..3."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 3, 4, 4)\n"
        "    def __init__(self):\n        super().__init__()\n\n"
        "    def forward(self, x):\n        return x.transpose(1, 3)\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 3, 4, 4)\n"
        "    def __init__(self):\n        super().__init__()\n\n"
        "    def forward(self, x):\n        return x.transpose(1, 4)\n"
    ]


@rule
class RejectedSize(Rule):
    code = "SHP013"
    name = "rejected-size"
    message = "{layer} {param} is {value}, {what}: torch raises {exception}{when}; {hint}"
    summary = "A float or negative size given to a layer constructor, view or reshape."
    why = (
        "torch raises `TypeError: empty(): argument 'size' must be tuple of ints` for a float "
        "(`out_planes / 4` is 8.0, not 8), `Trying to create tensor with negative dimension` for a "
        "negative size, and `hidden_size must be greater than zero` for an empty RNN."
    )
    fix = "Divide sizes with `//`, or wrap the expression in int(...)."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 16, 8, 8)\n"
        "    def __init__(self, planes=32):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(16, planes // 4, 1)\n\n"
        "    def forward(self, x):\n        return self.conv(x)\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 16, 8, 8)\n"
        "    def __init__(self, planes=32):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(16, planes / 4, 1)\n\n"
        "    def forward(self, x):\n        return self.conv(x)\n",
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8, 4, 4)\n"
        "    def __init__(self, groups=2):\n        super().__init__()\n"
        "        self.groups = groups\n\n"
        "    def forward(self, x):\n        n, c, h, w = x.shape\n"
        "        return x.view(n, self.groups, c / self.groups, h, w)\n",
    ]


@rule
class AssertFails(Rule):
    code = "SHP014"
    name = "assert-fails"
    message = "`assert {test}` fails{values}: Python raises AssertionError{hint}"
    summary = "An `assert` on sizes that is false for these values."
    why = (
        "Model code checks its configuration with asserts (`assert n_embd % n_head == 0`); a false one "
        "raises AssertionError when the model is built or called, after the data has loaded."
    )
    fix = "Change the value the message names so that the assertion holds."
    VALID = [
        _HEAD + "class Attention(nn.Module):  # shapelint: input=(2, 16, 96)\n"
        "    def __init__(self, n_embd=96, n_head=12):\n        super().__init__()\n"
        "        assert n_embd % n_head == 0\n"
        "        self.qkv = nn.Linear(n_embd, 3 * n_embd)\n\n"
        "    def forward(self, x):\n        return self.qkv(x)\n"
    ]
    INVALID = [
        _HEAD + "class Attention(nn.Module):  # shapelint: input=(2, 16, 100)\n"
        "    def __init__(self, n_embd=100, n_head=12):\n        super().__init__()\n"
        "        assert n_embd % n_head == 0\n"
        "        self.qkv = nn.Linear(n_embd, 3 * n_embd)\n\n"
        "    def forward(self, x):\n        return self.qkv(x)\n",
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 4, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 3)\n\n"
        "    def forward(self, x):\n"
        "        assert x.shape[1] == 3, 'expects RGB'\n"
        "        return self.conv(x)\n",
    ]


# issue 11's rules of sequence models live in their own module; imported here, in code order
from .sequence_rules import CausalHintWithoutMask, IndexDtype, MaskDtype, PositionalTooShort  # noqa: E402,F401
from .guard_rules import GuardRaises  # noqa: E402,F401


@rule
class SyntaxErrorRule(Rule):
    code = "SHP100"
    suppressible = False  # a file that cannot be checked is never silently green
    name = "syntax-error"
    message = "cannot parse this file: {detail}"
    summary = "The file is not valid Python, so no model in it can be checked."
    why = "A linter that skips a broken file silently would report a green build."
    fix = "Fix the syntax error; shapelint checks the file again on the next run."


@rule
class UnreadableFile(Rule):
    code = "SHP101"
    suppressible = False  # a file that cannot be checked is never silently green
    name = "unreadable-file"
    message = "cannot read this file: {detail}"
    summary = "The file could not be read or decoded."
    why = "A file that cannot be read cannot be checked; saying so beats a silent pass."
    fix = "Check the path, permissions and encoding (UTF-8, or a PEP 263 coding line)."


@rule
class InputSizeConstraint(Rule):
    code = "SHP200"
    name = "input-size-constraint"
    severity = "info"
    message = "{model} only accepts {accepted} (from {reason})"
    summary = "With no input shape given, a fixed flatten or view size pins the input size."
    why = "Feeding any other size will fail at run time; declare the input size to check it exactly."
    fix = "Declare the input: `# shapelint: input=(B, 3, 32, 32)` on the class line."


@rule
class TrackingLost(Rule):
    code = "SHP201"
    name = "tracking-lost"
    severity = "info"
    message = "shapes are unknown from here: {reason}"
    summary = "shapelint could not follow a construct; later shapes are unknown, never guessed."
    why = "Shows where static coverage ends, so you know what was not checked."
    fix = "Use --trace for torch's own word, or declare the input shape."



# Findings of `--trace` (source "trace"): torch's own answer, from a child process.
# They have no VALID/INVALID examples here: tests/test_trace.py runs fixtures through
# the CLI with real torch instead.


@rule
class TraceError(Rule):
    code = "SHP300"
    name = "trace-error"
    message = "{model}: torch raises while {stage} it{how}: {detail}{also}"
    summary = "(--trace) torch itself raised while building the model or running its forward."
    why = (
        "torch's own word: the model fails on this input. The line is where the error arises in your file. "
        "A warning instead of an error when the input was inferred by shapelint rather than declared, or when "
        "building with default arguments fails in your own code rather than in torch's."
    )
    fix = "Read torch's message; the static finding on the same model (if any) has the number that fixes it."


@rule
class TraceBatchChanged(Rule):
    code = "SHP301"
    name = "trace-batch-changed"
    message = "{model}: the output batch is {out_batch} for an input batch of {batch} (input {inp} -> output {out}){how}; samples are mixed here: keep dimension 0 the batch, e.g. x.view(x.size(0), -1) or torch.flatten(x, 1)"
    summary = "(--trace) the model runs, but its output's first dimension is not the input batch."
    why = (
        "A view/reshape with -1 in the wrong place silently folds samples together; training runs on garbage. "
        "A warning instead of an error when the input was inferred by shapelint rather than declared."
    )
    fix = "Keep the batch: x.view(x.size(0), -1) or torch.flatten(x, 1)."


@rule
class StaticTraceDisagreement(Rule):
    code = "SHP302"
    name = "static-trace-disagreement"
    severity = "warning"
    message = "{model}: {layer} outputs {traced} under torch but shapelint computed {static} statically"
    summary = "(--trace) the static shape of a layer differs from the one torch computes."
    why = "torch is right; this is a shapelint bug (or code whose shapes depend on values). Please report it."
    fix = "Trust the traced shape; report the file so the static rule can be fixed."


@rule
class StaticErrorNotReproduced(Rule):
    code = "SHP305"
    name = "static-error-not-reproduced"
    severity = "warning"
    message = "shapelint reported {code} here, but torch built and ran every model in this file without error: {models}"
    summary = "(--trace) a static error that torch does not reproduce on the traced inputs."
    why = "Either a false alarm of the static rule (please report it) or an error that needs another input than the one traced."
    fix = "Check the input shape you declared; if it is the one you use, trust torch and report the file."


@rule
class TraceFailed(Rule):
    code = "SHP303"
    name = "trace-failed"
    severity = "warning"
    message = "{model}: could not trace: {detail}"
    summary = "(--trace) the file could not be imported, or tracing ran out of time or memory."
    why = (
        "A warning, not an error: it says the trace could not confirm anything, not that the shapes "
        "are wrong (a missing dependency or a slow model is not a shape bug). Static findings still stand."
    )
    fix = "Make the file importable on its own; raise --timeout; keep module-level code cheap."


@rule
class TraceSkipped(Rule):
    code = "SHP304"
    name = "trace-skipped"
    severity = "info"
    message = "{model} was not traced: {reason}"
    summary = "(--trace) a model was built (or not) but not run, e.g. no input shape or required __init__ arguments."
    why = "Shows which models torch did not confirm."
    fix = "Declare the input (`# shapelint: input=(B, 3, 32, 32)`) or give --init-args NAME='{\"arg\": 1}'."

from . import arch_rules  # noqa: E402,F401  (registers SHP400-SHP409)


def all_rules() -> List[Type[Rule]]:
    return [REGISTRY[c] for c in sorted(REGISTRY)]
