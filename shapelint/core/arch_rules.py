"""Architecture rules (SHP400-SHP409): models that run, but do not do what they say.

None of these makes torch raise; each is a difference torch shows in another way
(parameters missing from `model.parameters()`, outputs of `train()` and `eval()`
that differ or do not, a running statistic updated twice per step). Their VALID and
INVALID examples are checked by tests/test_arch_rules.py with those torch oracles.
The range SHP400-SHP409 is reserved for them.
"""

from __future__ import annotations

from .rule_base import _HEAD, Rule, rule


@rule
class UnregisteredSubmodules(Rule):
    code = "SHP400"
    name = "unregistered-submodules"
    severity = "warning"
    message = (
        "{model}.{attr} holds {count} module(s) in a plain {container} ({params} parameters): torch does not "
        "register them, so model.parameters(), state_dict(), .to() and .eval() miss them; use {wrapper}"
    )
    summary = ("Submodules kept in a plain list, tuple or dict attribute instead of nn.ModuleList/nn.ModuleDict, "
               "or built by a plain (non-nn.Module) object the model holds.")
    why = (
        "nn.Module registers only modules assigned directly or held by nn.ModuleList/nn.ModuleDict: the "
        "optimizer never sees the parameters of a plain list, `.to('cuda')` leaves them behind and "
        "`state_dict()` does not save them."
    )
    fix = "Wrap the list in nn.ModuleList(...) (a dict in nn.ModuleDict(...)); `--fix` does it for a literal."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.blocks = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])\n\n"
        "    def forward(self, x):\n        for b in self.blocks:\n            x = b(x)\n        return x\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.blocks = [nn.Linear(8, 8) for _ in range(3)]\n\n"
        "    def forward(self, x):\n        for b in self.blocks:\n            x = b(x)\n        return x\n",
        _HEAD + "class Head:\n    def __init__(self, d):\n        self.fc = nn.Linear(d, 2)\n\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n        self.head = Head(8)\n\n"
        "    def forward(self, x):\n        return self.head.fc(x)\n",
    ]


@rule
class UnusedSubmodule(Rule):
    code = "SHP401"
    name = "unused-submodule"
    severity = "warning"
    message = "{model}.{attr} ({kind}, {params} parameters) is built in __init__ but no method uses it; remove it or call it"
    summary = "A submodule with parameters that is built in __init__ and used by no method."
    why = (
        "Its parameters get no gradient: DistributedDataParallel fails with `Expected to have finished reduction "
        "in the prior iteration`, weight decay and checkpoints carry dead weights, and often the forward "
        "forgot a layer it meant to call."
    )
    fix = "Call the layer where it belongs in forward, or delete it. (Silent when any method or getattr uses it.)"
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 4)\n        self.head = nn.Linear(4, 2)\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n\n"
        "    def predict(self, x):\n        return self.head(self.forward(x))\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 4)\n        self.norm = nn.LayerNorm(4)\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n"
    ]


@rule
class FunctionalTrainingFlag(Rule):
    code = "SHP402"
    name = "functional-training-flag"
    severity = "warning"
    message = "{op} in forward {detail}; {hint}"
    summary = "F.dropout without training=self.training, or F.batch_norm/F.instance_norm with a constant mode."
    why = (
        "F.dropout's `training` defaults to True: it keeps dropping after model.eval(). F.batch_norm with a "
        "constant `training` (False by default) never updates its running statistics in train(), or uses "
        "batch statistics in eval()."
    )
    fix = "Pass training=self.training (use_input_stats=self.training for F.instance_norm), or use the nn layer."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 8)\n\n"
        "    def forward(self, x):\n        return F.dropout(self.fc(x), 0.5, training=self.training)\n",
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 4, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.register_buffer('mean', torch.zeros(4))\n        self.register_buffer('var', torch.ones(4))\n\n"
        "    def forward(self, x):\n        return F.batch_norm(x, self.mean, self.var, training=self.training)\n",
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 8)\n\n"
        "    def forward(self, x):\n        return F.dropout(self.fc(x), 0.5)\n",
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 4, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.register_buffer('mean', torch.zeros(4))\n        self.register_buffer('var', torch.ones(4))\n\n"
        "    def forward(self, x):\n        return F.batch_norm(x, self.mean, self.var)\n",
    ]


