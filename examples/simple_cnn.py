"""The tutorial CNN with the classic bug: the flatten size ignores the pooling."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleCNN(nn.Module):  # shapelint: input=(4, 3, 32, 32)
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 18, kernel_size=3, stride=1, padding=1)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2, padding=0)
        # 32x32 input, but the pool halves it: 18 * 16 * 16 features arrive, not 18 * 32 * 32
        self.fc1 = nn.Linear(18 * 32 * 32, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)
