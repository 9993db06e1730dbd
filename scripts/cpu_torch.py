"""The pip arguments that install CPU-only torch 2.13.0, on this machine and any other.

PyPI's Linux x86_64 torch is the CUDA build, which pulls several GB of nvidia-*
packages. The version `2.13.0+cpu` exists only as a CPU build: on PyTorch's CPU wheel
index, and as a local wheel where a machine keeps one (pip's find-links). Asking for it
exactly means pip finds a CPU build or fails; it can never substitute the CUDA build.
PyPI's macOS and Windows builds of torch are CPU builds already and carry no `+cpu`.

Prints the arguments one per line on stdout, and where torch will come from on stderr.
"""

import platform
import sys
import urllib.request

TORCH_VERSION = "2.13.0"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def requirement() -> str:
    if sys.platform == "linux" and platform.machine() == "x86_64":
        return f"torch=={TORCH_VERSION}+cpu"
    return f"torch=={TORCH_VERSION}"


def cpu_index_reachable(timeout: float = 10.0) -> bool:
    try:
        with urllib.request.urlopen(f"{CPU_INDEX}/torch/", timeout=timeout):
            return True
    except OSError:  # no route, no DNS, refused, timed out, HTTP errors
        return False


def pip_args():
    """(pip install arguments, a sentence saying where torch comes from)."""
    req = requirement()
    if cpu_index_reachable():
        return ["--extra-index-url", CPU_INDEX, req], f"torch: {req} from PyTorch's CPU wheel index ({CPU_INDEX})"
    return [req], (f"torch: PyTorch's CPU wheel index ({CPU_INDEX}) is unreachable; "
                   f"{req} from the wheels pip already knows (its find-links or index)")


if __name__ == "__main__":
    args, source = pip_args()
    print(source, file=sys.stderr)
    print("\n".join(args))