@rule
class StatefulLayerReused(Rule):
    code = "SHP403"
    name = "stateful-layer-reused"
    severity = "warning"
    message = (
        "{layer} ({kind}) is called at two places of one forward ({first} and {second}) on different feature maps: "
        "its running statistics mix both; give each place its own {kind}"
    )
    summary = "One BatchNorm (a layer with running statistics) applied to two different feature maps in one forward."
    why = (
        "Each call updates the same running mean and variance (num_batches_tracked grows by 2 per step), so "
        "in eval() both places are normalized with a blend of two distributions that neither has."
    )
    fix = "Create one norm layer per place it is applied."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8, 6, 6)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)\n        self.bn1 = nn.BatchNorm2d(8)\n"
        "        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)\n        self.bn2 = nn.BatchNorm2d(8)\n\n"
        "    def forward(self, x):\n        x = F.relu(self.bn1(self.conv1(x)))\n        return self.bn2(self.conv2(x))\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8, 6, 6)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)\n"
        "        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)\n        self.bn = nn.BatchNorm2d(8)\n\n"
        "    def forward(self, x):\n        x = F.relu(self.bn(self.conv1(x)))\n        return self.bn(self.conv2(x))\n"
    ]


@rule
class SoftmaxWithoutDim(Rule):
    code = "SHP404"
    name = "softmax-without-dim"
    severity = "warning"
    message = (
        "{op} without dim: torch guesses it from the input's rank (dim 0 for a 0-, 1- or 3-d input, which mixes "
        "the batch of a (B, T, C) tensor) and warns; pass dim= explicitly (dim=-1 for the last)"
    )
    summary = "nn.Softmax()/F.softmax(x) (log_softmax, softmin) without a dim."
    why = (
        "torch guesses the dim (0 for 0-, 1- and 3-d inputs, else 1) and warns `Implicit dimension choice "
        "for softmax has been deprecated`; on a (B, T, C) tensor it normalizes across the batch."
    )
    fix = "Pass dim explicitly: F.softmax(x, dim=-1), nn.Softmax(dim=1)."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 4)\n        self.sm = nn.Softmax(dim=1)\n\n"
        "    def forward(self, x):\n        return self.sm(self.fc(x))\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 5, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 4)\n\n"
        "    def forward(self, x):\n        return F.softmax(self.fc(x))\n",
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 4)\n        self.sm = nn.Softmax()\n\n"
        "    def forward(self, x):\n        return self.sm(self.fc(x))\n",
    ]


@rule
class ConvBiasBeforeNorm(Rule):
    code = "SHP405"
    name = "conv-bias-before-batchnorm"
    severity = "info"
    message = "{conv} has a bias ({wasted} parameters) that {norm} directly after it subtracts again; use bias=False"
    summary = "A convolution with bias=True whose output goes straight into a BatchNorm."
    why = (
        "BatchNorm subtracts the per-channel mean, which absorbs a per-channel bias exactly: the bias "
        "parameters get zero gradient and only cost memory and time."
    )
    fix = "Pass bias=False to the convolution."
    VALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)\n        self.bn = nn.BatchNorm2d(16)\n\n"
        "    def forward(self, x):\n        return F.relu(self.bn(self.conv(x)))\n"
    ]
    INVALID = [
        _HEAD + "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 16, 3, padding=1)\n        self.bn = nn.BatchNorm2d(16)\n\n"
        "    def forward(self, x):\n        return F.relu(self.bn(self.conv(x)))\n"
    ]
